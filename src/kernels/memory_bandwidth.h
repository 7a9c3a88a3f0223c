// A streaming-read loop that measures the machine's sustainable read bandwidth, the
// denominator of the decode roofline (weights must be read once per generated token).
#pragma once

#include <cstddef>

namespace fw::kernels {

class ThreadPool;

struct BandwidthResult {
  double best_gbps = 0;   // best repetition, 1e9 bytes per second
  double mean_gbps = 0;
  size_t bytes = 0;       // bytes read per repetition
};

// Reads a `bytes` buffer (allocated and touched here, far larger than the caches)
// `reps` times, split over pool's threads (pool may be null).
BandwidthResult MeasureReadBandwidth(ThreadPool* pool, size_t bytes, int reps);

}  // namespace fw::kernels
