#include "runtime/kv/prefix_cache.h"

#include <algorithm>

namespace fw::runtime {

namespace {
inline uint64_t Mix(uint64_t h, uint64_t v) {
  // splitmix64 finalizer over (h, v): cheap, well distributed; collisions are caught by the
  // token comparison in Match().
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}
}  // namespace

uint64_t HashBlockTokens(uint64_t parent, std::span<const int32_t> tokens) {
  uint64_t h = Mix(parent, tokens.size());
  for (int32_t t : tokens) h = Mix(h, static_cast<uint32_t>(t));
  return h;
}

std::vector<int32_t> PrefixCache::Match(std::span<const int32_t> tokens, int32_t max_blocks) {
  const size_t bt = static_cast<size_t>(pool_.layout().block_tokens);
  std::vector<int32_t> out;
  uint64_t parent = kPrefixRootHash;
  const size_t full = std::min(tokens.size() / bt, static_cast<size_t>(std::max(0, max_blocks)));
  queried_tokens_ += full * bt;
  for (size_t b = 0; b < full; ++b) {
    std::span<const int32_t> chunk = tokens.subspan(b * bt, bt);
    const uint64_t h = HashBlockTokens(parent, chunk);
    auto it = entries_.find(h);
    if (it == entries_.end() || it->second.parent != parent ||
        !std::equal(chunk.begin(), chunk.end(), it->second.tokens.begin(), it->second.tokens.end()))
      break;
    out.push_back(it->second.block);
    parent = h;
  }
  hit_tokens_ += out.size() * bt;
  return out;
}

void PrefixCache::MarkUsed(std::span<const int32_t> blocks) {
  for (int32_t b : blocks) {
    auto it = lru_pos_.find(b);
    if (it == lru_pos_.end()) continue;
    lru_.erase(it->second);
    lru_pos_.erase(it);
  }
}

uint64_t PrefixCache::Insert(uint64_t parent, std::span<const int32_t> tokens, int32_t block) {
  const uint64_t h = HashBlockTokens(parent, tokens);
  if (entries_.count(h) != 0 || block_hash_.count(block) != 0) return h;
  entries_.emplace(h, Entry{block, parent, std::vector<int32_t>(tokens.begin(), tokens.end())});
  block_hash_.emplace(block, h);
  pool_.Retain(block);
  return h;
}

void PrefixCache::MarkReleased(std::span<const int32_t> blocks) {
  for (int32_t b : blocks) {
    if (block_hash_.count(b) == 0 || lru_pos_.count(b) != 0) continue;
    if (pool_.ref_count(b) != 1) continue;  // still attached to some sequence
    lru_.push_back(b);
    lru_pos_.emplace(b, std::prev(lru_.end()));
  }
}

void PrefixCache::Evict(int32_t block) {
  auto bh = block_hash_.find(block);
  if (bh != block_hash_.end()) {
    entries_.erase(bh->second);
    block_hash_.erase(bh);
  }
  auto pos = lru_pos_.find(block);
  if (pos != lru_pos_.end()) {
    lru_.erase(pos->second);
    lru_pos_.erase(pos);
  }
  pool_.Release(block);
}

bool PrefixCache::EnsureFree(int32_t n) {
  while (pool_.n_free() < n && !lru_.empty()) Evict(lru_.front());
  return pool_.n_free() >= n;
}

void PrefixCache::EvictAll() {
  while (!lru_.empty()) Evict(lru_.front());
}

}  // namespace fw::runtime
