#include "kernels/memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/scratch.h"
#include "kernels/thread_pool.h"

namespace fw::kernels {
namespace {

// Sums 64-bit words with 8 independent accumulators (vectorised by the compiler); the sum
// is returned so the loads cannot be optimised away.
uint64_t ReadSlice(const uint64_t* p, size_t n) {
  uint64_t a[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) a[k] += p[i + k];
  for (; i < n; ++i) a[0] += p[i];
  uint64_t s = 0;
  for (uint64_t v : a) s += v;
  return s;
}

}  // namespace

BandwidthResult MeasureReadBandwidth(ThreadPool* pool, size_t bytes, int reps) {
  BandwidthResult r;
  const size_t words = std::max<size_t>(bytes / 8, 1024);
  Scratch buf;
  auto* data = static_cast<uint64_t*>(buf.Get(words * 8));
  for (size_t i = 0; i < words; ++i) data[i] = i;  // touch every page
  r.bytes = words * 8;
  const int threads = pool ? pool->size() : 1;
  std::vector<uint64_t> sink(static_cast<size_t>(threads) * 8);
  double sum = 0;
  for (int rep = 0; rep < std::max(1, reps); ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    auto body = [&](int t, int nt) {
      const size_t b = words * static_cast<size_t>(t) / static_cast<size_t>(nt);
      const size_t e = words * static_cast<size_t>(t + 1) / static_cast<size_t>(nt);
      sink[static_cast<size_t>(t) * 8] += ReadSlice(data + b, e - b);
    };
    if (pool) pool->RunLambda(body);
    else body(0, 1);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double gbps = static_cast<double>(r.bytes) / s / 1e9;
    r.best_gbps = std::max(r.best_gbps, gbps);
    sum += gbps;
  }
  r.mean_gbps = sum / std::max(1, reps);
  volatile uint64_t keep = 0;
  for (uint64_t v : sink) keep = keep + v;
  (void)keep;
  return r;
}

}  // namespace fw::kernels
