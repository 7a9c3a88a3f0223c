// A fixed pool of KV blocks (see kv_layout.h for what one block holds), allocated once.
// Blocks are handed out by id with a reference count so that sequences can share blocks
// (forks, and the prefix cache the serving engine adds on top); a block returns to the free
// list when its last reference is released.
//
// Not thread-safe: one owner (the engine's step loop, or a single-sequence session) calls it.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/kv/kv_layout.h"

namespace fw::runtime {

class BlockPool {
 public:
  // Reserves n_blocks x layout.block_bytes() bytes, zero-filled (so the memory is resident
  // from the start and the estimate matches what the process really holds).
  BlockPool(const KvLayout& layout, int32_t n_blocks);
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  const KvLayout& layout() const { return layout_; }
  int32_t n_blocks() const { return static_cast<int32_t>(ref_.size()); }
  int32_t n_free() const { return static_cast<int32_t>(free_.size()); }

  // A free block with reference count 1, or -1 when the pool is exhausted.
  int32_t Allocate();
  // Adds a reference to an allocated block.
  void Retain(int32_t block);
  // Drops one reference; the block is free again when the count reaches 0.
  void Release(int32_t block);
  int32_t ref_count(int32_t block) const { return ref_[static_cast<size_t>(block)]; }

  // Start of the K (kv = 0) or V (kv = 1) row of `slot` in `layer` of `block`:
  // layout().row_elems() elements of layout().type.
  uint8_t* Row(int32_t block, int32_t layer, int kv, int32_t slot) {
    return data_.data() + static_cast<size_t>(block) * layout_.block_bytes() +
           layout_.row_offset(layer, kv, slot);
  }
  const uint8_t* Row(int32_t block, int32_t layer, int kv, int32_t slot) const {
    return data_.data() + static_cast<size_t>(block) * layout_.block_bytes() +
           layout_.row_offset(layer, kv, slot);
  }
  uint8_t* BlockData(int32_t block) {
    return data_.data() + static_cast<size_t>(block) * layout_.block_bytes();
  }
  size_t bytes() const { return data_.size(); }

 private:
  KvLayout layout_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> ref_;   // per block; 0 = free
  std::vector<int32_t> free_;  // stack of free block ids (lowest id handed out first)
};

}  // namespace fw::runtime
