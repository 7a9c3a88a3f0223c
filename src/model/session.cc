#include "model/session.h"

#include <algorithm>
#include <string>

namespace fw::model {

ForwardLimits Session::LimitsFor(const SessionOptions& o) {
  ForwardLimits l;
  l.max_batch_tokens = std::max(1, std::min(o.n_batch, o.n_ctx * std::max(1, o.n_seq)));
  l.max_outputs = o.max_outputs > 0 ? o.max_outputs : l.max_batch_tokens;
  l.max_ctx = o.n_ctx;
  l.n_threads = std::max(1, o.n_threads);
  return l;
}

namespace {
runtime::KvLayout LayoutFor(const HParams& hp, runtime::KvType type) {
  runtime::KvLayout lay;
  lay.n_layer = hp.n_layer;
  lay.n_kv_heads = hp.n_head_kv;
  lay.head_dim = hp.head_dim_k;
  lay.type = type;
  return lay;
}
}  // namespace

uint64_t Session::KvBytes(const HParams& hp, const SessionOptions& o) {
  const runtime::KvLayout lay = LayoutFor(hp, o.kv_type);
  return static_cast<uint64_t>(runtime::KvCache::BlocksFor(lay, o.n_ctx, o.n_seq)) * lay.block_bytes();
}

Result<std::unique_ptr<Session>> Session::Create(const Model& model, const SessionOptions& o) {
  if (o.n_ctx < 1 || o.n_seq < 1 || o.n_batch < 1 || o.n_threads < 1)
    return Status::Error("session options must be positive (ctx, parallel, batch, threads)");
  if (!runtime::KvTypeStorable(o.kv_type))
    return Status::Error("KV cache type " + std::string(runtime::KvTypeName(o.kv_type)) + " is not supported for inference (use f16 or f32)");
  std::unique_ptr<Session> s(new Session(model, o));
  const runtime::KvLayout lay = LayoutFor(model.hparams(), o.kv_type);
  s->kv_ = std::make_unique<runtime::KvCache>(lay, runtime::KvCache::BlocksFor(lay, o.n_ctx, o.n_seq), o.n_ctx);
  FW_ASSIGN_OR_RETURN(s->forward_, ForwardPass::Create(model, LimitsFor(o)));
  s->pool_ = std::make_unique<kernels::ThreadPool>(o.n_threads);
  s->batch_.Reserve(static_cast<size_t>(LimitsFor(o).max_batch_tokens));
  return s;
}

Status Session::Eval(int32_t seq, std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::Error("nothing to evaluate");
  const int32_t start = kv_->SeqLength(seq);
  if (start + static_cast<int64_t>(tokens.size()) > options_.n_ctx)
    return Status::Error("context full: " + std::to_string(start + tokens.size()) +
                         " tokens do not fit the context of " + std::to_string(options_.n_ctx));
  const size_t chunk = static_cast<size_t>(forward_->limits().max_batch_tokens);
  for (size_t i = 0; i < tokens.size(); i += chunk) {
    const size_t m = std::min(chunk, tokens.size() - i);
    batch_.Clear();
    for (size_t j = 0; j < m; ++j)
      batch_.Add(tokens[i + j], start + static_cast<int32_t>(i + j), seq, i + j + 1 == tokens.size());
    FW_RETURN_IF_ERROR(forward_->Run(batch_, *kv_, pool_.get()));
  }
  return Status::Ok();
}

Status Session::EvalBatch(const runtime::Batch& batch) { return forward_->Run(batch, *kv_, pool_.get()); }

}  // namespace fw::model
