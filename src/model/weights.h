// Weight binding: views of the model's tensors inside the mmapped GGUF (no copies, no
// dequantization), checked against the hyperparameters at load time so the forward pass
// never meets a shape it did not expect.
//
// Ownership: every pointer points into the GgufFile, which must outlive the ModelWeights
// (Model owns both). Immutable after binding; safe to read from many threads.
#pragma once

#include <vector>

#include "base/status.h"
#include "gguf/gguf_file.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace fw::model {

// A 1-D f32 vector (norm weights, biases): n floats.
struct VectorView {
  const float* data = nullptr;
  int64_t n = 0;
};

struct LayerWeights {
  VectorView attn_norm;            // (n_embd)
  kernels::WeightView wq;          // rows q_dim, cols n_embd
  kernels::WeightView wk;          // rows kv_dim, cols n_embd
  kernels::WeightView wv;          // rows kv_dim, cols n_embd
  VectorView bq, bk, bv;           // (q_dim), (kv_dim), (kv_dim): qwen2 only
  VectorView q_norm, k_norm;       // (head_dim): qwen3 only
  kernels::WeightView wo;          // rows n_embd, cols q_dim
  VectorView ffn_norm;             // (n_embd)
  kernels::WeightView w_gate;      // rows n_ff, cols n_embd
  kernels::WeightView w_up;        // rows n_ff, cols n_embd
  kernels::WeightView w_down;      // rows n_embd, cols n_ff
};

struct ModelWeights {
  kernels::WeightView token_embd;  // rows n_vocab, cols n_embd (rows read one at a time)
  VectorView output_norm;          // (n_embd)
  kernels::WeightView output;      // rows n_vocab, cols n_embd (token_embd when tied)
  bool tied_output = false;
  VectorView rope_freqs;           // (n_rot/2) llama3-style frequency divisors, optional
  std::vector<LayerWeights> layers;
  uint64_t total_bytes = 0;        // bytes of all tensors in the file
};

Result<ModelWeights> BindWeights(const GgufFile& file, const HParams& hp);

}  // namespace fw::model
