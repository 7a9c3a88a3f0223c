// GGUF parsing and validation. A Cursor reads little-endian fields with bounds checks; every
// error carries the byte offset of the field that failed.
#include "gguf/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace fw {
namespace {

constexpr int kMaxArrayDepth = 8;  // nested arrays deeper than this are rejected (stack safety)

std::string At(uint64_t offset) { return " at byte " + std::to_string(offset); }

class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  void seek(uint64_t p) { pos_ = p; }

  template <typename T>
  Status Read(T* out, const char* what) {
    if (remaining() < sizeof(T)) {
      return Status::Error(std::string("truncated file: ") + what + " needs " +
                           std::to_string(sizeof(T)) + " bytes but " +
                           std::to_string(remaining()) + " remain" + At(pos_));
    }
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  // Reads a u32 (v1) or u64 (v2+) count or length.
  Status ReadSize(bool wide, uint64_t* out, const char* what) {
    if (wide) return Read(out, what);
    uint32_t v = 0;
    FW_RETURN_IF_ERROR(Read(&v, what));
    *out = v;
    return Status::Ok();
  }

  Status ReadString(bool wide, std::string* out, const char* what) {
    const uint64_t at = pos_;
    uint64_t len = 0;
    FW_RETURN_IF_ERROR(ReadSize(wide, &len, what));
    if (len > remaining()) {
      return Status::Error(std::string(what) + " length " + std::to_string(len) +
                           " exceeds the " + std::to_string(remaining()) +
                           " bytes left in the file" + At(at));
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return Status::Ok();
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Smallest encoding of one value of type t, used to reject counts that cannot fit.
uint64_t MinValueBytes(GgufValueType t, bool wide) {
  switch (t) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::BOOL: return 1;
    case GgufValueType::UINT16: case GgufValueType::INT16: return 2;
    case GgufValueType::UINT32: case GgufValueType::INT32: case GgufValueType::FLOAT32: return 4;
    case GgufValueType::UINT64: case GgufValueType::INT64: case GgufValueType::FLOAT64: return 8;
    case GgufValueType::STRING: return wide ? 8 : 4;
    case GgufValueType::ARRAY: return 4 + (wide ? 8 : 4);
  }
  return 1;
}

}  // namespace

class GgufParser {
 public:
  explicit GgufParser(GgufFile* f) : f_(f), c_(f->bytes_, f->size_) {}

  Status Parse() {
    char magic[4];
    FW_RETURN_IF_ERROR(c_.Read(&magic, "magic"));
    if (std::memcmp(magic, "GGUF", 4) != 0) {
      return Status::Error("bad magic: not a GGUF file (expected \"GGUF\")" + At(0));
    }
    uint32_t version = 0;
    FW_RETURN_IF_ERROR(c_.Read(&version, "version"));
    if (version < 1 || version > 3) {
      std::string hint = (version & 0xFFFF) == 0 && version != 0 ? " (big-endian GGUF is not supported)" : "";
      return Status::Error("unknown GGUF version " + std::to_string(version) + hint + At(4));
    }
    f_->version_ = version;
    wide_ = version >= 2;

    uint64_t n_tensors = 0, n_kv = 0;
    const uint64_t n_tensors_at = c_.pos();
    FW_RETURN_IF_ERROR(c_.ReadSize(wide_, &n_tensors, "tensor count"));
    const uint64_t n_kv_at = c_.pos();
    FW_RETURN_IF_ERROR(c_.ReadSize(wide_, &n_kv, "metadata count"));
    const uint64_t min_kv = (wide_ ? 8 : 4) + 4 + 1;
    const uint64_t min_tensor = (wide_ ? 8 : 4) + 4 + 4 + 8;
    if (n_kv > c_.remaining() / min_kv) {
      return Status::Error("metadata count " + std::to_string(n_kv) + " cannot fit in the " +
                           std::to_string(c_.remaining()) + " bytes left" + At(n_kv_at));
    }
    if (n_tensors > c_.remaining() / min_tensor) {
      return Status::Error("tensor count " + std::to_string(n_tensors) + " cannot fit in the " +
                           std::to_string(c_.remaining()) + " bytes left" + At(n_tensors_at));
    }

    f_->kv_.reserve(static_cast<size_t>(n_kv));
    for (uint64_t i = 0; i < n_kv; ++i) FW_RETURN_IF_ERROR(ParseKeyValue());
    FW_RETURN_IF_ERROR(ReadAlignment());

    f_->tensors_.reserve(static_cast<size_t>(n_tensors));
    std::vector<uint64_t> info_at;
    for (uint64_t i = 0; i < n_tensors; ++i) {
      info_at.push_back(c_.pos());
      FW_RETURN_IF_ERROR(ParseTensorInfo());
    }

    const uint64_t align = f_->alignment_;
    const uint64_t end_of_infos = c_.pos();
    const uint64_t data_offset = (end_of_infos + align - 1) / align * align;
    f_->data_offset_ = data_offset;
    if (n_tensors > 0 && data_offset > f_->size_) {
      return Status::Error("truncated file: the data section would start at byte " +
                           std::to_string(data_offset) + " past the end of the " +
                           std::to_string(f_->size_) + "-byte file" + At(end_of_infos));
    }
    return PlaceTensors(info_at);
  }

 private:
  Status ParseKeyValue() {
    const uint64_t at = c_.pos();
    GgufKeyValue kv;
    FW_RETURN_IF_ERROR(c_.ReadString(wide_, &kv.key, "metadata key"));
    if (kv.key.empty()) return Status::Error("empty metadata key" + At(at));
    if (f_->kv_index_.count(kv.key) != 0) {
      return Status::Error("duplicate metadata key '" + kv.key + "'" + At(at));
    }
    const uint64_t type_at = c_.pos();
    uint32_t type = 0;
    FW_RETURN_IF_ERROR(c_.Read(&type, "metadata value type"));
    if (!IsValidGgufValueType(type)) {
      return Status::Error("metadata key '" + kv.key + "' has unknown value type " +
                           std::to_string(type) + At(type_at));
    }
    Status s = ParseValue(static_cast<GgufValueType>(type), 0, &kv.value);
    if (!s.ok()) return s.With("metadata key '" + kv.key + "'");
    f_->kv_index_[kv.key] = f_->kv_.size();
    f_->kv_.push_back(std::move(kv));
    return Status::Ok();
  }

  Status ParseValue(GgufValueType t, int depth, GgufValue* out) {
    switch (t) {
      case GgufValueType::UINT8: { uint8_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "u8 value")); *out = GgufValue::U8(v); break; }
      case GgufValueType::INT8: { int8_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "i8 value")); *out = GgufValue::I8(v); break; }
      case GgufValueType::UINT16: { uint16_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "u16 value")); *out = GgufValue::U16(v); break; }
      case GgufValueType::INT16: { int16_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "i16 value")); *out = GgufValue::I16(v); break; }
      case GgufValueType::UINT32: { uint32_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "u32 value")); *out = GgufValue::U32(v); break; }
      case GgufValueType::INT32: { int32_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "i32 value")); *out = GgufValue::I32(v); break; }
      case GgufValueType::UINT64: { uint64_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "u64 value")); *out = GgufValue::U64(v); break; }
      case GgufValueType::INT64: { int64_t v; FW_RETURN_IF_ERROR(c_.Read(&v, "i64 value")); *out = GgufValue::I64(v); break; }
      case GgufValueType::FLOAT32: { float v; FW_RETURN_IF_ERROR(c_.Read(&v, "f32 value")); *out = GgufValue::F32(v); break; }
      case GgufValueType::FLOAT64: { double v; FW_RETURN_IF_ERROR(c_.Read(&v, "f64 value")); *out = GgufValue::F64(v); break; }
      case GgufValueType::BOOL: {
        const uint64_t at = c_.pos();
        uint8_t v;
        FW_RETURN_IF_ERROR(c_.Read(&v, "bool value"));
        if (v > 1) return Status::Error("bool value " + std::to_string(v) + " is neither 0 nor 1" + At(at));
        *out = GgufValue::Bool(v != 0);
        break;
      }
      case GgufValueType::STRING: {
        std::string s;
        FW_RETURN_IF_ERROR(c_.ReadString(wide_, &s, "string value"));
        *out = GgufValue::String(std::move(s));
        break;
      }
      case GgufValueType::ARRAY: {
        const uint64_t at = c_.pos();
        if (depth >= kMaxArrayDepth) {
          return Status::Error("arrays nested deeper than " + std::to_string(kMaxArrayDepth) + At(at));
        }
        uint32_t elem = 0;
        FW_RETURN_IF_ERROR(c_.Read(&elem, "array element type"));
        if (!IsValidGgufValueType(elem)) {
          return Status::Error("array has unknown element type " + std::to_string(elem) + At(at));
        }
        const uint64_t count_at = c_.pos();
        uint64_t count = 0;
        FW_RETURN_IF_ERROR(c_.ReadSize(wide_, &count, "array length"));
        const auto et = static_cast<GgufValueType>(elem);
        if (count > c_.remaining() / MinValueBytes(et, wide_)) {
          return Status::Error("array length " + std::to_string(count) + " cannot fit in the " +
                               std::to_string(c_.remaining()) + " bytes left" + At(count_at));
        }
        std::vector<GgufValue> items(static_cast<size_t>(count));
        for (uint64_t i = 0; i < count; ++i) {
          FW_RETURN_IF_ERROR(ParseValue(et, depth + 1, &items[static_cast<size_t>(i)]));
        }
        *out = GgufValue::Array(et, std::move(items));
        break;
      }
    }
    return Status::Ok();
  }

  Status ReadAlignment() {
    const GgufValue* v = f_->Find("general.alignment");
    if (v == nullptr) return Status::Ok();
    if (v->type() != GgufValueType::UINT32) {
      return Status::Error("general.alignment must be u32, not " +
                           std::string(GgufValueTypeName(v->type())));
    }
    const uint64_t a = v->as_u64();
    if (a == 0 || (a & (a - 1)) != 0) {
      return Status::Error("general.alignment " + std::to_string(a) + " is not a power of two");
    }
    f_->alignment_ = static_cast<uint32_t>(a);
    return Status::Ok();
  }

  Status ParseTensorInfo() {
    const uint64_t at = c_.pos();
    GgufTensorInfo t;
    FW_RETURN_IF_ERROR(c_.ReadString(wide_, &t.name, "tensor name"));
    if (f_->tensor_index_.count(t.name) != 0) {
      return Status::Error("duplicate tensor name '" + t.name + "'" + At(at));
    }
    const std::string who = "tensor '" + t.name + "'";
    const uint64_t dims_at = c_.pos();
    uint32_t n_dims = 0;
    FW_RETURN_IF_ERROR(c_.Read(&n_dims, "tensor dimension count"));
    if (n_dims > static_cast<uint32_t>(kGgufMaxDims)) {
      return Status::Error(who + " has " + std::to_string(n_dims) + " dimensions (at most " +
                           std::to_string(kGgufMaxDims) + ")" + At(dims_at));
    }
    t.n_dims = static_cast<int>(n_dims);
    uint64_t n_elements = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne_at = c_.pos();
      uint64_t ne = 0;
      FW_RETURN_IF_ERROR(c_.ReadSize(wide_, &ne, "tensor dimension"));
      if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Status::Error(who + " dimension " + std::to_string(d) + " is too large (" +
                             std::to_string(ne) + ")" + At(ne_at));
      }
      t.ne[d] = static_cast<int64_t>(ne);
      if (ne != 0 && n_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ne) overflow = true;
      n_elements *= ne;
      if (overflow) {
        return Status::Error(who + " element count overflows (dimension product too large)" + At(ne_at));
      }
    }
    const uint64_t type_at = c_.pos();
    uint32_t type = 0;
    FW_RETURN_IF_ERROR(c_.Read(&type, "tensor type"));
    const auto traits = LookupGgmlType(type);
    if (!traits) {
      return Status::Error(who + " has unknown tensor type " + std::to_string(type) + At(type_at));
    }
    t.type = traits->type;
    if (t.ne[0] % traits->block_size != 0) {
      return Status::Error(who + " rows of " + std::to_string(t.ne[0]) +
                           " elements are not a multiple of the " + std::string(traits->name) +
                           " block size " + std::to_string(traits->block_size) + At(type_at));
    }
    const uint64_t blocks = n_elements / traits->block_size;
    if (blocks > std::numeric_limits<uint64_t>::max() / traits->type_size) {
      return Status::Error(who + " byte size overflows" + At(type_at));
    }
    t.size_bytes = blocks * traits->type_size;
    const uint64_t off_at = c_.pos();
    FW_RETURN_IF_ERROR(c_.Read(&t.offset, "tensor data offset"));
    if (t.offset % f_->alignment_ != 0) {
      return Status::Error(who + " data offset " + std::to_string(t.offset) +
                           " is not a multiple of the alignment " +
                           std::to_string(f_->alignment_) + At(off_at));
    }
    offset_field_at_.push_back(off_at);
    f_->tensor_index_[t.name] = f_->tensors_.size();
    f_->tensors_.push_back(std::move(t));
    return Status::Ok();
  }

  Status PlaceTensors(const std::vector<uint64_t>& info_at) {
    (void)info_at;
    const uint64_t data_size = f_->size_ >= f_->data_offset_ ? f_->size_ - f_->data_offset_ : 0;
    std::vector<size_t> order(f_->tensors_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (size_t i : order) {
      GgufTensorInfo& t = f_->tensors_[i];
      if (t.offset > data_size || t.size_bytes > data_size - t.offset) {
        return Status::Error("tensor '" + t.name + "' data [" + std::to_string(t.offset) + ", " +
                             std::to_string(t.offset) + "+" + std::to_string(t.size_bytes) +
                             ") lies outside the " + std::to_string(data_size) +
                             "-byte data section (truncated file?)" + At(offset_field_at_[i]));
      }
      t.data = f_->bytes_ + f_->data_offset_ + t.offset;
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return f_->tensors_[a].offset < f_->tensors_[b].offset;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const GgufTensorInfo& prev = f_->tensors_[order[k - 1]];
      const GgufTensorInfo& cur = f_->tensors_[order[k]];
      if (prev.size_bytes > 0 && cur.size_bytes > 0 && cur.offset < prev.offset + prev.size_bytes) {
        return Status::Error("tensor '" + cur.name + "' overlaps tensor '" + prev.name + "'" +
                             At(offset_field_at_[order[k]]));
      }
    }
    return Status::Ok();
  }

  GgufFile* f_;
  Cursor c_;
  bool wide_ = true;
  std::vector<uint64_t> offset_field_at_;
};

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(const uint8_t* data, size_t size) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->bytes_ = data;
  f->size_ = size;
  GgufParser p(f.get());
  FW_RETURN_IF_ERROR(p.Parse());
  return f;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  auto map = MappedFile::Open(path);
  if (!map.ok()) return map.status();
  std::unique_ptr<MappedFile> m = std::move(map).value();
  const uint8_t* data = m->data();
  const size_t size = m->size();
  static const uint8_t kEmpty[1] = {0};
  auto parsed = Parse(data != nullptr ? data : kEmpty, size);
  if (!parsed.ok()) return parsed.status();
  std::unique_ptr<GgufFile> f = std::move(parsed).value();
  f->map_ = std::move(m);
  return f;
}

const GgufValue* GgufFile::Find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].value;
}

const GgufTensorInfo* GgufFile::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::string GgufFile::architecture() const {
  const GgufValue* v = Find("general.architecture");
  return v != nullptr && v->type() == GgufValueType::STRING ? v->as_string() : std::string();
}

// ---- typed metadata access ----------------------------------------------------------------

namespace {

Status Missing(const std::string& key) { return Status::Error("metadata key '" + key + "' is missing"); }

Status Mistyped(const std::string& key, const GgufValue& v, const char* want) {
  std::string got(GgufValueTypeName(v.type()));
  if (v.is_array()) got = "array of " + std::string(GgufValueTypeName(v.as_array().elem_type));
  return Status::Error("metadata key '" + key + "' has type " + got + ", expected " + want);
}

bool IsSigned(GgufValueType t) {
  return t == GgufValueType::INT8 || t == GgufValueType::INT16 || t == GgufValueType::INT32 ||
         t == GgufValueType::INT64;
}

}  // namespace

Result<std::string> GgufFile::GetString(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (v->type() != GgufValueType::STRING) return Mistyped(key, *v, "string");
  return v->as_string();
}

Result<int64_t> GgufFile::GetI64(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_integer()) return Mistyped(key, *v, "an integer");
  if (v->type() == GgufValueType::UINT64 && v->as_u64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::Error("metadata key '" + key + "' value " + std::to_string(v->as_u64()) + " does not fit in i64");
  }
  return v->as_i64();
}

Result<uint64_t> GgufFile::GetU64(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_integer()) return Mistyped(key, *v, "an integer");
  if (IsSigned(v->type()) && v->as_i64() < 0) {
    return Status::Error("metadata key '" + key + "' is negative (" + std::to_string(v->as_i64()) + ")");
  }
  return v->as_u64();
}

Result<uint32_t> GgufFile::GetU32(const std::string& key) const {
  auto r = GetU64(key);
  if (!r.ok()) return r.status();
  if (r.value() > std::numeric_limits<uint32_t>::max()) {
    return Status::Error("metadata key '" + key + "' value " + std::to_string(r.value()) + " does not fit in u32");
  }
  return static_cast<uint32_t>(r.value());
}

Result<float> GgufFile::GetF32(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_float()) return Mistyped(key, *v, "f32");
  return static_cast<float>(v->as_f64());
}

Result<bool> GgufFile::GetBool(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (v->type() != GgufValueType::BOOL) return Mistyped(key, *v, "bool");
  return v->as_bool();
}

Result<std::vector<std::string>> GgufFile::GetStringArray(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array() || v->as_array().elem_type != GgufValueType::STRING) {
    return Mistyped(key, *v, "array of string");
  }
  std::vector<std::string> out;
  out.reserve(v->as_array().items.size());
  for (const auto& item : v->as_array().items) out.push_back(item.as_string());
  return out;
}

Result<std::vector<float>> GgufFile::GetF32Array(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array() || !(v->as_array().elem_type == GgufValueType::FLOAT32 ||
                          v->as_array().elem_type == GgufValueType::FLOAT64)) {
    return Mistyped(key, *v, "array of f32");
  }
  std::vector<float> out;
  out.reserve(v->as_array().items.size());
  for (const auto& item : v->as_array().items) out.push_back(static_cast<float>(item.as_f64()));
  return out;
}

Result<std::vector<int32_t>> GgufFile::GetI32Array(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array()) return Mistyped(key, *v, "array of i32");
  const GgufValueType et = v->as_array().elem_type;
  const bool ok_type = et == GgufValueType::INT32 || et == GgufValueType::UINT32 ||
                       et == GgufValueType::INT8 || et == GgufValueType::UINT8 ||
                       et == GgufValueType::INT16 || et == GgufValueType::UINT16;
  if (!ok_type) return Mistyped(key, *v, "array of i32");
  std::vector<int32_t> out;
  out.reserve(v->as_array().items.size());
  for (const auto& item : v->as_array().items) out.push_back(static_cast<int32_t>(item.as_i64()));
  return out;
}

Result<uint32_t> GgufFile::GetU32Or(const std::string& key, uint32_t def) const {
  return Has(key) ? GetU32(key) : Result<uint32_t>(def);
}
Result<float> GgufFile::GetF32Or(const std::string& key, float def) const {
  return Has(key) ? GetF32(key) : Result<float>(def);
}
Result<bool> GgufFile::GetBoolOr(const std::string& key, bool def) const {
  return Has(key) ? GetBool(key) : Result<bool>(def);
}
Result<std::string> GgufFile::GetStringOr(const std::string& key, const std::string& def) const {
  return Has(key) ? GetString(key) : Result<std::string>(def);
}

}  // namespace fw
