// The shape of the paged KV cache: what one block holds and how its bytes are laid out.
//
// One block stores block_tokens consecutive token positions of one sequence for every layer:
//   block bytes = n_layer x 2 (K, V) x block_tokens x n_kv_heads x head_dim x elem_bytes
//   element (layer l, K|V, slot s, head h, d) at
//     ((l * 2 + kv) * block_tokens + s) * (n_kv_heads * head_dim) + h * head_dim + d
// so the K (or V) row of one token in one layer is contiguous (n_kv_heads x head_dim).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fw::runtime {

enum class KvType { kF16, kF32, kQ8_0 };

// "f16", "f32", "q8_0"; nullopt otherwise.
std::optional<KvType> ParseKvType(std::string_view s);
std::string_view KvTypeName(KvType t);
// Bytes per element as stored (q8_0: 34 bytes per 32 elements).
double KvElementBytes(KvType t);
// True when the cache can store this type (the engine keeps f16 and f32; q8_0 is estimate-only).
bool KvTypeStorable(KvType t);

struct KvLayout {
  int32_t n_layer = 0;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t block_tokens = 16;
  KvType type = KvType::kF16;

  int32_t row_elems() const { return n_kv_heads * head_dim; }  // one token, one layer, K or V
  size_t elem_bytes() const { return type == KvType::kF32 ? 4 : 2; }
  size_t row_bytes() const { return static_cast<size_t>(row_elems()) * elem_bytes(); }
  size_t block_bytes() const {
    return static_cast<size_t>(n_layer) * 2 * static_cast<size_t>(block_tokens) * row_bytes();
  }
  // Byte offset of the K (kv = 0) or V (kv = 1) row of slot s in layer l, within a block.
  size_t row_offset(int32_t layer, int kv, int32_t slot) const {
    return ((static_cast<size_t>(layer) * 2 + static_cast<size_t>(kv)) * block_tokens + slot) * row_bytes();
  }
};

}  // namespace fw::runtime
