// Perplexity with llama.cpp's definition (llama-perplexity): the token stream is cut into
// floor(n_tokens / n_ctx) chunks of n_ctx tokens (the rest dropped); each chunk runs from an
// empty cache with its first token replaced by BOS, and scores the tokens after positions
// n_ctx/2 .. n_ctx-2 (the second half, whose context is at least half a chunk).
//   PPL = exp(mean NLL);  stderr = PPL * sqrt((mean(NLL^2) - mean(NLL)^2) / (count - 1))
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/status.h"
#include "model/model.h"
#include "model/session.h"

namespace fw::model {

struct PerplexityOptions {
  int32_t n_ctx = 128;
  int32_t n_batch = 128;  // tokens per forward call (<= n_ctx; a chunk spans n_ctx / n_batch calls)
  int32_t n_threads = 1;
  int32_t bos_id = 1;     // replaces each chunk's first token; -1 keeps it
  runtime::KvType kv_type = runtime::KvType::kF16;
};

struct PerplexityResult {
  double ppl = 0.0;
  double stderr_ppl = 0.0;
  double mean_nll = 0.0;
  int64_t n_scored = 0;
  int32_t n_chunks = 0;
  std::vector<double> chunk_ppl;  // running PPL after each chunk (as llama.cpp prints)
};

// progress (optional) is called after each chunk with (chunk index, running PPL).
Result<PerplexityResult> ComputePerplexity(const Model& model, const std::vector<int32_t>& tokens,
                                           const PerplexityOptions& options,
                                           const std::function<void(int32_t, double)>& progress = {});

}  // namespace fw::model
