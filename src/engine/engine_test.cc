// The engine end to end on the trained stories260K model: greedy output and logprobs against
// llama.cpp's reference (shared/reference/greedy), batching invariance, prefix-cache reuse,
// cancellation, context limits and embeddings.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/test_data.h"
#include "engine/engine.h"

namespace fw::engine {
namespace {

struct Loaded {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<Tokenizer> tok;
};

Loaded Load(const std::string& path) {
  Loaded l;
  auto m = model::Model::Load(path);
  EXPECT_TRUE(m.ok()) << m.message();
  if (!m.ok()) return l;
  l.model = std::move(m).value();
  auto t = Tokenizer::FromGguf(l.model->gguf());
  EXPECT_TRUE(t.ok()) << t.message();
  if (t.ok()) l.tok = std::move(t).value();
  return l;
}

struct Collected {
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::vector<TokenLogprob> prompt_logprobs;
  FinishReason finish = FinishReason::kNone;
  Usage usage;
  std::string error;
};

Collected Drain(RequestStream& s) {
  Collected c;
  for (;;) {
    std::vector<GenerationEvent> evs;
    if (!s.Pop(evs, std::chrono::seconds(60))) {
      c.error = "timeout";
      return c;
    }
    for (auto& e : evs) {
      if (e.kind == GenerationEvent::Kind::kPromptLogprobs) {
        for (auto& lp : e.logprobs) c.prompt_logprobs.push_back(lp);
      } else if (e.kind == GenerationEvent::Kind::kToken) {
        c.text += e.text;
        for (auto& lp : e.logprobs) {
          c.tokens.push_back(lp.token);
          c.logprobs.push_back(lp.logprob);
        }
      } else {
        c.finish = e.finish;
        c.usage = e.usage;
        c.error = e.error;
        return c;
      }
    }
  }
}

nlohmann::json Reference(const std::string& name) {
  const std::string path = SharedDataPath("reference/greedy/" + name + ".json");
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

GenerationRequest Greedy(std::vector<int32_t> prompt, int32_t n) {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = n;
  r.logprobs = 0;
  r.ignore_eos = false;
  return r;
}

TEST(Engine, GreedyMatchesLlamaCppReference) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/stories260K.json");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.parallel = 2;
  o.ctx = 256;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok()) << e.message();
  const nlohmann::json ref = Reference("stories260K");
  for (const auto& r : ref["results"]) {
    const auto prompt = l.tok->Encode(r["prompt"].get<std::string>(), true);
    ASSERT_EQ(static_cast<int>(prompt.size()), r["n_prompt_tokens"].get<int>());
    const auto want = r["tokens"].get<std::vector<int32_t>>();
    auto sub = (*e)->Submit(Greedy(prompt, static_cast<int32_t>(want.size())));
    ASSERT_EQ(sub.code, SubmitResult::Code::kOk) << sub.message;
    Collected c = Drain(*sub.stream);
    ASSERT_TRUE(c.error.empty()) << c.error;
    EXPECT_EQ(c.tokens, std::vector<int32_t>(want.begin(), want.begin() + static_cast<long>(c.tokens.size())))
        << r["prompt"];
    if (c.finish == FinishReason::kLength) {
      EXPECT_EQ(c.tokens, want);
      EXPECT_EQ(c.text, r["text"].get<std::string>());
    }
    for (size_t i = 0; i < c.logprobs.size(); ++i)
      EXPECT_NEAR(c.logprobs[i], r["steps"][i]["logprob"].get<double>(), 2e-3) << "step " << i;
  }
}

TEST(Engine, PromptLogprobsMatchTheReferenceSteps) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/stories260K.json");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.ctx = 256;
  o.batch = 7;  // forces several prefill chunks
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok()) << e.message();
  const nlohmann::json r = Reference("stories260K")["results"][0];
  std::vector<int32_t> prompt = l.tok->Encode(r["prompt"].get<std::string>(), true);
  const size_t n0 = prompt.size();
  const auto gen = r["tokens"].get<std::vector<int32_t>>();
  prompt.insert(prompt.end(), gen.begin(), gen.begin() + 12);
  GenerationRequest req;
  req.prompt = prompt;
  req.max_tokens = 0;
  req.prompt_logprobs = true;
  req.logprobs = 3;
  auto sub = (*e)->Submit(req);
  ASSERT_EQ(sub.code, SubmitResult::Code::kOk);
  Collected c = Drain(*sub.stream);
  EXPECT_EQ(c.finish, FinishReason::kLength);
  ASSERT_EQ(c.prompt_logprobs.size(), prompt.size() - 1);
  for (size_t j = 0; j < 12; ++j) {
    const TokenLogprob& lp = c.prompt_logprobs[n0 - 1 + j];
    EXPECT_EQ(lp.token, gen[j]);
    EXPECT_NEAR(lp.logprob, r["steps"][j]["logprob"].get<double>(), 2e-3);
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_EQ(lp.top[0].first, r["steps"][j]["top"][0][0].get<int32_t>());
  }
  EXPECT_TRUE(c.tokens.empty());
}

TEST(Engine, GreedyOutputIsTheSameAloneAndAmongSixteen) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.parallel = 16;
  o.ctx = 128;
  o.batch = 64;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok()) << e.message();
  const std::vector<std::string> prompts{"Once upon a time", "Lily and Ben", "The cat", "One day", "Tom had a"};
  std::vector<Collected> alone;
  for (size_t i = 0; i < 16; ++i) {
    auto sub = (*e)->Submit(Greedy(l.tok->Encode(prompts[i % prompts.size()] + std::string(i / prompts.size(), '!')), 40));
    alone.push_back(Drain(*sub.stream));
  }
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (size_t i = 0; i < 16; ++i)
    streams.push_back((*e)->Submit(Greedy(l.tok->Encode(prompts[i % prompts.size()] + std::string(i / prompts.size(), '!')), 40)).stream);
  for (size_t i = 0; i < 16; ++i) {
    ASSERT_TRUE(streams[i]);
    Collected c = Drain(*streams[i]);
    EXPECT_EQ(c.tokens, alone[i].tokens) << i;
    EXPECT_EQ(c.text, alone[i].text) << i;
  }
  EXPECT_EQ((*e)->Stats().kv_usage, 0.0);
}

TEST(Engine, PrefixCacheReusesBlocksAndKeepsTheOutput) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.parallel = 2;
  o.ctx = 256;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok());
  const auto prompt = l.tok->Encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.");
  ASSERT_GT(prompt.size(), 17u);
  Collected first = Drain(*(*e)->Submit(Greedy(prompt, 20)).stream);
  Collected second = Drain(*(*e)->Submit(Greedy(prompt, 20)).stream);
  EXPECT_EQ(first.usage.cached_tokens, 0);
  EXPECT_EQ(second.usage.cached_tokens, static_cast<int32_t>((prompt.size() - 1) / 16 * 16));
  EXPECT_EQ(first.tokens, second.tokens);
  // A longer prompt sharing the prefix also hits.
  auto longer = prompt;
  longer.push_back(prompt[3]);
  Collected third = Drain(*(*e)->Submit(Greedy(longer, 5)).stream);
  EXPECT_GT(third.usage.cached_tokens, 0);
  const EngineStats st = (*e)->Stats();
  EXPECT_GT(st.prefix_hit_tokens, 0u);
  EXPECT_GE(st.prefix_queried_tokens, st.prefix_hit_tokens);
}

TEST(Engine, ConcurrentRequestsShareCachedPrefixBlocks) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.parallel = 4;
  o.ctx = 512;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok());
  const std::string system = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ";
  GenerationRequest a = Greedy(l.tok->Encode(system + "One day"), 200);
  a.ignore_eos = true;
  auto sa = (*e)->Submit(a).stream;
  std::vector<GenerationEvent> first;
  ASSERT_TRUE(sa->Pop(first, std::chrono::seconds(30)));  // a's prompt blocks are cached now
  const std::vector<int32_t> pb = l.tok->Encode(system + "The sun");
  Collected b = Drain(*(*e)->Submit(Greedy(pb, 10)).stream);
  // Every full block of the shared opening is reused while a still runs.
  size_t common = 0;
  while (common < pb.size() && common < a.prompt.size() && pb[common] == a.prompt[common]) ++common;
  ASSERT_GE(common, 32u);
  EXPECT_EQ(b.usage.cached_tokens, static_cast<int32_t>(std::min(common, pb.size() - 1) / 16 * 16));
  Collected ca = Drain(*sa);
  EXPECT_EQ(ca.finish, FinishReason::kLength);
  // b alone (cache cleared by a fresh engine) gives the same tokens.
  auto fresh = Engine::Create(*l.model, *l.tok, o);
  Collected b2 = Drain(*(*fresh)->Submit(Greedy(l.tok->Encode(system + "The sun"), 10)).stream);
  EXPECT_EQ(b2.usage.cached_tokens, 0);
  EXPECT_EQ(b.tokens, b2.tokens);
}

TEST(Engine, CancelFreesTheSequence) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.ctx = 512;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok());
  GenerationRequest r = Greedy(l.tok->Encode("Once upon a time"), -1);
  r.ignore_eos = true;
  auto sub = (*e)->Submit(r);
  std::vector<GenerationEvent> evs;
  ASSERT_TRUE(sub.stream->Pop(evs, std::chrono::seconds(30)));
  sub.stream->Cancel();
  Collected c = Drain(*sub.stream);
  EXPECT_EQ(c.finish, FinishReason::kCancelled);
  EXPECT_LT(c.usage.completion_tokens, 500);
  EXPECT_EQ((*e)->Stats().running, 0);
  EXPECT_EQ((*e)->Stats().kv_usage, 0.0);
}

TEST(Engine, CancelAllEndsEveryRequest) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.ctx = 2048;
  o.parallel = 2;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok());
  GenerationRequest r = Greedy(l.tok->Encode("Once upon a time"), 2000);
  r.ignore_eos = true;
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (int i = 0; i < 3; ++i) streams.push_back((*e)->Submit(r).stream);  // two run, one waits
  (*e)->CancelAll();
  for (auto& s : streams) {
    Collected c = Drain(*s);
    EXPECT_EQ(c.finish, FinishReason::kCancelled);
    EXPECT_LT(c.usage.completion_tokens, 2000);
  }
  EXPECT_EQ((*e)->Stats().running, 0);
  EXPECT_EQ((*e)->Stats().waiting, 0);
}

TEST(Engine, RefusesRequestsBeyondTheContextAndBadTokens) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.ctx = 64;
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok());
  auto sub = (*e)->Submit(Greedy(std::vector<int32_t>(60, 5), 10));
  EXPECT_EQ(sub.code, SubmitResult::Code::kInvalid);
  EXPECT_NE(sub.message.find("context is 64 tokens"), std::string::npos) << sub.message;
  EXPECT_EQ((*e)->Submit(Greedy({}, 1)).code, SubmitResult::Code::kInvalid);
  EXPECT_EQ((*e)->Submit(Greedy({1, 99999}, 1)).code, SubmitResult::Code::kInvalid);
  // Without max_tokens generation stops at the context end.
  GenerationRequest r = Greedy(std::vector<int32_t>(60, 5), -1);
  r.ignore_eos = true;
  Collected c = Drain(*(*e)->Submit(r).stream);
  EXPECT_EQ(c.finish, FinishReason::kLength);
  EXPECT_EQ(c.usage.completion_tokens, 4);
}

TEST(Engine, StopStringsAndJsonMode) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  auto e = Engine::Create(*l.model, *l.tok, EngineOptions{});
  ASSERT_TRUE(e.ok());
  GenerationRequest r = Greedy(l.tok->Encode("Once upon a time"), 48);
  r.stop = {"Lily"};
  Collected c = Drain(*(*e)->Submit(r).stream);
  EXPECT_EQ(c.finish, FinishReason::kStop);
  EXPECT_EQ(c.text, ", there was a little girl named ");
  GenerationRequest j = Greedy(l.tok->Encode("Once upon a time"), 60);
  j.json = true;
  Collected jc = Drain(*(*e)->Submit(j).stream);
  JsonPrefix check;
  EXPECT_TRUE(check.Feed(jc.text)) << jc.text;
  if (jc.finish == FinishReason::kStop) {
    EXPECT_TRUE(check.complete()) << jc.text;
    EXPECT_TRUE(nlohmann::json::accept(jc.text)) << jc.text;
  }
}

TEST(Engine, EmbeddingsAreUnitLengthAndDeterministic) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  Loaded l = Load(path);
  ASSERT_TRUE(l.tok);
  EngineOptions o;
  o.batch = 4;  // several chunks
  auto e = Engine::Create(*l.model, *l.tok, o);
  ASSERT_TRUE(e.ok());
  auto a = (*e)->Embed(l.tok->Encode("The cat sat on the mat."));
  auto b = (*e)->Embed(l.tok->Encode("The cat sat on the mat."));
  auto c = (*e)->Embed(l.tok->Encode("Tom ran to the park"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.message();
  ASSERT_EQ(a->size(), static_cast<size_t>(l.model->hparams().n_embd));
  double n = 0, dot = 0;
  for (size_t i = 0; i < a->size(); ++i) {
    n += (*a)[i] * (*a)[i];
    dot += (*a)[i] * (*c)[i];
  }
  EXPECT_NEAR(n, 1.0, 1e-5);
  EXPECT_EQ(*a, *b);
  EXPECT_LT(dot, 0.9999);
  EXPECT_FALSE((*e)->Embed({}).ok());
}

}  // namespace
}  // namespace fw::engine
