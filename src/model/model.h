// A loaded model: the mmapped GGUF, its hyperparameters and bound weights. Load-time state
// only; everything that changes per request (KV cache, activation buffers) lives elsewhere
// (runtime/kv, model/forward.h), so one Model can serve many requests.
//
// Ownership: Model owns the GgufFile; weights() points into it. Immutable after Load, so it
// may be shared across threads.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "gguf/gguf_file.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace fw::model {

class Model {
 public:
  // Opens, validates and binds a GGUF file. Errors read "<problem>" (the caller adds the path).
  static Result<std::unique_ptr<Model>> Load(const std::string& path);
  // Same, for a GgufFile the caller already opened (taken over).
  static Result<std::unique_ptr<Model>> FromGguf(std::unique_ptr<GgufFile> file);

  const GgufFile& gguf() const { return *file_; }
  const HParams& hparams() const { return hp_; }
  const ModelWeights& weights() const { return w_; }

 private:
  Model() = default;
  std::unique_ptr<GgufFile> file_;
  HParams hp_;
  ModelWeights w_;
};

}  // namespace fw::model
