#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace fw::engine {

Sampler::Sampler(const SamplingParams& params)
    : params_(params), rng_(params.seed ? *params.seed : std::random_device{}()) {}

int32_t Sampler::Sample(std::span<const float> logits, std::span<const int32_t> history,
                        std::span<const uint8_t> allowed) {
  const int32_t n = static_cast<int32_t>(logits.size());
  work_.assign(logits.begin(), logits.end());
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n != 0) {
    const size_t last = params_.repeat_last_n < 0 ? history.size()
                                                  : std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<std::ptrdiff_t>(last), history.end());
    for (int32_t t : seen) {
      if (t < 0 || t >= n) continue;
      float& l = work_[static_cast<size_t>(t)];
      l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
  }
  const bool masked = !allowed.empty();
  if (params_.temperature <= 0.0f) {
    int32_t best = -1;
    float best_l = -std::numeric_limits<float>::infinity();
    for (int32_t i = 0; i < n; ++i) {
      if (masked && !allowed[static_cast<size_t>(i)]) continue;
      if (best < 0 || work_[static_cast<size_t>(i)] > best_l) {
        best = i;
        best_l = work_[static_cast<size_t>(i)];
      }
    }
    return best < 0 ? 0 : best;
  }
  cand_.clear();
  for (int32_t i = 0; i < n; ++i)
    if (!masked || allowed[static_cast<size_t>(i)]) cand_.emplace_back(work_[static_cast<size_t>(i)], i);
  if (cand_.empty()) return 0;
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  size_t keep = cand_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(cand_.begin(), cand_.begin() + static_cast<std::ptrdiff_t>(keep), cand_.end(), by_logit);
  } else {
    std::sort(cand_.begin(), cand_.end(), by_logit);
  }
  cand_.resize(keep);
  // Softmax of the kept candidates at temperature 1 for top-p / min-p (llama.cpp applies
  // them before the temperature), then again at the requested temperature for the draw.
  const float max_l = cand_[0].first;
  std::vector<double> p(keep);
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += p[i] = std::exp(static_cast<double>(cand_[i].first - max_l));
  for (double& v : p) v /= sum;
  if (params_.top_p < 1.0f) {
    double acc = 0;
    size_t cut = keep;
    for (size_t i = 0; i < keep; ++i) {
      acc += p[i];
      if (acc >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = std::max<size_t>(1, cut);
  }
  if (params_.min_p > 0.0f) {
    size_t cut = 1;
    while (cut < keep && p[cut] >= params_.min_p * p[0]) ++cut;
    keep = cut;
  }
  std::vector<double> w(keep);
  for (size_t i = 0; i < keep; ++i)
    w[i] = std::exp(static_cast<double>(cand_[i].first - max_l) / params_.temperature);
  std::discrete_distribution<size_t> dist(w.begin(), w.end());
  return cand_[dist(rng_)].second;
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
