// Block pool and paged KV cache: allocation, reference counts, block tables, copy-on-write,
// truncation and exhaustion.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "runtime/kv/block_pool.h"
#include "runtime/kv/kv_cache.h"

namespace fw::runtime {
namespace {

KvLayout SmallLayout() {
  KvLayout l;
  l.n_layer = 2;
  l.n_kv_heads = 2;
  l.head_dim = 4;
  l.block_tokens = 4;
  l.type = KvType::kF32;
  return l;
}

TEST(KvLayout, BytesAndOffsets) {
  const KvLayout l = SmallLayout();
  EXPECT_EQ(l.row_bytes(), 2u * 4 * 4);
  EXPECT_EQ(l.block_bytes(), 2u * 2 * 4 * l.row_bytes());
  // Rows of one block never overlap and tile it exactly.
  std::set<size_t> offsets;
  for (int layer = 0; layer < 2; ++layer)
    for (int kv = 0; kv < 2; ++kv)
      for (int s = 0; s < 4; ++s) offsets.insert(l.row_offset(layer, kv, s));
  EXPECT_EQ(offsets.size(), 16u);
  EXPECT_EQ(*offsets.rbegin() + l.row_bytes(), l.block_bytes());
  EXPECT_EQ(ParseKvType("q8_0"), KvType::kQ8_0);
  EXPECT_FALSE(ParseKvType("q4").has_value());
  EXPECT_DOUBLE_EQ(KvElementBytes(KvType::kQ8_0), 34.0 / 32.0);
}

TEST(KvBlockPool, AllocateReleaseRefCount) {
  BlockPool pool(SmallLayout(), 3);
  EXPECT_EQ(pool.n_free(), 3);
  const int32_t a = pool.Allocate(), b = pool.Allocate(), c = pool.Allocate();
  EXPECT_EQ(std::set<int32_t>({a, b, c}).size(), 3u);
  EXPECT_EQ(pool.Allocate(), -1);  // exhausted
  pool.Retain(b);
  EXPECT_EQ(pool.ref_count(b), 2);
  pool.Release(b);
  EXPECT_EQ(pool.n_free(), 0);
  pool.Release(b);
  EXPECT_EQ(pool.n_free(), 1);
  EXPECT_EQ(pool.Allocate(), b);
  EXPECT_EQ(pool.bytes(), 3 * SmallLayout().block_bytes());
}

TEST(KvCache, BlockTablesGrowByBlocks) {
  KvCache kv(SmallLayout(), 8, 16);
  ASSERT_TRUE(kv.Reserve(0, 5).ok());
  EXPECT_EQ(kv.Table(0)->blocks.size(), 2u);  // 5 positions in blocks of 4
  kv.Commit(0, 5);
  EXPECT_EQ(kv.SeqLength(0), 5);
  ASSERT_TRUE(kv.Reserve(1, 4).ok());
  kv.Commit(1, 4);
  EXPECT_EQ(kv.pool().n_free(), 8 - 3);
  // Different sequences never share a block.
  for (int32_t b : kv.Table(0)->blocks)
    for (int32_t c : kv.Table(1)->blocks) EXPECT_NE(b, c);
  // Rows of consecutive positions land in the right block and slot.
  const BlockTable& t = *kv.Table(0);
  EXPECT_EQ(kv.RowFor(t, 1, 0, 4), kv.pool().Row(t.blocks[1], 1, 0, 0));
  EXPECT_EQ(kv.RowFor(t, 0, 1, 3), kv.pool().Row(t.blocks[0], 0, 1, 3));
  kv.Remove(0);
  EXPECT_EQ(kv.SeqLength(0), 0);
  EXPECT_EQ(kv.pool().n_free(), 8 - 1);
}

TEST(KvCache, ContextAndPoolLimitsAreErrors) {
  KvCache kv(SmallLayout(), 3, 8);
  EXPECT_FALSE(kv.Reserve(0, 9).ok());  // longer than a sequence may be
  ASSERT_TRUE(kv.Reserve(0, 8).ok());
  kv.Commit(0, 8);
  const Status s = kv.Reserve(1, 8);     // needs 2 blocks, 1 left
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("KV cache full"), std::string::npos);
  EXPECT_EQ(kv.pool().n_free(), 1);      // the failed reservation took nothing
}

TEST(KvCache, TruncateReleasesWholeBlocks) {
  KvCache kv(SmallLayout(), 4, 16);
  ASSERT_TRUE(kv.Reserve(0, 10).ok());
  kv.Commit(0, 10);
  kv.Truncate(0, 5);
  EXPECT_EQ(kv.SeqLength(0), 5);
  EXPECT_EQ(kv.Table(0)->blocks.size(), 2u);
  EXPECT_EQ(kv.pool().n_free(), 2);
  kv.Truncate(0, 0);
  EXPECT_EQ(kv.pool().n_free(), 4);
}

TEST(KvCache, ForkSharesBlocksAndCopiesOnWrite) {
  KvCache kv(SmallLayout(), 8, 16);
  ASSERT_TRUE(kv.Reserve(0, 6).ok());
  kv.Commit(0, 6);
  const BlockTable& src = *kv.Table(0);
  // Mark position 5's K row in layer 0.
  float* row = reinterpret_cast<float*>(kv.RowFor(src, 0, 0, 5));
  row[0] = 42.0f;
  kv.Fork(0, 1);
  EXPECT_EQ(kv.Table(1)->blocks, kv.Table(0)->blocks);
  EXPECT_EQ(kv.pool().ref_count(kv.Table(0)->blocks[1]), 2);
  // Appending to the fork must not touch the shared partial block of sequence 0.
  ASSERT_TRUE(kv.Reserve(1, 7).ok());
  const BlockTable& fork = *kv.Table(1);
  EXPECT_EQ(fork.blocks[0], kv.Table(0)->blocks[0]);  // full block still shared
  EXPECT_NE(fork.blocks[1], kv.Table(0)->blocks[1]);  // partial block copied
  EXPECT_EQ(reinterpret_cast<const float*>(kv.RowFor(fork, 0, 0, 5))[0], 42.0f);
  reinterpret_cast<float*>(kv.RowFor(fork, 0, 0, 6))[0] = 7.0f;
  EXPECT_NE(reinterpret_cast<const float*>(kv.RowFor(*kv.Table(0), 0, 0, 5)), reinterpret_cast<const float*>(kv.RowFor(fork, 0, 0, 5)));
  kv.Remove(0);
  kv.Remove(1);
  EXPECT_EQ(kv.pool().n_free(), 8);
}

}  // namespace
}  // namespace fw::runtime
