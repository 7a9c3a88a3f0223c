#include "server/generation.h"

#include <chrono>
#include <ctime>
#include <random>

namespace fw::server {

ApiError SubmitError(const engine::SubmitResult& r) {
  ApiError e;
  if (r.code == engine::SubmitResult::Code::kQueueFull) {
    e.status = 503;
    e.type = "server_error";
    e.code = "server_busy";
  } else {
    e.status = 400;
    e.code = r.message.find("context") != std::string::npos ? "context_length_exceeded" : "";
  }
  e.message = r.message;
  return e;
}

GenerationOutcome FollowStream(engine::RequestStream& stream, ClientWatch& client,
                               const std::function<bool(const engine::GenerationEvent&)>& on_event) {
  GenerationOutcome out;
  std::vector<engine::GenerationEvent> events;
  // The client is looked at every kWatchEvery, also while events keep coming (a fast model
  // never pauses, and a non-streamed response writes nothing that could fail).
  constexpr auto kWatchEvery = std::chrono::milliseconds(25);
  auto last_watch = std::chrono::steady_clock::now();
  for (;;) {
    events.clear();
    const bool got = stream.Pop(events, kWatchEvery);
    if (!out.client_gone && (!got || std::chrono::steady_clock::now() - last_watch >= kWatchEvery)) {
      last_watch = std::chrono::steady_clock::now();
      if (client.ClientGone()) {
        out.client_gone = true;
        stream.Cancel();
      }
    }
    if (!got) continue;
    for (auto& e : events) {
      if (e.kind == engine::GenerationEvent::Kind::kDone) {
        out.finish = e.finish;
        out.usage = e.usage;
        out.error = e.error;
        return out;
      }
      if (e.kind == engine::GenerationEvent::Kind::kPromptLogprobs) {
        for (auto& lp : e.logprobs) out.prompt_logprobs.push_back(lp);
      } else {
        out.text += e.text;
        for (auto& lp : e.logprobs) out.logprobs.push_back(lp);
      }
      if (on_event && !out.client_gone && !on_event(e)) {
        out.client_gone = true;
        stream.Cancel();
      }
    }
  }
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string RandomId(const std::string& prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += kHex[rng() % 16];
  return id;
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point::max()) return "2318-08-28T00:00:00Z";  // "forever"
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1000000000));
  return buf;
}

std::string Rfc3339Now() { return Rfc3339(std::chrono::system_clock::now()); }

nlohmann::json BytesArray(const std::string& s) {
  nlohmann::json a = nlohmann::json::array();
  for (unsigned char c : s) a.push_back(static_cast<int>(c));
  return a;
}

}  // namespace fw::server
