// GGUF metadata values: the 13 value types of the GGUF spec, arrays nested to any depth.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fw {

enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view GgufValueTypeName(GgufValueType t);
bool IsValidGgufValueType(uint32_t t);

struct GgufArray;

// One metadata value. Scalars keep their exact GGUF type so a round trip writes the same
// bytes; integers are stored widened (uint64_t / int64_t) and narrowed again on write.
class GgufValue {
 public:
  GgufValue() = default;
  static GgufValue U8(uint8_t v) { return GgufValue(GgufValueType::UINT8, uint64_t{v}); }
  static GgufValue I8(int8_t v) { return GgufValue(GgufValueType::INT8, int64_t{v}); }
  static GgufValue U16(uint16_t v) { return GgufValue(GgufValueType::UINT16, uint64_t{v}); }
  static GgufValue I16(int16_t v) { return GgufValue(GgufValueType::INT16, int64_t{v}); }
  static GgufValue U32(uint32_t v) { return GgufValue(GgufValueType::UINT32, uint64_t{v}); }
  static GgufValue I32(int32_t v) { return GgufValue(GgufValueType::INT32, int64_t{v}); }
  static GgufValue U64(uint64_t v) { return GgufValue(GgufValueType::UINT64, v); }
  static GgufValue I64(int64_t v) { return GgufValue(GgufValueType::INT64, v); }
  static GgufValue F32(float v) { return GgufValue(GgufValueType::FLOAT32, double{v}); }
  static GgufValue F64(double v) { return GgufValue(GgufValueType::FLOAT64, v); }
  static GgufValue Bool(bool v) { return GgufValue(GgufValueType::BOOL, v); }
  static GgufValue String(std::string v) { return GgufValue(GgufValueType::STRING, std::move(v)); }
  static GgufValue Array(GgufValueType elem_type, std::vector<GgufValue> items);
  static GgufValue StringArray(const std::vector<std::string>& items);
  static GgufValue F32Array(const std::vector<float>& items);
  static GgufValue I32Array(const std::vector<int32_t>& items);

  GgufValueType type() const { return type_; }
  bool is_integer() const;
  bool is_float() const { return type_ == GgufValueType::FLOAT32 || type_ == GgufValueType::FLOAT64; }
  bool is_array() const { return type_ == GgufValueType::ARRAY; }

  // Raw accessors; callers check type() first (GgufFile's typed getters do that).
  uint64_t as_u64() const;   // unsigned types, or a non-negative signed value
  int64_t as_i64() const;    // any integer type (uint64 above INT64_MAX wraps)
  double as_f64() const;     // float types
  bool as_bool() const { return std::get<bool>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const GgufArray& as_array() const { return *std::get<std::shared_ptr<GgufArray>>(v_); }

  // A short human rendering: numbers, quoted strings, "[array of 32000 string]".
  std::string ToDisplayString(size_t max_len = 80) const;

  friend bool operator==(const GgufValue& a, const GgufValue& b);

 private:
  using Storage = std::variant<std::monostate, uint64_t, int64_t, double, bool, std::string,
                               std::shared_ptr<GgufArray>>;
  GgufValue(GgufValueType t, Storage v) : type_(t), v_(std::move(v)) {}
  GgufValueType type_ = GgufValueType::UINT8;
  Storage v_;
};

struct GgufArray {
  GgufValueType elem_type = GgufValueType::UINT8;
  std::vector<GgufValue> items;
};

}  // namespace fw
