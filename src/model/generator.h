// Text generation for one sequence of a Session: evaluates the prompt tokens, then samples,
// streams text (UTF-8 safe, stop strings held back) and stops at the vocab's end-of-generation
// tokens, a stop string, max_tokens or a full context.
//
// Buffers (sampler candidates, logprob scratch) are sized once per Generator; the decode
// loop does not allocate apart from appending to the result. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/session.h"
#include "runtime/sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace fw::model {

struct GenerateRequest {
  std::vector<int32_t> prompt;   // appended to the sequence's cache before generating
  int32_t max_tokens = -1;       // < 0: until end of generation or a full context
  runtime::SamplerParams sampling;
  std::vector<std::string> stops;
  int32_t n_top_logprobs = 0;    // K most likely of the full softmax per step (0: none)
  bool logprobs = false;         // record the chosen token's logprob per step
};

struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;
};

struct GenerateResult {
  std::vector<int32_t> tokens;   // generated ids (an end-of-generation token included)
  std::string text;              // what was streamed
  std::vector<TokenLogprob> logprobs;
  std::string stop_reason;       // "eos", "stop", "length", "context"
  double prompt_seconds = 0.0;
  double generate_seconds = 0.0;
  int32_t prompt_evaluated = 0;  // prompt tokens run through the model
};

class Generator {
 public:
  Generator(Session& session, const Tokenizer& tokenizer, int32_t seq = 0);

  // on_text receives each piece of text as soon as it is safe to show.
  Result<GenerateResult> Generate(const GenerateRequest& request,
                                  const std::function<void(std::string_view)>& on_text);

 private:
  void RecordLogprobs(const float* logits, int32_t chosen, int32_t k, GenerateResult& r);

  Session& session_;
  const Tokenizer& tok_;
  int32_t seq_;
  std::vector<int32_t> order_;  // (n_vocab) indices for top-k logprobs
};

}  // namespace fw::model
