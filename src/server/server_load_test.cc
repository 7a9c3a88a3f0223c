// A bounded load test: 64 requests, 16 at a time, over HTTP against an in-process server with
// 16 parallel sequences. Every response must be complete and equal to the greedy output of
// the same request run alone, and /metrics must account for exactly that work.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/server_test_util.h"

namespace fw::server {
namespace {

using nlohmann::json;

double MetricValue(const std::string& text, const std::string& name) {
  const size_t p = text.find("\n" + name + " ");
  if (p == std::string::npos) return -1;
  return std::stod(text.substr(p + name.size() + 2));
}

TEST(ServerLoad, SixtyFourRequestsSixteenAtATimeMatchTheirSoloOutput) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  testing::TempModelsDir dir({"stories260K"});
  ServerOptions o;
  o.models.models_dir = dir.path();
  o.models.engine.parallel = 16;
  o.models.engine.ctx = 256;
  o.models.engine.batch = 128;
  testing::TestServer s(o);
  ASSERT_TRUE(s.status.ok()) << s.status.message();
  auto c = s.client();
  const std::vector<std::string> prompts = {"Once upon a time", "Lily and Ben went to the park.", "The cat", "One day, a little boy",
                                            "Tom had a red ball", "The sun was", "Sue liked to", "In the forest"};
  auto body_for = [&](size_t i) {
    // A shared opening (like a system prompt) spans full KV blocks the prefix cache can reuse.
    const std::string opening = "Once upon a time, in a small town, there lived a kind old man who loved his garden. ";
    return json{{"model", "stories260K"}, {"prompt", opening + prompts[i % prompts.size()]}, {"max_tokens", 40}, {"temperature", 0}}.dump();
  };
  std::map<size_t, std::string> solo;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto r = c.Post("/v1/completions", body_for(i));
    ASSERT_TRUE(r.ok() && r->status == 200);
    solo[i] = json::parse(r->body)["choices"][0]["text"];
  }
  const std::string before = c.Get("/metrics")->body;

  std::atomic<int> next{0}, ok{0};
  std::mutex mu;
  int64_t completion_tokens = 0, prompt_tokens = 0;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  for (int w = 0; w < 16; ++w) {
    workers.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < 64;) {
        auto r = c.Post("/v1/completions", body_for(static_cast<size_t>(i)));
        std::lock_guard<std::mutex> lock(mu);
        if (!r.ok() || r->status != 200) {
          failures.push_back("request " + std::to_string(i) + ": " + (r.ok() ? r->body : r.message()));
          continue;
        }
        const json j = json::parse(r->body);
        const std::string text = j["choices"][0]["text"];
        if (text != solo[static_cast<size_t>(i) % prompts.size()])
          failures.push_back("request " + std::to_string(i) + " differs: " + text);
        completion_tokens += j["usage"]["completion_tokens"].get<int64_t>();
        prompt_tokens += j["usage"]["prompt_tokens"].get<int64_t>();
        ++ok;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(ok.load(), 64);

  const std::string after = c.Get("/metrics")->body;
  auto delta = [&](const std::string& name) { return MetricValue(after, name) - MetricValue(before, name); };
  EXPECT_EQ(delta("flywheel_generation_tokens_total"), static_cast<double>(completion_tokens));
  EXPECT_EQ(delta("flywheel_prompt_tokens_total"), static_cast<double>(prompt_tokens));
  EXPECT_EQ(delta("flywheel_requests_total"), 64.0);
  EXPECT_EQ(delta("flywheel_time_to_first_token_seconds_count"), 64.0);
  EXPECT_EQ(delta("flywheel_inter_token_latency_seconds_count"), static_cast<double>(completion_tokens - 64));
  EXPECT_EQ(MetricValue(after, "flywheel_requests_running"), 0.0);
  EXPECT_EQ(MetricValue(after, "flywheel_requests_waiting"), 0.0);
  EXPECT_EQ(MetricValue(after, "flywheel_kv_cache_usage_ratio"), 0.0);
  // Every prompt was seen before: the prefix cache served its full blocks.
  EXPECT_GT(delta("flywheel_prefix_cache_hits_total"), 0.0);
}

}  // namespace
}  // namespace fw::server
