#include "runtime/kv/kv_cache.h"

#include <cstring>
#include <string>

namespace fw::runtime {

KvCache::KvCache(const KvLayout& layout, int32_t n_blocks, int32_t max_seq_tokens)
    : pool_(layout, n_blocks), max_seq_tokens_(max_seq_tokens) {}

int32_t KvCache::SeqLength(int32_t seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : it->second.n_tokens;
}

const BlockTable* KvCache::Table(int32_t seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? nullptr : &it->second;
}

Status KvCache::Reserve(int32_t seq, int32_t new_length) {
  if (new_length > max_seq_tokens_)
    return Status::Error("context full: sequence needs " + std::to_string(new_length) +
                         " positions, the context holds " + std::to_string(max_seq_tokens_));
  BlockTable& t = seqs_[seq];
  if (t.blocks.capacity() == 0)
    t.blocks.reserve(static_cast<size_t>((max_seq_tokens_ + layout().block_tokens - 1) / layout().block_tokens));
  const int32_t bt = layout().block_tokens;
  // Copy-on-write: the block that will receive position n_tokens, if it already exists and
  // is shared, is replaced by a private copy.
  if (new_length > t.n_tokens && t.n_tokens % bt != 0) {
    const size_t idx = static_cast<size_t>(t.n_tokens / bt);
    const int32_t old = t.blocks[idx];
    if (pool_.ref_count(old) > 1) {
      const int32_t fresh = pool_.Allocate();
      if (fresh < 0) return Status::Error("KV cache full: no free block for copy-on-write");
      std::memcpy(pool_.BlockData(fresh), pool_.BlockData(old), layout().block_bytes());
      pool_.Release(old);
      t.blocks[idx] = fresh;
    }
  }
  const size_t need = static_cast<size_t>((new_length + bt - 1) / bt);
  const size_t had = t.blocks.size();
  while (t.blocks.size() < need) {
    const int32_t b = pool_.Allocate();
    if (b < 0) {
      while (t.blocks.size() > had) {  // undo this call's allocations
        pool_.Release(t.blocks.back());
        t.blocks.pop_back();
      }
      return Status::Error("KV cache full: no free block (pool of " +
                           std::to_string(pool_.n_blocks()) + " blocks of " +
                           std::to_string(bt) + " tokens)");
    }
    t.blocks.push_back(b);
  }
  return Status::Ok();
}

void KvCache::Commit(int32_t seq, int32_t new_length) { seqs_[seq].n_tokens = new_length; }

void KvCache::Truncate(int32_t seq, int32_t n) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  BlockTable& t = it->second;
  if (n < 0) n = 0;
  if (n < t.n_tokens) t.n_tokens = n;
  const size_t keep = static_cast<size_t>((t.n_tokens + layout().block_tokens - 1) / layout().block_tokens);
  while (t.blocks.size() > keep) {
    pool_.Release(t.blocks.back());
    t.blocks.pop_back();
  }
}

void KvCache::Remove(int32_t seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  for (int32_t b : it->second.blocks) pool_.Release(b);
  seqs_.erase(it);
}

void KvCache::Fork(int32_t src, int32_t dst) {
  if (src == dst) return;
  Remove(dst);
  auto it = seqs_.find(src);
  if (it == seqs_.end()) return;
  BlockTable copy = it->second;
  for (int32_t b : copy.blocks) pool_.Retain(b);
  seqs_[dst] = std::move(copy);
}

void KvCache::AttachBlocks(int32_t seq, std::span<const int32_t> blocks, int32_t n_tokens) {
  Remove(seq);
  BlockTable& t = seqs_[seq];
  t.blocks.reserve(static_cast<size_t>((max_seq_tokens_ + layout().block_tokens - 1) / layout().block_tokens));
  for (int32_t b : blocks) {
    pool_.Retain(b);
    t.blocks.push_back(b);
  }
  t.n_tokens = n_tokens;
}

}  // namespace fw::runtime
