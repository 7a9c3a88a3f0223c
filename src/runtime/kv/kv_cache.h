// The paged KV cache: a BlockPool plus one block table per sequence. Token position p of a
// sequence lives in block table[p / block_tokens], slot p % block_tokens; positions are
// dense (a sequence of length n holds positions 0..n-1).
//
// The forward pass calls Reserve() for the tokens it is about to write, writes their K/V
// rows through RowFor(), then Commit()s the new length. Writing into a block shared with
// another sequence copies it first (copy-on-write), so forks never see each other's tokens.
//
// Not thread-safe; the forward pass only reads rows concurrently after Reserve().
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "runtime/kv/block_pool.h"

namespace fw::runtime {

struct BlockTable {
  std::vector<int32_t> blocks;  // pool block ids, in position order
  int32_t n_tokens = 0;         // committed positions
};

class KvCache {
 public:
  // max_seq_tokens bounds one sequence (the context size); n_blocks sizes the pool.
  KvCache(const KvLayout& layout, int32_t n_blocks, int32_t max_seq_tokens);

  // A cache for n_seq sequences of up to n_ctx tokens each.
  static int32_t BlocksFor(const KvLayout& layout, int32_t n_ctx, int32_t n_seq) {
    return n_seq * ((n_ctx + layout.block_tokens - 1) / layout.block_tokens);
  }

  BlockPool& pool() { return pool_; }
  const BlockPool& pool() const { return pool_; }
  const KvLayout& layout() const { return pool_.layout(); }
  int32_t max_seq_tokens() const { return max_seq_tokens_; }

  // Committed length of a sequence (0 for one never seen).
  int32_t SeqLength(int32_t seq) const;
  // Block table of a sequence, or nullptr.
  const BlockTable* Table(int32_t seq) const;

  // Makes positions [SeqLength, new_length) writable: allocates blocks, copies a shared
  // last block. Fails (changing nothing already committed) when the sequence would exceed
  // max_seq_tokens or the pool runs out.
  Status Reserve(int32_t seq, int32_t new_length);
  // Records that positions < new_length hold valid K/V.
  void Commit(int32_t seq, int32_t new_length);
  // Drops positions >= n (whole blocks past the new end go back to the pool).
  void Truncate(int32_t seq, int32_t n);
  // Drops the sequence and releases all its blocks.
  void Remove(int32_t seq);
  // dst becomes a copy of src sharing all of src's blocks (dst's old blocks are released).
  void Fork(int32_t src, int32_t dst);
  // Starts sequence seq (which must be empty) on already-filled blocks shared with others (the
  // prefix cache): each block gains a reference; the length becomes n_tokens, which must not
  // exceed blocks.size() x block_tokens. Added for the serving engine's prefix cache.
  void AttachBlocks(int32_t seq, std::span<const int32_t> blocks, int32_t n_tokens);

  // The K (kv = 0) or V (kv = 1) row of position pos of a reserved sequence, in layer.
  uint8_t* RowFor(const BlockTable& t, int32_t layer, int kv, int32_t pos) {
    const int32_t bt = layout().block_tokens;
    return pool_.Row(t.blocks[static_cast<size_t>(pos / bt)], layer, kv, pos % bt);
  }
  const uint8_t* RowFor(const BlockTable& t, int32_t layer, int kv, int32_t pos) const {
    const int32_t bt = layout().block_tokens;
    return pool_.Row(t.blocks[static_cast<size_t>(pos / bt)], layer, kv, pos % bt);
  }

 private:
  BlockPool pool_;
  int32_t max_seq_tokens_;
  std::unordered_map<int32_t, BlockTable> seqs_;
};

}  // namespace fw::runtime
