// One forward pass's worth of tokens: each with its position in its sequence, its sequence
// id, and whether the caller wants its logits. Prefill of one prompt, one decode token each
// of many sequences, or a mix of both are all just batches.
//
// Plain data; not thread-safe. Reserve() once, then Clear()/Add() do not allocate.
#pragma once

#include <cstdint>
#include <vector>

namespace fw::runtime {

struct Batch {
  std::vector<int32_t> tokens;
  std::vector<int32_t> positions;  // 0-based position of the token within its sequence
  std::vector<int32_t> seq_ids;
  std::vector<uint8_t> want_logits;  // 1: produce this token's logits

  void Reserve(size_t n) {
    tokens.reserve(n);
    positions.reserve(n);
    seq_ids.reserve(n);
    want_logits.reserve(n);
  }
  void Clear() {
    tokens.clear();
    positions.clear();
    seq_ids.clear();
    want_logits.clear();
  }
  void Add(int32_t token, int32_t position, int32_t seq_id, bool logits) {
    tokens.push_back(token);
    positions.push_back(position);
    seq_ids.push_back(seq_id);
    want_logits.push_back(logits ? 1 : 0);
  }
  int32_t size() const { return static_cast<int32_t>(tokens.size()); }
  int32_t n_outputs() const {
    int32_t n = 0;
    for (uint8_t w : want_logits) n += w;
    return n;
  }
};

}  // namespace fw::runtime
