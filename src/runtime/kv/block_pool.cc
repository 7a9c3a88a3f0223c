#include "runtime/kv/block_pool.h"

#include <cassert>

namespace fw::runtime {

BlockPool::BlockPool(const KvLayout& layout, int32_t n_blocks)
    : layout_(layout),
      data_(static_cast<size_t>(n_blocks) * layout.block_bytes(), 0),
      ref_(static_cast<size_t>(n_blocks), 0) {
  free_.reserve(static_cast<size_t>(n_blocks));
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

int32_t BlockPool::Allocate() {
  if (free_.empty()) return -1;
  const int32_t b = free_.back();
  free_.pop_back();
  ref_[static_cast<size_t>(b)] = 1;
  return b;
}

void BlockPool::Retain(int32_t block) {
  assert(block >= 0 && block < n_blocks() && ref_[static_cast<size_t>(block)] > 0);
  ++ref_[static_cast<size_t>(block)];
}

void BlockPool::Release(int32_t block) {
  assert(block >= 0 && block < n_blocks() && ref_[static_cast<size_t>(block)] > 0);
  if (--ref_[static_cast<size_t>(block)] == 0) free_.push_back(block);
}

}  // namespace fw::runtime
