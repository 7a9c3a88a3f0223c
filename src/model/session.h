// A session: the per-request state for running one model over up to n_seq sequences: the
// paged KV cache, the forward pass's buffers and the thread pool, sized once from the
// options. Eval() feeds tokens of one sequence (split into batches of n_batch) and keeps
// the logits of the last token; EvalBatch() runs any batch (several sequences, all logits).
//
// The Model must outlive the Session. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "base/status.h"
#include "kernels/thread_pool.h"
#include "model/forward.h"
#include "model/model.h"
#include "runtime/batch.h"
#include "runtime/kv/kv_cache.h"

namespace fw::model {

struct SessionOptions {
  int32_t n_ctx = 2048;     // positions per sequence
  int32_t n_seq = 1;        // sequences the cache holds at full length
  int32_t n_batch = 512;    // tokens per forward call
  int32_t n_threads = 1;
  runtime::KvType kv_type = runtime::KvType::kF16;
  int32_t max_outputs = 0;  // logits rows per forward call; 0 = n_batch
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(const Model& model, const SessionOptions& options);

  // Appends tokens to sequence seq and runs them; afterwards logits(0) is the last token's.
  Status Eval(int32_t seq, std::span<const int32_t> tokens);
  // Runs a prepared batch as is (several sequences at once).
  Status EvalBatch(const runtime::Batch& batch);

  const float* logits(int32_t i = 0) const { return forward_->logits(i); }
  int32_t n_outputs() const { return forward_->n_outputs(); }
  int32_t n_vocab() const { return forward_->n_vocab(); }
  int32_t SeqLength(int32_t seq) const { return kv_->SeqLength(seq); }
  void Clear(int32_t seq) { kv_->Remove(seq); }
  void Truncate(int32_t seq, int32_t n) { kv_->Truncate(seq, n); }

  const SessionOptions& options() const { return options_; }
  const Model& model() const { return model_; }
  runtime::KvCache& kv() { return *kv_; }
  ForwardPass& forward() { return *forward_; }
  kernels::ThreadPool* pool() { return pool_.get(); }

  // Bytes the KV cache and the activation buffers of these options take.
  static uint64_t KvBytes(const HParams& hp, const SessionOptions& o);
  static ForwardLimits LimitsFor(const SessionOptions& o);

 private:
  Session(const Model& model, const SessionOptions& options) : model_(model), options_(options) {}
  const Model& model_;
  SessionOptions options_;
  std::unique_ptr<runtime::KvCache> kv_;
  std::unique_ptr<ForwardPass> forward_;
  std::unique_ptr<kernels::ThreadPool> pool_;
  runtime::Batch batch_;
};

}  // namespace fw::model
