// The sampler chain and stop strings.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "runtime/sampling/sampler.h"
#include "runtime/sampling/stop_strings.h"

namespace fw::runtime {
namespace {

SamplerParams Greedy() {
  SamplerParams p;
  p.temperature = 0.0f;
  return p;
}

TEST(Sampling, GreedyPicksTheHighestLogitLowestIdOnTies) {
  Sampler s(Greedy(), 5);
  const float logits[5] = {0.1f, 2.0f, 2.0f, -1.0f, 1.5f};
  EXPECT_EQ(s.Sample(logits), 1);
}

TEST(Sampling, LogitBiasAndRepetitionPenalty) {
  SamplerParams p = Greedy();
  p.logit_bias = {{0, 5.0f}};
  Sampler s(p, 3);
  const float logits[3] = {0.0f, 3.0f, 1.0f};
  EXPECT_EQ(s.Sample(logits), 0);

  SamplerParams q = Greedy();
  q.repeat_penalty = 4.0f;  // 3.0 / 4 = 0.75 < 1.0
  Sampler r(q, 3);
  r.Accept(1);
  EXPECT_EQ(r.Sample(logits), 2);
  r.Reset();  // history forgotten
  EXPECT_EQ(r.Sample(logits), 1);
}

TEST(Sampling, FrequencyAndPresencePenaltiesCountOccurrencesInTheWindow) {
  SamplerParams p = Greedy();
  p.frequency_penalty = 1.0f;
  p.penalty_last_n = 2;
  Sampler s(p, 3);
  const float logits[3] = {2.5f, 0.0f, 1.0f};
  s.Accept(0);
  s.Accept(0);                 // 2.5 - 2 = 0.5 < 1.0
  EXPECT_EQ(s.Sample(logits), 2);
  s.Accept(1);
  s.Accept(1);                 // token 0 left the window of 2
  EXPECT_EQ(s.Sample(logits), 0);
  SamplerParams q = Greedy();
  q.presence_penalty = 2.0f;
  Sampler t(q, 3);
  t.Accept(0);
  EXPECT_EQ(t.Sample(logits), 2);  // 2.5 - 2 = 0.5
}

// Empirical distribution of many draws.
std::map<int32_t, int> Histogram(const SamplerParams& p, const std::vector<float>& logits, int n) {
  Sampler s(p, static_cast<int32_t>(logits.size()));
  std::map<int32_t, int> h;
  for (int i = 0; i < n; ++i) ++h[s.Sample(logits.data())];
  return h;
}

TEST(Sampling, TemperatureOneFollowsTheSoftmax) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 7;
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  const int n = 20000;
  auto h = Histogram(p, logits, n);
  EXPECT_NEAR(h[0] / double(n), 0.5, 0.02);
  EXPECT_NEAR(h[1] / double(n), 0.3, 0.02);
  EXPECT_NEAR(h[2] / double(n), 0.2, 0.02);
}

TEST(Sampling, TopKTopPMinPFilter) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.top_k = 2;
  auto h = Histogram(p, logits, 2000);
  EXPECT_EQ(h.count(2) + h.count(3), 0u);
  p.top_k = 0;
  p.top_p = 0.75f;  // 0.5 + 0.3 reaches 0.75
  h = Histogram(p, logits, 2000);
  EXPECT_EQ(h.count(2) + h.count(3), 0u);
  EXPECT_GT(h[1], 0);
  p.top_p = 1.0f;
  p.min_p = 0.35f;  // keeps p >= 0.175
  h = Histogram(p, logits, 2000);
  EXPECT_EQ(h.count(2) + h.count(3), 0u);
  EXPECT_GT(h[1], 0);
}

TEST(Sampling, TypicalPKeepsTheMostTypicalTokens) {
  // Entropy of {0.9, 0.05, 0.05} is ~0.39 nats; -log 0.9 = 0.105 is closest: only it survives
  // a small typical mass.
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.typical_p = 0.5f;
  auto h = Histogram(p, {std::log(0.9f), std::log(0.05f), std::log(0.05f)}, 500);
  EXPECT_EQ(h[0], 500);
}

TEST(Sampling, SameSeedSameSequence) {
  SamplerParams p;
  p.temperature = 1.5f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i) logits[static_cast<size_t>(i)] = std::sin(static_cast<float>(i));
  Sampler a(p, 100), b(p, 100);
  std::vector<int32_t> sa, sb;
  for (int i = 0; i < 50; ++i) {
    sa.push_back(a.Sample(logits.data()));
    sb.push_back(b.Sample(logits.data()));
  }
  EXPECT_EQ(sa, sb);
  p.seed = 99;
  Sampler c(p, 100);
  std::vector<int32_t> sc;
  for (int i = 0; i < 50; ++i) sc.push_back(c.Sample(logits.data()));
  EXPECT_NE(sa, sc);
  // The PRNG is a pure function of its seed.
  Rng r(0);
  const uint64_t first = r.Next();
  Rng r2(0);
  EXPECT_EQ(first, r2.Next());
  EXPECT_LT(Rng(5).Uniform(), 1.0);
}

TEST(SamplingStop, HoldsBackPossibleStartsAndCutsAtTheStop) {
  StopStringMatcher m({"</s>", "STOP"});
  EXPECT_EQ(m.Push("Hello "), "Hello ");
  EXPECT_EQ(m.Push("wor"), "wor");
  EXPECT_EQ(m.Push("ld <"), "ld ");      // "<" may start "</s>"
  EXPECT_EQ(m.Push("b>"), "<b>");        // it did not
  EXPECT_EQ(m.Push(" ST"), " ");
  EXPECT_EQ(m.Push("OP and more"), "");  // stop string completed: nothing after it
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "STOP");
  EXPECT_EQ(m.Push("x"), "");
}

TEST(SamplingStop, FlushReleasesHeldTextAndStopInsideOnePiece) {
  StopStringMatcher m({"\n\n"});
  EXPECT_EQ(m.Push("a\n"), "a");
  EXPECT_EQ(m.Flush(), "\n");
  StopStringMatcher n({"end"});
  EXPECT_EQ(n.Push("the end is near"), "the ");
  EXPECT_TRUE(n.stopped());
  StopStringMatcher none({});
  EXPECT_EQ(none.Push("abc"), "abc");
}

}  // namespace
}  // namespace fw::runtime
