// Per-sequence token sampling for the engine: the runtime's sampler chain
// (runtime/sampling/sampler.h: penalties, top-k, top-p, min-p, temperature, seeded draw, or
// argmax at temperature 0), optionally restricted to the tokens an `allowed` mask admits
// (constrained decoding: masked-out logits become -inf before the chain runs).
//
// Also the log-softmax helpers behind OpenAI's logprobs: those are the model's own
// distribution (raw logits), independent of the sampling transforms.
//
// Not thread-safe (holds the generator); one Sampler per sequence. Scratch buffers are sized
// on first use and reused afterwards.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "engine/sampling_params.h"
#include "runtime/sampling/sampler.h"

namespace fw::engine {

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // logits: n_vocab raw scores (not modified). history: the sequence's tokens so far.
  // allowed: empty or n_vocab flags (1 = may be sampled); at least one must be set.
  int32_t Sample(std::span<const float> logits, std::span<const int32_t> history,
                 std::span<const uint8_t> allowed = {});

  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  uint64_t seed_;
  std::unique_ptr<runtime::Sampler> chain_;  // made on the first Sample (needs n_vocab)
  size_t accepted_ = 0;                      // history tokens already given to chain_
  std::vector<float> work_;                  // (n_vocab) logits with the mask applied
};

// log(softmax(logits))[token].
float LogprobOf(std::span<const float> logits, int32_t token);
// The n most likely tokens with their log-probabilities, most likely first.
std::vector<std::pair<int32_t, float>> TopLogprobs(std::span<const float> logits, int32_t n);

}  // namespace fw::engine
