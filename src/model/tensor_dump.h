// Writes every stage of a ForwardPass to a file (flywheel run --dump-tensors), to line up
// flywheel's activations with another engine's (llama.cpp's eval callback names its tensors
// the same way) and find the first operation whose arithmetic differs.
//
// Format, one record per stage and micro-batch, in the order the forward pass runs them:
//   a text line "<batch> <name> <rows> <width>\n", where <batch> counts micro-batches (forward
//   passes over up to n_batch tokens) from 0 and <name> is the stage name with "-<layer>" for per-layer stages ("Qcur-3"),
//   then rows * width little-endian float32 values (row-major), then "\n".
//
// Not thread-safe; owns its FILE. The ForwardPass must not outlive it while attached.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "base/status.h"
#include "model/forward.h"

namespace fw::model {

class TensorDump {
 public:
  static Result<std::unique_ptr<TensorDump>> Open(const std::string& path);
  ~TensorDump();

  // Attaches to `forward`: from now on every stage is written.
  void Attach(ForwardPass& forward);
  // False once a write failed (disk full ...); the error names the file.
  Status status() const;

 private:
  explicit TensorDump(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  static void Write(void* self, const char* name, int32_t layer, const float* data, int32_t rows, int32_t width);

  std::FILE* f_;
  std::string path_;
  int64_t batch_ = -1;  // the micro-batch being written; each starts with "attn_norm-0"
  bool failed_ = false;
};

}  // namespace fw::model
