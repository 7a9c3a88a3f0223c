// Shared plumbing of the generation endpoints: submitting to an engine with errors mapped to
// HTTP, following a RequestStream to its end while watching the client, and the small
// formatting helpers (ids, timestamps, token pieces) both APIs use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "server/api_request.h"
#include "server/http_server.h"
#include "server/model_registry.h"

namespace fw::server {

struct GenerationOutcome {
  std::string text;
  std::vector<engine::TokenLogprob> logprobs;         // generated tokens (when asked)
  std::vector<engine::TokenLogprob> prompt_logprobs;  // prompt tokens 1..n-1 (echo)
  engine::FinishReason finish = engine::FinishReason::kNone;
  engine::Usage usage;
  std::string error;
  bool client_gone = false;
};

// The engine's refusal as an API error: kQueueFull -> 503, kInvalid -> 400.
ApiError SubmitError(const engine::SubmitResult& r);

// Follows the stream until Done. on_event (optional) sees each token / prompt-logprob event
// as it arrives and returns false when writing to the client failed. A client that hangs up
// (client.ClientGone, polled every 25 ms) or a failed write cancels the request;
// the outcome then says client_gone.
GenerationOutcome FollowStream(engine::RequestStream& stream, ClientWatch& client,
                               const std::function<bool(const engine::GenerationEvent&)>& on_event = nullptr);

// JSON text that never throws on invalid UTF-8 in generated text (replaced by U+FFFD).
std::string Dump(const nlohmann::json& j);
// "chatcmpl-" + 24 random hex digits.
std::string RandomId(const std::string& prefix);
int64_t UnixSeconds();
// RFC 3339 with nanoseconds in UTC, as Ollama writes created_at.
std::string Rfc3339Now();
std::string Rfc3339(std::chrono::system_clock::time_point t);
// The bytes of a UTF-8 string as a JSON array of numbers (OpenAI logprobs "bytes").
nlohmann::json BytesArray(const std::string& s);

// Releases a model on every path out of a handler (or, for a streamed response, out of its
// producer, which then owns the lease through a shared_ptr).
struct ModelLease {
  ModelLease(ModelRegistry& r, std::shared_ptr<LoadedModel> model, double keep_alive_s = -2)
      : reg(r), m(std::move(model)), keep_alive(keep_alive_s) {}
  ModelLease(const ModelLease&) = delete;
  ModelLease& operator=(const ModelLease&) = delete;
  ModelRegistry& reg;
  std::shared_ptr<LoadedModel> m;
  double keep_alive = -2;
  ~ModelLease() {
    if (!m) return;
    reg.Release(m, keep_alive);
    if (keep_alive == 0) reg.Unload(m->name);
  }
};

// A submitted request whose events a streamed response will follow: cancels the request
// when dropped unfinished (the client went away before the stream even started).
struct PendingStream {
  explicit PendingStream(std::shared_ptr<engine::RequestStream> s) : stream(std::move(s)) {}
  PendingStream(const PendingStream&) = delete;
  PendingStream& operator=(const PendingStream&) = delete;
  ~PendingStream() {
    if (stream) stream->Cancel();  // no-op once Done was seen
  }
  std::shared_ptr<engine::RequestStream> stream;
};

}  // namespace fw::server
