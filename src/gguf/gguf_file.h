// GGUF reader: parses and validates an untrusted GGUF v1/v2/v3 file, mmapped.
//
// Layout (all little-endian):
//   magic "GGUF" u32 version | n_tensors | n_kv       (u32 counts in v1, u64 in v2+)
//   n_kv x { key:string, type:u32, value }            (string = len + bytes; len u32 in v1)
//   n_tensors x { name:string, n_dims:u32, ne[n_dims] (u32 in v1, u64 later), type:u32, offset:u64 }
//   padding to general.alignment (default 32), then the data section; tensor offsets are
//   relative to it and must be multiples of the alignment.
// Every failure is a one-line Status naming the problem and the byte offset where it was
// found. Nothing is read outside [data, data+size).
//
// Ownership: GgufFile owns the mapping (when opened from a path); TensorInfo::data points
// into it and stays valid for the GgufFile's lifetime. Immutable after parsing, so safe to
// share across threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"
#include "gguf/gguf_value.h"
#include "tensor/ggml_type.h"

namespace fw {

inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr int kGgufMaxDims = 4;

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  int n_dims = 0;
  int64_t ne[kGgufMaxDims] = {1, 1, 1, 1};  // ne[0] is the contiguous dimension (ggml order)
  uint64_t offset = 0;                      // relative to the data section
  uint64_t size_bytes = 0;
  const uint8_t* data = nullptr;            // into the mapping

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return RowBytes(type, ne[0]); }
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

class GgufFile {
 public:
  // Maps and parses a file. Errors read "<problem> at byte <offset>".
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses bytes owned by the caller, which must outlive the GgufFile (used by the fuzzer).
  static Result<std::unique_ptr<GgufFile>> Parse(const uint8_t* data, size_t size);

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute file offset of data section
  uint64_t file_size() const { return size_; }
  const uint8_t* file_data() const { return bytes_; }

  // Metadata in file order.
  const std::vector<GgufKeyValue>& metadata() const { return kv_; }
  const GgufValue* Find(const std::string& key) const;
  bool Has(const std::string& key) const { return Find(key) != nullptr; }

  // Typed access: a missing key or a value of another type is an error naming the key and
  // both types. Integer getters accept any integer type whose value fits.
  Result<std::string> GetString(const std::string& key) const;
  Result<uint32_t> GetU32(const std::string& key) const;
  Result<int64_t> GetI64(const std::string& key) const;
  Result<uint64_t> GetU64(const std::string& key) const;
  Result<float> GetF32(const std::string& key) const;   // accepts f32 and f64
  Result<bool> GetBool(const std::string& key) const;
  Result<std::vector<std::string>> GetStringArray(const std::string& key) const;
  Result<std::vector<float>> GetF32Array(const std::string& key) const;
  Result<std::vector<int32_t>> GetI32Array(const std::string& key) const;
  // Defaults for optional keys; a present key of the wrong type is still an error.
  Result<uint32_t> GetU32Or(const std::string& key, uint32_t def) const;
  Result<float> GetF32Or(const std::string& key, float def) const;
  Result<bool> GetBoolOr(const std::string& key, bool def) const;
  Result<std::string> GetStringOr(const std::string& key, const std::string& def) const;

  // "general.architecture", or "" when absent.
  std::string architecture() const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(const std::string& name) const;

 private:
  GgufFile() = default;
  std::unique_ptr<MappedFile> map_;
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;

  friend class GgufParser;
};

}  // namespace fw
