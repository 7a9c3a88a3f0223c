// PrefixCache over a real BlockPool and KvCache: chain-hash hits, reference counts, LRU
// eviction of unused blocks only, and collision safety.
#include "runtime/kv/prefix_cache.h"

#include <gtest/gtest.h>

#include <numeric>

#include "runtime/kv/kv_cache.h"

namespace fw::runtime {
namespace {

KvLayout TinyLayout() {
  KvLayout l;
  l.n_layer = 1;
  l.n_kv_heads = 1;
  l.head_dim = 2;
  l.block_tokens = 4;
  return l;
}

std::vector<int32_t> Iota(int32_t n, int32_t start = 100) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Fills sequence seq with tokens and indexes its full blocks, as the engine does.
void FillAndIndex(KvCache& kv, PrefixCache& cache, int32_t seq, const std::vector<int32_t>& tokens) {
  ASSERT_TRUE(kv.Reserve(seq, static_cast<int32_t>(tokens.size())).ok());
  kv.Commit(seq, static_cast<int32_t>(tokens.size()));
  const BlockTable* t = kv.Table(seq);
  uint64_t parent = kPrefixRootHash;
  for (size_t b = 0; b < tokens.size() / 4; ++b)
    parent = cache.Insert(parent, std::span<const int32_t>(tokens).subspan(b * 4, 4), t->blocks[b]);
}

void Release(KvCache& kv, PrefixCache& cache, int32_t seq) {
  const std::vector<int32_t> blocks = kv.Table(seq)->blocks;
  kv.Remove(seq);
  cache.MarkReleased(blocks);
}

TEST(PrefixCache, LongestPrefixOfWholeBlocksHits) {
  KvCache kv(TinyLayout(), 16, 64);
  PrefixCache cache(kv.pool());
  const auto toks = Iota(10);  // 2 full blocks + 2 tokens
  FillAndIndex(kv, cache, 1, toks);
  EXPECT_EQ(cache.n_cached(), 2);
  auto same = cache.Match(toks, 100);
  ASSERT_EQ(same.size(), 2u);
  EXPECT_EQ(same[0], kv.Table(1)->blocks[0]);
  EXPECT_EQ(same[1], kv.Table(1)->blocks[1]);
  // Diverging in the second block: only the first one matches.
  auto other = toks;
  other[5] = 7;
  EXPECT_EQ(cache.Match(other, 100).size(), 1u);
  // Same second block after a different first block: the chain hash tells them apart.
  auto shifted = toks;
  shifted[0] = 7;
  EXPECT_TRUE(cache.Match(shifted, 100).empty());
  EXPECT_EQ(cache.Match(toks, 1).size(), 1u);  // max_blocks caps it
  EXPECT_EQ(cache.hit_tokens(), 4u * (2 + 1 + 0 + 1));
}

TEST(PrefixCache, SharedBlocksAreRefCountedAndSurviveTheirSequence) {
  KvCache kv(TinyLayout(), 16, 64);
  PrefixCache cache(kv.pool());
  const auto toks = Iota(8);
  FillAndIndex(kv, cache, 1, toks);
  const std::vector<int32_t> blocks = kv.Table(1)->blocks;
  EXPECT_EQ(kv.pool().ref_count(blocks[0]), 2);  // sequence + cache
  auto hit = cache.Match(toks, 2);
  kv.AttachBlocks(2, hit, 8);
  cache.MarkUsed(hit);
  EXPECT_EQ(kv.pool().ref_count(blocks[0]), 3);
  EXPECT_EQ(kv.SeqLength(2), 8);
  Release(kv, cache, 1);
  EXPECT_EQ(kv.pool().ref_count(blocks[0]), 2);
  EXPECT_EQ(cache.n_evictable(), 0);  // sequence 2 still uses them
  Release(kv, cache, 2);
  EXPECT_EQ(kv.pool().ref_count(blocks[0]), 1);
  EXPECT_EQ(cache.n_evictable(), 2);
  EXPECT_EQ(kv.pool().n_free(), 14);
  EXPECT_EQ(cache.Match(toks, 2).size(), 2u);  // still cached after both sequences ended
}

TEST(PrefixCache, EvictsLeastRecentlyUsedUnusedBlocksOnly) {
  KvCache kv(TinyLayout(), 4, 64);
  PrefixCache cache(kv.pool());
  const auto a = Iota(4, 100), b = Iota(4, 200), c = Iota(4, 300);
  FillAndIndex(kv, cache, 1, a);
  FillAndIndex(kv, cache, 2, b);
  FillAndIndex(kv, cache, 3, c);
  Release(kv, cache, 1);  // oldest unused
  Release(kv, cache, 2);
  // Sequence 3 keeps its block; pool: 1 free + 2 evictable.
  EXPECT_EQ(kv.pool().n_free(), 1);
  EXPECT_TRUE(cache.EnsureFree(2));
  EXPECT_TRUE(cache.Match(a, 1).empty());  // a went first
  EXPECT_EQ(cache.Match(b, 1).size(), 1u);
  // Using b again makes it the most recent; asking for everything can't evict sequence 3's.
  EXPECT_FALSE(cache.EnsureFree(4));
  EXPECT_TRUE(cache.Match(b, 1).empty());
  EXPECT_EQ(cache.Match(c, 1).size(), 1u);
  EXPECT_EQ(kv.pool().n_free(), 3);
}

TEST(PrefixCache, ReusedBlockMovesToTheBackOfTheLru) {
  KvCache kv(TinyLayout(), 8, 64);
  PrefixCache cache(kv.pool());
  const auto a = Iota(4, 100), b = Iota(4, 200);
  FillAndIndex(kv, cache, 1, a);
  FillAndIndex(kv, cache, 2, b);
  Release(kv, cache, 1);
  Release(kv, cache, 2);
  auto hit = cache.Match(a, 1);  // a is used again, then released: now newer than b
  kv.AttachBlocks(3, hit, 4);
  cache.MarkUsed(hit);
  Release(kv, cache, 3);
  ASSERT_TRUE(cache.EnsureFree(kv.pool().n_free() + 1));
  EXPECT_TRUE(cache.Match(b, 1).empty());
  EXPECT_EQ(cache.Match(a, 1).size(), 1u);
}

TEST(PrefixCache, DuplicateBlocksStayPrivate) {
  KvCache kv(TinyLayout(), 8, 64);
  PrefixCache cache(kv.pool());
  const auto a = Iota(4);
  FillAndIndex(kv, cache, 1, a);
  FillAndIndex(kv, cache, 2, a);  // computed twice concurrently: the second is not indexed
  EXPECT_EQ(cache.n_cached(), 1);
  EXPECT_EQ(kv.pool().ref_count(kv.Table(2)->blocks[0]), 1);
  Release(kv, cache, 2);
  EXPECT_EQ(kv.pool().n_free(), 7);
  EXPECT_EQ(cache.Match(a, 1)[0], kv.Table(1)->blocks[0]);
}

TEST(PrefixCache, EvictAllKeepsBlocksInUse) {
  KvCache kv(TinyLayout(), 8, 64);
  PrefixCache cache(kv.pool());
  FillAndIndex(kv, cache, 1, Iota(8));
  FillAndIndex(kv, cache, 2, Iota(4, 500));
  Release(kv, cache, 1);
  cache.EvictAll();
  EXPECT_EQ(cache.n_cached(), 1);
  EXPECT_EQ(kv.pool().n_free(), 7);
}

}  // namespace
}  // namespace fw::runtime
