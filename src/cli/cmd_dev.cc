// flywheel dev <tool>: developer tools for building and measuring the engine.
//   make-model  random-weight model of a real shape (see dev_make_model.h)
//   membw       streaming-read memory bandwidth (the decode roofline's denominator)
//   matmul      one MatMul on random weights: time, GFLOP/s and weight GB/s per kernel table
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/dev_make_model.h"
#include "kernels/cpu_features.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/matmul_dispatch.h"
#include "kernels/memory_bandwidth.h"
#include "kernels/thread_pool.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace fw::cli {
namespace {

int RunMakeModel(int argc, char** argv) {
  CLI::App app("Write a random-weight model of a real architecture and shape", "flywheel dev make-model");
  MakeModelOptions o;
  std::string shape_name, dims, type_name = "F16";
  app.add_option("--arch", o.shape.arch, "llama | qwen2 | qwen3 (with --dims)");
  app.add_option("--shape", shape_name, "tinyllama-1.1b | smollm2-135m | qwen2.5-0.5b | qwen3-0.6b");
  app.add_option("--dims", dims, "EMBD,LAYERS,HEADS,KV_HEADS,FFN[,HEAD_DIM] instead of --shape");
  app.add_flag("--tied", o.shape.tied, "with --dims: output shares token_embd");
  app.add_flag("--qkv-bias", o.shape.qkv_bias, "with --dims: q/k/v biases (qwen2)");
  app.add_option("--vocab", o.vocab_path, "vocabulary GGUF whose tokenizer.* keys are copied")->required();
  app.add_option("--vocab-size", o.vocab_size, "pad the vocabulary to this many tokens (e.g. 151936 for Qwen)");
  app.add_option("--type", type_name, "file type: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K IQ4_NL");
  app.add_option("--seed", o.seed, "random seed");
  app.add_option("-t,--threads", o.threads, "quantization threads");
  app.add_flag("-q,--quiet", o.quiet, "no progress on stderr");
  app.add_option("out", o.out_path, "output GGUF")->required();
  CLI11_PARSE(app, argc, argv);

  const std::string arch = o.shape.arch;
  if (!shape_name.empty()) {
    auto s = NamedShape(shape_name);
    if (!s) return Fail("dev make-model: unknown shape '" + shape_name + "'");
    const bool tied = o.shape.tied, bias = o.shape.qkv_bias;
    o.shape = *s;
    o.shape.tied = o.shape.tied || tied;
    o.shape.qkv_bias = o.shape.qkv_bias || bias;
    o.shape_name = shape_name;
  } else if (!dims.empty()) {
    std::vector<int64_t> v;
    size_t pos = 0;
    while (pos <= dims.size()) {
      const size_t comma = dims.find(',', pos);
      const std::string part = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      try {
        v.push_back(std::stoll(part));
      } catch (...) {
        return Fail("dev make-model: bad --dims '" + dims + "'");
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (v.size() != 5 && v.size() != 6) return Fail("dev make-model: --dims needs 5 or 6 numbers");
    o.shape.n_embd = v[0], o.shape.n_layer = v[1], o.shape.n_head = v[2], o.shape.n_head_kv = v[3], o.shape.n_ff = v[4];
    if (v.size() == 6) o.shape.head_dim = v[5];
    if (arch == "qwen2" || arch == "qwen3") o.shape.rope_base = 1000000.0f, o.shape.rms_eps = 1e-6f;
    if (arch == "qwen2") o.shape.qkv_bias = true;
  } else {
    return Fail("dev make-model: give --shape or --dims");
  }
  auto ft = ParseFileType(type_name);
  if (!ft) return Fail("dev make-model: unknown --type '" + type_name + "'");
  o.file_type = *ft;
  Status st = MakeModel(o);
  if (!st.ok()) return Fail(st.message());
  return 0;
}

int RunMembw(int argc, char** argv) {
  CLI::App app("Measure streaming-read memory bandwidth", "flywheel dev membw");
  int threads = 2, reps = 10;
  double mib = 1024;
  bool json = false;
  app.add_option("-t,--threads", threads, "threads");
  app.add_option("-r,--reps", reps, "repetitions");
  app.add_option("--mib", mib, "buffer size in MiB");
  app.add_flag("--json", json, "print a JSON object");
  CLI11_PARSE(app, argc, argv);
  kernels::ThreadPool pool(threads);
  const auto r = kernels::MeasureReadBandwidth(&pool, static_cast<size_t>(mib * 1048576.0), reps);
  if (json) {
    std::printf("{\"threads\": %d, \"bytes\": %zu, \"best_gbps\": %.3f, \"mean_gbps\": %.3f}\n", threads, r.bytes,
                r.best_gbps, r.mean_gbps);
  } else {
    std::printf("read bandwidth, %d threads, %.0f MiB x %d: best %.2f GB/s, mean %.2f GB/s\n", threads, mib, reps,
                r.best_gbps, r.mean_gbps);
  }
  return 0;
}

int RunMatmulBench(int argc, char** argv) {
  CLI::App app("Time one MatMul on random weights", "flywheel dev matmul");
  std::string type_name = "Q4_0", isa;
  int64_t rows = 2048, cols = 2048, n = 1;
  int threads = 2, reps = 20;
  app.add_option("--type", type_name, "weight type");
  app.add_option("--rows", rows, "output rows");
  app.add_option("--cols", cols, "input columns");
  app.add_option("-n", n, "tokens");
  app.add_option("-t,--threads", threads, "threads");
  app.add_option("-r,--reps", reps, "repetitions");
  app.add_option("--isa", isa, "kernel table: scalar avx2 avxvnni avx512 (default: the active one)");
  bool hot = false;
  app.add_flag("--hot", hot, "reuse one weight copy (cache-resident: measures compute, not DRAM)");
  CLI11_PARSE(app, argc, argv);
  auto type = ParseGgmlType(type_name);
  if (!type || !CanQuantize(*type)) return Fail("dev matmul: unsupported --type " + type_name);
  const kernels::KernelTable* kt = isa.empty() ? &kernels::ActiveKernels() : kernels::KernelsFor(isa.c_str());
  if (!kt) return Fail("dev matmul: kernel table '" + isa + "' is not available on this CPU");
  // Enough weight copies that the set exceeds the caches (decode must stream from DRAM).
  const size_t row_bytes = RowBytes(*type, cols);
  const size_t one = row_bytes * static_cast<size_t>(rows);
  const int copies = hot ? 1 : static_cast<int>(std::max<size_t>(1, (512u << 20) / one));
  std::vector<uint8_t> w(one * static_cast<size_t>(copies));
  std::vector<float> src(static_cast<size_t>(cols));
  uint64_t s = 12345;
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : src) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      v = static_cast<float>(static_cast<int64_t>(s >> 40) - (1 << 23)) / static_cast<float>(1 << 23);
    }
    QuantizeRow(*type, src.data(), w.data() + static_cast<size_t>(r) * row_bytes, cols);
  }
  for (int c = 1; c < copies; ++c) std::memcpy(w.data() + one * static_cast<size_t>(c), w.data(), one);
  std::vector<float> x(static_cast<size_t>(n * cols), 0.5f), y(static_cast<size_t>(n * rows));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 1000) / 500.0f - 1.0f;
  kernels::ThreadPool pool(threads);
  double best = 1e30, total = 0;
  for (int rep = 0; rep < reps + 1; ++rep) {
    kernels::WeightView wv{*type, w.data() + one * static_cast<size_t>(rep % copies), rows, cols, row_bytes};
    const auto t0 = std::chrono::steady_clock::now();
    kernels::MatMulWith(*kt, wv, x.data(), n, y.data(), &pool);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rep == 0) continue;  // warm-up (scratch sizing, page faults)
    best = std::min(best, sec);
    total += sec;
  }
  const double mean = total / reps;
  const double flops = 2.0 * static_cast<double>(rows) * static_cast<double>(cols) * static_cast<double>(n);
  std::printf("%s %s rows=%lld cols=%lld n=%lld t=%d: mean %.3f ms, best %.3f ms, %.1f GFLOP/s, weights %.2f GB/s\n",
              kt->name, std::string(TypeName(*type)).c_str(), static_cast<long long>(rows),
              static_cast<long long>(cols), static_cast<long long>(n), threads, mean * 1e3, best * 1e3,
              flops / mean / 1e9, static_cast<double>(one) / mean / 1e9);
  return 0;
}

int RunDev(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::printf("Usage: flywheel dev <tool> [options]\n\n  make-model  random-weight model of a real shape\n"
                "  membw       streaming-read memory bandwidth\n  matmul      time one MatMul kernel\n"
                "  cpu         print the CPU features and the kernel table in use\n");
    return argc < 2 ? 1 : 0;
  }
  const std::string tool = argv[1];
  if (tool == "make-model") return RunMakeModel(argc - 1, argv + 1);
  if (tool == "membw") return RunMembw(argc - 1, argv + 1);
  if (tool == "matmul") return RunMatmulBench(argc - 1, argv + 1);
  if (tool == "cpu") {
    std::printf("features: %s\nkernels: %s\n", kernels::GetCpuFeatures().ToString().c_str(),
                kernels::ActiveKernels().name);
    return 0;
  }
  return Fail("dev: unknown tool '" + tool + "'");
}

}  // namespace

FW_REGISTER_COMMAND("dev", "developer tools: make-model, membw, matmul, cpu", RunDev, 90);

}  // namespace fw::cli
