// Test-only: the tensor directory of a GGUF file for the golden tests of tensor/, a thin view
// over the real reader (gguf/gguf_file.h; tensor tests link fw_gguf, see FW_TEST_DEPS_tensor
// in CMakeLists.txt).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"

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
    auto f = GgufFile::Open(path);
    if (!f.ok()) return f.message();
    file_ = std::move(f).value();
    tensors_.clear();
    for (const auto& t : file_->tensors()) {
      TensorRef r;
      r.name = t.name;
      r.type = static_cast<uint32_t>(t.type);
      for (int d = 0; d < 4; ++d) r.ne[d] = t.ne[d];
      r.data = t.data;
      r.size = t.size_bytes;
      tensors_.push_back(std::move(r));
    }
    return "";
  }
  const std::vector<TensorRef>& tensors() const { return tensors_; }
  const TensorRef* Find(const std::string& name) const {
    for (const auto& t : tensors_) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

 private:
  std::unique_ptr<GgufFile> file_;
  std::vector<TensorRef> tensors_;
};

}  // namespace fw::quant_test
