// Request parsing and validation (no model, no network).
#include "server/api_request.h"

#include <gtest/gtest.h>

namespace fw::server {
namespace {

TEST(ServerRequest, ChatCompletionFieldsAreRead) {
  ChatCompletionRequest r;
  ApiError e;
  ASSERT_TRUE(ParseChatCompletionRequest(R"({"model":"m","messages":[{"role":"system","content":"s"},
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
      "max_completion_tokens":7,"max_tokens":3,"temperature":0.5,"top_p":0.9,"seed":11,"stop":"X",
      "logprobs":true,"top_logprobs":2,"response_format":{"type":"json_object"},"stream":true,
      "stream_options":{"include_usage":true}})", r, e)) << e.message;
  EXPECT_EQ(r.gen.model, "m");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].content, "ab");
  EXPECT_EQ(r.gen.max_tokens, 7);  // max_completion_tokens wins
  EXPECT_FLOAT_EQ(r.gen.sampling.temperature, 0.5f);
  EXPECT_EQ(*r.gen.sampling.seed, 11u);
  EXPECT_EQ(r.gen.stop, std::vector<std::string>{"X"});
  EXPECT_EQ(r.gen.logprobs, 2);
  EXPECT_TRUE(r.gen.json);
  EXPECT_TRUE(r.gen.stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(ServerRequest, ChatCompletionRejectsBadInput) {
  const char* bad[] = {
      "", "{", "[]", "nul", R"({"messages":[{"role":"user","content":"x"}]})",       // no model
      R"({"model":"m"})", R"({"model":"m","messages":[]})",                          // no / empty messages
      R"({"model":"m","messages":[{"role":"user"}]})",                               // no content
      R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})",
      R"({"model":"m","messages":"hi"})", R"({"model":7,"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":2})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":2})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}})",
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]})",
  };
  for (const char* b : bad) {
    ChatCompletionRequest r;
    ApiError e;
    EXPECT_FALSE(ParseChatCompletionRequest(b, r, e)) << b;
    EXPECT_EQ(e.status, 400) << b;
    EXPECT_FALSE(e.message.empty()) << b;
  }
}

TEST(ServerRequest, InvalidUtf8AndDeepNestingAreErrors) {
  ChatCompletionRequest r;
  ApiError e;
  const std::string bad_utf8 = std::string(R"({"model":"m","messages":[{"role":"user","content":")") + "\xff\xfe" + "\"}]}";
  EXPECT_FALSE(ParseChatCompletionRequest(bad_utf8, r, e));
  EXPECT_NE(e.message.find("invalid JSON"), std::string::npos) << e.message;
  std::string deep = R"({"model":"m","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_FALSE(ParseChatCompletionRequest(deep, r, e));
  EXPECT_NE(e.message.find("deeper"), std::string::npos);
}

TEST(ServerRequest, NumbersOutOfRangeAreErrorsNotExceptions) {
  // Found by fuzz/server_request_fuzz.cc: nlohmann throws out_of_range for these.
  ChatCompletionRequest r;
  ApiError e;
  EXPECT_FALSE(ParseChatCompletionRequest(R"({"model":"m","temperature":2000e86882013,"messages":[]})", r, e));
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("invalid JSON"), std::string::npos) << e.message;
  EmbeddingRequest er;
  EXPECT_FALSE(ParseOllamaEmbedRequest("{7e999999}", er, e, false));
  CompletionRequest c;
  EXPECT_FALSE(ParseCompletionRequest(R"({"model":"m","prompt":[1e400]})", c, e));
}

TEST(ServerRequest, CompletionPromptsAndDefaults) {
  CompletionRequest r;
  ApiError e;
  ASSERT_TRUE(ParseCompletionRequest(R"({"model":"m","prompt":[1,2,3],"echo":true,"logprobs":1,"max_tokens":0})", r, e)) << e.message;
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_TRUE(r.prompts[0].is_ids);
  EXPECT_EQ(r.prompts[0].ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(r.gen.max_tokens, 0);
  EXPECT_EQ(r.gen.logprobs, 1);
  EXPECT_TRUE(r.echo);
  CompletionRequest d;
  ASSERT_TRUE(ParseCompletionRequest(R"({"model":"m","prompt":["a","b"]})", d, e));
  EXPECT_EQ(d.prompts.size(), 2u);
  EXPECT_EQ(d.gen.max_tokens, 16);  // OpenAI's default
  EXPECT_FLOAT_EQ(d.gen.sampling.temperature, 1.0f);
  CompletionRequest x;
  EXPECT_FALSE(ParseCompletionRequest(R"({"model":"m","prompt":[1,"a"]})", x, e));
  EXPECT_FALSE(ParseCompletionRequest(R"({"model":"m","prompt":[-4]})", x, e));
  EXPECT_FALSE(ParseCompletionRequest(R"({"model":"m"})", x, e));
  EXPECT_FALSE(ParseCompletionRequest(R"({"model":"m","prompt":"a","logprobs":true})", x, e));
}

TEST(ServerRequest, OllamaOptionsAndDefaults) {
  OllamaGenerateRequest r;
  ApiError e;
  ASSERT_TRUE(ParseOllamaGenerateRequest(R"({"model":"m:latest","prompt":"p","raw":true,"format":"json","keep_alive":"1m30s",
      "options":{"temperature":0,"top_k":5,"top_p":0.5,"min_p":0.1,"num_predict":9,"num_ctx":128,"seed":3,"stop":["a"],
      "repeat_penalty":1.2}})", r, e)) << e.message;
  EXPECT_TRUE(r.gen.stream);  // Ollama streams by default
  EXPECT_TRUE(r.raw);
  EXPECT_TRUE(r.gen.json);
  EXPECT_DOUBLE_EQ(r.gen.keep_alive_s, 90);
  EXPECT_EQ(r.gen.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(r.gen.sampling.min_p, 0.1f);
  EXPECT_EQ(r.gen.max_tokens, 9);
  EXPECT_EQ(*r.gen.sampling.seed, 3u);
  EXPECT_FLOAT_EQ(r.gen.sampling.repeat_penalty, 1.2f);
  OllamaGenerateRequest d;
  ASSERT_TRUE(ParseOllamaGenerateRequest(R"({"model":"m","stream":false})", d, e));
  EXPECT_FALSE(d.gen.stream);
  EXPECT_FLOAT_EQ(d.gen.sampling.temperature, 0.8f);
  EXPECT_EQ(d.gen.sampling.top_k, 40);
  EXPECT_FALSE(ParseOllamaGenerateRequest(R"({"model":"m","options":{"top_k":"x"}})", d, e));
  EXPECT_FALSE(ParseOllamaGenerateRequest(R"({"model":"m","format":"xml"})", d, e));
  EXPECT_FALSE(ParseOllamaGenerateRequest(R"({"model":"m","keep_alive":"5 parsecs"})", d, e));
  EXPECT_FALSE(ParseOllamaGenerateRequest(R"({"model":"m","images":["AAAA"]})", d, e));
}

TEST(ServerRequest, KeepAliveDurations) {
  ApiError e;
  double s = 0;
  ASSERT_TRUE(ParseKeepAlive("5m", s, e));
  EXPECT_DOUBLE_EQ(s, 300);
  ASSERT_TRUE(ParseKeepAlive("1h2m3s", s, e));
  EXPECT_DOUBLE_EQ(s, 3723);
  ASSERT_TRUE(ParseKeepAlive(0, s, e));
  EXPECT_DOUBLE_EQ(s, 0);
  ASSERT_TRUE(ParseKeepAlive("-1", s, e));
  EXPECT_LT(s, 0);
  ASSERT_TRUE(ParseKeepAlive("250ms", s, e));
  EXPECT_DOUBLE_EQ(s, 0.25);
  EXPECT_FALSE(ParseKeepAlive("m", s, e));
  EXPECT_FALSE(ParseKeepAlive(true, s, e));
}

TEST(ServerRequest, EmbeddingsAndModelRequests) {
  EmbeddingRequest r;
  ApiError e;
  ASSERT_TRUE(ParseEmbeddingRequest(R"({"model":"m","input":["a","b"],"encoding_format":"base64"})", r, e));
  EXPECT_EQ(r.inputs.size(), 2u);
  EXPECT_TRUE(r.base64);
  EmbeddingRequest o;
  ASSERT_TRUE(ParseOllamaEmbedRequest(R"({"model":"m","input":"x","truncate":false})", o, e, false));
  EXPECT_FALSE(o.truncate);
  EXPECT_FALSE(ParseOllamaEmbedRequest(R"({"model":"m","prompt":["x"]})", o, e, true));
  EXPECT_FALSE(ParseEmbeddingRequest(R"({"model":"m","input":[]})", r, e));
  std::string name, src, dst;
  EXPECT_TRUE(ParseOllamaModelRequest(R"({"name":"old-style"})", name, e));
  EXPECT_EQ(name, "old-style");
  std::string none;
  EXPECT_FALSE(ParseOllamaModelRequest(R"({})", none, e));
  EXPECT_TRUE(ParseOllamaCopyRequest(R"({"source":"a","destination":"b"})", src, dst, e));
  EXPECT_FALSE(ParseOllamaCopyRequest(R"({"source":"a"})", src, dst, e));
}

}  // namespace
}  // namespace fw::server
