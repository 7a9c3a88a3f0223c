// What the server hands the engine (GenerationRequest) and what flows back (GenerationEvent)
// through a RequestStream: the thread-safe channel between one HTTP handler thread and the
// engine's step loop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/sampling_params.h"

namespace fw::engine {

struct GenerationRequest {
  std::vector<int32_t> prompt;   // token ids, BOS included if wanted; at least one
  int32_t max_tokens = -1;       // -1: until the context is full; 0: evaluate the prompt only
  SamplingParams sampling;
  std::vector<std::string> stop; // stop strings (not included in the output)
  bool ignore_eos = false;
  int32_t logprobs = -1;         // -1: none; n >= 0: logprob of each generated token + top n
  bool prompt_logprobs = false;  // logprob (+ top `logprobs`) of every prompt token after the first
  bool json = false;             // constrain the output to one JSON object
};

enum class FinishReason { kNone, kStop, kLength, kCancelled, kError };
const char* FinishReasonName(FinishReason r);  // "stop", "length", "cancelled", "error"

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;  // most likely first
};

struct Usage {
  int32_t prompt_tokens = 0;
  int32_t cached_tokens = 0;      // prompt tokens reused from the prefix cache
  int32_t completion_tokens = 0;
  int64_t queued_ns = 0;          // submit -> admitted
  int64_t prompt_ns = 0;          // admitted -> first token
  int64_t generation_ns = 0;      // first token -> finish
};

struct GenerationEvent {
  enum class Kind { kPromptLogprobs, kToken, kDone };
  Kind kind = Kind::kToken;
  std::string text;                   // kToken: text delta (may be empty while a stop string is pending)
  std::vector<TokenLogprob> logprobs; // kToken: the token's; kPromptLogprobs: prompt tokens 1..n-1
  FinishReason finish = FinishReason::kNone;  // kDone
  std::string error;                  // kDone with kError
  Usage usage;                        // kDone
};

// Single producer (the engine), single consumer (the handler). Cancel() may be called from
// any thread; the engine drops the sequence at its next step.
class RequestStream {
 public:
  void Push(GenerationEvent e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_one();
  }
  // Moves pending events into out, waiting up to timeout for the first; false on timeout.
  bool Pop(std::vector<GenerationEvent>& out, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return false;
    while (!events_.empty()) {
      out.push_back(std::move(events_.front()));
      events_.pop_front();
    }
    return true;
  }
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<GenerationEvent> events_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace fw::engine
