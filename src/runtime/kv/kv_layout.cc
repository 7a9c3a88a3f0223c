#include "runtime/kv/kv_layout.h"

namespace fw::runtime {

std::optional<KvType> ParseKvType(std::string_view s) {
  if (s == "f16" || s == "F16") return KvType::kF16;
  if (s == "f32" || s == "F32") return KvType::kF32;
  if (s == "q8_0" || s == "Q8_0") return KvType::kQ8_0;
  return std::nullopt;
}

std::string_view KvTypeName(KvType t) {
  switch (t) {
    case KvType::kF16: return "f16";
    case KvType::kF32: return "f32";
    case KvType::kQ8_0: return "q8_0";
  }
  return "?";
}

double KvElementBytes(KvType t) {
  switch (t) {
    case KvType::kF16: return 2.0;
    case KvType::kF32: return 4.0;
    case KvType::kQ8_0: return 34.0 / 32.0;
  }
  return 0.0;
}

bool KvTypeStorable(KvType t) { return t == KvType::kF16 || t == KvType::kF32; }

}  // namespace fw::runtime
