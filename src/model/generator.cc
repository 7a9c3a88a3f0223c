#include "model/generator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "runtime/sampling/stop_strings.h"

namespace fw::model {

namespace {
double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Generator::Generator(Session& session, const Tokenizer& tokenizer, int32_t seq)
    : session_(session), tok_(tokenizer), seq_(seq), order_(static_cast<size_t>(session.n_vocab())) {}

void Generator::RecordLogprobs(const float* logits, int32_t chosen, int32_t k, GenerateResult& r) {
  const int32_t n = session_.n_vocab();
  float mx = logits[0];
  for (int32_t i = 1; i < n; ++i) mx = std::max(mx, logits[i]);
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
  const double lse = static_cast<double>(mx) + std::log(sum);
  TokenLogprob lp;
  lp.id = chosen;
  lp.logprob = static_cast<float>(logits[chosen] - lse);
  if (k > 0) {
    k = std::min(k, n);
    std::iota(order_.begin(), order_.end(), 0);
    std::partial_sort(order_.begin(), order_.begin() + k, order_.end(), [logits](int32_t a, int32_t b) {
      return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
    });
    lp.top.reserve(static_cast<size_t>(k));
    for (int32_t i = 0; i < k; ++i)
      lp.top.emplace_back(order_[static_cast<size_t>(i)], static_cast<float>(logits[order_[static_cast<size_t>(i)]] - lse));
  }
  r.logprobs.push_back(std::move(lp));
}

Result<GenerateResult> Generator::Generate(const GenerateRequest& req,
                                           const std::function<void(std::string_view)>& on_text) {
  GenerateResult r;
  if (req.prompt.empty() && session_.SeqLength(seq_) == 0)
    return Status::Error("empty prompt: nothing to continue from (the vocab adds no BOS)");
  const int32_t n_ctx = session_.options().n_ctx;
  if (session_.SeqLength(seq_) + static_cast<int64_t>(req.prompt.size()) > n_ctx)
    return Status::Error("prompt is " + std::to_string(session_.SeqLength(seq_) + req.prompt.size()) +
                         " tokens, more than the context of " + std::to_string(n_ctx) +
                         " (use a larger --ctx, or --truncate)");
  const double t0 = Now();
  if (!req.prompt.empty()) {
    FW_RETURN_IF_ERROR(session_.Eval(seq_, req.prompt));
    r.prompt_evaluated = static_cast<int32_t>(req.prompt.size());
  }
  const double t1 = Now();
  r.prompt_seconds = t1 - t0;

  runtime::Sampler sampler(req.sampling, session_.n_vocab());
  for (int32_t id : req.prompt) sampler.Accept(id);
  runtime::StopStringMatcher stops(req.stops);
  StreamingDetokenizer detok(tok_);
  // The generated text continues the prompt: prime the detokenizer with the last prompt token
  // (its text is dropped) so the first generated piece keeps its leading space, as llama.cpp's
  // server prints it.
  if (!req.prompt.empty()) (void)detok.Push(req.prompt.back());
  const auto emit = [&](const std::string& s) {
    if (s.empty()) return;
    r.text += s;
    if (on_text) on_text(s);
  };

  r.stop_reason = "length";
  for (int32_t step = 0; req.max_tokens < 0 || step < req.max_tokens; ++step) {
    const float* logits = session_.logits(0);
    const int32_t id = sampler.Sample(logits);
    sampler.Accept(id);
    if (req.logprobs || req.n_top_logprobs > 0) RecordLogprobs(logits, id, req.n_top_logprobs, r);
    r.tokens.push_back(id);
    if (tok_.IsEndOfGeneration(id)) {
      r.stop_reason = "eos";
      break;
    }
    emit(stops.Push(detok.Push(id)));
    if (stops.stopped()) {
      r.stop_reason = "stop";
      break;
    }
    if (session_.SeqLength(seq_) >= n_ctx) {
      r.stop_reason = "context";
      break;
    }
    if (req.max_tokens >= 0 && step + 1 >= req.max_tokens) break;  // no need to run the last token
    FW_RETURN_IF_ERROR(session_.Eval(seq_, std::span<const int32_t>(&r.tokens.back(), 1)));
  }
  if (!stops.stopped()) emit(stops.Push(detok.Flush()) + stops.Flush());
  r.generate_seconds = Now() - t1;
  return r;
}

}  // namespace fw::model
