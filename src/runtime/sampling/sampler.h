// The sampler chain: turns one row of logits into a token id.
//
// Order (llama.cpp's default chain): logit bias -> repetition / frequency / presence
// penalties over the last penalty_last_n accepted tokens -> top-k -> typical-p -> top-p ->
// min-p -> temperature -> draw. temperature <= 0 is greedy: the highest logit after bias and
// penalties (the lowest id among equals).
//
// Randomness comes from our own PRNG (SplitMix64-seeded xoshiro256**), so the same seed
// and settings give the same tokens on every platform and standard library.
// Buffers are sized once for the vocabulary; Sample() does not allocate.
// Not thread-safe: one Sampler per sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace fw::runtime {

struct SamplerParams {
  float temperature = 0.8f;
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float typical_p = 1.0f;       // >= 1: off
  float repeat_penalty = 1.0f;  // 1: off
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int32_t penalty_last_n = 64;  // window of accepted tokens the penalties look at; -1 = all
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to the logit of the id
  uint64_t seed = 0;
};

// A small deterministic PRNG (xoshiro256**), seeded through SplitMix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) { Seed(seed); }
  void Seed(uint64_t seed);
  uint64_t Next();
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t s_[4];
};

struct TokenProb {
  int32_t id;
  float logit;
  float p;
};

class Sampler {
 public:
  Sampler(const SamplerParams& params, int32_t n_vocab);

  // Picks a token from logits[0..n_vocab). Does not record it: call Accept().
  int32_t Sample(const float* logits);
  // Records a token of the sequence (prompt or generated) for the penalties.
  void Accept(int32_t id);
  // Forgets the history and reseeds.
  void Reset();

  const SamplerParams& params() const { return params_; }

 private:
  void ApplyPenalties();
  void TopK(int32_t k);
  void Softmax();  // over cur_[0..n_cur_), sorted by logit descending is required first
  void SortDescending();
  void TypicalP(float p);
  void TopP(float p);
  void MinP(float p);

  SamplerParams params_;
  int32_t n_vocab_;
  Rng rng_;
  std::vector<TokenProb> cur_;     // (n_vocab) candidates
  size_t n_cur_ = 0;
  bool sorted_ = false;
  std::vector<int32_t> history_;   // ring of the last penalty window
  size_t history_pos_ = 0;
  size_t history_len_ = 0;
  std::vector<int32_t> counts_;    // (n_vocab) occurrences in the window, rebuilt per Sample
  std::vector<std::pair<float, TokenProb>> typical_;  // (n_vocab reserved when typical-p is on)
};

}  // namespace fw::runtime
