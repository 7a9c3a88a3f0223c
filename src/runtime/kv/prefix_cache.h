// Automatic prefix caching over a BlockPool (vLLM v1's scheme): every full KV block of a
// sequence is keyed by a chain hash of its tokens and of everything before it, so a new
// sequence that starts with the same tokens (a system prompt, earlier chat turns) can reuse
// the already-computed blocks instead of recomputing them.
//
// Ownership: the cache holds one reference (BlockPool::Retain) on every block it indexes.
// A cached block whose only reference is the cache's is "unused": it sits in an LRU list and
// is evicted (its reference dropped, so the pool can hand it out again) when the pool runs
// short. Blocks attached to live sequences are never evicted.
//
// The entries store their tokens, so a hash collision can never map a prompt onto the wrong
// K/V: Match() compares tokens before it accepts a block.
//
// Not thread-safe: the engine's step loop is the only caller.
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "runtime/kv/block_pool.h"

namespace fw::runtime {

// Chain hash of one block: depends on the parent block's hash and this block's tokens.
uint64_t HashBlockTokens(uint64_t parent, std::span<const int32_t> tokens);
inline constexpr uint64_t kPrefixRootHash = 0x9e3779b97f4a7c15ull;

class PrefixCache {
 public:
  explicit PrefixCache(BlockPool& pool) : pool_(pool) {}
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  // The cached blocks of the longest cached prefix of `tokens` made of whole blocks, at most
  // max_blocks of them, in position order. Counts queried and hit tokens in the stats.
  std::vector<int32_t> Match(std::span<const int32_t> tokens, int32_t max_blocks);
  // The caller has just taken references to these blocks (a sequence attached them): they
  // leave the eviction list.
  void MarkUsed(std::span<const int32_t> blocks);
  // Indexes `block`, which holds exactly block_tokens `tokens` following the chain `parent`.
  // Returns the block's chain hash. When an equal block is already cached, nothing changes
  // (this block stays private to its sequence).
  uint64_t Insert(uint64_t parent, std::span<const int32_t> tokens, int32_t block);
  // The caller has dropped references to these blocks: cached ones that only the cache still
  // holds become evictable, most recently used last.
  void MarkReleased(std::span<const int32_t> blocks);
  // Evicts least recently used unused blocks until the pool has n free blocks. False when
  // even evicting every unused block does not free enough.
  bool EnsureFree(int32_t n);
  // Drops every unused cached block.
  void EvictAll();

  bool Contains(int32_t block) const { return block_hash_.count(block) != 0; }
  int32_t n_cached() const { return static_cast<int32_t>(entries_.size()); }
  int32_t n_evictable() const { return static_cast<int32_t>(lru_.size()); }
  uint64_t queried_tokens() const { return queried_tokens_; }
  uint64_t hit_tokens() const { return hit_tokens_; }

 private:
  struct Entry {
    int32_t block;
    uint64_t parent;
    std::vector<int32_t> tokens;
  };
  void Evict(int32_t block);

  BlockPool& pool_;
  std::unordered_map<uint64_t, Entry> entries_;       // chain hash -> block
  std::unordered_map<int32_t, uint64_t> block_hash_;  // block -> its chain hash
  std::list<int32_t> lru_;                            // unused cached blocks, oldest first
  std::unordered_map<int32_t, std::list<int32_t>::iterator> lru_pos_;
  uint64_t queried_tokens_ = 0;
  uint64_t hit_tokens_ = 0;
};

}  // namespace fw::runtime
