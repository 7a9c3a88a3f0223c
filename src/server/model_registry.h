// The models a server can serve and the ones it has loaded. A model is addressed by its file
// name without ".gguf" (an Ollama-style ":latest" tag is accepted and ignored). Loading
// builds the Model, its Tokenizer, its chat template and an Engine; a loaded model stays
// until its keep-alive runs out, it is deleted, or room is needed for another.
//
// Thread-safety: every method may be called from any thread. A LoadedModel is shared: a
// handler holds a shared_ptr while it uses it, so unloading never pulls it from under a
// running request (the memory goes when the last user lets go).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "engine/engine.h"
#include "model/model.h"
#include "server/api_request.h"
#include "tokenizer/tokenizer.h"

namespace fw::server {

struct ModelEntry {
  std::string name;
  std::string path;
  uint64_t size = 0;
  int64_t modified_unix = 0;  // seconds
};

struct LoadedModel {
  std::string name, path;
  uint64_t size = 0;
  std::unique_ptr<model::Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat_template;  // absent: the documented fallback format
  std::string template_source;
  std::unique_ptr<engine::Engine> engine;
  int64_t load_ns = 0;
  // Guarded by the registry's mutex.
  std::chrono::system_clock::time_point expires_at;  // max() = never
  int users = 0;

  // The chat prompt as token ids: messages rendered with the template, BOS as the vocab says
  // (never doubled when the template writes it too).
  Result<std::vector<int32_t>> ChatPrompt(const std::vector<ChatMessage>& messages, const nlohmann::json& tools) const;
  // Plain text -> ids with BOS as the vocab says, special tokens parsed.
  std::vector<int32_t> Tokenize(const std::string& text) const;
  std::string family() const;
  std::string quantization() const;  // "Q8_0", "F16", ... of the largest weight tensor type
  std::string parameter_size() const;  // "260K", "1.1B"
};

struct RegistryOptions {
  std::string model_path;       // --model: serve exactly this file
  std::string models_dir;       // --models-dir: every *.gguf in it
  engine::EngineOptions engine;
  int max_loaded = 2;           // models loaded at once; the least recently used idle one goes
  double default_keep_alive_s = 300;
  std::string chat_template_override;  // Jinja source used instead of every model's own
};

class ModelRegistry {
 public:
  explicit ModelRegistry(RegistryOptions options) : options_(std::move(options)) {}
  ~ModelRegistry();

  std::vector<ModelEntry> List() const;
  std::optional<ModelEntry> Find(const std::string& name) const;
  // The loaded model, loading it when needed. Errors: 404 (unknown model), 500 (load failed),
  // 503 (every loaded model is busy and no more may be loaded).
  std::shared_ptr<LoadedModel> Acquire(const std::string& name, ApiError& err);
  // A handler is done with m; keep_alive_s (-2: the default) sets when it may be unloaded.
  void Release(const std::shared_ptr<LoadedModel>& m, double keep_alive_s);
  // Unloads m now if nobody uses it (keep_alive 0 on a load-only request).
  void Unload(const std::string& name);
  std::vector<std::shared_ptr<LoadedModel>> Loaded() const;
  // When m may be unloaded (read under the registry's lock).
  std::chrono::system_clock::time_point ExpiresAt(const LoadedModel& m) const {
    std::lock_guard<std::mutex> lock(mu_);
    return m.expires_at;
  }
  // Ends every request of every loaded model (server shutdown).
  void CancelAll() const {
    for (const auto& m : Loaded()) m->engine->CancelAll();
  }
  // Drops loaded models whose keep-alive has passed.
  void ReapExpired();
  bool Delete(const std::string& name, ApiError& err);
  bool Copy(const std::string& source, const std::string& destination, ApiError& err);

  // "stories260K:latest" -> "stories260K"; "" for names that cannot be a file name.
  static std::string NormalizeName(const std::string& name);
  const RegistryOptions& options() const { return options_; }
  // Sum of the statistics of unloaded models (so /metrics counters never go backwards).
  engine::EngineStats retired() const;

 private:
  Result<std::shared_ptr<LoadedModel>> LoadModel(const ModelEntry& e) const;
  void Retire(const LoadedModel& m);  // mu_ held

  RegistryOptions options_;
  mutable std::mutex mu_;
  std::mutex load_mu_;  // serializes loads (held without mu_)
  std::vector<std::shared_ptr<LoadedModel>> loaded_;
  engine::EngineStats retired_;
};

// Adds b's counters and histograms into a (gauges are summed too).
void AccumulateStats(engine::EngineStats& a, const engine::EngineStats& b);

}  // namespace fw::server
