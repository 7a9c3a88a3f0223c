// The scheduling half of one engine step (vLLM v1 shape): decides which tokens of which
// sequences go into the next forward batch, under a per-step token budget and a cap on
// running sequences. Decode tokens of running sequences come first, so a long prompt never
// stalls running streams; prompts are prefilled in chunks that fill the rest of the budget
// (chunked prefill); waiting sequences are admitted in arrival order while there is room.
//
// The scheduler never sees KV blocks: it asks a KvAllocator, which answers yes or no.
// Not thread-safe; the step loop owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "engine/sequence.h"

namespace fw::engine {

class KvAllocator {
 public:
  virtual ~KvAllocator() = default;
  // Called once when a sequence is admitted: reuses cached blocks of its prompt's prefix and
  // sets n_computed / n_cached accordingly.
  virtual void AttachCachedPrefix(Sequence& s) = 0;
  // Makes the cache able to hold new_length positions of s; false when it cannot.
  virtual bool Reserve(Sequence& s, int32_t new_length) = 0;
  // Releases everything s holds.
  virtual void Free(Sequence& s) = 0;
};

struct ScheduledChunk {
  Sequence* seq = nullptr;
  int32_t n_tokens = 0;  // tokens [seq->n_computed, seq->n_computed + n_tokens) go in the batch
};

struct SchedulerConfig {
  int32_t max_running = 4;     // sequences admitted at once (--parallel)
  int32_t token_budget = 512;  // tokens per step (the forward pass's batch size)
};

class Scheduler {
 public:
  explicit Scheduler(const SchedulerConfig& config) : config_(config) {}

  // Picks this step's work. Moves admitted sequences from the front of `waiting` to the back
  // of `running`. Sequences whose reservation fails are left out of this step (a running one
  // stays running and is retried; a waiting one stays waiting).
  std::vector<ScheduledChunk> Schedule(std::deque<Sequence*>& waiting, std::vector<Sequence*>& running,
                                       KvAllocator& kv) const;

  const SchedulerConfig& config() const { return config_; }

 private:
  SchedulerConfig config_;
};

}  // namespace fw::engine
