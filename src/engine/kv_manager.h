// The engine's KvAllocator: a sequence's blocks come from the session's paged KvCache; full
// blocks are indexed in a PrefixCache so later sequences with the same prefix reuse them;
// unused cached blocks are evicted (LRU) only when the pool runs short.
//
// Not thread-safe: the step loop owns it.
#pragma once

#include <cstdint>

#include "engine/scheduler.h"
#include "runtime/kv/kv_cache.h"
#include "runtime/kv/prefix_cache.h"

namespace fw::engine {

class KvManager : public KvAllocator {
 public:
  KvManager(runtime::KvCache& kv, bool prefix_caching) : kv_(kv), cache_(kv.pool()), enabled_(prefix_caching) {}

  void AttachCachedPrefix(Sequence& s) override;
  bool Reserve(Sequence& s, int32_t new_length) override;
  void Free(Sequence& s) override;
  // After a step: indexes the sequence's blocks that became full.
  void RegisterFullBlocks(Sequence& s);
  // Frees enough blocks (evicting cached ones) for n more blocks; false if impossible.
  bool EnsureFreeBlocks(int32_t n) { return cache_.EnsureFree(n); }

  int32_t block_tokens() const { return kv_.layout().block_tokens; }
  int32_t n_blocks() const { return kv_.pool().n_blocks(); }
  // Blocks held by live sequences (cached blocks nobody uses count as free).
  int32_t n_used_blocks() const { return kv_.pool().n_blocks() - kv_.pool().n_free() - cache_.n_evictable(); }
  const runtime::PrefixCache& prefix_cache() const { return cache_; }
  runtime::PrefixCache& prefix_cache() { return cache_; }

 private:
  runtime::KvCache& kv_;
  runtime::PrefixCache cache_;
  bool enabled_;
};

}  // namespace fw::engine
