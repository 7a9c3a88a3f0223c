// GGUF writer: metadata and tensors, always GGUF v3 little-endian (the version llama.cpp
// writes and reads), tensor data aligned to general.alignment (default 32).
//
// Ownership: tensors added with AddTensor borrow their bytes, which must stay valid until
// Write returns (e.g. an mmapped source GgufFile); AddOwnedTensor keeps a copy.
// Not thread-safe; build one writer per output file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_value.h"
#include "tensor/ggml_type.h"

namespace fw {

class GgufWriter {
 public:
  GgufWriter() = default;

  // Sets or replaces a key, keeping the position of an existing key.
  void Set(const std::string& key, GgufValue value);
  void Remove(const std::string& key);
  const GgufValue* Find(const std::string& key) const;

  // ne[0] is the contiguous dimension. size must equal the type's byte size for ne.
  Status AddTensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                   const void* data, size_t size);
  Status AddOwnedTensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                        std::vector<uint8_t> data);

  // Copies every key and tensor of src (tensor bytes borrowed from src's mapping).
  Status CopyFrom(const GgufFile& src);

  // Writes to path atomically (path.tmp then rename). progress(done_bytes, total_bytes) is
  // called as tensor data is written, when given.
  Status Write(const std::string& path,
               const std::function<void(uint64_t, uint64_t)>& progress = nullptr) const;
  // The whole file in memory (tests, small files).
  std::vector<uint8_t> WriteToBuffer() const;

  uint32_t alignment() const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    const uint8_t* data;
    size_t size;
    std::shared_ptr<std::vector<uint8_t>> owned;
  };
  std::vector<uint8_t> Header() const;  // everything before the data section, padded

  std::vector<GgufKeyValue> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace fw
