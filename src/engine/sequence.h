// One request inside the engine: its tokens, how far the KV cache holds them, and the
// per-sequence output state (sampler, detokenizer, stop strings, JSON constraint).
//
// Owned by the Engine; the Scheduler and KvAllocator see it through raw pointers during one
// step. Only the step loop thread touches it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/json_constraint.h"
#include "engine/request.h"
#include "engine/sampler.h"
#include "engine/stop_matcher.h"
#include "tokenizer/tokenizer.h"

namespace fw::engine {

using Clock = std::chrono::steady_clock;

// Everything that turns logits into text for one sequence.
struct OutputState {
  OutputState(const GenerationRequest& req, const Tokenizer& tok)
      : sampler(req.sampling), detok(tok), stop(req.stop) {}
  Sampler sampler;
  StreamingDetokenizer detok;
  StopMatcher stop;
  JsonPrefix json;
};

struct Sequence {
  int32_t id = 0;                   // also the KV cache's sequence id
  GenerationRequest req;
  std::shared_ptr<RequestStream> stream;
  std::unique_ptr<OutputState> out; // null in scheduler tests

  std::vector<int32_t> tokens;      // prompt, then generated tokens
  int32_t n_prompt = 0;
  int32_t n_computed = 0;           // leading tokens whose K/V the cache holds
  int32_t n_cached = 0;             // of those, reused from the prefix cache
  int32_t n_generated = 0;
  std::vector<uint64_t> block_hashes;  // chain hashes of this sequence's full blocks, in order

  Clock::time_point submitted, admitted, first_token, last_token;

  // Tokens still to feed: the prompt's uncomputed part, or the one last sampled token.
  int32_t remaining() const { return static_cast<int32_t>(tokens.size()) - n_computed; }
  bool prefilling() const { return n_computed < n_prompt; }
};

}  // namespace fw::engine
