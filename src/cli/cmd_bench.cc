// flywheel bench MODEL [-p 512] [-n 128] [-t N] [-r 3] [--json]: prompt processing and
// generation speed, measured as llama-bench does:
//   pp<p>: one batch of p prompt tokens from an empty cache (logits for the last one);
//   tg<n>: n tokens generated one at a time from an empty cache;
// each test runs once for warm-up, then r times; t/s per repetition, mean +- stddev.
// Also reports the decode bandwidth utilisation: tg t/s x weight bytes read per token
// divided by the read bandwidth measured by a streaming loop in the same run.
// --json prints an array of rows with llama-bench's field names.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "kernels/cpu_features.h"
#include "kernels/kernel_table.h"
#include "kernels/memory_bandwidth.h"
#include "kernels/thread_pool.h"
#include "model/model.h"
#include "model/session.h"

namespace fw::cli {
namespace {

struct Stats {
  double mean = 0, stddev = 0;
};
Stats MeanStd(const std::vector<double>& v) {
  Stats s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double acc = 0;
    for (double x : v) acc += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(acc / static_cast<double>(v.size() - 1));
  }
  return s;
}

// Current and peak resident set size from /proc/self/status (bytes; 0 when unavailable).
void ReadRss(uint64_t* rss, uint64_t* peak) {
  *rss = *peak = 0;
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    uint64_t kb = 0;
    if (key == "VmRSS:") {
      f >> kb;
      *rss = kb * 1024;
    } else if (key == "VmHWM:") {
      f >> kb;
      *peak = kb * 1024;
    }
  }
}

// Bytes of weights one decode step reads: every tensor once, except the token embedding,
// of which only one row is read (unless it doubles as the output matrix).
uint64_t WeightBytesPerToken(const model::Model& m) {
  uint64_t total = 0;
  const bool tied = m.weights().tied_output;
  for (const auto& t : m.gguf().tensors()) {
    if (t.name == "token_embd.weight" && !tied) {
      total += t.row_bytes();
      continue;
    }
    total += t.size_bytes;
  }
  return total;
}

std::string ModelType(const model::Model& m) {
  uint64_t params = 0;
  for (const auto& t : m.gguf().tensors()) params += static_cast<uint64_t>(t.n_elements());
  std::string size;
  if (params >= 1000000000ull) size = fmt::format("{}B", static_cast<int>(std::lround(params / 1e9)));
  else size = fmt::format("{}M", static_cast<int>(std::lround(params / 1e6)));
  std::string ftype = "?";
  if (auto ft = m.gguf().GetU32("general.file_type"); ft.ok()) {
    static const std::pair<uint32_t, const char*> kNames[] = {
        {0, "all F32"}, {1, "F16"}, {2, "Q4_0"}, {3, "Q4_1"}, {7, "Q8_0"}, {8, "Q5_0"}, {9, "Q5_1"},
        {10, "Q2_K - Medium"}, {11, "Q3_K - Small"}, {12, "Q3_K - Medium"}, {13, "Q3_K - Large"},
        {14, "Q4_K - Small"}, {15, "Q4_K - Medium"}, {16, "Q5_K - Small"}, {17, "Q5_K - Medium"},
        {18, "Q6_K"}, {25, "IQ4_NL - 4.5 bpw"}, {32, "BF16"}};
    for (const auto& [id, name] : kNames)
      if (id == ft.value()) ftype = name;
  }
  return fmt::format("{} {} {}", m.hparams().arch, size, ftype);
}

int RunBench(int argc, char** argv) {
  CLI::App app("Measure prompt processing (pp) and generation (tg) speed like llama-bench", "flywheel bench");
  std::string path;
  int n_prompt = 512, n_gen = 128, threads = 0, reps = 3;
  bool json = false, no_membw = false;
  app.add_option("model", path, "GGUF model file")->required();
  app.add_option("-p,--n-prompt", n_prompt, "prompt tokens for the pp test (0: skip)");
  app.add_option("-n,--n-gen", n_gen, "generated tokens for the tg test (0: skip)");
  app.add_option("-t,--threads", threads, "threads (default: all cores)");
  app.add_option("-r,--repetitions", reps, "repetitions per test");
  app.add_flag("--json", json, "print a JSON array of result rows");
  app.add_flag("--no-membw", no_membw, "skip the bandwidth measurement");
  CLI11_PARSE(app, argc, argv);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (n_prompt < 0 || n_gen < 0 || reps < 1) return Fail("bench: -p, -n must be >= 0 and -r >= 1");

  auto model_or = model::Model::Load(path);
  if (!model_or.ok()) return Fail(path + ": " + model_or.message());
  const model::Model& m = *model_or.value();

  model::SessionOptions so;
  so.n_ctx = std::max(16, n_prompt + n_gen + 1);
  so.n_batch = std::max(1, n_prompt);
  so.n_threads = threads;
  auto session_or = model::Session::Create(m, so);
  if (!session_or.ok()) return Fail(path + ": " + session_or.message());
  model::Session& s = *session_or.value();

  const int32_t n_vocab = m.hparams().n_vocab;
  std::mt19937 rng(42);
  auto random_tokens = [&](int n) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = static_cast<int32_t>(rng() % static_cast<uint32_t>(n_vocab));
    return t;
  };

  struct Row {
    int n_prompt, n_gen;
    std::vector<double> ns;  // per repetition
  };
  std::vector<Row> rows;
  std::string error;

  auto run_pp = [&]() -> double {
    const auto tokens = random_tokens(n_prompt);
    s.Clear(0);
    const auto t0 = std::chrono::steady_clock::now();
    Status st = s.Eval(0, tokens);
    const auto t1 = std::chrono::steady_clock::now();
    if (!st.ok()) error = st.message();
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
  };
  auto run_tg = [&]() -> double {
    const auto tokens = random_tokens(n_gen);
    s.Clear(0);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n_gen && error.empty(); ++i) {
      Status st = s.Eval(0, std::span<const int32_t>(&tokens[static_cast<size_t>(i)], 1));
      if (!st.ok()) error = st.message();
    }
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
  };

  uint64_t rss_tg = 0, peak = 0;
  if (n_prompt > 0) {
    Row r{n_prompt, 0, {}};
    run_pp();  // warm-up
    for (int i = 0; i < reps && error.empty(); ++i) r.ns.push_back(run_pp());
    rows.push_back(r);
  }
  if (n_gen > 0 && error.empty()) {
    Row r{0, n_gen, {}};
    run_tg();
    for (int i = 0; i < reps && error.empty(); ++i) r.ns.push_back(run_tg());
    ReadRss(&rss_tg, &peak);
    rows.push_back(r);
  }
  if (!error.empty()) return Fail(path + ": " + error);

  kernels::BandwidthResult bw;
  if (!no_membw && n_gen > 0) bw = kernels::MeasureReadBandwidth(s.pool(), size_t{1} << 30, 5);
  const uint64_t bytes_per_token = WeightBytesPerToken(m);
  uint64_t model_size = 0, n_params = 0;
  for (const auto& t : m.gguf().tensors()) {
    model_size += t.size_bytes;
    n_params += static_cast<uint64_t>(t.n_elements());
  }
  std::string filename = path;
  if (auto slash = filename.find_last_of('/'); slash != std::string::npos) filename = filename.substr(slash + 1);

  nlohmann::json out = nlohmann::json::array();
  for (const Row& r : rows) {
    std::vector<double> ts;
    const int n = r.n_prompt + r.n_gen;
    for (double ns : r.ns) ts.push_back(static_cast<double>(n) * 1e9 / ns);
    const Stats st = MeanStd(ts), sn = MeanStd(r.ns);
    nlohmann::json j;
    j["model_filename"] = filename;
    j["model_type"] = ModelType(m);
    j["model_size"] = model_size;
    j["model_n_params"] = n_params;
    j["backends"] = "CPU";
    j["cpu_info"] = kernels::GetCpuFeatures().ToString();
    j["kernels"] = kernels::ActiveKernels().name;
    j["n_batch"] = so.n_batch;
    j["n_threads"] = threads;
    j["n_prompt"] = r.n_prompt;
    j["n_gen"] = r.n_gen;
    j["avg_ns"] = static_cast<uint64_t>(sn.mean);
    j["stddev_ns"] = static_cast<uint64_t>(sn.stddev);
    j["avg_ts"] = st.mean;
    j["stddev_ts"] = st.stddev;
    j["samples_ns"] = r.ns;
    j["samples_ts"] = ts;
    if (r.n_gen > 0) {
      j["rss_bytes"] = rss_tg;
      j["weight_bytes_per_token"] = bytes_per_token;
      if (bw.best_gbps > 0) {
        j["membw_gbps"] = bw.best_gbps;
        j["bandwidth_utilization"] = st.mean * static_cast<double>(bytes_per_token) / (bw.best_gbps * 1e9);
      }
    }
    out.push_back(j);
  }
  if (json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("| %-40s | %7s | %-7s | %5s | %20s |\n", "model", "threads", "test", "", "t/s");
  for (const auto& j : out) {
    const std::string test = j["n_prompt"].get<int>() > 0 ? fmt::format("pp{}", j["n_prompt"].get<int>())
                                                          : fmt::format("tg{}", j["n_gen"].get<int>());
    std::printf("| %-40s | %7d | %-7s | %5s | %12.2f ± %5.2f |\n", j["model_type"].get<std::string>().c_str(),
                threads, test.c_str(), "", j["avg_ts"].get<double>(), j["stddev_ts"].get<double>());
    if (j.contains("bandwidth_utilization")) {
      std::printf("    decode: %.1f MB of weights per token, read bandwidth %.1f GB/s -> %.0f%% of the roofline, RSS %.0f MB\n",
                  static_cast<double>(bytes_per_token) / 1e6, bw.best_gbps,
                  100.0 * j["bandwidth_utilization"].get<double>(), static_cast<double>(rss_tg) / 1e6);
    }
  }
  std::printf("kernels: %s\n", kernels::ActiveKernels().name);
  return 0;
}

}  // namespace

FW_REGISTER_COMMAND("bench", "measure prompt and generation speed (llama-bench compatible)", RunBench, 60);

}  // namespace fw::cli
