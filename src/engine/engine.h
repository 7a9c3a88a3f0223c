// The serving engine for one loaded model: a request queue, one step-loop thread and the
// model Session (paged KV cache + forward pass) that only that thread touches.
//
// Each step (vLLM v1 shape) is schedule -> execute -> update with plain data in between:
// the Scheduler picks decode tokens and prefill chunks under the token budget, the batch
// runs through the model once, and each sequence that produced logits samples its next
// token and streams it to its RequestStream. Finished or cancelled sequences release their
// blocks (full ones stay in the prefix cache until evicted) within the same step.
//
// Thread-safety: Submit/Embed/Stats may be called from any thread. The Model and Tokenizer
// must outlive the Engine.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/histogram.h"
#include "engine/kv_manager.h"
#include "engine/request.h"
#include "engine/scheduler.h"
#include "engine/sequence.h"
#include "model/model.h"
#include "model/session.h"
#include "tokenizer/tokenizer.h"

namespace fw::engine {

struct EngineOptions {
  int32_t parallel = 4;       // sequences running at once; the KV pool holds parallel x ctx
  int32_t ctx = 2048;         // positions per sequence
  int32_t batch = 512;        // tokens per step (chunked-prefill budget)
  int32_t threads = 1;
  int32_t max_queue = 64;     // waiting requests beyond this are refused
  bool prefix_caching = true;
};

struct SubmitResult {
  enum class Code { kOk, kQueueFull, kInvalid };
  Code code = Code::kOk;
  std::string message;
  std::shared_ptr<RequestStream> stream;  // kOk only
};

struct EngineStats {
  int32_t running = 0;
  int32_t waiting = 0;
  uint64_t requests_total = 0;
  uint64_t prompt_tokens_total = 0;      // prompt tokens of admitted requests (cached included)
  uint64_t generation_tokens_total = 0;
  uint64_t prefix_queried_tokens = 0;
  uint64_t prefix_hit_tokens = 0;
  uint64_t steps_total = 0;
  double kv_usage = 0;                    // fraction of KV blocks held by live sequences
  int32_t kv_blocks = 0;
  Histogram::Snapshot ttft, itl;          // seconds
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(const model::Model& model, const Tokenizer& tokenizer,
                                                const EngineOptions& options);
  ~Engine();  // cancels everything and joins the loop
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request. kInvalid when the prompt is empty, holds an id outside the vocabulary,
  // or prompt + max_tokens exceeds the context (the message says so).
  SubmitResult Submit(GenerationRequest request);
  // Mean-pooled, L2-normalized final hidden states (after the output norm) of the tokens.
  // Blocks until the step loop has run it.
  Result<std::vector<float>> Embed(std::vector<int32_t> tokens);

  EngineStats Stats() const;
  // Ends every queued and running request (finish reason kCancelled) at the next step; for
  // shutting down without waiting for long generations.
  void CancelAll() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancel_all_.store(true);
    }
    cv_.notify_all();
  }
  const EngineOptions& options() const { return options_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  const model::Model& model() const { return model_; }
  int32_t n_embd() const { return model_.hparams().n_embd; }

 private:
  struct EmbedJob {
    std::vector<int32_t> tokens;
    std::promise<Result<std::vector<float>>> result;
  };

  Engine(const model::Model& model, const Tokenizer& tokenizer, const EngineOptions& options);
  void Loop();
  void Step();
  void RunEmbed(EmbedJob& job);
  void DropCancelled();
  void Finish(Sequence& s, FinishReason reason, const std::string& error = "");
  void SampleNext(Sequence& s, const float* logits);
  void EmitPromptLogprobs(Sequence& s, int32_t first_pos, int32_t n_rows, int32_t first_row);
  void ComputeJsonMask(const Sequence& s);

  const model::Model& model_;
  const Tokenizer& tokenizer_;
  EngineOptions options_;
  std::unique_ptr<model::Session> session_;
  std::unique_ptr<KvManager> kv_;
  Scheduler scheduler_;
  std::vector<std::string> pieces_;  // TokenToPiece of every id (JSON masks)
  std::vector<uint8_t> mask_;        // (n_vocab) scratch for constrained sampling
  runtime::Batch batch_;

  // Guarded by mu_: what handler threads hand over.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Sequence>> incoming_;
  std::deque<std::unique_ptr<EmbedJob>> embeds_;
  bool stop_ = false;
  int32_t next_id_ = 1;

  // Step-loop state (loop thread only).
  std::unordered_map<int32_t, std::unique_ptr<Sequence>> seqs_;
  std::deque<Sequence*> waiting_;
  std::vector<Sequence*> running_;

  // Statistics (any thread).
  std::atomic<int32_t> n_running_{0}, n_waiting_{0};
  std::atomic<uint64_t> requests_total_{0}, prompt_tokens_total_{0}, generation_tokens_total_{0};
  std::atomic<uint64_t> prefix_queried_{0}, prefix_hits_{0}, steps_total_{0};
  std::atomic<int32_t> kv_used_blocks_{0};
  std::atomic<bool> cancel_all_{false};
  Histogram ttft_, itl_;

  std::thread loop_;
};

}  // namespace fw::engine
