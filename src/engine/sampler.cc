#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace fw::engine {

Sampler::Sampler(const SamplingParams& params)
    : params_(params), seed_(params.seed ? *params.seed : std::random_device{}()) {}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history,
                        std::span<const uint8_t> allowed) {
  const int32_t n = static_cast<int32_t>(logits.size());
  if (chain_ == nullptr || history.size() < accepted_) {
    runtime::SamplerParams rp;
    rp.temperature = params_.temperature;
    rp.top_k = params_.top_k;
    rp.top_p = params_.top_p;
    rp.min_p = params_.min_p;
    rp.typical_p = 1.0f;
    rp.repeat_penalty = params_.repeat_penalty;
    rp.penalty_last_n = params_.repeat_last_n;
    rp.seed = seed_;
    chain_ = std::make_unique<runtime::Sampler>(rp, n);
    work_.resize(static_cast<size_t>(n));
    accepted_ = 0;
  }
  // The chain keeps its own penalty window: feed it the tokens it has not seen yet.
  for (; accepted_ < history.size(); ++accepted_) chain_->Accept(history[accepted_]);
  if (allowed.empty()) return chain_->Sample(logits.data());
  bool any = false;
  for (int32_t i = 0; i < n; ++i) {
    const bool ok = allowed[static_cast<size_t>(i)] != 0;
    any = any || ok;
    work_[static_cast<size_t>(i)] = ok ? logits[static_cast<size_t>(i)] : -std::numeric_limits<float>::infinity();
  }
  return any ? chain_->Sample(work_.data()) : 0;
}

namespace {
double LogSumExp(std::span<const float> logits) {
  float max_l = -std::numeric_limits<float>::infinity();
  for (float l : logits) max_l = std::max(max_l, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max_l));
  return static_cast<double>(max_l) + std::log(sum);
}
}  // namespace

float LogprobOf(std::span<const float> logits, int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= logits.size()) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(static_cast<double>(logits[static_cast<size_t>(token)]) - LogSumExp(logits));
}

std::vector<std::pair<int32_t, float>> TopLogprobs(std::span<const float> logits, int32_t n) {
  const double lse = LogSumExp(logits);
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  const size_t k = std::min(ids.size(), static_cast<size_t>(std::max(0, n)));
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), [&](int32_t a, int32_t b) {
    return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)] ||
           (logits[static_cast<size_t>(a)] == logits[static_cast<size_t>(b)] && a < b);
  });
  std::vector<std::pair<int32_t, float>> out;
  for (size_t i = 0; i < k; ++i)
    out.emplace_back(ids[i], static_cast<float>(static_cast<double>(logits[static_cast<size_t>(ids[i])]) - lse));
  return out;
}

}  // namespace fw::engine
