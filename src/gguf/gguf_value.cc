#include "gguf/gguf_value.h"

#include <cstdio>
#include <cstring>
#include <limits>

namespace fw {

std::string_view GgufValueTypeName(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8: return "u8";
    case GgufValueType::INT8: return "i8";
    case GgufValueType::UINT16: return "u16";
    case GgufValueType::INT16: return "i16";
    case GgufValueType::UINT32: return "u32";
    case GgufValueType::INT32: return "i32";
    case GgufValueType::FLOAT32: return "f32";
    case GgufValueType::BOOL: return "bool";
    case GgufValueType::STRING: return "string";
    case GgufValueType::ARRAY: return "array";
    case GgufValueType::UINT64: return "u64";
    case GgufValueType::INT64: return "i64";
    case GgufValueType::FLOAT64: return "f64";
  }
  return "unknown";
}

bool IsValidGgufValueType(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::FLOAT64); }

GgufValue GgufValue::Array(GgufValueType elem_type, std::vector<GgufValue> items) {
  auto arr = std::make_shared<GgufArray>();
  arr->elem_type = elem_type;
  arr->items = std::move(items);
  return GgufValue(GgufValueType::ARRAY, std::move(arr));
}

GgufValue GgufValue::StringArray(const std::vector<std::string>& items) {
  std::vector<GgufValue> v;
  v.reserve(items.size());
  for (const auto& s : items) v.push_back(String(s));
  return Array(GgufValueType::STRING, std::move(v));
}

GgufValue GgufValue::F32Array(const std::vector<float>& items) {
  std::vector<GgufValue> v;
  v.reserve(items.size());
  for (float f : items) v.push_back(F32(f));
  return Array(GgufValueType::FLOAT32, std::move(v));
}

GgufValue GgufValue::I32Array(const std::vector<int32_t>& items) {
  std::vector<GgufValue> v;
  v.reserve(items.size());
  for (int32_t i : items) v.push_back(I32(i));
  return Array(GgufValueType::INT32, std::move(v));
}

bool GgufValue::is_integer() const {
  switch (type_) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16:
    case GgufValueType::INT16: case GgufValueType::UINT32: case GgufValueType::INT32:
    case GgufValueType::UINT64: case GgufValueType::INT64:
      return true;
    default:
      return false;
  }
}

uint64_t GgufValue::as_u64() const {
  if (const auto* u = std::get_if<uint64_t>(&v_)) return *u;
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<uint64_t>(*i);
  return 0;
}

int64_t GgufValue::as_i64() const {
  if (const auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v_)) return static_cast<int64_t>(*u);
  return 0;
}

double GgufValue::as_f64() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<uint64_t>(&v_)) return static_cast<double>(*u);
  return 0.0;
}

std::string GgufValue::ToDisplayString(size_t max_len) const {
  std::string out;
  switch (type_) {
    case GgufValueType::BOOL: out = as_bool() ? "true" : "false"; break;
    case GgufValueType::STRING: {
      out = "\"";
      for (char c : as_string()) {
        if (c == '\n') out += "\\n";
        else if (c == '"') out += "\\\"";
        else out += c;
        if (out.size() > max_len) break;
      }
      out += "\"";
      break;
    }
    case GgufValueType::FLOAT32:
    case GgufValueType::FLOAT64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", as_f64());
      out = buf;
      break;
    }
    case GgufValueType::ARRAY: {
      const GgufArray& a = as_array();
      if (a.items.size() <= 8 && a.elem_type != GgufValueType::ARRAY) {
        out = "[";
        for (size_t i = 0; i < a.items.size(); ++i) {
          if (i) out += ", ";
          out += a.items[i].ToDisplayString(max_len);
        }
        out += "]";
      } else {
        out = "[array of " + std::to_string(a.items.size()) + " " +
              std::string(GgufValueTypeName(a.elem_type)) + "]";
      }
      break;
    }
    case GgufValueType::UINT8: case GgufValueType::UINT16: case GgufValueType::UINT32:
    case GgufValueType::UINT64:
      out = std::to_string(as_u64());
      break;
    default:
      out = std::to_string(as_i64());
      break;
  }
  if (out.size() > max_len + 2) out = out.substr(0, max_len) + "...";
  return out;
}

bool operator==(const GgufValue& a, const GgufValue& b) {
  if (a.type_ != b.type_) return false;
  if (a.type_ == GgufValueType::ARRAY) {
    const GgufArray& x = a.as_array();
    const GgufArray& y = b.as_array();
    return x.elem_type == y.elem_type && x.items == y.items;
  }
  if (a.is_float()) {
    // Bitwise-equal doubles (NaN == NaN for round-trip purposes).
    double da = a.as_f64(), db = b.as_f64();
    return std::memcmp(&da, &db, sizeof da) == 0;
  }
  return a.v_ == b.v_;
}

}  // namespace fw
