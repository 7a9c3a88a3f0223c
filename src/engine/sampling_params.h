// What a request asks of the sampler. Plain data, copied into each sequence.
#pragma once

#include <cstdint>
#include <optional>

namespace fw::engine {

struct SamplingParams {
  float temperature = 0.0f;     // <= 0: greedy (argmax)
  int32_t top_k = 0;            // 0: off
  float top_p = 1.0f;           // 1: off
  float min_p = 0.0f;           // 0: off
  float repeat_penalty = 1.0f;  // 1: off; llama.cpp's rule (divide positive logits, multiply negative)
  int32_t repeat_last_n = 64;   // how many recent tokens the penalty looks at
  std::optional<uint64_t> seed; // unset: seeded from std::random_device
};

}  // namespace fw::engine
