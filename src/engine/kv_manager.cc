#include "engine/kv_manager.h"

#include <algorithm>
#include <span>
#include <vector>

namespace fw::engine {

void KvManager::AttachCachedPrefix(Sequence& s) {
  s.n_computed = s.n_cached = 0;
  s.block_hashes.clear();
  // Prompt logprobs need the logits of every prompt token, so nothing can be skipped.
  if (!enabled_ || s.req.prompt_logprobs) return;
  const int32_t bt = block_tokens();
  // At least the last prompt token is always computed: its logits give the first output.
  const int32_t max_blocks = (s.n_prompt - 1) / bt;
  std::span<const int32_t> prompt(s.tokens.data(), static_cast<size_t>(s.n_prompt));
  const std::vector<int32_t> blocks = cache_.Match(prompt, max_blocks);
  if (blocks.empty()) return;
  const int32_t n = static_cast<int32_t>(blocks.size()) * bt;
  kv_.AttachBlocks(s.id, blocks, n);
  cache_.MarkUsed(blocks);
  uint64_t parent = runtime::kPrefixRootHash;
  for (size_t b = 0; b < blocks.size(); ++b) {
    parent = runtime::HashBlockTokens(parent, prompt.subspan(b * static_cast<size_t>(bt), static_cast<size_t>(bt)));
    s.block_hashes.push_back(parent);
  }
  s.n_computed = s.n_cached = n;
}

bool KvManager::Reserve(Sequence& s, int32_t new_length) {
  if (new_length > kv_.max_seq_tokens()) return false;
  const int32_t bt = block_tokens();
  const runtime::BlockTable* t = kv_.Table(s.id);
  const int32_t have = t ? static_cast<int32_t>(t->blocks.size()) : 0;
  // Attached prefix blocks are always full, so no copy-on-write block is ever needed here.
  const int32_t need = (new_length + bt - 1) / bt - have;
  if (need > 0 && !cache_.EnsureFree(need)) return false;
  return kv_.Reserve(s.id, new_length).ok();
}

void KvManager::Free(Sequence& s) {
  const runtime::BlockTable* t = kv_.Table(s.id);
  if (t == nullptr) return;
  const std::vector<int32_t> blocks = t->blocks;
  kv_.Remove(s.id);
  cache_.MarkReleased(blocks);
}

void KvManager::RegisterFullBlocks(Sequence& s) {
  if (!enabled_) return;
  const runtime::BlockTable* t = kv_.Table(s.id);
  if (t == nullptr) return;
  const size_t bt = static_cast<size_t>(block_tokens());
  const size_t full = static_cast<size_t>(std::min<int32_t>(s.n_computed, t->n_tokens)) / bt;
  while (s.block_hashes.size() < full && s.block_hashes.size() < t->blocks.size()) {
    const size_t b = s.block_hashes.size();
    const uint64_t parent = b == 0 ? runtime::kPrefixRootHash : s.block_hashes[b - 1];
    std::span<const int32_t> chunk(s.tokens.data() + b * bt, bt);
    s.block_hashes.push_back(cache_.Insert(parent, chunk, t->blocks[b]));
  }
}

}  // namespace fw::engine
