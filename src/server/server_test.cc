// The server in process on an ephemeral loopback port with the stories260K model: routes,
// OpenAI/Ollama shapes, error mapping and HTTP edge cases over real sockets.
#include "server/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/server_test_util.h"

namespace fw::server {
namespace {

using nlohmann::json;
using testing::RawExchange;
using testing::TempModelsDir;
using testing::TestServer;

ServerOptions Options(const TempModelsDir& dir) {
  ServerOptions o;
  o.models.models_dir = dir.path();
  o.models.engine.parallel = 4;
  o.models.engine.ctx = 256;
  o.http.max_body = 64 * 1024;
  return o;
}

#define REQUIRE_STORIES() FW_REQUIRE_SHARED_FILE(stories_path_, "models/stories260K.gguf")

json Body(const Result<HttpResponse>& r) { return json::parse(r->body, nullptr, false); }

TEST(Server, HealthModelsAndTags) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K", "tiny-qwen2-f16"});
  TestServer s(Options(dir));
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  auto c = s.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h.ok()) << h.message();
  EXPECT_EQ(h->status, 200);
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models.ok());
  json m = Body(models);
  ASSERT_EQ(m["data"].size(), 2u);
  EXPECT_EQ(m["data"][0]["id"], "stories260K");
  EXPECT_EQ(m["object"], "list");
  json t = Body(c.Get("/api/tags"));
  ASSERT_EQ(t["models"].size(), 2u);
  EXPECT_EQ(t["models"][0]["name"], "stories260K:latest");
  EXPECT_EQ(Body(c.Get("/api/version"))["version"], "0.1.0");
  EXPECT_EQ(c.Get("/v1/models/nope")->status, 404);
  EXPECT_EQ(c.Get("/v1/models/stories260K")->status, 200);
}

TEST(Server, ChatCompletionMatchesTheCompletionOfTheRenderedPrompt) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  auto r = c.Post("/v1/chat/completions",
                  R"({"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":12,"temperature":0,"logprobs":true,"top_logprobs":2})");
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->status, 200) << r->body;
  json j = Body(r);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 12);
  ASSERT_EQ(j["choices"][0]["logprobs"]["content"].size(), 12u);
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"][0]["top_logprobs"].size(), 2u);
  // The model has no template: the documented fallback "User: ...\n\nAssistant:".
  auto cr = c.Post("/v1/completions",
                   R"({"model":"stories260K","prompt":"User: Once upon a time\n\nAssistant:","max_tokens":12,"temperature":0})");
  json cj = Body(cr);
  EXPECT_EQ(cj["choices"][0]["text"], j["choices"][0]["message"]["content"]);
  EXPECT_EQ(cj["usage"]["prompt_tokens"], j["usage"]["prompt_tokens"]);
}

TEST(Server, InjectedChatTemplateIsUsed) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  ServerOptions o = Options(dir);
  o.models.chat_template_override =
      "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}, there{% endif %}";
  TestServer s(o);
  auto c = s.client();
  json chat = Body(c.Post("/v1/chat/completions",
                          R"({"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":6,"temperature":0})"));
  json comp = Body(c.Post("/v1/completions", R"({"model":"stories260K","prompt":"Once upon a time, there","max_tokens":6,"temperature":0})"));
  EXPECT_EQ(chat["choices"][0]["message"]["content"], comp["choices"][0]["text"]);
  EXPECT_EQ(chat["choices"][0]["message"]["content"], " was a little girl");  // 6 tokens: " g" "ir" "l"
  json show = Body(c.Post("/api/show", R"({"model":"stories260K"})"));
  EXPECT_NE(show["template"].get<std::string>().find("add_generation_prompt"), std::string::npos);
}

TEST(Server, EchoLogprobsScoreEveryPromptTokenAfterTheFirst) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  json j = Body(c.Post("/v1/completions",
                       R"({"model":"stories260K","prompt":"Once upon a time, there was","max_tokens":0,"echo":true,"logprobs":1,"temperature":0})"));
  const auto& lp = j["choices"][0]["logprobs"];
  ASSERT_TRUE(lp.is_object()) << j.dump();
  const size_t n = lp["tokens"].size();
  EXPECT_EQ(static_cast<int>(n), j["usage"]["prompt_tokens"].get<int>());
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  for (size_t i = 1; i < n; ++i) {
    EXPECT_LE(lp["token_logprobs"][i].get<double>(), 0.0);
    EXPECT_EQ(lp["top_logprobs"][i].size(), 1u);
  }
  EXPECT_EQ(j["choices"][0]["text"], "Once upon a time, there was");
  EXPECT_EQ(j["usage"]["completion_tokens"], 0);
  // Token ids as the prompt, max_tokens 1: one generated token after the prompt's.
  json k = Body(c.Post("/v1/completions", R"({"model":"stories260K","prompt":[1,403,407,261,378],"max_tokens":1,"echo":true,"logprobs":0,"temperature":0})"));
  EXPECT_EQ(k["choices"][0]["logprobs"]["tokens"].size(), 6u);
  EXPECT_EQ(k["choices"][0]["logprobs"]["tokens"][5], ",");
}

TEST(Server, StreamingSseAndNdjson) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  std::string sse;
  auto r = c.Request("POST", "/v1/chat/completions",
                     R"({"model":"stories260K","messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"temperature":0,"stream":true,"stream_options":{"include_usage":true}})",
                     {{"Content-Type", "application/json"}}, [&](std::string_view d) {
                       sse.append(d);
                       return true;
                     });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Header("content-type"), "text/event-stream");
  EXPECT_NE(sse.find("\"finish_reason\":\"length\""), std::string::npos) << sse;
  EXPECT_NE(sse.find("\"usage\":{"), std::string::npos);
  EXPECT_EQ(sse.substr(sse.size() - 14), "data: [DONE]\n\n");
  std::string nd;
  r = c.Request("POST", "/api/chat", R"({"model":"stories260K","messages":[{"role":"user","content":"Hi"}],"options":{"num_predict":4,"temperature":0}})",
                {}, [&](std::string_view d) {
                  nd.append(d);
                  return true;
                });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Header("content-type"), "application/x-ndjson");
  std::vector<json> lines;
  size_t pos = 0, nl;
  while ((nl = nd.find('\n', pos)) != std::string::npos) {
    lines.push_back(json::parse(nd.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  ASSERT_GE(lines.size(), 2u);
  EXPECT_FALSE(lines[0]["done"].get<bool>());
  EXPECT_TRUE(lines.back()["done"].get<bool>());
  EXPECT_EQ(lines.back()["eval_count"], 4);
  EXPECT_GT(lines.back()["total_duration"].get<int64_t>(), 0);
}

TEST(Server, OllamaGenerateNonStreamingWithContextAndJson) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  json g = Body(c.Post("/api/generate", R"({"model":"stories260K","prompt":"Once upon a time","raw":true,"stream":false,"options":{"num_predict":6,"temperature":0}})"));
  EXPECT_EQ(g["response"], ", there was a little g");
  EXPECT_TRUE(g["done"].get<bool>());
  EXPECT_EQ(g["context"].size(), 5u + 6u);
  json f = Body(c.Post("/api/generate", R"({"model":"stories260K","prompt":"Once upon a time","raw":true,"stream":false,"format":"json","options":{"num_predict":40,"temperature":0}})"));
  const std::string text = f["response"].get<std::string>();
  EXPECT_EQ(text.find_first_not_of(" \n"), text.find('{')) << text;
  json load = Body(c.Post("/api/generate", R"({"model":"stories260K"})"));
  EXPECT_EQ(load["done_reason"], "load");
  json ps = Body(c.Get("/api/ps"));
  ASSERT_EQ(ps["models"].size(), 1u);
  EXPECT_EQ(ps["models"][0]["name"], "stories260K:latest");
}

TEST(Server, Embeddings) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  json e = Body(c.Post("/v1/embeddings", R"({"model":"stories260K","input":["The cat","The dog"]})"));
  ASSERT_EQ(e["data"].size(), 2u) << e.dump();
  EXPECT_EQ(e["data"][1]["index"], 1);
  EXPECT_EQ(e["data"][0]["embedding"].size(), 64u);
  json o = Body(c.Post("/api/embed", R"({"model":"stories260K","input":"The cat"})"));
  ASSERT_EQ(o["embeddings"].size(), 1u);
  for (size_t i = 0; i < 64; ++i)
    EXPECT_FLOAT_EQ(o["embeddings"][0][i].get<float>(), e["data"][0]["embedding"][i].get<float>());
  json b = Body(c.Post("/v1/embeddings", R"({"model":"stories260K","input":"The cat","encoding_format":"base64"})"));
  EXPECT_EQ(b["data"][0]["embedding"].get<std::string>().size(), 4u * ((64 * 4 + 2) / 3));  // base64 of 256 bytes
}

TEST(Server, ErrorsAreMappedAndTheServerKeepsServing) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  struct Case {
    const char* path;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {"/v1/chat/completions", "{not json", 400},
      {"/v1/chat/completions", R"({"model":"stories260K","messages":"x"})", 400},
      {"/v1/chat/completions", R"({"model":"stories260K","messages":[]})", 400},
      {"/v1/chat/completions", R"({"model":"nope","messages":[{"role":"user","content":"x"}]})", 404},
      {"/v1/chat/completions", std::string(R"({"model":"stories260K","messages":[{"role":"user","content":"\xc3\x28"}]})"), 400},
      {"/v1/completions", R"({"model":"stories260K","prompt":"x","max_tokens":100000})", 400},
      {"/v1/completions", R"({"model":"stories260K","prompt":[1,999999]})", 400},
      {"/v1/embeddings", R"({"model":"stories260K"})", 400},
      {"/api/generate", R"({"model":"nope","prompt":"x"})", 404},
      {"/api/chat", R"({"model":"stories260K","messages":[{"role":"user","content":5}]})", 400},
      {"/v1/chat/completions", std::string(70 * 1024, ' '), 413},
  };
  for (const auto& k : cases) {
    auto r = c.Post(k.path, k.body);
    ASSERT_TRUE(r.ok()) << k.path << " " << r.message();
    EXPECT_EQ(r->status, k.status) << k.path << " " << k.body.substr(0, 80) << " -> " << r->body;
    json j = Body(r);
    ASSERT_TRUE(j.is_object()) << r->body;
    if (std::string(k.path).rfind("/v1/", 0) == 0) {
      ASSERT_TRUE(j["error"].is_object()) << r->body;
      EXPECT_TRUE(j["error"]["message"].is_string());
      EXPECT_TRUE(j["error"].contains("type"));
      EXPECT_TRUE(j["error"].contains("param"));
      EXPECT_TRUE(j["error"].contains("code"));
    } else {
      EXPECT_TRUE(j["error"].is_string()) << r->body;
    }
  }
  auto ctx = c.Post("/v1/completions", R"({"model":"stories260K","prompt":"x","max_tokens":100000})");
  EXPECT_NE(Body(ctx)["error"]["message"].get<std::string>().find("context"), std::string::npos);
  EXPECT_EQ(c.Get("/nowhere")->status, 404);
  EXPECT_EQ(c.Get("/v1/chat/completions")->status, 405);
  EXPECT_EQ(c.Get("/health")->status, 200);  // still serving
}

TEST(Server, RawHttpEdgeCases) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  // Malformed request line.
  EXPECT_NE(RawExchange(s.port(), "BLAH\r\n\r\n").find("HTTP/1.1 400"), std::string::npos);
  // Keep-alive: two requests, one after the other, on one connection, then close.
  {
    testing::RawConnection conn(s.port());
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(conn.ReadUntil("{\"status\":\"ok\"}")) << conn.received();
    EXPECT_EQ(conn.received().find("HTTP/1.1 200"), 0u) << conn.received();
    ASSERT_TRUE(conn.Send("GET /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    EXPECT_FALSE(conn.ReadUntil("never sent"));  // the server closes after the second answer
    EXPECT_NE(conn.received().find("HTTP/1.1 200", 10), std::string::npos) << conn.received();
    EXPECT_NE(conn.received().find("\"version\""), std::string::npos);
  }
  // Chunked request body.
  const std::string body = R"({"model":"stories260K","prompt":"Once","max_tokens":2,"temperature":0})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const std::string chunked = RawExchange(s.port(), "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                                                         std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.find("HTTP/1.1 200"), 0u) << chunked;
  // Oversized declared body: 413 without reading it all.
  const std::string big = RawExchange(s.port(), "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{", 8000);
  EXPECT_NE(big.find("HTTP/1.1 413"), std::string::npos) << big;
  // Chunked body over the limit (64 KiB here): 413 as well.
  const std::string piece(40 * 1024, ' ');
  const std::string big_chunked = RawExchange(s.port(), "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na000\r\n" +
                                                             piece + "\r\na000\r\n" + piece + "\r\n0\r\n\r\n");
  EXPECT_EQ(big_chunked.find("HTTP/1.1 413"), 0u) << big_chunked.substr(0, 200);
  EXPECT_NE(big_chunked.find("\"message\":\"request body larger than the limit of 65536 bytes\""), std::string::npos);
  // HTTP/1.0 closes after the response.
  EXPECT_NE(RawExchange(s.port(), "GET /health HTTP/1.0\r\n\r\n").find("Connection: close"), std::string::npos);
  // HEAD: the head of the GET answer, no body.
  const std::string head = RawExchange(s.port(), "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.find("HTTP/1.1 200"), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 15\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("{\"status\""), std::string::npos) << head;
  // A long target is routed like any other (404 JSON), a too long one refused (414).
  const std::string long_path = RawExchange(s.port(), "GET /" + std::string(7000, 'a') + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(long_path.find("HTTP/1.1 404"), 0u) << long_path.substr(0, 200);
  EXPECT_NE(RawExchange(s.port(), "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n").find("HTTP/1.1 414"), std::string::npos);
}

TEST(Server, BodyFramingErrorsAreRefusedBeforeTheBodyIsRead) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  struct Case {
    const char* headers;
    const char* status;
  };
  const Case cases[] = {
      {"Content-Length: 2\r\nContent-Length: 3\r\n", "HTTP/1.1 400"},
      {"Content-Length: 2x\r\n", "HTTP/1.1 400"},
      {"Content-Length: -2\r\n", "HTTP/1.1 400"},
      {"Transfer-Encoding: gzip\r\n", "HTTP/1.1 501"},
      {"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", "HTTP/1.1 400"},
  };
  for (const Case& c : cases) {
    const std::string r = RawExchange(s.port(), std::string("POST /v1/completions HTTP/1.1\r\nHost: x\r\n") + c.headers + "\r\n{}");
    EXPECT_EQ(r.find(c.status), 0u) << c.headers << " -> " << r;
    EXPECT_NE(r.find("{\"error\":{"), std::string::npos) << r;
  }
  EXPECT_EQ(s.client().Get("/health")->status, 200);
}

TEST(Server, ExpectContinueGetsTheGoAhead) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(s.port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string body = R"({"model":"stories260K","prompt":"Once","max_tokens":1})";
  const std::string head = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  char buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u);
  ASSERT_EQ(::send(fd, body.data(), body.size(), MSG_NOSIGNAL), static_cast<ssize_t>(body.size()));
  std::string rest;
  for (ssize_t m; (m = ::recv(fd, buf, sizeof buf, 0)) > 0;) rest.append(buf, static_cast<size_t>(m));
  ::close(fd);
  EXPECT_NE(rest.find("HTTP/1.1 200 OK"), std::string::npos) << rest;
  // A body already known to be too large gets no go-ahead: the 413 at once.
  const std::string refused = RawExchange(s.port(), "POST /v1/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000000\r\n\r\n");
  EXPECT_EQ(refused.find("HTTP/1.1 413"), 0u) << refused;
  EXPECT_NE(refused.find("larger than the limit"), std::string::npos) << refused;
}

TEST(Server, ApiKeyIsRequiredWhenSet) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  ServerOptions o = Options(dir);
  o.api_key = "sekret";
  TestServer s(o);
  auto c = s.client();
  EXPECT_EQ(c.Get("/health")->status, 200);
  auto no = c.Get("/v1/models");
  EXPECT_EQ(no->status, 401);
  EXPECT_EQ(Body(no)["error"]["code"], "invalid_api_key");
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(c.Get("/api/tags")->status, 401);
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer sekret"}})->status, 200);
}

TEST(Server, QueueOverflowGets503WithRetryAfter) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  ServerOptions o = Options(dir);
  o.models.engine.parallel = 1;
  o.models.engine.max_queue = 1;
  o.models.engine.ctx = 1024;
  TestServer s(o);
  auto c = s.client();
  ASSERT_EQ(c.Post("/api/generate", R"({"model":"stories260K"})")->status, 200);  // load first
  std::atomic<int> ok{0}, busy{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 6; ++i) {
    ts.emplace_back([&] {
      auto r = c.Post("/v1/completions", R"({"model":"stories260K","prompt":"Once upon a time","max_tokens":600,"temperature":0})");
      if (!r.ok()) return;
      if (r->status == 200) ++ok;
      if (r->status == 503) {
        ++busy;
        EXPECT_EQ(r->Header("retry-after"), "1");
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(busy.load(), 1);
  EXPECT_EQ(ok.load() + busy.load(), 6);
}

TEST(Server, ClientDisconnectCancelsTheSequence) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  ServerOptions o = Options(dir);
  o.models.engine.ctx = 2000;
  TestServer s(o);
  auto c = s.client();
  int chunks = 0;
  auto r = c.Request("POST", "/v1/completions", R"({"model":"stories260K","prompt":"Once","max_tokens":1900,"temperature":0,"stream":true})",
                     {}, [&](std::string_view) { return ++chunks < 3; });  // hang up after 3 chunks
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(chunks, 3);
  auto loaded = s.server->registry().Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  for (int i = 0; i < 200 && loaded[0]->engine->Stats().running > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const engine::EngineStats st = loaded[0]->engine->Stats();
  EXPECT_EQ(st.running, 0);
  EXPECT_LT(st.generation_tokens_total, 1900u);
  EXPECT_EQ(st.kv_usage, 0.0);
}

TEST(Server, ClientDisconnectCancelsANonStreamedRequest) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  ServerOptions o = Options(dir);
  o.models.engine.ctx = 2000;
  TestServer s(o);
  auto c = s.client();
  ASSERT_EQ(c.Post("/api/generate", R"({"model":"stories260K"})")->status, 200);  // load first
  auto loaded = s.server->registry().Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  const std::string body = R"({"model":"stories260K","prompt":"Once","max_tokens":1900,"temperature":0,"ignore_eos":true})";
  {
    testing::RawConnection conn(s.port());
    ASSERT_TRUE(conn.Send("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
    for (int i = 0; i < 500 && loaded[0]->engine->Stats().running == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_EQ(loaded[0]->engine->Stats().running, 1);
  }  // hangs up while it generates
  for (int i = 0; i < 200 && loaded[0]->engine->Stats().running > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const engine::EngineStats st = loaded[0]->engine->Stats();
  EXPECT_EQ(st.running, 0);
  EXPECT_LT(st.generation_tokens_total, 1900u);
  EXPECT_EQ(st.kv_usage, 0.0);
}

TEST(Server, DeleteAndCopyInTheModelsDir) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  EXPECT_EQ(c.Post("/api/copy", R"({"source":"stories260K","destination":"story-copy"})")->status, 200);
  EXPECT_EQ(c.Post("/api/copy", R"({"source":"stories260K","destination":"../evil"})")->status, 400);
  EXPECT_EQ(Body(c.Get("/api/tags"))["models"].size(), 2u);
  EXPECT_EQ(c.Request("DELETE", "/api/delete", R"({"model":"story-copy"})")->status, 200);
  EXPECT_EQ(c.Request("DELETE", "/api/delete", R"({"model":"story-copy"})")->status, 404);
  EXPECT_EQ(Body(c.Get("/api/tags"))["models"].size(), 1u);
}

TEST(Server, MetricsAreExposed) {
  REQUIRE_STORIES();
  TempModelsDir dir({"stories260K"});
  TestServer s(Options(dir));
  auto c = s.client();
  ASSERT_EQ(c.Post("/v1/completions", R"({"model":"stories260K","prompt":"Once upon a time","max_tokens":5,"temperature":0})")->status, 200);
  const std::string m = c.Get("/metrics")->body;
  for (const char* name : {"flywheel_requests_running 0", "flywheel_requests_waiting 0", "flywheel_prompt_tokens_total 5",
                           "flywheel_generation_tokens_total 5", "flywheel_time_to_first_token_seconds_count 1",
                           "flywheel_inter_token_latency_seconds_count 4", "flywheel_kv_cache_usage_ratio 0",
                           "flywheel_prefix_cache_queries_total", "flywheel_prefix_cache_hits_total"})
    EXPECT_NE(m.find(name), std::string::npos) << name << "\n" << m;
}

}  // namespace
}  // namespace fw::server
