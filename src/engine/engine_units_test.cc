// Unit tests of the engine's model-free parts: scheduler policy, JSON prefix recognizer,
// stop strings, sampler.
#include <gtest/gtest.h>

#include <deque>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "engine/json_constraint.h"
#include "engine/sampler.h"
#include "engine/scheduler.h"
#include "engine/stop_matcher.h"

namespace fw::engine {
namespace {

// Counts positions instead of blocks; refuses beyond a capacity.
class FakeKv : public KvAllocator {
 public:
  explicit FakeKv(int32_t capacity, int32_t cached_prefix = 0) : capacity_(capacity), cached_(cached_prefix) {}
  void AttachCachedPrefix(Sequence& s) override {
    const int32_t n = std::min(cached_, s.n_prompt - 1);
    s.n_computed = s.n_cached = std::max(0, n);
    held_[s.id] = s.n_computed;
  }
  bool Reserve(Sequence& s, int32_t new_length) override {
    int32_t total = 0;
    for (auto& [id, n] : held_) total += id == s.id ? 0 : n;
    if (total + new_length > capacity_) return false;
    held_[s.id] = new_length;
    return true;
  }
  void Free(Sequence& s) override { held_.erase(s.id); }

 private:
  int32_t capacity_, cached_;
  std::map<int32_t, int32_t> held_;
};

Sequence MakeSeq(int32_t id, int32_t n_prompt) {
  Sequence s;
  s.id = id;
  s.tokens.assign(static_cast<size_t>(n_prompt), 7);
  s.n_prompt = n_prompt;
  return s;
}

TEST(EngineScheduler, DecodeTokensComeBeforePrefillChunks) {
  Scheduler sched(SchedulerConfig{4, 8});
  FakeKv kv(1000);
  Sequence a = MakeSeq(1, 3), b = MakeSeq(2, 20);
  a.n_computed = 3;
  a.tokens.push_back(9);  // a is decoding: one sampled token to feed
  std::vector<Sequence*> running{&a};
  std::deque<Sequence*> waiting{&b};
  auto plan = sched.Schedule(waiting, running, kv);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].seq, &a);
  EXPECT_EQ(plan[0].n_tokens, 1);
  EXPECT_EQ(plan[1].seq, &b);
  EXPECT_EQ(plan[1].n_tokens, 7);  // the rest of the budget: chunked prefill
  EXPECT_TRUE(waiting.empty());
  EXPECT_EQ(running.size(), 2u);
  // Next step: b continues its prompt with what the budget leaves after a's decode token.
  a.n_computed = 4;
  a.tokens.push_back(9);
  b.n_computed = 7;
  plan = sched.Schedule(waiting, running, kv);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1].seq, &b);
  EXPECT_EQ(plan[1].n_tokens, 7);
}

TEST(EngineScheduler, AdmitsAtMostMaxRunningInArrivalOrder) {
  Scheduler sched(SchedulerConfig{2, 100});
  FakeKv kv(1000);
  Sequence a = MakeSeq(1, 5), b = MakeSeq(2, 5), c = MakeSeq(3, 5);
  std::vector<Sequence*> running;
  std::deque<Sequence*> waiting{&a, &b, &c};
  auto plan = sched.Schedule(waiting, running, kv);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].seq, &a);
  EXPECT_EQ(plan[1].seq, &b);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting.front(), &c);
}

TEST(EngineScheduler, KeepsWaitingWhenTheCacheIsFull) {
  Scheduler sched(SchedulerConfig{4, 100});
  FakeKv kv(8);
  Sequence a = MakeSeq(1, 6), b = MakeSeq(2, 6);
  std::vector<Sequence*> running;
  std::deque<Sequence*> waiting{&a, &b};
  auto plan = sched.Schedule(waiting, running, kv);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].seq, &a);
  EXPECT_EQ(waiting.size(), 1u);
  EXPECT_EQ(b.n_computed, 0);
}

TEST(EngineScheduler, CachedPrefixShortensThePrefill) {
  Scheduler sched(SchedulerConfig{4, 100});
  FakeKv kv(1000, 16);
  Sequence a = MakeSeq(1, 20);
  std::vector<Sequence*> running;
  std::deque<Sequence*> waiting{&a};
  auto plan = sched.Schedule(waiting, running, kv);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(a.n_computed, 16);
  EXPECT_EQ(plan[0].n_tokens, 4);
}

TEST(EngineScheduler, BudgetBoundsTheBatch) {
  Scheduler sched(SchedulerConfig{16, 3});
  FakeKv kv(1000);
  std::vector<Sequence> seqs;
  for (int i = 0; i < 5; ++i) seqs.push_back(MakeSeq(i + 1, 2));
  std::vector<Sequence*> running;
  for (auto& s : seqs) {
    s.n_computed = 2;
    s.tokens.push_back(1);
    running.push_back(&s);
  }
  std::deque<Sequence*> waiting;
  auto plan = sched.Schedule(waiting, running, kv);
  int total = 0;
  for (auto& c : plan) total += c.n_tokens;
  EXPECT_EQ(total, 3);
}

TEST(EngineJson, AcceptsObjectsAndRejectsEverythingElse) {
  JsonPrefix p;
  EXPECT_TRUE(p.Feed(" {\"a\": [1, -2.5e+3, true, null, \"x\\u00e9\\n\"], \"b\": {}}"));
  EXPECT_TRUE(p.complete());
  EXPECT_FALSE(p.Feed("x"));
  EXPECT_FALSE(p.Feed(" "));

  JsonPrefix q;
  EXPECT_FALSE(q.Feed("["));      // the top level must be an object
  EXPECT_FALSE(q.Feed("\"s\""));
  EXPECT_TRUE(q.Feed("{\"k\""));
  EXPECT_FALSE(q.Feed("}"));     // a key needs a value
  EXPECT_FALSE(q.Feed(",")); 
  EXPECT_TRUE(q.Feed(":01") == false);  // leading zeros are not JSON
  EXPECT_TRUE(q.Feed(":0"));
  EXPECT_FALSE(q.complete());
  EXPECT_FALSE(q.Feed("]"));
  EXPECT_TRUE(q.Feed("}"));
  EXPECT_TRUE(q.complete());

  JsonPrefix r;
  EXPECT_TRUE(r.Feed("{\"a\":\""));
  EXPECT_FALSE(r.Feed("\n"));    // raw control characters are not allowed in strings
  EXPECT_FALSE(r.Feed("\\q"));
  EXPECT_TRUE(r.Feed("\\\""));
  std::string ws(JsonPrefix::kMaxWhitespaceRun + 1, ' ');
  JsonPrefix w;
  EXPECT_FALSE(w.Feed(ws));
}

TEST(EngineJson, RejectsTooDeepNesting) {
  JsonPrefix p;
  std::string deep = "{\"a\":" + std::string(JsonPrefix::kMaxDepth, '[');
  EXPECT_FALSE(p.Feed(deep));
}

TEST(EngineStop, HoldsBackPartialStopStrings) {
  StopMatcher m({"</s>", "STOP"});
  EXPECT_EQ(m.Feed("Hello <"), "Hello ");
  EXPECT_EQ(m.Feed("/"), "");
  EXPECT_EQ(m.Feed("x"), "</x");  // not a stop after all
  EXPECT_EQ(m.Feed("ab ST"), "ab ");
  EXPECT_EQ(m.Feed("OP tail"), "");
  EXPECT_TRUE(m.matched());
  EXPECT_EQ(m.Feed("more"), "");

  StopMatcher n({"\n\n"});
  EXPECT_EQ(n.Feed("a\n"), "a");
  EXPECT_EQ(n.Flush(), "\n");
  EXPECT_FALSE(n.matched());
}

TEST(EngineSampler, GreedyTakesTheArgmaxWithinTheMask) {
  Sampler s(SamplingParams{});
  std::vector<float> logits{0.1f, 3.0f, 2.0f, -1.0f};
  EXPECT_EQ(s.Sample(logits, {}), 1);
  std::vector<uint8_t> mask{1, 0, 1, 1};
  EXPECT_EQ(s.Sample(logits, {}, mask), 2);
}

TEST(EngineSampler, RepeatPenaltyFollowsLlamaCppsRule) {
  SamplingParams p;
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  std::vector<float> logits{1.9f, 3.0f};
  std::vector<int32_t> hist{1};
  EXPECT_EQ(s.Sample(logits, hist), 0);  // 3.0 / 2 = 1.5 < 1.9
}

TEST(EngineSampler, SeededDrawsRepeatAndTopKOneIsGreedy) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 42;
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 7) * 0.3f;
  Sampler a(p), b(p);
  std::vector<int32_t> da, db;
  for (int i = 0; i < 20; ++i) {
    da.push_back(a.Sample(logits, {}));
    db.push_back(b.Sample(logits, {}));
  }
  EXPECT_EQ(da, db);
  std::set<int32_t> distinct(da.begin(), da.end());
  EXPECT_GT(distinct.size(), 1u);  // it really samples
  p.top_k = 1;
  Sampler k(p);
  EXPECT_EQ(k.Sample(logits, {}), 6);
}

TEST(EngineSampler, LogprobsAreALogSoftmax) {
  std::vector<float> logits{1.0f, 2.0f, 3.0f};
  const double z = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_NEAR(LogprobOf(logits, 2), 3.0 - z, 1e-6);
  auto top = TopLogprobs(logits, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].first, 2);
  EXPECT_EQ(top[1].first, 1);
  EXPECT_NEAR(top[1].second, 2.0 - z, 1e-6);
}

}  // namespace
}  // namespace fw::engine
