#include "model/perplexity.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace fw::model {

namespace {
// log p(token) from one row of logits: max in float, sum of exp in double (as llama.cpp).
double LogProb(const float* logits, int32_t n, int32_t token) {
  float mx = logits[0];
  for (int32_t i = 1; i < n; ++i) mx = std::max(mx, logits[i]);
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i] - mx));
  return static_cast<double>(logits[token] - mx) - std::log(sum);
}
}  // namespace

Result<PerplexityResult> ComputePerplexity(const Model& model, const std::vector<int32_t>& tokens,
                                           const PerplexityOptions& o,
                                           const std::function<void(int32_t, double)>& progress) {
  if (o.n_ctx < 4) return Status::Error("perplexity needs a context of at least 4 tokens");
  const int32_t n_batch = std::max(1, std::min(o.n_batch, o.n_ctx));
  const int64_t n_chunks = static_cast<int64_t>(tokens.size()) / o.n_ctx;
  if (n_chunks == 0)
    return Status::Error("the text has " + std::to_string(tokens.size()) +
                         " tokens, fewer than one context of " + std::to_string(o.n_ctx) +
                         " (use a smaller --ctx or a longer text)");
  SessionOptions so;
  so.n_ctx = o.n_ctx;
  so.n_batch = n_batch;
  so.max_outputs = n_batch;
  so.n_threads = o.n_threads;
  so.kv_type = o.kv_type;
  FW_ASSIGN_OR_RETURN(std::unique_ptr<Session> s, Session::Create(model, so));
  const int32_t n_vocab = s->n_vocab();
  const int32_t first = o.n_ctx / 2;
  PerplexityResult r;
  double nll = 0.0, nll2 = 0.0;
  runtime::Batch batch;
  batch.Reserve(static_cast<size_t>(n_batch));
  for (int64_t c = 0; c < n_chunks; ++c) {
    s->Clear(0);
    const int32_t* chunk = tokens.data() + c * o.n_ctx;
    for (int32_t b0 = 0; b0 < o.n_ctx; b0 += n_batch) {
      const int32_t m = std::min(n_batch, o.n_ctx - b0);
      batch.Clear();
      for (int32_t j = 0; j < m; ++j) {
        const int32_t pos = b0 + j;
        const int32_t tok = (pos == 0 && o.bos_id >= 0) ? o.bos_id : chunk[pos];
        batch.Add(tok, pos, 0, true);
      }
      FW_RETURN_IF_ERROR(s->EvalBatch(batch));
      for (int32_t j = 0; j < m; ++j) {
        const int32_t pos = b0 + j;
        if (pos < first || pos + 1 >= o.n_ctx) continue;
        const double lp = LogProb(s->logits(j), n_vocab, chunk[pos + 1]);
        nll -= lp;
        nll2 += lp * lp;
        ++r.n_scored;
      }
    }
    ++r.n_chunks;
    r.chunk_ppl.push_back(std::exp(nll / static_cast<double>(r.n_scored)));
    if (progress) progress(static_cast<int32_t>(c), r.chunk_ppl.back());
  }
  const double count = static_cast<double>(r.n_scored);
  r.mean_nll = nll / count;
  r.ppl = std::exp(r.mean_nll);
  const double var = nll2 / count - r.mean_nll * r.mean_nll;
  r.stderr_ppl = (var > 0 && count > 1) ? r.ppl * std::sqrt(var / (count - 1)) : 0.0;
  return r;
}

}  // namespace fw::model
