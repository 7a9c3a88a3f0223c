// flywheel run MODEL [PROMPT]: generate text with a model.
//
//   with a PROMPT (or a prompt piped on stdin): one completion streamed to stdout, then a
//   summary line on stderr; --json prints one JSON object instead.
//   without a prompt on a terminal: an interactive chat (/bye, /clear, """ multi-line """).
// The prompt goes through the model's chat template (tokenizer.chat_template) when it has
// one, else (or with --raw) it is a plain completion with BOS as the vocab says.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "cli/command.h"
#include "cli/remote.h"
#include "gguf/gguf_file.h"
#include "model/generator.h"
#include "model/memory_estimate.h"
#include "model/model.h"
#include "model/session.h"
#include "model/tensor_dump.h"
#include "tokenizer/tokenizer.h"

namespace fw::cli {
namespace {

struct RunFlags {
  std::string model_path;
  std::string prompt;
  int32_t max_tokens = -1;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float typical_p = 1.0f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int64_t seed = -1;
  int32_t n_ctx = 0;
  int32_t n_batch = 512;
  int32_t n_threads = 0;
  std::vector<std::string> stops;
  std::string system;
  bool raw = false;
  bool json = false;
  int32_t logprobs = 0;
  bool truncate = false;
  std::string kv_type = "f16";
  std::string dump_tensors;  // file for every forward stage's activations (model/tensor_dump.h)
};

// A field of /proc/self/status ("VmRSS", "RssAnon", ...) in bytes (0 when unavailable).
uint64_t StatusBytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Resident bytes of this process's mappings of `path` (the mmapped GGUF): the "Rss:" of
// every /proc/self/smaps entry naming the file, i.e. the weight pages this run touched.
uint64_t MappedResidentBytes(const std::string& path) {
  std::error_code ec;
  const std::string real = std::filesystem::canonical(path, ec).string();
  if (ec) return 0;
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool in_file = false;
  uint64_t total = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(':') > line.find(' ')) {
      in_file = line.size() >= real.size() && line.compare(line.size() - real.size(), real.size(), real) == 0;
    } else if (in_file && line.rfind("Rss:", 0) == 0) {
      total += std::stoull(line.substr(4)) * 1024;
    }
  }
  return total;
}

// Everything one `run` invocation holds.
struct RunContext {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<Tokenizer> tok;
  std::unique_ptr<model::Session> session;
  std::optional<ChatTemplate> chat_template;
  std::string bos_text, eos_text;
  uint64_t anon_baseline = 0;  // RssAnon before the session's buffers were allocated
  model::MemoryEstimate estimate;
  std::unique_ptr<model::TensorDump> dump;  // --dump-tensors; attached to the session's forward pass
};

runtime::SamplerParams SamplingFrom(const RunFlags& f) {
  runtime::SamplerParams p;
  p.temperature = f.temperature;
  p.top_k = f.top_k;
  p.top_p = f.top_p;
  p.min_p = f.min_p;
  p.typical_p = f.typical_p;
  p.repeat_penalty = f.repeat_penalty;
  p.penalty_last_n = f.repeat_last_n;
  p.frequency_penalty = f.frequency_penalty;
  p.presence_penalty = f.presence_penalty;
  p.seed = f.seed >= 0 ? static_cast<uint64_t>(f.seed) : std::random_device{}();
  return p;
}

// Renders messages with the model's template (or the fallback format) and tokenizes.
Result<std::vector<int32_t>> ChatTokens(const RunContext& c, const nlohmann::json& messages) {
  std::string text;
  if (c.chat_template) {
    nlohmann::json ctx = {{"messages", messages},
                          {"add_generation_prompt", true},
                          {"bos_token", c.bos_text},
                          {"eos_token", c.eos_text}};
    FW_ASSIGN_OR_RETURN(text, c.chat_template->Render(ctx));
  } else {
    text = RenderFallbackChat(messages, true);
  }
  // Templates usually write the BOS text themselves; add it only when they do not.
  const bool has_bos_text = !c.bos_text.empty() && text.rfind(c.bos_text, 0) == 0;
  return c.tok->Encode(text, /*add_special=*/!has_bos_text, /*parse_special=*/true);
}

int OneShot(RunContext& c, const RunFlags& f, std::string prompt) {
  std::vector<int32_t> ids;
  if (f.raw || !c.chat_template) {
    ids = c.tok->Encode(prompt, true, true);
  } else {
    nlohmann::json messages = nlohmann::json::array();
    if (!f.system.empty()) messages.push_back({{"role", "system"}, {"content", f.system}});
    messages.push_back({{"role", "user"}, {"content", prompt}});
    auto r = ChatTokens(c, messages);
    if (!r.ok()) return Fail("chat template: " + r.message());
    ids = std::move(r).value();
  }
  const int32_t n_ctx = c.session->options().n_ctx;
  int32_t truncated = 0;
  if (static_cast<int32_t>(ids.size()) >= n_ctx) {
    if (!f.truncate)
      return Fail(fmt::format("prompt is {} tokens, the context holds {} (use a larger --ctx, or --truncate to keep its end)",
                              ids.size(), n_ctx));
    // Keep the first token (BOS, when there is one) and the last tokens; leave room for a quarter
    // of the context to generate into.
    const size_t keep = static_cast<size_t>(std::max(1, n_ctx - std::max(1, n_ctx / 4)));
    truncated = static_cast<int32_t>(ids.size() - keep);
    std::vector<int32_t> t;
    t.push_back(ids[0]);
    t.insert(t.end(), ids.end() - static_cast<std::ptrdiff_t>(keep - 1), ids.end());
    ids = std::move(t);
    std::fprintf(stderr, "flywheel: prompt truncated: dropped %d tokens to fit the context of %d\n", truncated, n_ctx);
  }
  if (ids.empty()) return Fail("empty prompt: the vocab adds no BOS, give some text");

  model::GenerateRequest req;
  req.prompt = ids;
  req.max_tokens = f.max_tokens;
  req.sampling = SamplingFrom(f);
  req.stops = f.stops;
  req.n_top_logprobs = f.logprobs;
  req.logprobs = f.json;
  model::Generator gen(*c.session, *c.tok);
  auto result = gen.Generate(req, [&](std::string_view piece) {
    if (f.json) return;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (!result.ok()) return Fail(result.message());
  const model::GenerateResult& r = *result;
  const double pps = r.prompt_seconds > 0 ? r.prompt_evaluated / r.prompt_seconds : 0.0;
  const double gps = r.generate_seconds > 0 ? r.tokens.size() / r.generate_seconds : 0.0;
  if (f.json) {
    nlohmann::json lps = nlohmann::json::array();
    for (const auto& lp : r.logprobs) {
      nlohmann::json top = nlohmann::json::array();
      for (const auto& [id, l] : lp.top) top.push_back({id, l});
      // The token's raw bytes (as OpenAI's logprobs "bytes"): a piece may be part of a character.
      nlohmann::json bytes = nlohmann::json::array();
      for (unsigned char ch : c.tok->TokenToPiece(lp.id)) bytes.push_back(static_cast<int>(ch));
      lps.push_back({{"id", lp.id}, {"logprob", lp.logprob}, {"bytes", bytes}, {"top", top}});
    }
    nlohmann::json out = {
        {"prompt_tokens", ids},
        {"tokens", r.tokens},
        {"text", r.text},
        {"stop_reason", r.stop_reason},
        {"logprobs", lps},
        {"truncated_prompt_tokens", truncated},
        {"timings",
         {{"prompt_n", r.prompt_evaluated},
          {"prompt_ms", r.prompt_seconds * 1e3},
          {"prompt_per_second", pps},
          {"predicted_n", r.tokens.size()},
          {"predicted_ms", r.generate_seconds * 1e3},
          {"predicted_per_second", gps}}},
        {"memory",
         // What this run holds beyond the process before the session existed: anonymous
         // memory allocated since then (KV cache, buffers) plus the weight pages mapped in.
         {{"rss_anon_baseline_bytes", c.anon_baseline},
          {"rss_anon_end_bytes", StatusBytes("RssAnon")},
          {"rss_model_mapping_bytes", MappedResidentBytes(f.model_path)},
          {"vm_rss_end_bytes", StatusBytes("VmRSS")},
          {"estimate_total_bytes", c.estimate.total_bytes()},
          {"estimate_weight_bytes", c.estimate.weight_bytes},
          {"estimate_kv_bytes", c.estimate.kv_bytes},
          {"estimate_compute_bytes", c.estimate.compute_bytes}}}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    std::fflush(stdout);  // the text ends before the summary, also when both go to one terminal
    std::fprintf(stderr, "prompt: %d tokens, %.1f tokens/s | generated: %zu tokens, %.1f tokens/s\n",
                 r.prompt_evaluated, pps, r.tokens.size(), gps);
  }
  return 0;
}

// Reads one user turn: a line, or the lines between """ and """. False at end of input.
bool ReadTurn(std::string& out) {
  out.clear();
  std::string line;
  std::fputs(">>> ", stdout);
  std::fflush(stdout);
  if (!std::getline(std::cin, line)) return false;
  if (line.rfind("\"\"\"", 0) != 0) {
    out = line;
    return true;
  }
  std::string rest = line.substr(3);
  for (;;) {
    const size_t end = rest.find("\"\"\"");
    if (end != std::string::npos) {
      out += rest.substr(0, end);
      return true;
    }
    out += rest + "\n";
    std::fputs("... ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, rest)) return true;
  }
}

int Interactive(RunContext& c, const RunFlags& f) {
  std::fprintf(stderr, "chat with %s (%s). /bye to quit, /clear to forget, \"\"\" for multi-line input.\n",
               f.model_path.c_str(), c.chat_template ? "chat template" : "fallback chat format");
  nlohmann::json messages = nlohmann::json::array();
  if (!f.system.empty()) messages.push_back({{"role", "system"}, {"content", f.system}});
  std::vector<int32_t> cached;  // tokens whose K/V the session holds, in order
  model::Generator gen(*c.session, *c.tok);
  runtime::SamplerParams sampling = SamplingFrom(f);
  std::string turn;
  while (ReadTurn(turn)) {
    if (turn == "/bye") break;
    if (turn == "/clear") {
      messages = nlohmann::json::array();
      if (!f.system.empty()) messages.push_back({{"role", "system"}, {"content", f.system}});
      c.session->Clear(0);
      cached.clear();
      std::fprintf(stderr, "(cleared)\n");
      continue;
    }
    if (turn.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", turn}});
    auto ids = ChatTokens(c, messages);
    if (!ids.ok()) return Fail("chat template: " + ids.message());
    // Reuse the cached prefix the new rendering shares with what the session holds.
    size_t common = 0;
    while (common < cached.size() && common < ids->size() && cached[common] == (*ids)[common]) ++common;
    if (common == ids->size() && common > 0) --common;  // at least one token must run
    c.session->Truncate(0, static_cast<int32_t>(common));
    cached.resize(common);
    model::GenerateRequest req;
    req.prompt.assign(ids->begin() + static_cast<std::ptrdiff_t>(common), ids->end());
    req.max_tokens = f.max_tokens;
    req.sampling = sampling;
    req.sampling.seed = sampling.seed + messages.size();
    req.stops = f.stops;
    auto r = gen.Generate(req, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    });
    std::printf("\n");
    if (!r.ok()) {
      std::fprintf(stderr, "flywheel: %s (use /clear or a larger --ctx)\n", r.message().c_str());
      messages.erase(messages.end() - 1);
      c.session->Clear(0);
      cached.clear();
      continue;
    }
    cached.insert(cached.end(), req.prompt.begin(), req.prompt.end());
    if (!r->tokens.empty()) cached.insert(cached.end(), r->tokens.begin(), r->tokens.end() - 1);
    messages.push_back({{"role", "assistant"}, {"content", r->text}});
  }
  return 0;
}

int RunRun(int argc, char** argv) {
  CLI::App app("Generate text with a model (chat on a terminal without a prompt)", "flywheel run");
  RunFlags f;
  app.add_option("model", f.model_path, "GGUF model file")->required();
  app.add_option("prompt", f.prompt, "prompt text (else stdin when piped, else interactive chat)");
  app.add_option("-n,--max-tokens", f.max_tokens, "tokens to generate (-1: until end of text or full context)");
  app.add_option("--temp", f.temperature, "temperature (0: greedy)");
  app.add_option("--top-k", f.top_k, "top-k (0: off)");
  app.add_option("--top-p", f.top_p, "top-p (1: off)");
  app.add_option("--min-p", f.min_p, "min-p (0: off)");
  app.add_option("--typical-p", f.typical_p, "typical-p (1: off)");
  app.add_option("--repeat-penalty", f.repeat_penalty, "repetition penalty (1: off)");
  app.add_option("--repeat-last-n", f.repeat_last_n, "tokens the penalties look back over");
  app.add_option("--frequency-penalty", f.frequency_penalty, "frequency penalty");
  app.add_option("--presence-penalty", f.presence_penalty, "presence penalty");
  app.add_option("--seed", f.seed, "random seed (default: random)");
  app.add_option("--ctx", f.n_ctx, "context size in tokens (default: the model's, at most 4096)");
  app.add_option("--batch", f.n_batch, "prompt tokens per forward pass");
  app.add_option("-t,--threads", f.n_threads, "threads (default: all cores)");
  app.add_option("--stop", f.stops, "stop string (repeatable)");
  app.add_option("--system", f.system, "system prompt");
  app.add_flag("--raw", f.raw, "no chat template: plain completion");
  app.add_flag("--json", f.json, "print one JSON object when done");
  app.add_option("--logprobs", f.logprobs, "record the K most likely tokens per step (with --json)");
  app.add_flag("--truncate", f.truncate, "drop the start of a prompt longer than the context");
  app.add_option("--kv-type", f.kv_type, "KV cache type: f16 or f32");
  app.add_option("--dump-tensors", f.dump_tensors,
                 "write every forward stage's activations to this file (format: src/model/tensor_dump.h)");
  std::string host;
  app.add_option("--host", host, "run on a server (flywheel serve or Ollama) at this URL; MODEL is its model name");
  CLI11_PARSE(app, argc, argv);

  if (!host.empty()) {
    // A client of the server's /api/generate: the model is loaded there, not here.
    RemoteRunOptions ro;
    ro.host = DefaultServerHost(host);
    ro.model = f.model_path;
    ro.prompt = f.prompt;
    ro.system = f.system;
    ro.raw = f.raw;
    ro.max_tokens = f.max_tokens;
    if (app.count("--temp") > 0) ro.temperature = f.temperature;
    ro.seed = f.seed;
    ro.stops = f.stops;
    return RunRemote(ro);
  }

  RunContext c;
  auto file = GgufFile::Open(f.model_path);
  if (!file.ok()) return Fail(f.model_path + ": " + file.message());
  auto kv_type = runtime::ParseKvType(f.kv_type);
  if (!kv_type || !runtime::KvTypeStorable(*kv_type)) return Fail("--kv-type must be f16 or f32");
  std::unique_ptr<GgufFile> gguf = std::move(file).value();
  auto model = model::Model::FromGguf(std::move(gguf));
  if (!model.ok()) return Fail(f.model_path + ": " + model.message());
  c.model = std::move(model).value();
  auto tok = Tokenizer::FromGguf(c.model->gguf());
  if (!tok.ok()) return Fail(f.model_path + ": tokenizer: " + tok.message());
  c.tok = std::move(tok).value();

  const model::HParams& hp = c.model->hparams();
  model::SessionOptions so;
  so.n_ctx = f.n_ctx > 0 ? f.n_ctx : std::min(hp.n_ctx_train, 4096);
  so.n_batch = std::max(1, f.n_batch);
  // Default threads: all cores for real models; tiny ones run faster on one (waking a pool
  // costs more than their matmuls).
  const uint64_t weight_bytes = c.model->weights().total_bytes;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  so.n_threads = f.n_threads > 0 ? f.n_threads
                                 : std::max(1, std::min<int>(cores, static_cast<int>(weight_bytes >> 24)));
  so.max_outputs = 1;  // generation needs the last token's logits only
  so.kv_type = *kv_type;
  c.estimate = model::EstimateMemory(*c.model, so);
  const uint64_t avail = model::AvailableMemoryBytes();
  if (avail > 0 && c.estimate.total_bytes() > avail)
    return Fail(fmt::format("{}: needs {} (weights {}, KV cache {}, buffers {}) but only {} is available; "
                            "use a smaller --ctx (KV is {} per token) or a smaller quantization",
                            f.model_path, model::FormatBytes(c.estimate.total_bytes()),
                            model::FormatBytes(c.estimate.weight_bytes), model::FormatBytes(c.estimate.kv_bytes),
                            model::FormatBytes(c.estimate.compute_bytes), model::FormatBytes(avail),
                            model::FormatBytes(c.estimate.kv_bytes_per_seq / std::max(1, so.n_ctx))));
  c.anon_baseline = StatusBytes("RssAnon");
  auto session = model::Session::Create(*c.model, so);
  if (!session.ok()) return Fail(session.message());
  c.session = std::move(session).value();
  if (!f.dump_tensors.empty()) {
    auto dump = model::TensorDump::Open(f.dump_tensors);
    if (!dump.ok()) return Fail(dump.message());
    c.dump = std::move(dump).value();
    c.dump->Attach(c.session->forward());
  }

  if (!f.raw && c.model->gguf().Has("tokenizer.chat_template")) {
    auto src = c.model->gguf().GetString("tokenizer.chat_template");
    if (!src.ok()) return Fail(f.model_path + ": " + src.message());
    auto tmpl = ChatTemplate::Parse(*src);
    if (!tmpl.ok()) return Fail(f.model_path + ": chat template: " + tmpl.message());
    c.chat_template = std::move(tmpl).value();
  }
  if (c.tok->bos_id() >= 0) c.bos_text = c.tok->token_text(c.tok->bos_id());
  if (c.tok->eos_id() >= 0) c.eos_text = c.tok->token_text(c.tok->eos_id());

  if (!app.count("prompt")) {
    if (isatty(STDIN_FILENO)) return Interactive(c, f);
    std::stringstream ss;
    ss << std::cin.rdbuf();
    f.prompt = ss.str();
    if (!f.prompt.empty() && f.prompt.back() == '\n') f.prompt.pop_back();  // echo's newline
  }
  const int rc = OneShot(c, f, f.prompt);
  if (rc == 0 && c.dump != nullptr && !c.dump->status().ok()) return Fail(c.dump->status().message());
  return rc;
}

}  // namespace

FW_REGISTER_COMMAND("run", "generate text with a model (chat without a prompt)", RunRun, 20);

}  // namespace fw::cli
