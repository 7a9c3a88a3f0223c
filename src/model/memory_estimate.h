// What running a model takes in memory, from the same formulas the engine sizes its buffers
// with:
//   weights  = bytes of all tensors in the GGUF (mmapped; resident once touched)
//   KV       = n_layer x n_kv_heads x head_dim x n_ctx x 2 (K and V) x element size, per
//              sequence, times n_parallel (the pool is allocated in 16-token blocks)
//   compute  = the forward pass's activation buffers (ForwardPass::BufferBytes) and the
//              sampler's vocabulary-sized arrays
#pragma once

#include <cstdint>
#include <string>

#include "model/model.h"
#include "model/session.h"

namespace fw::model {

struct MemoryEstimate {
  uint64_t weight_bytes = 0;
  uint64_t kv_bytes_per_seq = 0;
  uint64_t kv_bytes = 0;
  uint64_t compute_bytes = 0;
  uint64_t total_bytes() const { return weight_bytes + kv_bytes + compute_bytes; }
};

// kv_type may be q8_0 here (estimate only).
MemoryEstimate EstimateMemory(const Model& model, const SessionOptions& options);

// MemAvailable from /proc/meminfo in bytes, or 0 when it cannot be read.
uint64_t AvailableMemoryBytes();

// "1.23 MiB" style.
std::string FormatBytes(uint64_t bytes);

}  // namespace fw::model
