// Grow-only, 64-byte aligned scratch memory. Each thread keeps its own (thread_local) so
// the token loop never allocates once the first token has sized them.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace fw::kernels {

class Scratch {
 public:
  // A buffer of at least `bytes` bytes; contents are not preserved when it grows.
  void* Get(size_t bytes) {
    if (bytes > capacity_) {
      const size_t rounded = (bytes + 4095) & ~size_t{4095};
      ptr_.reset(static_cast<unsigned char*>(std::aligned_alloc(64, rounded)));
      capacity_ = ptr_ ? rounded : 0;
    }
    return ptr_.get();
  }

 private:
  struct Free {
    void operator()(unsigned char* p) const { std::free(p); }
  };
  std::unique_ptr<unsigned char, Free> ptr_;
  size_t capacity_ = 0;
};

}  // namespace fw::kernels
