#include "runtime/sampling/sampler.h"

#include <algorithm>
#include <cmath>

namespace fw::runtime {

namespace {
uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Rng::Seed(uint64_t seed) {
  for (auto& s : s_) s = SplitMix64(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

Sampler::Sampler(const SamplerParams& params, int32_t n_vocab)
    : params_(params),
      n_vocab_(n_vocab),
      rng_(params.seed),
      cur_(static_cast<size_t>(n_vocab)),
      counts_(static_cast<size_t>(n_vocab), 0),
      typical_() {
  if (params.typical_p < 1.0f) typical_.reserve(static_cast<size_t>(n_vocab));
  const int32_t window = params.penalty_last_n < 0 ? 1 << 20 : params.penalty_last_n;
  history_.assign(static_cast<size_t>(std::max(0, window)), 0);
}

void Sampler::Reset() {
  rng_.Seed(params_.seed);
  history_pos_ = 0;
  history_len_ = 0;
}

void Sampler::Accept(int32_t id) {
  if (history_.empty()) return;
  history_[history_pos_] = id;
  history_pos_ = (history_pos_ + 1) % history_.size();
  history_len_ = std::min(history_len_ + 1, history_.size());
}

void Sampler::ApplyPenalties() {
  const bool active = params_.repeat_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
                      params_.presence_penalty != 0.0f;
  if (!active || history_len_ == 0) return;
  for (size_t i = 0; i < history_len_; ++i) {
    const int32_t id = history_[(history_pos_ + history_.size() - 1 - i) % history_.size()];
    if (id >= 0 && id < n_vocab_) ++counts_[static_cast<size_t>(id)];
  }
  // cur_ is still indexed by id here (nothing has been filtered yet).
  for (size_t i = 0; i < history_len_; ++i) {
    const int32_t id = history_[(history_pos_ + history_.size() - 1 - i) % history_.size()];
    if (id < 0 || id >= n_vocab_) continue;
    int32_t& c = counts_[static_cast<size_t>(id)];
    if (c == 0) continue;  // already applied for this id
    float& l = cur_[static_cast<size_t>(id)].logit;
    if (l <= 0.0f) {
      l *= params_.repeat_penalty;
    } else {
      l /= params_.repeat_penalty;
    }
    l -= static_cast<float>(c) * params_.frequency_penalty + (c > 0 ? 1.0f : 0.0f) * params_.presence_penalty;
    c = 0;
  }
}

void Sampler::SortDescending() {
  if (sorted_) return;
  std::sort(cur_.begin(), cur_.begin() + static_cast<std::ptrdiff_t>(n_cur_),
            [](const TokenProb& a, const TokenProb& b) { return a.logit != b.logit ? a.logit > b.logit : a.id < b.id; });
  sorted_ = true;
}

void Sampler::TopK(int32_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= n_cur_) return;
  auto cmp = [](const TokenProb& a, const TokenProb& b) { return a.logit != b.logit ? a.logit > b.logit : a.id < b.id; };
  std::partial_sort(cur_.begin(), cur_.begin() + k, cur_.begin() + static_cast<std::ptrdiff_t>(n_cur_), cmp);
  n_cur_ = static_cast<size_t>(k);
  sorted_ = true;
}

void Sampler::Softmax() {
  SortDescending();
  const float mx = cur_[0].logit;
  double sum = 0.0;
  for (size_t i = 0; i < n_cur_; ++i) {
    cur_[i].p = std::exp(cur_[i].logit - mx);
    sum += cur_[i].p;
  }
  for (size_t i = 0; i < n_cur_; ++i) cur_[i].p = static_cast<float>(cur_[i].p / sum);
}

void Sampler::TypicalP(float p) {
  if (p >= 1.0f || n_cur_ <= 1) return;
  Softmax();
  double entropy = 0.0;
  for (size_t i = 0; i < n_cur_; ++i)
    if (cur_[i].p > 0) entropy -= cur_[i].p * std::log(cur_[i].p);
  // Rank by |(-log p) - entropy| (how typical each token is), keep the smallest set whose
  // mass exceeds p.
  typical_.clear();
  for (size_t i = 0; i < n_cur_; ++i)
    typical_.emplace_back(static_cast<float>(std::abs(-std::log(std::max(cur_[i].p, 1e-30f)) - entropy)), cur_[i]);
  std::stable_sort(typical_.begin(), typical_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<float, TokenProb>>& tmp = typical_;
  double cum = 0.0;
  size_t keep = tmp.size();
  for (size_t i = 0; i < tmp.size(); ++i) {
    cum += tmp[i].second.p;
    if (cum > p) {
      keep = i + 1;
      break;
    }
  }
  for (size_t i = 0; i < keep; ++i) cur_[i] = tmp[i].second;
  n_cur_ = keep;
  sorted_ = false;
}

void Sampler::TopP(float p) {
  if (p >= 1.0f || n_cur_ <= 1) return;
  Softmax();
  double cum = 0.0;
  for (size_t i = 0; i < n_cur_; ++i) {
    cum += cur_[i].p;
    if (cum >= p) {
      n_cur_ = i + 1;
      return;
    }
  }
}

void Sampler::MinP(float p) {
  if (p <= 0.0f || n_cur_ <= 1) return;
  Softmax();
  const float threshold = cur_[0].p * p;
  size_t keep = 1;
  while (keep < n_cur_ && cur_[keep].p >= threshold) ++keep;
  n_cur_ = keep;
}

int32_t Sampler::Sample(const float* logits) {
  for (int32_t i = 0; i < n_vocab_; ++i) cur_[static_cast<size_t>(i)] = TokenProb{i, logits[i], 0.0f};
  n_cur_ = static_cast<size_t>(n_vocab_);
  sorted_ = false;
  for (const auto& [id, bias] : params_.logit_bias)
    if (id >= 0 && id < n_vocab_) cur_[static_cast<size_t>(id)].logit += bias;
  ApplyPenalties();

  if (params_.temperature <= 0.0f) {
    size_t best = 0;
    for (size_t i = 1; i < n_cur_; ++i)
      if (cur_[i].logit > cur_[best].logit) best = i;
    return cur_[best].id;
  }
  TopK(params_.top_k);
  TypicalP(params_.typical_p);
  TopP(params_.top_p);
  MinP(params_.min_p);
  for (size_t i = 0; i < n_cur_; ++i) cur_[i].logit /= params_.temperature;
  Softmax();
  const double u = rng_.Uniform();
  double cum = 0.0;
  for (size_t i = 0; i < n_cur_; ++i) {
    cum += cur_[i].p;
    if (u < cum) return cur_[i].id;
  }
  return cur_[n_cur_ - 1].id;
}

}  // namespace fw::runtime
