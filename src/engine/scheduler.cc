#include "engine/scheduler.h"

#include <algorithm>

namespace fw::engine {

std::vector<ScheduledChunk> Scheduler::Schedule(std::deque<Sequence*>& waiting, std::vector<Sequence*>& running,
                                                KvAllocator& kv) const {
  std::vector<ScheduledChunk> out;
  int32_t budget = config_.token_budget;
  // 1. One decode token for every running sequence past its prompt.
  for (Sequence* s : running) {
    if (budget == 0) break;
    if (s->prefilling() || s->remaining() != 1) continue;
    if (!kv.Reserve(*s, s->n_computed + 1)) continue;
    out.push_back({s, 1});
    --budget;
  }
  // 2. The next prefill chunk of running sequences still in their prompt.
  for (Sequence* s : running) {
    if (budget == 0) break;
    if (!s->prefilling()) continue;
    const int32_t n = std::min(budget, s->remaining());
    if (!kv.Reserve(*s, s->n_computed + n)) continue;
    out.push_back({s, n});
    budget -= n;
  }
  // 3. Admit waiting sequences while there is room and budget.
  while (budget > 0 && !waiting.empty() && static_cast<int32_t>(running.size()) < config_.max_running) {
    Sequence* s = waiting.front();
    kv.AttachCachedPrefix(*s);
    const int32_t n = std::min(budget, s->remaining());
    if (!kv.Reserve(*s, s->n_computed + n)) {
      kv.Free(*s);
      s->n_computed = s->n_cached = 0;
      s->block_hashes.clear();
      break;  // keep arrival order: nothing behind it jumps the queue
    }
    waiting.pop_front();
    running.push_back(s);
    out.push_back({s, n});
    budget -= n;
  }
  return out;
}

}  // namespace fw::engine
