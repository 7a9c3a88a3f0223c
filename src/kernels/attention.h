// Attention of the query heads that share one KV head, for one token, against keys and values
// stored as rows of a (paged) KV cache. Never materialises more than n_group x n_keys scores.
//
//   for g < n_group:  s_p = scale * (q_g . k_p)            p < n_keys
//                     w_p = exp(s_p - max s) / sum exp(...)
//                     out_g = sum_p w_p v_p
//
// Numerics are those of ggml's non-flash CPU attention with 256-bit kernels, bit for bit
// (kernels/ggml_order.h): with an F16 cache, q and the normalised weights are rounded to f16
// before their products with K and V (with an F32 cache nothing is rounded). Q.K takes
// ggml's tinyBLAS order (one 8-lane f32 accumulator) when the token is part of a 2+ token
// micro-batch (`batched`) and head_dim % 8 == 0, otherwise vec_dot order (four 8-lane
// accumulators over n & ~31, the rest one by one, in double for f16); w.V takes vec_dot
// order at every batch size (measured: the b4748 references match it, not tinyBLAS, for
// prompts too), over the KV length ggml uses, n_keys padded to 32 (the padding weighs 0).
// The softmax takes ggml's expf 8 positions at a time, each group summed in f32 and added
// in double.
//
// Layout: q is n_group x head_dim f32 (the group's heads contiguous, as in a Q row);
// k_rows[p] / v_rows[p] point at position p's row of all KV heads (f16 or f32 elements);
// the kernel reads elements [head_offset, head_offset + head_dim) of each. out is
// n_group x head_dim. scratch holds n_group * n_keys floats (the caller's, sized once).
// Thread-safe for distinct out/scratch. Dispatched through the KernelTable (attend_group).
#pragma once

#include <cstdint>

namespace fw::kernels {

struct AttentionKv {
  const void* const* k_rows = nullptr;
  const void* const* v_rows = nullptr;
  bool f16 = true;
};

struct AttentionArgs {
  const float* q = nullptr;
  int n_group = 1;
  int head_dim = 0;
  int64_t head_offset = 0;  // elements into each K/V row
  AttentionKv kv;
  int n_keys = 0;
  float scale = 1.0f;
  bool batched = false;  // this token is one of a 2+ token micro-batch (see above)
  float* out = nullptr;
  float* scratch = nullptr;
};

// The fastest implementation for this CPU (ActiveKernels().attend_group).
void AttendGroup(const AttentionArgs& a);
// Scalar reference.
void AttendGroupReference(const AttentionArgs& a);

}  // namespace fw::kernels
