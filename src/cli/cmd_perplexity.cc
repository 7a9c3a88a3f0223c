// flywheel perplexity MODEL -f FILE [--ctx 128] [--batch N] [--chars N] [--json]
// Perplexity with llama.cpp's definition (see model/perplexity.h).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "model/model.h"
#include "model/perplexity.h"
#include "tokenizer/tokenizer.h"

namespace fw::cli {
namespace {

// The first n code points of UTF-8 text (n < 0: all of it).
std::string FirstCodePoints(const std::string& s, int64_t n) {
  if (n < 0) return s;
  size_t i = 0;
  int64_t count = 0;
  for (; i < s.size(); ++i) {
    const bool starts_code_point = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_code_point) {
      if (count == n) break;
      ++count;
    }
  }
  return s.substr(0, i);
}

int RunPerplexity(int argc, char** argv) {
  CLI::App app("Perplexity of a model over a text file (llama.cpp's method)", "flywheel perplexity");
  std::string model_path, text_path;
  int32_t n_ctx = 128, n_batch = 0, n_threads = 0;
  int64_t chars = -1;
  bool as_json = false;
  std::string kv = "f16";
  app.add_option("model", model_path, "GGUF model file")->required();
  app.add_option("-f,--file", text_path, "text file")->required();
  app.add_option("--ctx", n_ctx, "tokens per chunk (the second half of each is scored)");
  app.add_option("--batch", n_batch, "tokens per forward pass (default: --ctx)");
  app.add_option("--chars", chars, "use only the first N characters (code points) of the file");
  app.add_option("-t,--threads", n_threads, "threads (default: all cores)");
  app.add_option("--kv-type", kv, "KV cache type: f16 or f32");
  app.add_flag("--json", as_json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(text_path, std::ios::binary);
  if (!in) return Fail(text_path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = FirstCodePoints(ss.str(), chars);

  auto model = model::Model::Load(model_path);
  if (!model.ok()) return Fail(model_path + ": " + model.message());
  auto tok = Tokenizer::FromGguf((*model)->gguf());
  if (!tok.ok()) return Fail(model_path + ": tokenizer: " + tok.message());
  auto kv_type = runtime::ParseKvType(kv);
  if (!kv_type || !runtime::KvTypeStorable(*kv_type)) return Fail("--kv-type must be f16 or f32");

  const std::vector<int32_t> tokens = (*tok)->Encode(text, /*add_special=*/true, /*parse_special=*/false);
  model::PerplexityOptions o;
  o.n_ctx = n_ctx;
  o.n_batch = n_batch > 0 ? n_batch : n_ctx;
  o.n_threads = n_threads > 0 ? n_threads : std::max(1u, std::thread::hardware_concurrency());
  o.bos_id = (*tok)->add_bos() ? (*tok)->bos_id() : -1;
  o.kv_type = *kv_type;
  if (!as_json)
    std::fprintf(stderr, "%zu tokens, %zu chunks of %d\n", tokens.size(), tokens.size() / static_cast<size_t>(std::max(1, n_ctx)), n_ctx);
  auto r = model::ComputePerplexity(**model, tokens, o, [&](int32_t chunk, double ppl) {
    if (!as_json) std::fprintf(stderr, "[%d]%.4f%s", chunk + 1, ppl, (chunk + 1) % 10 == 0 ? "\n" : " ");
  });
  if (!r.ok()) return Fail(r.message());
  if (as_json) {
    nlohmann::json j = {{"ppl", r->ppl},           {"stderr", r->stderr_ppl}, {"n_tokens", tokens.size()},
                        {"n_chunks", r->n_chunks}, {"n_scored", r->n_scored}, {"n_ctx", n_ctx},
                        {"mean_nll", r->mean_nll}, {"chunk_ppl", r->chunk_ppl}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::fprintf(stderr, "\n");
    std::printf("PPL = %.4f +/- %.5f\n", r->ppl, r->stderr_ppl);
  }
  return 0;
}

}  // namespace

FW_REGISTER_COMMAND("perplexity", "perplexity of a model over a text (llama.cpp's method)", RunPerplexity, 60);

}  // namespace fw::cli
