// Test-only: the tensor directory of a GGUF v2/v3 file, for the golden tests of tensor/.
// tensor/ sits below gguf/ in the module order, so its tests cannot link the real reader
// (gguf/gguf_file.h); this minimal, independent parser (header, skipped metadata, tensor
// infos) is enough to find each tensor's type, shape and bytes. Every read is bounds-checked;
// on malformed input Open() returns an error string instead of a directory.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "tensor/ggml_type.h"

namespace fw::quant_test {

struct TensorRef {
  std::string name;
  uint32_t type = 0;
  int64_t ne[4] = {1, 1, 1, 1};
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
};

class TensorDirectory {
 public:
  // Returns "" on success, else the problem.
  std::string Open(const std::string& path) {
    auto mapped = MappedFile::Open(path);
    if (!mapped.ok()) return mapped.message();
    file_ = std::move(mapped).value();
    p_ = file_->data();
    end_ = p_ + file_->size();
    uint32_t magic = 0, version = 0;
    uint64_t n_tensors = 0, n_kv = 0;
    if (!Read(&magic) || magic != 0x46554747u) return "not a GGUF file";
    if (!Read(&version) || (version != 2 && version != 3)) return "unsupported GGUF version";
    if (!Read(&n_tensors) || !Read(&n_kv)) return "truncated header";
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < n_kv; ++i) {
      std::string key;
      uint32_t type = 0;
      if (!ReadString(&key) || !Read(&type)) return "truncated metadata";
      if (key == "general.alignment" && type == 4) {
        uint32_t a = 0;
        if (!Read(&a) || a == 0) return "bad alignment";
        alignment = a;
      } else if (!SkipValue(type, 0)) {
        return "bad metadata value for " + key;
      }
    }
    std::vector<uint64_t> offsets;
    for (uint64_t i = 0; i < n_tensors; ++i) {
      TensorRef t;
      uint32_t n_dims = 0;
      if (!ReadString(&t.name) || !Read(&n_dims) || n_dims > 4) return "bad tensor info";
      for (uint32_t d = 0; d < n_dims; ++d) {
        uint64_t ne = 0;
        if (!Read(&ne) || ne > (1ull << 40)) return "bad tensor dims";
        t.ne[d] = static_cast<int64_t>(ne);
      }
      uint64_t offset = 0;
      if (!Read(&t.type) || !Read(&offset)) return "bad tensor info";
      tensors_.push_back(t);
      offsets.push_back(offset);
    }
    const uint64_t header = static_cast<uint64_t>(p_ - file_->data());
    const uint64_t data_start = (header + alignment - 1) / alignment * alignment;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      TensorRef& t = tensors_[i];
      const auto traits = LookupGgmlType(t.type);
      if (!traits || t.ne[0] % traits->block_size != 0) return "bad tensor type in " + t.name;
      t.size = static_cast<uint64_t>(t.rows()) * RowBytes(static_cast<GgmlType>(t.type), t.ne[0]);
      if (data_start + offsets[i] > file_->size() || t.size > file_->size() - data_start - offsets[i])
        return "tensor " + t.name + " out of bounds";
      t.data = file_->data() + data_start + offsets[i];
    }
    return "";
  }

  const std::vector<TensorRef>& tensors() const { return tensors_; }
  const TensorRef* Find(const std::string& name) const {
    for (const TensorRef& t : tensors_)
      if (t.name == name) return &t;
    return nullptr;
  }

 private:
  template <typename T>
  bool Read(T* v) {
    if (end_ - p_ < static_cast<std::ptrdiff_t>(sizeof(T))) return false;
    std::memcpy(v, p_, sizeof(T));
    p_ += sizeof(T);
    return true;
  }
  bool ReadString(std::string* s) {
    uint64_t len = 0;
    if (!Read(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    s->assign(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > static_cast<uint64_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  bool SkipValue(uint32_t type, int depth) {
    static constexpr int kSizes[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type > 12) return false;
    if (type == 8) {
      std::string s;
      return ReadString(&s);
    }
    if (type == 9) {
      uint32_t item = 0;
      uint64_t n = 0;
      if (depth > 2 || !Read(&item) || !Read(&n) || item > 12) return false;
      if (item != 8 && item != 9) return n <= (1ull << 40) && Skip(n * kSizes[item]);
      for (uint64_t i = 0; i < n; ++i)
        if (!SkipValue(item, depth + 1)) return false;
      return true;
    }
    return Skip(kSizes[type]);
  }

  std::unique_ptr<MappedFile> file_;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  std::vector<TensorRef> tensors_;
};

}  // namespace fw::quant_test
