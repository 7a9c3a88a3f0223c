#include "gguf/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

namespace fw {
namespace {

class Bytes {
 public:
  explicit Bytes(std::vector<uint8_t>* out) : out_(out) {}
  template <typename T>
  void Put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_->insert(out_->end(), b, b + sizeof(T));
  }
  void PutString(const std::string& s) {
    Put<uint64_t>(s.size());
    out_->insert(out_->end(), s.begin(), s.end());
  }
  void PutValue(const GgufValue& v) {
    switch (v.type()) {
      case GgufValueType::UINT8: Put<uint8_t>(static_cast<uint8_t>(v.as_u64())); break;
      case GgufValueType::INT8: Put<int8_t>(static_cast<int8_t>(v.as_i64())); break;
      case GgufValueType::UINT16: Put<uint16_t>(static_cast<uint16_t>(v.as_u64())); break;
      case GgufValueType::INT16: Put<int16_t>(static_cast<int16_t>(v.as_i64())); break;
      case GgufValueType::UINT32: Put<uint32_t>(static_cast<uint32_t>(v.as_u64())); break;
      case GgufValueType::INT32: Put<int32_t>(static_cast<int32_t>(v.as_i64())); break;
      case GgufValueType::UINT64: Put<uint64_t>(v.as_u64()); break;
      case GgufValueType::INT64: Put<int64_t>(v.as_i64()); break;
      case GgufValueType::FLOAT32: Put<float>(static_cast<float>(v.as_f64())); break;
      case GgufValueType::FLOAT64: Put<double>(v.as_f64()); break;
      case GgufValueType::BOOL: Put<uint8_t>(v.as_bool() ? 1 : 0); break;
      case GgufValueType::STRING: PutString(v.as_string()); break;
      case GgufValueType::ARRAY: {
        const GgufArray& a = v.as_array();
        Put<uint32_t>(static_cast<uint32_t>(a.elem_type));
        Put<uint64_t>(a.items.size());
        for (const auto& item : a.items) PutValue(item);
        break;
      }
    }
  }
  void PadTo(uint64_t alignment) {
    while (out_->size() % alignment != 0) out_->push_back(0);
  }

 private:
  std::vector<uint8_t>* out_;
};

uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

void GgufWriter::Set(const std::string& key, GgufValue value) {
  for (auto& kv : kv_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  kv_.push_back(GgufKeyValue{key, std::move(value)});
}

void GgufWriter::Remove(const std::string& key) {
  for (auto it = kv_.begin(); it != kv_.end(); ++it) {
    if (it->key == key) {
      kv_.erase(it);
      return;
    }
  }
}

const GgufValue* GgufWriter::Find(const std::string& key) const {
  for (const auto& kv : kv_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

uint32_t GgufWriter::alignment() const {
  const GgufValue* v = Find("general.alignment");
  if (v != nullptr && v->type() == GgufValueType::UINT32) {
    const uint64_t a = v->as_u64();
    if (a != 0 && (a & (a - 1)) == 0) return static_cast<uint32_t>(a);
  }
  return kGgufDefaultAlignment;
}

Status GgufWriter::AddTensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                             const void* data, size_t size) {
  if (ne.empty() || ne.size() > static_cast<size_t>(kGgufMaxDims)) {
    return Status::Error("tensor '" + name + "' must have 1 to 4 dimensions");
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return Status::Error("duplicate tensor name '" + name + "'");
  }
  const GgmlTypeTraits& tr = TypeTraits(type);
  if (ne[0] % tr.block_size != 0) {
    return Status::Error("tensor '" + name + "' row of " + std::to_string(ne[0]) +
                         " elements is not a multiple of the " + std::string(tr.name) +
                         " block size");
  }
  uint64_t n = 1;
  for (int64_t d : ne) {
    if (d < 0) return Status::Error("tensor '" + name + "' has a negative dimension");
    n *= static_cast<uint64_t>(d);
  }
  const uint64_t expect = n / tr.block_size * tr.type_size;
  if (expect != size) {
    return Status::Error("tensor '" + name + "' holds " + std::to_string(size) + " bytes, its shape needs " +
                         std::to_string(expect));
  }
  tensors_.push_back(Tensor{name, type, ne, static_cast<const uint8_t*>(data), size, nullptr});
  return Status::Ok();
}

Status GgufWriter::AddOwnedTensor(const std::string& name, GgmlType type,
                                  const std::vector<int64_t>& ne, std::vector<uint8_t> data) {
  auto owned = std::make_shared<std::vector<uint8_t>>(std::move(data));
  FW_RETURN_IF_ERROR(AddTensor(name, type, ne, owned->data(), owned->size()));
  tensors_.back().owned = std::move(owned);
  return Status::Ok();
}

Status GgufWriter::CopyFrom(const GgufFile& src) {
  for (const auto& kv : src.metadata()) Set(kv.key, kv.value);
  for (const auto& t : src.tensors()) {
    std::vector<int64_t> ne(t.ne, t.ne + std::max(1, t.n_dims));
    FW_RETURN_IF_ERROR(AddTensor(t.name, t.type, ne, t.data, t.size_bytes));
  }
  return Status::Ok();
}

std::vector<uint8_t> GgufWriter::Header() const {
  std::vector<uint8_t> out;
  Bytes b(&out);
  out.insert(out.end(), {'G', 'G', 'U', 'F'});
  b.Put<uint32_t>(3);
  b.Put<uint64_t>(tensors_.size());
  b.Put<uint64_t>(kv_.size());
  for (const auto& kv : kv_) {
    b.PutString(kv.key);
    b.Put<uint32_t>(static_cast<uint32_t>(kv.value.type()));
    b.PutValue(kv.value);
  }
  const uint64_t align = alignment();
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    b.PutString(t.name);
    b.Put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) b.Put<uint64_t>(static_cast<uint64_t>(d));
    b.Put<uint32_t>(static_cast<uint32_t>(t.type));
    b.Put<uint64_t>(offset);
    offset = AlignUp(offset + t.size, align);
  }
  b.PadTo(align);
  return out;
}

std::vector<uint8_t> GgufWriter::WriteToBuffer() const {
  std::vector<uint8_t> out = Header();
  const uint64_t align = alignment();
  for (const auto& t : tensors_) {
    out.insert(out.end(), t.data, t.data + t.size);
    while (out.size() % align != 0) out.push_back(0);
  }
  return out;
}

Status GgufWriter::Write(const std::string& path,
                         const std::function<void(uint64_t, uint64_t)>& progress) const {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::Error("cannot create " + tmp + ": " + std::strerror(errno));
  const std::vector<uint8_t> header = Header();
  const uint64_t align = alignment();
  uint64_t total = 0;
  for (const auto& t : tensors_) total += t.size;
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  uint64_t done = 0;
  static const uint8_t kZeros[256] = {};
  for (const auto& t : tensors_) {
    if (!ok) break;
    ok = t.size == 0 || std::fwrite(t.data, 1, t.size, f) == t.size;
    const uint64_t pad = AlignUp(t.size, align) - t.size;
    for (uint64_t p = pad; ok && p > 0;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(p, sizeof kZeros));
      ok = std::fwrite(kZeros, 1, n, f) == n;
      p -= n;
    }
    done += t.size;
    if (progress) progress(done, total);
  }
  if (std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::remove(tmp.c_str());
    return Status::Error("writing " + path + " failed: " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Error("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace fw
