#include "model/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/matmul.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace fw::model {

namespace {

// y = x / sqrt(mean(x^2) + eps) * w, as ggml_rms_norm followed by ggml_mul (sum in double).
void RmsNorm(const float* x, const float* w, float* y, int32_t n, float eps) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int32_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

inline float RoundToF16(float v) { return Fp16ToFp32(Fp32ToFp16(v)); }

void AddBias(float* y, const VectorView& b, int32_t n_rows, int32_t width) {
  if (b.data == nullptr) return;
  for (int32_t t = 0; t < n_rows; ++t)
    for (int32_t i = 0; i < width; ++i) y[static_cast<size_t>(t) * width + i] += b.data[i];
}

}  // namespace

ForwardPass::ForwardPass(const Model& model, const ForwardLimits& limits)
    : model_(model), hp_(model.hparams()), w_(model.weights()), limits_(limits) {
  rope_ = RopeConfig::FromHParams(hp_, w_.rope_freqs.data);
  const size_t B = static_cast<size_t>(limits.max_batch_tokens);
  x_.assign(B * hp_.n_embd, 0.0f);
  xb_.assign(B * hp_.n_embd, 0.0f);
  q_.assign(B * hp_.q_dim(), 0.0f);
  k_.assign(B * hp_.kv_dim_k(), 0.0f);
  v_.assign(B * hp_.kv_dim_v(), 0.0f);
  attn_.assign(B * hp_.q_dim(), 0.0f);
  proj_.assign(B * hp_.n_embd, 0.0f);
  gate_.assign(B * hp_.n_ff, 0.0f);
  up_.assign(B * hp_.n_ff, 0.0f);
  rope_cs_.assign(B * hp_.n_rot, 0.0f);
  out_in_.assign(B * hp_.n_embd, 0.0f);
  scratch_.assign(static_cast<size_t>(limits.n_threads) * (limits.max_ctx + hp_.head_dim_k), 0.0f);
  tables_.assign(B, nullptr);
  logits_.assign(static_cast<size_t>(limits.max_outputs) * hp_.n_vocab, 0.0f);
}

uint64_t ForwardPass::BufferBytes(const HParams& hp, const ForwardLimits& l) {
  const uint64_t B = static_cast<uint64_t>(l.max_batch_tokens);
  uint64_t floats = B * (4ull * hp.n_embd + 2ull * hp.q_dim() + hp.kv_dim_k() + hp.kv_dim_v() +
                         2ull * hp.n_ff + hp.n_rot);
  floats += static_cast<uint64_t>(l.n_threads) * (l.max_ctx + hp.head_dim_k);
  floats += static_cast<uint64_t>(l.max_outputs) * hp.n_vocab;
  return floats * sizeof(float) + B * sizeof(void*);
}

Result<std::unique_ptr<ForwardPass>> ForwardPass::Create(const Model& model, const ForwardLimits& limits) {
  if (limits.max_batch_tokens < 1 || limits.max_outputs < 1 || limits.max_ctx < 1 || limits.n_threads < 1)
    return Status::Error("forward limits must all be positive");
  return std::unique_ptr<ForwardPass>(new ForwardPass(model, limits));
}

Status ForwardPass::Validate(const runtime::Batch& b, const runtime::KvCache& kv) const {
  const int32_t n = b.size();
  if (n == 0) return Status::Error("empty batch");
  if (b.positions.size() != b.tokens.size() || b.seq_ids.size() != b.tokens.size() ||
      b.want_logits.size() != b.tokens.size())
    return Status::Error("batch arrays differ in length");
  const runtime::KvLayout& lay = kv.layout();
  if (lay.n_layer != hp_.n_layer || lay.n_kv_heads != hp_.n_head_kv || lay.head_dim != hp_.head_dim_k)
    return Status::Error("KV cache layout does not match the model");
  if (!runtime::KvTypeStorable(lay.type))
    return Status::Error("KV cache type " + std::string(runtime::KvTypeName(lay.type)) + " is not supported");
  if (b.n_outputs() > limits_.max_outputs)
    return Status::Error("batch asks for " + std::to_string(b.n_outputs()) + " logits rows, the limit is " +
                         std::to_string(limits_.max_outputs));
  for (int32_t i = 0; i < n; ++i) {
    const int32_t tok = b.tokens[static_cast<size_t>(i)];
    if (tok < 0 || tok >= hp_.n_vocab)
      return Status::Error("token id " + std::to_string(tok) + " outside the vocabulary (" +
                           std::to_string(hp_.n_vocab) + ")");
    // Positions of one sequence must continue its cache densely, in batch order.
    const int32_t seq = b.seq_ids[static_cast<size_t>(i)];
    int32_t expected = kv.SeqLength(seq);
    for (int32_t j = 0; j < i; ++j) expected += b.seq_ids[static_cast<size_t>(j)] == seq;
    const int32_t pos = b.positions[static_cast<size_t>(i)];
    if (pos != expected)
      return Status::Error("sequence " + std::to_string(seq) + ": position " + std::to_string(pos) +
                           " does not continue the cache (expected " + std::to_string(expected) + ")");
    if (pos >= limits_.max_ctx || pos >= kv.max_seq_tokens())
      return Status::Error("context full: position " + std::to_string(pos) + " is past the context size " +
                           std::to_string(std::min(limits_.max_ctx, kv.max_seq_tokens())));
  }
  return Status::Ok();
}

Status ForwardPass::Run(const runtime::Batch& batch, runtime::KvCache& kv, kernels::ThreadPool* pool) {
  if (pool != nullptr && pool->size() > limits_.n_threads)
    return Status::Error("thread pool larger than the forward pass was sized for");
  FW_RETURN_IF_ERROR(Validate(batch, kv));
  const int32_t n = batch.size();
  for (int32_t i = 0; i < n; ++i)
    FW_RETURN_IF_ERROR(kv.Reserve(batch.seq_ids[static_cast<size_t>(i)], batch.positions[static_cast<size_t>(i)] + 1));
  n_outputs_ = 0;
  for (int32_t begin = 0; begin < n; begin += limits_.max_batch_tokens) {
    const int32_t m = std::min(limits_.max_batch_tokens, n - begin);
    for (int32_t t = 0; t < m; ++t) tables_[static_cast<size_t>(t)] = kv.Table(batch.seq_ids[static_cast<size_t>(begin + t)]);
    RunMicroBatch(batch, begin, m, kv, pool);
  }
  for (int32_t i = 0; i < n; ++i) {
    const int32_t seq = batch.seq_ids[static_cast<size_t>(i)];
    const int32_t len = batch.positions[static_cast<size_t>(i)] + 1;
    if (len > kv.SeqLength(seq)) kv.Commit(seq, len);
  }
  return Status::Ok();
}

void ForwardPass::RunMicroBatch(const runtime::Batch& batch, int32_t begin, int32_t n, runtime::KvCache& kv,
                                kernels::ThreadPool* pool) {
  const int32_t E = hp_.n_embd, QD = hp_.q_dim(), KD = hp_.kv_dim_k(), VD = hp_.kv_dim_v(), F = hp_.n_ff;
  const int32_t HD = hp_.head_dim_k;
  const auto at = [](std::vector<float>& v, int32_t t, int32_t width) { return v.data() + static_cast<size_t>(t) * width; };

  for (int32_t t = 0; t < n; ++t) {
    const int32_t tok = batch.tokens[static_cast<size_t>(begin + t)];
    const auto* row = static_cast<const uint8_t*>(w_.token_embd.data) + static_cast<size_t>(tok) * w_.token_embd.row_stride;
    DequantizeRow(w_.token_embd.type, row, at(x_, t, E), E);
    RopeCache(rope_, batch.positions[static_cast<size_t>(begin + t)], at(rope_cs_, t, hp_.n_rot));
  }

  const bool f16_cache = kv.layout().type == runtime::KvType::kF16;
  for (int32_t l = 0; l < hp_.n_layer; ++l) {
    const LayerWeights& L = w_.layers[static_cast<size_t>(l)];
    for (int32_t t = 0; t < n; ++t) RmsNorm(at(x_, t, E), L.attn_norm.data, at(xb_, t, E), E, hp_.rms_eps);
    kernels::MatMul(L.wq, xb_.data(), n, q_.data(), pool);
    kernels::MatMul(L.wk, xb_.data(), n, k_.data(), pool);
    kernels::MatMul(L.wv, xb_.data(), n, v_.data(), pool);
    AddBias(q_.data(), L.bq, n, QD);
    AddBias(k_.data(), L.bk, n, KD);
    AddBias(v_.data(), L.bv, n, VD);
    for (int32_t t = 0; t < n; ++t) {
      float* q = at(q_, t, QD);
      float* k = at(k_, t, KD);
      if (hp_.flags.qk_norm) {
        for (int32_t h = 0; h < hp_.n_head; ++h) RmsNorm(q + h * HD, L.q_norm.data, q + h * HD, HD, hp_.rms_eps);
        for (int32_t h = 0; h < hp_.n_head_kv; ++h) RmsNorm(k + h * HD, L.k_norm.data, k + h * HD, HD, hp_.rms_eps);
      }
      const float* cs = at(rope_cs_, t, hp_.n_rot);
      ApplyRope(rope_, cs, q, hp_.n_head, HD);
      ApplyRope(rope_, cs, k, hp_.n_head_kv, HD);
      // Store this token's K and V in its sequence's cache slot.
      const runtime::BlockTable& table = *tables_[static_cast<size_t>(t)];
      const int32_t pos = batch.positions[static_cast<size_t>(begin + t)];
      uint8_t* krow = kv.RowFor(table, l, 0, pos);
      uint8_t* vrow = kv.RowFor(table, l, 1, pos);
      const float* v = at(v_, t, VD);
      if (f16_cache) {
        auto* k16 = reinterpret_cast<uint16_t*>(krow);
        auto* v16 = reinterpret_cast<uint16_t*>(vrow);
        for (int32_t i = 0; i < KD; ++i) k16[i] = Fp32ToFp16(k[i]);
        for (int32_t i = 0; i < VD; ++i) v16[i] = Fp32ToFp16(v[i]);
      } else {
        std::memcpy(krow, k, static_cast<size_t>(KD) * sizeof(float));
        std::memcpy(vrow, v, static_cast<size_t>(VD) * sizeof(float));
      }
    }
    Attention(l, batch, begin, n, kv, pool);
    kernels::MatMul(L.wo, attn_.data(), n, proj_.data(), pool);
    for (size_t i = 0; i < static_cast<size_t>(n) * E; ++i) x_[i] += proj_[i];

    for (int32_t t = 0; t < n; ++t) RmsNorm(at(x_, t, E), L.ffn_norm.data, at(xb_, t, E), E, hp_.rms_eps);
    kernels::MatMul(L.w_gate, xb_.data(), n, gate_.data(), pool);
    kernels::MatMul(L.w_up, xb_.data(), n, up_.data(), pool);
    for (size_t i = 0; i < static_cast<size_t>(n) * F; ++i) {
      const float g = gate_[i];
      gate_[i] = (g / (1.0f + std::exp(-g))) * up_[i];
    }
    kernels::MatMul(L.w_down, gate_.data(), n, proj_.data(), pool);
    for (size_t i = 0; i < static_cast<size_t>(n) * E; ++i) x_[i] += proj_[i];
  }

  int32_t m = 0;
  for (int32_t t = 0; t < n; ++t) {
    if (!batch.want_logits[static_cast<size_t>(begin + t)]) continue;
    RmsNorm(at(x_, t, E), w_.output_norm.data, at(out_in_, m, E), E, hp_.rms_eps);
    ++m;
  }
  if (m > 0) {
    kernels::MatMul(w_.output, out_in_.data(), m, logits_.data() + static_cast<size_t>(n_outputs_) * hp_.n_vocab, pool);
    n_outputs_ += m;
  }
}

namespace {

// Everything one attention work item needs; passed by pointer so the pool's std::function
// stays small (no allocation per call).
struct AttnJob {
  const runtime::Batch* batch;
  const runtime::KvCache* kv;
  const std::vector<const runtime::BlockTable*>* tables;
  const float* q;
  float* out;
  float* scratch;
  size_t scratch_stride;
  int32_t begin, n, layer, n_head, group, head_dim, q_dim;
  bool f16;
  float scale;
};

void AttendOne(const AttnJob& j, int32_t item, float* scores, float* q16) {
  const int32_t t = item / j.n_head;
  const int32_t h = item % j.n_head;
  const int32_t kvh = h / j.group;
  const int32_t HD = j.head_dim;
  const float* q = j.q + static_cast<size_t>(t) * j.q_dim + static_cast<size_t>(h) * HD;
  float* out = j.out + static_cast<size_t>(t) * j.q_dim + static_cast<size_t>(h) * HD;
  const runtime::BlockTable& table = *(*j.tables)[static_cast<size_t>(t)];
  const int32_t n_keys = j.batch->positions[static_cast<size_t>(j.begin + t)] + 1;  // causal

  for (int32_t d = 0; d < HD; ++d) q16[d] = j.f16 ? RoundToF16(q[d]) : q[d];
  float max_s = -INFINITY;
  for (int32_t p = 0; p < n_keys; ++p) {
    float s = 0.0f;
    if (j.f16) {
      const auto* k = reinterpret_cast<const uint16_t*>(j.kv->RowFor(table, j.layer, 0, p)) + kvh * HD;
      for (int32_t d = 0; d < HD; ++d) s += q16[d] * Fp16ToFp32(k[d]);
    } else {
      const auto* k = reinterpret_cast<const float*>(j.kv->RowFor(table, j.layer, 0, p)) + kvh * HD;
      for (int32_t d = 0; d < HD; ++d) s += q16[d] * k[d];
    }
    s *= j.scale;
    scores[p] = s;
    max_s = std::max(max_s, s);
  }
  double sum = 0.0;
  for (int32_t p = 0; p < n_keys; ++p) {
    const float e = std::exp(scores[p] - max_s);
    scores[p] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int32_t d = 0; d < HD; ++d) out[d] = 0.0f;
  for (int32_t p = 0; p < n_keys; ++p) {
    float w = scores[p] * inv;
    if (j.f16) {
      w = RoundToF16(w);
      const auto* v = reinterpret_cast<const uint16_t*>(j.kv->RowFor(table, j.layer, 1, p)) + kvh * HD;
      for (int32_t d = 0; d < HD; ++d) out[d] += w * Fp16ToFp32(v[d]);
    } else {
      const auto* v = reinterpret_cast<const float*>(j.kv->RowFor(table, j.layer, 1, p)) + kvh * HD;
      for (int32_t d = 0; d < HD; ++d) out[d] += w * v[d];
    }
  }
}

}  // namespace

void ForwardPass::Attention(int32_t layer, const runtime::Batch& batch, int32_t begin, int32_t n,
                            const runtime::KvCache& kv, kernels::ThreadPool* pool) {
  AttnJob job{&batch, &kv, &tables_, q_.data(), attn_.data(), scratch_.data(),
              static_cast<size_t>(limits_.max_ctx + hp_.head_dim_k), begin, n, layer, hp_.n_head,
              hp_.gqa_group(), hp_.head_dim_k, hp_.q_dim(), kv.layout().type == runtime::KvType::kF16,
              1.0f / std::sqrt(static_cast<float>(hp_.head_dim_k))};
  const int32_t items = n * hp_.n_head;
  const AttnJob* jp = &job;
  auto work = [jp, items](int ti, int nt) {
    float* scores = jp->scratch + static_cast<size_t>(ti) * jp->scratch_stride;
    float* q16 = scores + (jp->scratch_stride - static_cast<size_t>(jp->head_dim));
    for (int32_t it = ti; it < items; it += nt) AttendOne(*jp, it, scores, q16);
  };
  if (pool == nullptr) {
    work(0, 1);
  } else {
    pool->Run(work);
  }
}

}  // namespace fw::model
