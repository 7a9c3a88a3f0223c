// Ollama-compatible generation endpoints: /api/generate and /api/chat (NDJSON streaming by
// default; durations in nanoseconds as Ollama reports them).
#include "server/generation.h"
#include "server/server.h"

namespace fw::server {

using nlohmann::json;

namespace {

int64_t NsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
}

engine::GenerationRequest ToEngine(const GenerationParams& g, std::vector<int32_t> prompt) {
  engine::GenerationRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = g.max_tokens;
  r.sampling = g.sampling;
  r.stop = g.stop;
  r.logprobs = 0;  // the token ids come back with their logprobs (for "context")
  r.json = g.json;
  return r;
}

const char* DoneReason(engine::FinishReason f) { return f == engine::FinishReason::kLength ? "length" : "stop"; }

void AddDurations(json& j, const GenerationOutcome& o, int64_t total_ns, int64_t load_ns) {
  j["total_duration"] = total_ns;
  j["load_duration"] = load_ns;
  j["prompt_eval_count"] = std::max(1, o.usage.prompt_tokens - o.usage.cached_tokens);
  j["prompt_eval_duration"] = o.usage.prompt_ns;
  j["eval_count"] = o.usage.completion_tokens;
  j["eval_duration"] = o.usage.generation_ns;
}

bool WriteLine(StreamSink& s, const json& j) { return s.Write(Dump(j) + "\n"); }

}  // namespace

// Shared by /api/generate and /api/chat: `make_chunk(text, done)` builds one NDJSON object
// (it owns what it prints: a streamed response calls it after the handler returned).
namespace {
void RunOllama(ResponseWriter& w, const std::shared_ptr<ModelLease>& lease, const GenerationParams& gen,
               std::vector<int32_t> prompt, std::chrono::steady_clock::time_point t0, int64_t load_ns,
               const std::function<json(const std::string&, bool)>& make_chunk, bool with_context,
               const std::function<void(const ApiError&)>& send_error) {
  LoadedModel& m = *lease->m;
  const std::vector<int32_t> prompt_ids = prompt;
  engine::SubmitResult sub = m.engine->Submit(ToEngine(gen, std::move(prompt)));
  if (sub.code != engine::SubmitResult::Code::kOk) {
    ApiError e = SubmitError(sub);
    return send_error(e);
  }
  auto final_chunk = [make_chunk, with_context, prompt_ids, t0, load_ns](const GenerationOutcome& o, const std::string& text) {
    json j = make_chunk(text, true);
    j["done_reason"] = DoneReason(o.finish);
    if (with_context) {
      std::vector<int32_t> ctx = prompt_ids;
      for (const auto& lp : o.logprobs) ctx.push_back(lp.token);
      j["context"] = ctx;
    }
    AddDurations(j, o, NsSince(t0), load_ns);
    return j;
  };
  if (gen.stream) {
    // Runs after the handler returned: owns the lease, the stream and what it prints.
    auto pending = std::make_shared<PendingStream>(sub.stream);
    w.Stream(200, "application/x-ndjson", [lease, pending, make_chunk, final_chunk](StreamSink& s) {
      GenerationOutcome o = FollowStream(*pending->stream, s, [&](const engine::GenerationEvent& e) {
        if (e.kind != engine::GenerationEvent::Kind::kToken || e.text.empty()) return true;
        return WriteLine(s, make_chunk(e.text, false));
      });
      if (o.client_gone) return;
      if (o.finish == engine::FinishReason::kError) {
        WriteLine(s, json{{"error", o.error}});
        return;
      }
      WriteLine(s, final_chunk(o, ""));
    });
    return;
  }
  GenerationOutcome o = FollowStream(*sub.stream, w);
  if (o.client_gone) return;
  if (o.finish == engine::FinishReason::kError) return send_error(ApiError{500, o.error, "server_error", "", ""});
  w.Send(200, "application/json", Dump(final_chunk(o, o.text)));
}
}  // namespace

void Server::Generate(const HttpRequest& req, ResponseWriter& w) {
  const auto t0 = std::chrono::steady_clock::now();
  OllamaGenerateRequest r;
  ApiError err;
  if (!ParseOllamaGenerateRequest(req.body, r, err)) return SendError(w, false, err);
  if (!r.suffix.empty()) return SendError(w, false, ApiError{400, "'suffix' (fill-in-the-middle) is not supported", "invalid_request_error", "suffix", ""});
  auto lease = std::make_shared<ModelLease>(registry_, registry_.Acquire(r.gen.model, err), r.gen.keep_alive_s);
  if (!lease->m) return SendError(w, false, err);
  const int64_t load_ns = NsSince(t0);
  LoadedModel& m = *lease->m;
  auto chunk = [model = r.gen.model](const std::string& text, bool done) {
    return json{{"model", model}, {"created_at", Rfc3339Now()}, {"response", text}, {"done", done}};
  };
  if (r.prompt.empty() && r.context.empty() && r.system.empty()) {
    json j = chunk("", true);
    j["done_reason"] = r.gen.keep_alive_s == 0 ? "unload" : "load";
    w.Send(200, "application/json", Dump(j));
    return;
  }
  std::vector<int32_t> ids;
  if (r.raw) {
    ids = r.context.empty() ? m.Tokenize(r.prompt) : m.tokenizer->Encode(r.prompt, false, true);
  } else {
    std::vector<ChatMessage> msgs;
    if (!r.system.empty()) msgs.push_back({"system", r.system, json::object()});
    msgs.push_back({"user", r.prompt, json::object()});
    auto p = m.ChatPrompt(msgs, nullptr);
    if (!p.ok()) return SendError(w, false, ApiError{400, p.message(), "invalid_request_error", "", ""});
    ids = std::move(p).value();
    if (!r.context.empty() && !ids.empty() && ids[0] == m.tokenizer->bos_id()) ids.erase(ids.begin());
  }
  if (!r.context.empty()) ids.insert(ids.begin(), r.context.begin(), r.context.end());
  RunOllama(w, lease, r.gen, std::move(ids), t0, load_ns, chunk, true,
            [&](const ApiError& e) { SendError(w, false, e, e.status == 503 ? HttpHeaders{{"Retry-After", "1"}} : HttpHeaders{}); });
}

void Server::Chat(const HttpRequest& req, ResponseWriter& w) {
  const auto t0 = std::chrono::steady_clock::now();
  OllamaChatRequest r;
  ApiError err;
  if (!ParseOllamaChatRequest(req.body, r, err)) return SendError(w, false, err);
  auto lease = std::make_shared<ModelLease>(registry_, registry_.Acquire(r.gen.model, err), r.gen.keep_alive_s);
  if (!lease->m) return SendError(w, false, err);
  const int64_t load_ns = NsSince(t0);
  auto chunk = [model = r.gen.model](const std::string& text, bool done) {
    return json{{"model", model},
                {"created_at", Rfc3339Now()},
                {"message", {{"role", "assistant"}, {"content", text}}},
                {"done", done}};
  };
  if (r.messages.empty()) {
    json j = chunk("", true);
    j["done_reason"] = r.gen.keep_alive_s == 0 ? "unload" : "load";
    w.Send(200, "application/json", Dump(j));
    return;
  }
  auto p = lease->m->ChatPrompt(r.messages, r.tools);
  if (!p.ok()) return SendError(w, false, ApiError{400, p.message(), "invalid_request_error", "messages", ""});
  RunOllama(w, lease, r.gen, std::move(p).value(), t0, load_ns, chunk, false,
            [&](const ApiError& e) { SendError(w, false, e, e.status == 503 ? HttpHeaders{{"Retry-After", "1"}} : HttpHeaders{}); });
}

}  // namespace fw::server
