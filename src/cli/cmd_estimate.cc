// flywheel estimate MODEL [--ctx N] [--parallel N] [--kv-type f16|q8_0|f32] [--json]
// Memory a run needs: weights (mmapped), KV cache, compute buffers (model/memory_estimate.h).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "model/memory_estimate.h"
#include "model/model.h"

namespace fw::cli {
namespace {

int RunEstimate(int argc, char** argv) {
  CLI::App app("Memory needed to run a model: weights, KV cache, compute buffers", "flywheel estimate");
  std::string model_path, kv = "f16";
  int32_t n_ctx = 0, parallel = 1, n_batch = 512, n_threads = 1;
  bool as_json = false;
  app.add_option("model", model_path, "GGUF model file")->required();
  app.add_option("--ctx", n_ctx, "context size per sequence (default: the model's, at most 4096)");
  app.add_option("--parallel", parallel, "sequences held at once");
  app.add_option("--kv-type", kv, "KV cache element type: f16, q8_0 or f32");
  app.add_option("--batch", n_batch, "tokens per forward pass");
  app.add_option("-t,--threads", n_threads, "threads (each has an attention scratch row)");
  app.add_flag("--json", as_json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);

  auto kv_type = runtime::ParseKvType(kv);
  if (!kv_type) return Fail("--kv-type must be f16, q8_0 or f32");
  if (parallel < 1 || n_batch < 1 || n_threads < 1) return Fail("--parallel, --batch and --threads must be positive");
  auto model = model::Model::Load(model_path);
  if (!model.ok()) return Fail(model_path + ": " + model.message());
  const model::HParams& hp = (*model)->hparams();
  model::SessionOptions o;
  o.n_ctx = n_ctx > 0 ? n_ctx : std::min(hp.n_ctx_train, 4096);
  o.n_seq = parallel;
  o.n_batch = n_batch;
  o.n_threads = n_threads;
  o.kv_type = *kv_type;
  o.max_outputs = parallel;  // as `run` sizes it: one logits row per sequence and step
  const model::MemoryEstimate e = model::EstimateMemory(**model, o);
  if (as_json) {
    nlohmann::json j = {{"ctx", o.n_ctx},
                        {"parallel", parallel},
                        {"kv_type", std::string(runtime::KvTypeName(*kv_type))},
                        {"weight_bytes", e.weight_bytes},
                        {"kv_bytes_per_seq", e.kv_bytes_per_seq},
                        {"kv_bytes", e.kv_bytes},
                        {"compute_bytes", e.compute_bytes},
                        {"total_bytes", e.total_bytes()}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("model            %s (%s, %d layers, %d kv heads x %d)\n", model_path.c_str(), hp.arch.c_str(),
              hp.n_layer, hp.n_head_kv, hp.head_dim_k);
  std::printf("weights          %s\n", model::FormatBytes(e.weight_bytes).c_str());
  std::printf("KV cache         %s per sequence x %d = %s (%s, ctx %d)\n", model::FormatBytes(e.kv_bytes_per_seq).c_str(),
              parallel, model::FormatBytes(e.kv_bytes).c_str(), std::string(runtime::KvTypeName(*kv_type)).c_str(), o.n_ctx);
  std::printf("compute buffers  %s\n", model::FormatBytes(e.compute_bytes).c_str());
  std::printf("total            %s\n", model::FormatBytes(e.total_bytes()).c_str());
  return 0;
}

}  // namespace

FW_REGISTER_COMMAND("estimate", "memory needed to run a model (weights, KV cache, buffers)", RunEstimate, 65);

}  // namespace fw::cli
