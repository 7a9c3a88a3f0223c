// The forward pass over a batch (runtime/batch.h) for every supported architecture:
//
//   x = token_embd[token]
//   per layer:  h = RMSNorm(x) * attn_norm
//               q, k, v = Wq h (+bq), Wk h (+bk), Wv h (+bv)
//               q, k = per-head RMSNorm (qwen3);  q, k = RoPE(pos)
//               K/V of the batch's tokens are written into the paged KV cache
//               a = softmax(q . K / sqrt(head_dim), causal within the sequence) V   (GQA)
//               x += Wo a
//               h = RMSNorm(x) * ffn_norm;  x += Wdown (silu(Wgate h) * Wup h)
//   logits = Woutput (RMSNorm(x) * output_norm)   for the tokens that asked for them
//
// Numerics follow llama.cpp's CPU path: with an F16 cache, q and the softmax weights are
// rounded to f16 before the dot products with K and V (ggml converts the f32 operand of a
// matmul against f16 data to f16); norms and softmax sums accumulate in double.
//
// Attention (kernels::AttendGroup, per token and KV head) reads K/V through each sequence's
// block table, with a scores buffer of group x context length per thread, never a ctx x ctx
// matrix.
//
// ForwardPass is per-request state: activation buffers sized once from the hyperparameters
// and the limits; Run() allocates nothing. Not thread-safe; it drives the pool itself.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "kernels/thread_pool.h"
#include "model/model.h"
#include "model/rope.h"
#include "runtime/batch.h"
#include "runtime/kv/kv_cache.h"

namespace fw::model {

struct ForwardLimits {
  int32_t max_batch_tokens = 512;  // tokens per micro-batch (larger batches are split)
  int32_t max_outputs = 512;       // logits rows one Run() may return
  int32_t max_ctx = 2048;          // longest sequence attended over
  int32_t n_threads = 1;           // largest pool Run() may be given
};

class ForwardPass {
 public:
  static Result<std::unique_ptr<ForwardPass>> Create(const Model& model, const ForwardLimits& limits);

  // Bytes of activation buffers Create() allocates for these limits (the estimate's
  // "compute buffers").
  static uint64_t BufferBytes(const HParams& hp, const ForwardLimits& limits);

  // Runs the batch: each sequence's tokens must be in position order and continue it
  // (first position == kv.SeqLength(seq)). On success kv holds the new positions and
  // logits(i) is the i-th requested row (in batch order). pool may be null (one thread).
  Status Run(const runtime::Batch& batch, runtime::KvCache& kv, kernels::ThreadPool* pool);

  int32_t n_outputs() const { return n_outputs_; }
  const float* logits(int32_t i) const { return logits_.data() + static_cast<size_t>(i) * hp_.n_vocab; }
  int32_t n_vocab() const { return hp_.n_vocab; }
  // The final hidden state after the output norm (n_embd floats) of the i-th logits row of the
  // last Run(); valid when that batch fit in one micro-batch (<= limits().max_batch_tokens
  // tokens). Added for the server's embeddings (mean pooling over these rows).
  const float* output_hidden(int32_t i) const { return out_in_.data() + static_cast<size_t>(i) * hp_.n_embd; }
  const ForwardLimits& limits() const { return limits_; }

  // Debugging: called after each stage of every micro-batch with that stage's activations,
  // `rows` rows of `width` floats, under llama.cpp's tensor names ("attn_norm", "Qcur" (after
  // bias and rope), "Kcur", "Vcur", "kqv_out", "attn_out", "ffn_inp", "ffn_norm", "ffn_gate",
  // "ffn_up", "ffn_swiglu", "ffn_out", "l_out"; layer -1: "result_norm", "result_output"), so
  // a dump lines up with one from llama.cpp's eval callback. Null (the default) costs one
  // branch per stage.
  using Tap = void (*)(void* user, const char* name, int32_t layer, const float* data, int32_t rows, int32_t width);
  void SetTap(Tap tap, void* user) {
    tap_ = tap;
    tap_user_ = user;
  }

 private:
  ForwardPass(const Model& model, const ForwardLimits& limits);
  Status Validate(const runtime::Batch& batch, const runtime::KvCache& kv) const;
  void RunMicroBatch(const runtime::Batch& batch, int32_t begin, int32_t n, runtime::KvCache& kv,
                     kernels::ThreadPool* pool);
  void Attention(int32_t layer, const runtime::Batch& batch, int32_t begin, int32_t n,
                 const runtime::KvCache& kv, kernels::ThreadPool* pool);

  const HParams& hp_;
  const ModelWeights& w_;
  ForwardLimits limits_;
  RopeConfig rope_;

  // Activations, row-major per token; B = max_batch_tokens.
  std::vector<float> x_;         // (B, n_embd) residual stream
  std::vector<float> xb_;        // (B, n_embd) normed input of a sub-layer
  std::vector<float> q_;         // (B, q_dim)
  std::vector<float> k_;         // (B, kv_dim)
  std::vector<float> v_;         // (B, kv_dim)
  std::vector<float> attn_;      // (B, q_dim) attention output
  std::vector<float> proj_;      // (B, n_embd) Wo / Wdown output
  std::vector<float> gate_;      // (B, n_ff)
  std::vector<float> up_;        // (B, n_ff)
  std::vector<float> rope_cs_;   // (B, n_rot) cos/sin per token
  std::vector<float> out_in_;    // (B, n_embd) normed rows of tokens that want logits
  std::vector<float> scratch_;   // (n_threads, group x max_ctx) attention scores
  std::vector<const void*> rows_;  // (n_threads, 2 x max_ctx) K/V row pointers of one sequence
  std::vector<const runtime::BlockTable*> tables_;  // (B) block table of each token's sequence
  std::vector<float> logits_;    // (max_outputs, n_vocab)
  int32_t n_outputs_ = 0;
  Tap tap_ = nullptr;
  void* tap_user_ = nullptr;
};

}  // namespace fw::model
