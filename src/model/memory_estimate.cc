#include "model/memory_estimate.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace fw::model {

MemoryEstimate EstimateMemory(const Model& model, const SessionOptions& o) {
  const HParams& hp = model.hparams();
  MemoryEstimate e;
  e.weight_bytes = model.weights().total_bytes;
  const int64_t block = 16;
  const int64_t ctx_rounded = (o.n_ctx + block - 1) / block * block;
  const double per_token = static_cast<double>(hp.n_layer) * hp.n_head_kv * hp.head_dim_k * 2.0 *
                           runtime::KvElementBytes(o.kv_type);
  e.kv_bytes_per_seq = static_cast<uint64_t>(std::llround(per_token * static_cast<double>(ctx_rounded)));
  e.kv_bytes = e.kv_bytes_per_seq * static_cast<uint64_t>(o.n_seq);
  // Activation buffers, plus per sequence the sampler's and generator's vocabulary-sized
  // arrays (candidates 12 B, penalty counts 4 B, logprob order 4 B; typical-p, when used,
  // adds 16 B).
  e.compute_bytes = ForwardPass::BufferBytes(hp, Session::LimitsFor(o)) +
                    static_cast<uint64_t>(o.n_seq) * static_cast<uint64_t>(hp.n_vocab) * 20;
  return e;
}

uint64_t AvailableMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream ss(line.substr(13));
      uint64_t kb = 0;
      ss >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

std::string FormatBytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  }
  return buf;
}

}  // namespace fw::model
