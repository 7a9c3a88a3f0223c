// OpenAI-compatible endpoints: /v1/chat/completions, /v1/completions, /v1/embeddings.
#include <cstring>

#include "server/generation.h"
#include "server/server.h"

namespace fw::server {

using nlohmann::json;

namespace {

const char* FinishName(engine::FinishReason f) {
  return f == engine::FinishReason::kLength ? "length" : "stop";
}

engine::GenerationRequest ToEngine(const GenerationParams& g, std::vector<int32_t> prompt) {
  engine::GenerationRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = g.max_tokens;
  r.sampling = g.sampling;
  r.stop = g.stop;
  r.logprobs = g.logprobs;
  r.json = g.json;
  r.ignore_eos = g.ignore_eos;
  return r;
}

json UsageJson(const engine::Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

// Chat logprobs: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}], "refusal": null}
json ChatLogprobs(const Tokenizer& tok, const std::vector<engine::TokenLogprob>& lps) {
  json content = json::array();
  for (const auto& lp : lps) {
    const std::string piece = tok.TokenToPiece(lp.token, true);
    json top = json::array();
    for (const auto& [id, l] : lp.top) {
      const std::string p = tok.TokenToPiece(id, true);
      top.push_back({{"token", p}, {"logprob", l}, {"bytes", BytesArray(p)}});
    }
    content.push_back({{"token", piece}, {"logprob", lp.logprob}, {"bytes", BytesArray(piece)}, {"top_logprobs", top}});
  }
  return {{"content", content}, {"refusal", nullptr}};
}

// Completions logprobs: parallel arrays. first_null: the first entry is the prompt's first
// token, which has no logprob.
struct LegacyLogprobs {
  json tokens = json::array(), token_logprobs = json::array(), top_logprobs = json::array(), text_offset = json::array();
  size_t offset = 0;
  void Add(const Tokenizer& tok, int32_t id, const engine::TokenLogprob* lp) {
    tokens.push_back(tok.TokenToPiece(id, true));
    text_offset.push_back(offset);
    offset += tok.TokenToPiece(id, false).size();
    if (lp == nullptr) {
      token_logprobs.push_back(nullptr);
      top_logprobs.push_back(nullptr);
      return;
    }
    token_logprobs.push_back(lp->logprob);
    json top = json::object();
    for (const auto& [tid, l] : lp->top) {
      const std::string p = tok.TokenToPiece(tid, true);
      if (!top.contains(p)) top[p] = l;
    }
    top_logprobs.push_back(top);
  }
  json ToJson() const {
    return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs}, {"text_offset", text_offset}};
  }
};

bool WriteSse(StreamSink& s, const json& j) { return s.Write("data: " + Dump(j) + "\n\n"); }

}  // namespace

void Server::ChatCompletions(const HttpRequest& req, ResponseWriter& w) {
  ChatCompletionRequest r;
  ApiError err;
  if (!ParseChatCompletionRequest(req.body, r, err)) return SendError(w, true, err);
  auto lease = std::make_shared<ModelLease>(registry_, registry_.Acquire(r.gen.model, err));
  if (!lease->m) return SendError(w, true, err);
  LoadedModel& m = *lease->m;
  auto prompt = m.ChatPrompt(r.messages, r.tools);
  if (!prompt.ok()) return SendError(w, true, ApiError{400, prompt.message(), "invalid_request_error", "messages", ""});
  engine::SubmitResult sub = m.engine->Submit(ToEngine(r.gen, std::move(prompt).value()));
  if (sub.code != engine::SubmitResult::Code::kOk) return SendError(w, true, SubmitError(sub), {{"Retry-After", "1"}});
  const std::string id = RandomId("chatcmpl-");
  const int64_t created = UnixSeconds();
  const Tokenizer& tok = *m.tokenizer;
  auto chunk = [id, created, model = r.gen.model](json delta, json finish, json logprobs) {
    return json{{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "fp_flywheel"},
                {"choices", json::array({{{"index", 0}, {"delta", delta}, {"logprobs", logprobs}, {"finish_reason", finish}}})}};
  };
  if (r.gen.stream) {
    // Runs after this handler returned: owns the lease, the stream and what it prints.
    auto pending = std::make_shared<PendingStream>(sub.stream);
    w.Stream(200, "text/event-stream", [lease, pending, chunk, id, created, model = r.gen.model, logprobs = r.gen.logprobs,
                                        include_usage = r.include_usage](StreamSink& s) {
      const Tokenizer& tok = *lease->m->tokenizer;
      if (!WriteSse(s, chunk({{"role", "assistant"}, {"content", ""}}, nullptr, nullptr))) return;
      GenerationOutcome o = FollowStream(*pending->stream, s, [&](const engine::GenerationEvent& e) {
        if (e.kind != engine::GenerationEvent::Kind::kToken) return true;
        if (e.text.empty() && (logprobs < 0 || e.logprobs.empty())) return true;
        return WriteSse(s, chunk({{"content", e.text}}, nullptr, logprobs >= 0 ? ChatLogprobs(tok, e.logprobs) : json(nullptr)));
      });
      if (o.client_gone) return;
      if (o.finish == engine::FinishReason::kError) {
        WriteSse(s, {{"error", {{"message", o.error}, {"type", "server_error"}, {"param", nullptr}, {"code", nullptr}}}});
      } else {
        WriteSse(s, chunk(json::object(), FinishName(o.finish), nullptr));
        if (include_usage) {
          WriteSse(s, {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
                       {"system_fingerprint", "fp_flywheel"}, {"choices", json::array()}, {"usage", UsageJson(o.usage)}});
        }
      }
      s.Write("data: [DONE]\n\n");
    });
    return;
  }
  GenerationOutcome o = FollowStream(*sub.stream, w);
  if (o.client_gone) return;
  if (o.finish == engine::FinishReason::kError) return SendError(w, true, ApiError{500, o.error, "server_error", "", ""});
  json choice = {{"index", 0},
                 {"message", {{"role", "assistant"}, {"content", o.text}, {"refusal", nullptr}}},
                 {"logprobs", r.gen.logprobs >= 0 ? ChatLogprobs(tok, o.logprobs) : json(nullptr)},
                 {"finish_reason", FinishName(o.finish)}};
  json body = {{"id", id},
               {"object", "chat.completion"},
               {"created", created},
               {"model", r.gen.model},
               {"system_fingerprint", "fp_flywheel"},
               {"choices", json::array({choice})},
               {"usage", UsageJson(o.usage)}};
  w.Send(200, "application/json", Dump(body));
}

void Server::Completions(const HttpRequest& req, ResponseWriter& w) {
  CompletionRequest r;
  ApiError err;
  if (!ParseCompletionRequest(req.body, r, err)) return SendError(w, true, err);
  if (r.gen.stream && r.prompts.size() != 1)
    return SendError(w, true, ApiError{400, "streaming supports a single prompt", "invalid_request_error", "prompt", ""});
  auto lease = std::make_shared<ModelLease>(registry_, registry_.Acquire(r.gen.model, err));
  if (!lease->m) return SendError(w, true, err);
  LoadedModel& m = *lease->m;
  const Tokenizer& tok = *m.tokenizer;
  const bool want_lp = r.gen.logprobs >= 0;
  struct Item {
    std::vector<int32_t> prompt;
    std::string prompt_text;
    std::shared_ptr<engine::RequestStream> stream;
  };
  std::vector<Item> items;
  for (const auto& p : r.prompts) {
    Item it;
    it.prompt = p.is_ids ? p.ids : m.Tokenize(p.text);
    it.prompt_text = p.is_ids ? tok.Decode(p.ids) : p.text;
    items.push_back(std::move(it));
  }
  for (auto& it : items) {
    engine::GenerationRequest g = ToEngine(r.gen, it.prompt);
    g.prompt_logprobs = r.echo && want_lp;
    engine::SubmitResult sub = m.engine->Submit(std::move(g));
    if (sub.code != engine::SubmitResult::Code::kOk) {
      for (auto& done : items)
        if (done.stream) done.stream->Cancel();
      return SendError(w, true, SubmitError(sub), {{"Retry-After", "1"}});
    }
    it.stream = sub.stream;
  }
  const std::string id = RandomId("cmpl-");
  const int64_t created = UnixSeconds();
  auto envelope = [id, created, model = r.gen.model](json choices) {
    return json{{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model},
                {"system_fingerprint", "fp_flywheel"}, {"choices", choices}};
  };
  if (r.gen.stream) {
    // Runs after this handler returned: owns the lease, the stream and what it prints.
    auto pending = std::make_shared<PendingStream>(items[0].stream);
    w.Stream(200, "text/event-stream", [lease, pending, envelope, want_lp, echo = r.echo, include_usage = r.include_usage,
                                        prompt_text = items[0].prompt_text](StreamSink& s) {
      const Tokenizer& tok = *lease->m->tokenizer;
      bool echoed = false;
      auto echo_prompt = [&]() -> bool {
        if (!echo || echoed) return true;
        echoed = true;
        json logprobs = nullptr;
        return WriteSse(s, envelope(json::array({{{"text", prompt_text}, {"index", 0}, {"logprobs", logprobs}, {"finish_reason", nullptr}}})));
      };
      GenerationOutcome o = FollowStream(*pending->stream, s, [&](const engine::GenerationEvent& e) {
        if (e.kind == engine::GenerationEvent::Kind::kPromptLogprobs) return true;
        if (!echo_prompt()) return false;
        if (e.text.empty() && (!want_lp || e.logprobs.empty())) return true;
        json logprobs = nullptr;
        if (want_lp) {
          LegacyLogprobs one;
          for (const auto& l : e.logprobs) one.Add(tok, l.token, &l);
          logprobs = one.ToJson();
        }
        return WriteSse(s, envelope(json::array({{{"text", e.text}, {"index", 0}, {"logprobs", logprobs}, {"finish_reason", nullptr}}})));
      });
      if (o.client_gone) return;
      echo_prompt();
      if (o.finish == engine::FinishReason::kError) {
        WriteSse(s, {{"error", {{"message", o.error}, {"type", "server_error"}, {"param", nullptr}, {"code", nullptr}}}});
      } else {
        WriteSse(s, envelope(json::array({{{"text", ""}, {"index", 0}, {"logprobs", nullptr}, {"finish_reason", FinishName(o.finish)}}})));
        if (include_usage) {
          json u = envelope(json::array());
          u["usage"] = UsageJson(o.usage);
          WriteSse(s, u);
        }
      }
      s.Write("data: [DONE]\n\n");
    });
    return;
  }
  json choices = json::array();
  engine::Usage total;
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    GenerationOutcome o = FollowStream(*it.stream, w);
    if (o.client_gone) {
      for (auto& rest : items) rest.stream->Cancel();
      return;
    }
    if (o.finish == engine::FinishReason::kError) {
      for (auto& rest : items) rest.stream->Cancel();
      return SendError(w, true, ApiError{500, o.error, "server_error", "", ""});
    }
    total.prompt_tokens += o.usage.prompt_tokens;
    total.completion_tokens += o.usage.completion_tokens;
    total.cached_tokens += o.usage.cached_tokens;
    json logprobs = nullptr;
    if (want_lp) {
      LegacyLogprobs lp;
      if (!r.echo) lp.offset = it.prompt_text.size();
      if (r.echo) {
        for (size_t k = 0; k < it.prompt.size(); ++k)
          lp.Add(tok, it.prompt[k], k == 0 || k - 1 >= o.prompt_logprobs.size() ? nullptr : &o.prompt_logprobs[k - 1]);
      }
      for (const auto& l : o.logprobs) lp.Add(tok, l.token, &l);
      logprobs = lp.ToJson();
    }
    choices.push_back({{"text", r.echo ? it.prompt_text + o.text : o.text},
                       {"index", i},
                       {"logprobs", logprobs},
                       {"finish_reason", FinishName(o.finish)}});
  }
  json body = envelope(choices);
  body["usage"] = UsageJson(total);
  w.Send(200, "application/json", Dump(body));
}

namespace {
std::string Base64Floats(const std::vector<float>& v) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(v.size() * 4, '\0');
  std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian float32, as OpenAI sends
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    out += k[(n >> 6) & 63];
    out += k[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? k[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}
}  // namespace

void Server::Embeddings(const HttpRequest& req, ResponseWriter& w, bool openai, bool legacy) {
  EmbeddingRequest r;
  ApiError err;
  const bool ok = openai ? ParseEmbeddingRequest(req.body, r, err) : ParseOllamaEmbedRequest(req.body, r, err, legacy);
  if (!ok) return SendError(w, openai, err);
  const auto t0 = std::chrono::steady_clock::now();
  ModelLease lease(registry_, registry_.Acquire(r.model, err), r.keep_alive_s);
  if (!lease.m) return SendError(w, openai, err);
  LoadedModel& m = *lease.m;
  const int32_t ctx = m.engine->options().ctx;
  std::vector<std::vector<float>> vecs;
  int64_t n_tokens = 0;
  for (const auto& in : r.inputs) {
    std::vector<int32_t> ids = in.is_ids ? in.ids : m.Tokenize(in.text);
    if (static_cast<int32_t>(ids.size()) > ctx) {
      if (openai || !r.truncate)
        return SendError(w, openai, ApiError{400, "the input is " + std::to_string(ids.size()) +
                                                      " tokens, more than the context of " + std::to_string(ctx),
                                             "invalid_request_error", "input", "context_length_exceeded"});
      ids.resize(static_cast<size_t>(ctx));
    }
    n_tokens += static_cast<int64_t>(ids.size());
    auto v = m.engine->Embed(std::move(ids));
    if (!v.ok()) return SendError(w, openai, ApiError{400, v.message(), "invalid_request_error", "input", ""});
    vecs.push_back(std::move(v).value());
  }
  if (openai) {
    json data = json::array();
    for (size_t i = 0; i < vecs.size(); ++i)
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", r.base64 ? json(Base64Floats(vecs[i])) : json(vecs[i])}});
    w.Send(200, "application/json",
           Dump({{"object", "list"}, {"data", data}, {"model", r.model},
                 {"usage", {{"prompt_tokens", n_tokens}, {"total_tokens", n_tokens}}}}));
    return;
  }
  if (legacy) {
    w.Send(200, "application/json", Dump({{"embedding", vecs.empty() ? json::array() : json(vecs[0])}}));
    return;
  }
  const int64_t total = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  w.Send(200, "application/json",
         Dump({{"model", r.model}, {"embeddings", vecs}, {"total_duration", total}, {"load_duration", 0},
               {"prompt_eval_count", n_tokens}}));
}

}  // namespace fw::server
