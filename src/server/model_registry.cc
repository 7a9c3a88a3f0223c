#include "server/model_registry.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "base/mapped_file.h"

namespace fw::server {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<ModelEntry> EntryFor(const std::string& path, const std::string& name) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::is_regular_file(st)) return std::nullopt;
  ModelEntry e;
  e.name = name;
  e.path = path;
  e.size = fs::file_size(path, ec);
  struct stat sb {};
  if (::stat(path.c_str(), &sb) == 0) e.modified_unix = sb.st_mtime;
  return e;
}

Clock::time_point ExpiryFrom(double keep_alive_s) {
  if (keep_alive_s < 0) return Clock::time_point::max();
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(keep_alive_s * 1000));
}
}  // namespace

std::string ModelRegistry::NormalizeName(const std::string& raw) {
  std::string name = raw;
  if (EndsWith(name, ":latest")) name.resize(name.size() - 7);
  if (EndsWith(name, ".gguf")) name.resize(name.size() - 5);
  if (name.empty() || name.size() > 200 || name[0] == '.') return "";
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return "";
  return name;
}

ModelRegistry::~ModelRegistry() {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_.clear();
}

std::vector<ModelEntry> ModelRegistry::List() const {
  std::vector<ModelEntry> out;
  if (!options_.model_path.empty()) {
    const std::string name = fs::path(options_.model_path).stem().string();
    if (auto e = EntryFor(options_.model_path, name)) out.push_back(*e);
  }
  if (!options_.models_dir.empty()) {
    std::error_code ec;
    std::map<std::string, ModelEntry> sorted;
    for (const auto& d : fs::directory_iterator(options_.models_dir, ec)) {
      const std::string file = d.path().filename().string();
      if (!EndsWith(file, ".gguf")) continue;
      const std::string name = file.substr(0, file.size() - 5);
      if (NormalizeName(name) != name) continue;
      if (auto e = EntryFor(d.path().string(), name)) sorted.emplace(name, *e);
    }
    for (auto& [n, e] : sorted) out.push_back(e);
  }
  return out;
}

std::optional<ModelEntry> ModelRegistry::Find(const std::string& raw) const {
  const std::string name = NormalizeName(raw);
  if (name.empty()) return std::nullopt;
  for (auto& e : List())
    if (e.name == name) return e;
  return std::nullopt;
}

Result<std::shared_ptr<LoadedModel>> ModelRegistry::LoadModel(const ModelEntry& e) const {
  const auto t0 = std::chrono::steady_clock::now();
  auto m = std::make_shared<LoadedModel>();
  m->name = e.name;
  m->path = e.path;
  m->size = e.size;
  FW_ASSIGN_OR_RETURN(m->model, model::Model::Load(e.path));
  FW_ASSIGN_OR_RETURN(m->tokenizer, Tokenizer::FromGguf(m->model->gguf()));
  std::string source = options_.chat_template_override;
  if (source.empty() && m->model->gguf().Has("tokenizer.chat_template")) {
    auto s = m->model->gguf().GetString("tokenizer.chat_template");
    if (s.ok()) source = *s;
  }
  if (!source.empty()) {
    auto t = ChatTemplate::Parse(source);
    if (!t.ok()) return Status::Error("the chat template does not parse: " + t.message());
    m->chat_template = std::move(t).value();
    m->template_source = source;
  }
  engine::EngineOptions eo = options_.engine;
  if (m->model->hparams().n_ctx_train > 0) eo.ctx = std::min(eo.ctx, std::max<int32_t>(m->model->hparams().n_ctx_train, 1));
  FW_ASSIGN_OR_RETURN(m->engine, engine::Engine::Create(*m->model, *m->tokenizer, eo));
  m->load_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

std::shared_ptr<LoadedModel> ModelRegistry::Acquire(const std::string& raw, ApiError& err) {
  const std::string name = NormalizeName(raw);
  auto find_loaded = [&]() -> std::shared_ptr<LoadedModel> {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& m : loaded_)
      if (m->name == name) {
        ++m->users;
        return m;
      }
    return nullptr;
  };
  if (!name.empty())
    if (auto m = find_loaded()) return m;
  const std::optional<ModelEntry> entry = name.empty() ? std::nullopt : Find(name);
  if (!entry) {
    err.status = 404;
    err.type = "invalid_request_error";
    err.code = "model_not_found";
    err.param = "model";
    err.message = "model '" + raw + "' not found";
    return nullptr;
  }
  std::lock_guard<std::mutex> load_lock(load_mu_);
  if (auto m = find_loaded()) return m;  // loaded while we waited
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (static_cast<int>(loaded_.size()) >= std::max(1, options_.max_loaded)) {
      auto idle = std::min_element(loaded_.begin(), loaded_.end(), [](const auto& a, const auto& b) {
        if ((a->users == 0) != (b->users == 0)) return a->users == 0;
        return a->expires_at < b->expires_at;
      });
      if ((*idle)->users != 0) {
        err.status = 503;
        err.type = "server_error";
        err.message = "all loaded models are busy; retry later";
        return nullptr;
      }
      Retire(**idle);
      loaded_.erase(idle);
    }
  }
  auto loaded = LoadModel(*entry);
  if (!loaded.ok()) {
    err.status = 500;
    err.type = "server_error";
    err.message = "cannot load model '" + entry->name + "': " + loaded.message();
    return nullptr;
  }
  std::shared_ptr<LoadedModel> m = std::move(loaded).value();
  std::lock_guard<std::mutex> lock(mu_);
  m->users = 1;
  m->expires_at = ExpiryFrom(options_.default_keep_alive_s);
  loaded_.push_back(m);
  return m;
}

void ModelRegistry::Release(const std::shared_ptr<LoadedModel>& m, double keep_alive_s) {
  if (!m) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (m->users > 0) --m->users;
  m->expires_at = ExpiryFrom(keep_alive_s == -2 ? options_.default_keep_alive_s : keep_alive_s);
}

void ModelRegistry::Unload(const std::string& raw) {
  const std::string name = NormalizeName(raw);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = loaded_.begin(); it != loaded_.end(); ++it) {
    if ((*it)->name == name && (*it)->users == 0) {
      Retire(**it);
      loaded_.erase(it);
      return;
    }
  }
}

std::vector<std::shared_ptr<LoadedModel>> ModelRegistry::Loaded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loaded_;
}

void ModelRegistry::ReapExpired() {
  std::vector<std::shared_ptr<LoadedModel>> gone;  // destroyed outside the lock
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    for (auto it = loaded_.begin(); it != loaded_.end();) {
      if ((*it)->users == 0 && (*it)->expires_at <= now) {
        Retire(**it);
        gone.push_back(*it);
        it = loaded_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

void ModelRegistry::Retire(const LoadedModel& m) { AccumulateStats(retired_, m.engine->Stats()); }

engine::EngineStats ModelRegistry::retired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retired_;
}

bool ModelRegistry::Delete(const std::string& raw, ApiError& err) {
  const std::optional<ModelEntry> e = Find(raw);
  if (!e) {
    err = {404, "model '" + raw + "' not found", "invalid_request_error", "model", "model_not_found"};
    return false;
  }
  if (options_.models_dir.empty() || fs::path(e->path).parent_path() != fs::path(options_.models_dir)) {
    err = {403, "only models in --models-dir can be deleted", "invalid_request_error", "model", ""};
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = loaded_.begin(); it != loaded_.end(); ++it)
      if ((*it)->name == e->name) {
        if ((*it)->users > 0) {
          err = {409, "model '" + e->name + "' is in use", "invalid_request_error", "model", ""};
          return false;
        }
        Retire(**it);
        loaded_.erase(it);
        break;
      }
  }
  std::error_code ec;
  fs::remove(e->path, ec);  // a symlink goes, its target stays
  if (ec) {
    err = {500, "cannot delete " + e->name + ": " + ec.message(), "server_error", "", ""};
    return false;
  }
  return true;
}

bool ModelRegistry::Copy(const std::string& source, const std::string& destination, ApiError& err) {
  const std::optional<ModelEntry> src = Find(source);
  if (!src) {
    err = {404, "model '" + source + "' not found", "invalid_request_error", "source", "model_not_found"};
    return false;
  }
  const std::string dst = NormalizeName(destination);
  if (dst.empty()) {
    err = {400, "invalid destination name '" + destination + "'", "invalid_request_error", "destination", ""};
    return false;
  }
  if (options_.models_dir.empty()) {
    err = {403, "copying needs --models-dir", "invalid_request_error", "", ""};
    return false;
  }
  const fs::path target = fs::path(options_.models_dir) / (dst + ".gguf");
  std::error_code ec;
  if (fs::exists(target, ec)) {
    err = {409, "model '" + dst + "' already exists", "invalid_request_error", "destination", ""};
    return false;
  }
  // A hard link shares the bytes like Ollama's content-addressed blobs; copy across devices.
  fs::create_hard_link(fs::canonical(src->path, ec), target, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(src->path, target, ec);
  }
  if (ec) {
    err = {500, "cannot copy: " + ec.message(), "server_error", "", ""};
    return false;
  }
  return true;
}

void AccumulateStats(engine::EngineStats& a, const engine::EngineStats& b) {
  a.running += b.running;
  a.waiting += b.waiting;
  a.requests_total += b.requests_total;
  a.prompt_tokens_total += b.prompt_tokens_total;
  a.generation_tokens_total += b.generation_tokens_total;
  a.prefix_queried_tokens += b.prefix_queried_tokens;
  a.prefix_hit_tokens += b.prefix_hit_tokens;
  a.steps_total += b.steps_total;
  const double used = a.kv_usage * a.kv_blocks + b.kv_usage * b.kv_blocks;
  a.kv_blocks += b.kv_blocks;
  a.kv_usage = a.kv_blocks > 0 ? used / a.kv_blocks : 0.0;
  auto merge = [](engine::Histogram::Snapshot& x, const engine::Histogram::Snapshot& y) {
    if (y.cumulative.empty()) return;
    if (x.cumulative.empty()) {
      x = y;
      return;
    }
    for (size_t i = 0; i < x.cumulative.size() && i < y.cumulative.size(); ++i) x.cumulative[i] += y.cumulative[i];
    x.sum += y.sum;
    x.count += y.count;
  };
  merge(a.ttft, b.ttft);
  merge(a.itl, b.itl);
}

// ---------------------------------------------------------------------------------------
// LoadedModel
// ---------------------------------------------------------------------------------------

std::vector<int32_t> LoadedModel::Tokenize(const std::string& text) const { return tokenizer->Encode(text, true, true); }

Result<std::vector<int32_t>> LoadedModel::ChatPrompt(const std::vector<ChatMessage>& messages,
                                                     const nlohmann::json& tools) const {
  nlohmann::json msgs = nlohmann::json::array();
  for (const auto& m : messages) {
    nlohmann::json j = m.extra.is_object() ? m.extra : nlohmann::json::object();
    j["role"] = m.role;
    j["content"] = m.content;
    msgs.push_back(std::move(j));
  }
  std::string text;
  if (chat_template) {
    nlohmann::json ctx;
    ctx["messages"] = msgs;
    ctx["add_generation_prompt"] = true;
    const int32_t bos = tokenizer->bos_id(), eos = tokenizer->eos_id();
    ctx["bos_token"] = bos >= 0 ? tokenizer->token_text(bos) : "";
    ctx["eos_token"] = eos >= 0 ? tokenizer->token_text(eos) : "";
    if (!tools.is_null() && !tools.empty()) ctx["tools"] = tools;
    auto r = chat_template->Render(ctx);
    if (!r.ok()) return Status::Error("the chat template failed: " + r.message());
    text = std::move(r).value();
  } else {
    text = RenderFallbackChat(msgs, true);
  }
  std::vector<int32_t> ids = tokenizer->Encode(text, true, true);
  const int32_t bos = tokenizer->bos_id();
  if (ids.size() >= 2 && bos >= 0 && ids[0] == bos && ids[1] == bos) ids.erase(ids.begin());
  return ids;
}

std::string LoadedModel::family() const { return model->hparams().arch; }

std::string LoadedModel::quantization() const {
  std::map<std::string, uint64_t> bytes;
  for (const auto& t : model->gguf().tensors()) bytes[std::string(TypeName(t.type))] += t.size_bytes;
  std::string best = "unknown";
  uint64_t most = 0;
  for (auto& [k, v] : bytes)
    if (v > most) {
      most = v;
      best = k;
    }
  for (char& c : best) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return best;
}

std::string LoadedModel::parameter_size() const {
  double n = 0;
  for (const auto& t : model->gguf().tensors()) n += static_cast<double>(t.n_elements());
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.1fB", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  else std::snprintf(buf, sizeof buf, "%.0fK", n / 1e3);
  return buf;
}

}  // namespace fw::server
