#include "server/server.h"

#include <chrono>
#include <cstdio>

#include "server/generation.h"

namespace fw::server {

using nlohmann::json;

Server::Server(ServerOptions options) : options_(std::move(options)), registry_(options_.models) {
  http_ = std::make_unique<HttpServer>(options_.http, [this](const HttpRequest& r, ResponseWriter& w) { Handle(r, w); });
}

Server::~Server() { Stop(); }

Status Server::Start() {
  FW_RETURN_IF_ERROR(http_->Start());
  reaper_ = std::thread([this] {
    while (!stopping_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      registry_.ReapExpired();
    }
  });
  return Status::Ok();
}

Status Server::Run() {
  FW_RETURN_IF_ERROR(http_->Listen());
  reaper_ = std::thread([this] {
    while (!stopping_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      registry_.ReapExpired();
    }
  });
  http_->Serve();
  return Status::Ok();
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  registry_.CancelAll();  // handlers waiting on long generations return promptly
  http_->Stop();
  if (reaper_.joinable()) reaper_.join();
}

bool Server::Authorized(const HttpRequest& req) const {
  if (options_.api_key.empty()) return true;
  const std::string_view auth = req.Header("authorization");
  const std::string want = "Bearer " + options_.api_key;
  if (auth.size() != want.size()) return false;
  unsigned diff = 0;  // constant time
  for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned>(auth[i] ^ want[i]);
  return diff == 0;
}

void Server::CountRequest(int status) {
  std::lock_guard<std::mutex> lock(counts_mu_);
  ++status_counts_[status];
}

void Server::SendError(ResponseWriter& w, bool openai, const ApiError& e, const HttpHeaders& extra) {
  json body;
  if (openai) {
    body["error"] = {{"message", e.message},
                     {"type", e.type},
                     {"param", e.param.empty() ? json(nullptr) : json(e.param)},
                     {"code", e.code.empty() ? json(nullptr) : json(e.code)}};
  } else {
    body["error"] = e.message;  // Ollama's shape: the clients read a string
  }
  w.Send(e.status, "application/json", Dump(body), extra);
}

void Server::Handle(const HttpRequest& req, ResponseWriter& w) {
  const std::string& p = req.path;
  const bool openai = p.rfind("/v1/", 0) == 0;
  auto method_is = [&](const char* m) { return req.method == m || (req.method == "HEAD" && std::string(m) == "GET"); };
  auto finish = [&] { CountRequest(w.status()); };
  if (req.method == "OPTIONS") {
    w.Send(204, "", "", {{"Access-Control-Allow-Origin", "*"}, {"Access-Control-Allow-Headers", "*"},
                         {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"}});
    return finish();
  }
  if (p == "/health" && method_is("GET")) {
    w.Send(200, "application/json", "{\"status\":\"ok\"}");
    return finish();
  }
  if (!Authorized(req)) {
    ApiError e{401, "missing or wrong API key: send 'Authorization: Bearer <key>'", "invalid_request_error", "",
               "invalid_api_key"};
    SendError(w, openai || p == "/metrics", e, {{"WWW-Authenticate", "Bearer"}});
    return finish();
  }
  struct Route {
    const char* method;
    const char* path;
    std::function<void()> fn;
  };
  const Route routes[] = {
      {"GET", "/", [&] { w.Send(200, "text/plain; charset=utf-8", "Ollama is running"); }},
      {"GET", "/metrics", [&] { Metrics(w); }},
      {"GET", "/v1/models", [&] { ListModels(req, w); }},
      {"POST", "/v1/chat/completions", [&] { ChatCompletions(req, w); }},
      {"POST", "/v1/completions", [&] { Completions(req, w); }},
      {"POST", "/v1/embeddings", [&] { Embeddings(req, w, true, false); }},
      {"POST", "/api/generate", [&] { Generate(req, w); }},
      {"POST", "/api/chat", [&] { Chat(req, w); }},
      {"POST", "/api/embed", [&] { Embeddings(req, w, false, false); }},
      {"POST", "/api/embeddings", [&] { Embeddings(req, w, false, true); }},
      {"GET", "/api/tags", [&] { Tags(w); }},
      {"POST", "/api/show", [&] { Show(req, w); }},
      {"GET", "/api/ps", [&] { Ps(w); }},
      {"GET", "/api/version", [&] { w.Send(200, "application/json", Dump(json{{"version", options_.version}})); }},
      {"DELETE", "/api/delete", [&] { Delete(req, w); }},
      {"POST", "/api/copy", [&] { Copy(req, w); }},
  };
  bool path_known = false;
  for (const Route& r : routes) {
    if (p != r.path) continue;
    path_known = true;
    if (method_is(r.method)) {
      r.fn();
      return finish();
    }
  }
  if (p.rfind("/v1/models/", 0) == 0 && method_is("GET")) {
    ListModels(req, w);
    return finish();
  }
  if (path_known) {
    SendError(w, openai, ApiError{405, "method " + req.method + " is not allowed on " + p, "invalid_request_error", "", ""});
  } else {
    SendError(w, openai, ApiError{404, "no such endpoint: " + req.method + " " + p, "invalid_request_error", "", ""});
  }
  finish();
}

// ---------------------------------------------------------------------------------------
// Model listing and management
// ---------------------------------------------------------------------------------------

namespace {
std::string Digest(const ModelEntry& e) {
  // An identifier for this file version (path, size, mtime), not a content hash.
  uint64_t h = 1469598103934665603ull;
  const std::string key = e.path + "|" + std::to_string(e.size) + "|" + std::to_string(e.modified_unix);
  std::string out;
  for (int round = 0; round < 4; ++round) {
    for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h ^= static_cast<uint64_t>(round) * 0x9e3779b97f4a7c15ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    out += buf;
  }
  return out;
}

json Details(const LoadedModel* m) {
  json d = {{"parent_model", ""}, {"format", "gguf"}};
  if (m != nullptr) {
    d["family"] = m->family();
    d["families"] = json::array({m->family()});
    d["parameter_size"] = m->parameter_size();
    d["quantization_level"] = m->quantization();
  } else {
    d["family"] = "";
    d["families"] = nullptr;
    d["parameter_size"] = "";
    d["quantization_level"] = "";
  }
  return d;
}
}  // namespace

void Server::ListModels(const HttpRequest& req, ResponseWriter& w) {
  auto entry_json = [](const ModelEntry& e) {
    return json{{"id", e.name}, {"object", "model"}, {"created", e.modified_unix}, {"owned_by", "flywheel"}};
  };
  if (req.path.rfind("/v1/models/", 0) == 0) {
    const std::string id = req.path.substr(11);
    auto e = registry_.Find(id);
    if (!e) {
      SendError(w, true, ApiError{404, "model '" + id + "' not found", "invalid_request_error", "model", "model_not_found"});
      return;
    }
    w.Send(200, "application/json", Dump(entry_json(*e)));
    return;
  }
  json data = json::array();
  for (const auto& e : registry_.List()) data.push_back(entry_json(e));
  w.Send(200, "application/json", Dump(json{{"object", "list"}, {"data", data}}));
}

void Server::Tags(ResponseWriter& w) {
  json models = json::array();
  for (const auto& e : registry_.List()) {
    models.push_back({{"name", e.name + ":latest"},
                      {"model", e.name + ":latest"},
                      {"modified_at", Rfc3339(std::chrono::system_clock::from_time_t(e.modified_unix))},
                      {"size", e.size},
                      {"digest", Digest(e)},
                      {"details", Details(nullptr)}});
  }
  w.Send(200, "application/json", Dump(json{{"models", models}}));
}

void Server::Ps(ResponseWriter& w) {
  json models = json::array();
  for (const auto& m : registry_.Loaded()) {
    ModelEntry e{m->name, m->path, m->size, 0};
    if (auto f = registry_.Find(m->name)) e = *f;
    const engine::EngineStats st = m->engine->Stats();
    models.push_back({{"name", m->name + ":latest"},
                      {"model", m->name + ":latest"},
                      {"size", m->size},
                      {"digest", Digest(e)},
                      {"details", Details(m.get())},
                      {"expires_at", Rfc3339(registry_.ExpiresAt(*m))},
                      {"size_vram", 0},
                      {"context_length", m->engine->options().ctx},
                      {"parallel", m->engine->options().parallel},
                      {"requests_running", st.running},
                      {"requests_waiting", st.waiting}});
  }
  w.Send(200, "application/json", Dump(json{{"models", models}}));
}

void Server::Show(const HttpRequest& req, ResponseWriter& w) {
  std::string name;
  ApiError err;
  if (!ParseOllamaModelRequest(req.body, name, err)) return SendError(w, false, err);
  std::shared_ptr<LoadedModel> m = registry_.Acquire(name, err);
  if (!m) return SendError(w, false, err);
  json info = json::object();
  for (const auto& kv : m->model->gguf().metadata()) {
    if (kv.key.rfind("tokenizer.ggml.", 0) == 0 && kv.value.is_array()) {
      info[kv.key] = nullptr;  // Ollama leaves the big vocab arrays out unless verbose
      continue;
    }
    const GgufValue& v = kv.value;
    if (v.type() == GgufValueType::STRING) info[kv.key] = v.as_string();
    else if (v.type() == GgufValueType::BOOL) info[kv.key] = v.as_bool();
    else if (v.is_float()) info[kv.key] = v.as_f64();
    else if (v.is_integer()) info[kv.key] = v.as_i64();
    else info[kv.key] = v.ToDisplayString();
  }
  const auto& o = m->engine->options();
  std::string params = "num_ctx " + std::to_string(o.ctx) + "\n";
  json body = {{"modelfile", "FROM " + m->path + "\n"},
               {"parameters", params},
               {"template", m->template_source},
               {"details", Details(m.get())},
               {"model_info", info},
               {"capabilities", json::array({"completion", "embedding"})},
               {"modified_at", Rfc3339Now()}};
  registry_.Release(m, -2);
  w.Send(200, "application/json", Dump(body));
}

void Server::Delete(const HttpRequest& req, ResponseWriter& w) {
  std::string name;
  ApiError err;
  if (!ParseOllamaModelRequest(req.body, name, err) || !registry_.Delete(name, err)) return SendError(w, false, err);
  w.Send(200, "application/json", "");
}

void Server::Copy(const HttpRequest& req, ResponseWriter& w) {
  std::string src, dst;
  ApiError err;
  if (!ParseOllamaCopyRequest(req.body, src, dst, err) || !registry_.Copy(src, dst, err)) return SendError(w, false, err);
  w.Send(200, "application/json", "");
}

// ---------------------------------------------------------------------------------------
// /metrics (Prometheus text format 0.0.4)
// ---------------------------------------------------------------------------------------

void Server::Metrics(ResponseWriter& w) {
  engine::EngineStats total = registry_.retired();
  // Gauges describe now: only loaded models count.
  total.running = total.waiting = 0;
  total.kv_usage = 0;
  total.kv_blocks = 0;
  for (const auto& m : registry_.Loaded()) AccumulateStats(total, m->engine->Stats());
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out += std::string(name) + " " + buf + "\n";
  };
  auto histogram = [&](const char* name, const char* help, const engine::Histogram::Snapshot& h) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
    char buf[128];
    for (size_t i = 0; i < h.bounds.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s_bucket{le=\"%g\"} %llu\n", name, h.bounds[i],
                    static_cast<unsigned long long>(h.cumulative[i]));
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "%s_bucket{le=\"+Inf\"} %llu\n", name,
                  static_cast<unsigned long long>(h.cumulative.empty() ? 0 : h.cumulative.back()));
    out += buf;
    std::snprintf(buf, sizeof buf, "%s_sum %.17g\n%s_count %llu\n", name, h.sum, name, static_cast<unsigned long long>(h.count));
    out += buf;
  };
  metric("flywheel_requests_running", "gauge", "Requests currently generating (admitted to the batch).", total.running);
  metric("flywheel_requests_waiting", "gauge", "Requests queued, not yet admitted.", total.waiting);
  metric("flywheel_requests_total", "counter", "Generation requests accepted by the engines.", static_cast<double>(total.requests_total));
  metric("flywheel_prompt_tokens_total", "counter", "Prompt tokens of admitted requests (prefix-cache hits included).",
         static_cast<double>(total.prompt_tokens_total));
  metric("flywheel_generation_tokens_total", "counter", "Tokens generated.", static_cast<double>(total.generation_tokens_total));
  metric("flywheel_engine_steps_total", "counter", "Engine steps (batched forward passes).", static_cast<double>(total.steps_total));
  histogram("flywheel_time_to_first_token_seconds", "Time from request arrival to its first generated token.", total.ttft);
  histogram("flywheel_inter_token_latency_seconds", "Time between consecutive generated tokens of a request.", total.itl);
  metric("flywheel_kv_cache_usage_ratio", "gauge", "Fraction of KV cache blocks held by running requests.", total.kv_usage);
  metric("flywheel_kv_cache_blocks", "gauge", "KV cache blocks of the loaded models.", total.kv_blocks);
  metric("flywheel_prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache.",
         static_cast<double>(total.prefix_queried_tokens));
  metric("flywheel_prefix_cache_hits_total", "counter", "Prompt tokens served from the prefix cache.",
         static_cast<double>(total.prefix_hit_tokens));
  metric("flywheel_models_loaded", "gauge", "Models loaded.", static_cast<double>(registry_.Loaded().size()));
  out += "# HELP flywheel_http_responses_total HTTP responses by status code.\n# TYPE flywheel_http_responses_total counter\n";
  {
    std::lock_guard<std::mutex> lock(counts_mu_);
    for (auto& [code, n] : status_counts_)
      out += "flywheel_http_responses_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  w.Send(200, "text/plain; version=0.0.4; charset=utf-8", out);
}

}  // namespace fw::server
