// `flywheel serve`: the OpenAI (/v1/*) and Ollama (/api/*) APIs, /health and /metrics over
// HttpServer, with models from a ModelRegistry and generation by each model's Engine.
// Handlers validate the body (api_request.h), render and tokenize the prompt, submit it to
// the engine and then only consume its RequestStream, streaming SSE (OpenAI) or NDJSON
// (Ollama). A client that hangs up cancels its request.
//
// Thread-safety: handlers run concurrently on connection threads; everything they share is
// thread-safe (registry, engines, metrics).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "server/api_request.h"
#include "server/http_server.h"
#include "server/model_registry.h"

namespace fw::server {

struct ServerOptions {
  HttpServerOptions http;
  RegistryOptions models;
  std::string api_key;  // non-empty: every endpoint but /health needs "Authorization: Bearer <key>"
  std::string version = "0.1.0";
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Listens (port 0 picks a free one) and serves on background threads.
  Status Start();
  // Listens and serves on this thread until Stop().
  Status Run();
  void Stop();
  int port() const { return http_->port(); }
  ModelRegistry& registry() { return registry_; }

  // The whole request -> response mapping (public for in-process tests).
  void Handle(const HttpRequest& req, ResponseWriter& w);

 private:
  bool Authorized(const HttpRequest& req) const;
  void SendError(ResponseWriter& w, bool openai, const ApiError& e, const HttpHeaders& extra = {});
  void CountRequest(int status);

  // OpenAI
  void ChatCompletions(const HttpRequest& req, ResponseWriter& w);
  void Completions(const HttpRequest& req, ResponseWriter& w);
  void Embeddings(const HttpRequest& req, ResponseWriter& w, bool openai, bool legacy);
  void ListModels(const HttpRequest& req, ResponseWriter& w);
  // Ollama
  void Generate(const HttpRequest& req, ResponseWriter& w);
  void Chat(const HttpRequest& req, ResponseWriter& w);
  void Tags(ResponseWriter& w);
  void Show(const HttpRequest& req, ResponseWriter& w);
  void Ps(ResponseWriter& w);
  void Delete(const HttpRequest& req, ResponseWriter& w);
  void Copy(const HttpRequest& req, ResponseWriter& w);
  // Observability
  void Metrics(ResponseWriter& w);

  ServerOptions options_;
  ModelRegistry registry_;
  std::unique_ptr<HttpServer> http_;
  std::thread reaper_;
  std::atomic<bool> stopping_{false};
  std::mutex counts_mu_;
  std::map<int, uint64_t> status_counts_;  // HTTP responses by status code
};

}  // namespace fw::server
