#include "model/forward.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>

#include "kernels/activations.h"
#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace fw::model {

namespace {

// y = x / sqrt(mean(x^2) + eps) * w, as ggml_rms_norm followed by ggml_mul: each square in
// f32, summed in double (ggml's order, so the scale matches it bit for bit).
void RmsNorm(const float* x, const float* w, float* y, int32_t n, float eps) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int32_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
}

void AddBias(float* y, const VectorView& b, int32_t n_rows, int32_t width) {
  if (b.data == nullptr) return;
  for (int32_t t = 0; t < n_rows; ++t)
    for (int32_t i = 0; i < width; ++i) y[static_cast<size_t>(t) * width + i] += b.data[i];
}

}  // namespace

ForwardPass::ForwardPass(const Model& model, const ForwardLimits& limits)
    : hp_(model.hparams()), w_(model.weights()), limits_(limits) {
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
  scratch_.assign(static_cast<size_t>(limits.n_threads) * hp_.gqa_group() * limits.max_ctx, 0.0f);
  rows_.assign(static_cast<size_t>(limits.n_threads) * 2 * limits.max_ctx, nullptr);
  tables_.assign(B, nullptr);
  logits_.assign(static_cast<size_t>(limits.max_outputs) * hp_.n_vocab, 0.0f);
}

uint64_t ForwardPass::BufferBytes(const HParams& hp, const ForwardLimits& l) {
  const uint64_t B = static_cast<uint64_t>(l.max_batch_tokens);
  uint64_t floats = B * (4ull * hp.n_embd + 2ull * hp.q_dim() + hp.kv_dim_k() + hp.kv_dim_v() +
                         2ull * hp.n_ff + hp.n_rot);
  floats += static_cast<uint64_t>(l.n_threads) * hp.gqa_group() * l.max_ctx;
  floats += static_cast<uint64_t>(l.max_outputs) * hp.n_vocab;
  return floats * sizeof(float) + (B + 2ull * l.n_threads * l.max_ctx) * sizeof(void*);
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
  const auto tap = [this](const char* name, int32_t layer, const float* data, int32_t rows, int32_t width) {
    if (tap_ != nullptr) tap_(tap_user_, name, layer, data, rows, width);
  };

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
    tap("attn_norm", l, xb_.data(), n, E);
    {
      // One activation quantization and one pool dispatch for Q, K and V.
      const kernels::WeightView qkv[3] = {L.wq, L.wk, L.wv};
      float* const outs[3] = {q_.data(), k_.data(), v_.data()};
      kernels::MatMulMulti(qkv, outs, 3, xb_.data(), n, pool);
    }
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
    tap("Qcur", l, q_.data(), n, QD);
    tap("Kcur", l, k_.data(), n, KD);
    tap("Vcur", l, v_.data(), n, VD);
    Attention(l, batch, begin, n, kv, pool);
    tap("kqv_out", l, attn_.data(), n, QD);
    kernels::MatMul(L.wo, attn_.data(), n, proj_.data(), pool);
    tap("attn_out", l, proj_.data(), n, E);
    for (size_t i = 0; i < static_cast<size_t>(n) * E; ++i) x_[i] += proj_[i];
    tap("ffn_inp", l, x_.data(), n, E);

    // The last layer's FFN only for the tokens whose logits are wanted, moved to the first
    // rows of x_ (as llama.cpp does): besides saving the work, this gives its matmuls the
    // batch size ggml's do, and so ggml's arithmetic (decode order for one output).
    int32_t rows = n;
    if (l == hp_.n_layer - 1) {
      rows = 0;
      for (int32_t t = 0; t < n; ++t) {
        if (!batch.want_logits[static_cast<size_t>(begin + t)]) continue;
        if (rows != t) std::memcpy(at(x_, rows, E), at(x_, t, E), static_cast<size_t>(E) * sizeof(float));
        ++rows;
      }
      if (rows == 0) break;
    }
    for (int32_t t = 0; t < rows; ++t) RmsNorm(at(x_, t, E), L.ffn_norm.data, at(xb_, t, E), E, hp_.rms_eps);
    tap("ffn_norm", l, xb_.data(), rows, E);
    {
      const kernels::WeightView gate_up[2] = {L.w_gate, L.w_up};
      float* const outs[2] = {gate_.data(), up_.data()};
      kernels::MatMulMulti(gate_up, outs, 2, xb_.data(), rows, pool);
    }
    tap("ffn_gate", l, gate_.data(), rows, F);
    tap("ffn_up", l, up_.data(), rows, F);
    for (int32_t t = 0; t < rows; ++t) kernels::SiluMul(at(gate_, t, F), at(up_, t, F), F);
    tap("ffn_swiglu", l, gate_.data(), rows, F);
    kernels::MatMul(L.w_down, gate_.data(), rows, proj_.data(), pool);
    tap("ffn_out", l, proj_.data(), rows, E);
    for (size_t i = 0; i < static_cast<size_t>(rows) * E; ++i) x_[i] += proj_[i];
    tap("l_out", l, x_.data(), rows, E);
  }

  // After the last layer, rows [0, m) of x_ are the wanted tokens in batch order.
  int32_t m = 0;
  for (int32_t t = 0; t < n; ++t) {
    if (!batch.want_logits[static_cast<size_t>(begin + t)]) continue;
    RmsNorm(at(x_, m, E), w_.output_norm.data, at(out_in_, m, E), E, hp_.rms_eps);
    ++m;
  }
  if (m > 0) {
    tap("result_norm", -1, out_in_.data(), m, E);
    kernels::MatMul(w_.output, out_in_.data(), m, logits_.data() + static_cast<size_t>(n_outputs_) * hp_.n_vocab, pool);
    tap("result_output", -1, logits_.data() + static_cast<size_t>(n_outputs_) * hp_.n_vocab, m, hp_.n_vocab);
    n_outputs_ += m;
  }
}

namespace {

// Everything one attention work item (one token, one KV head and its group of query heads)
// needs; passed by pointer so the pool's std::function stays small (no allocation per call).
struct AttnJob {
  const runtime::Batch* batch;
  const runtime::KvCache* kv;
  const std::vector<const runtime::BlockTable*>* tables;
  const float* q;
  float* out;
  float* scores;           // n_threads x (group x max_ctx)
  const void** rows;       // n_threads x (2 x max_ctx): K then V row pointers
  size_t scores_stride, rows_stride;
  int32_t begin, layer, n_head_kv, group, head_dim, q_dim, max_ctx;
  bool f16;
  bool batched;  // 2+ tokens in the micro-batch (ggml's attention matmuls then take tinyBLAS)
  float scale;
};

void AttendGroupOf(const AttnJob& j, int32_t item, float* scores, const void** k_rows) {
  const int32_t t = item / j.n_head_kv;
  const int32_t kvh = item % j.n_head_kv;
  const int32_t HD = j.head_dim;
  const runtime::BlockTable& table = *(*j.tables)[static_cast<size_t>(t)];
  const int32_t n_keys = j.batch->positions[static_cast<size_t>(j.begin + t)] + 1;  // causal
  const void** v_rows = k_rows + j.max_ctx;
  for (int32_t p = 0; p < n_keys; ++p) {
    k_rows[p] = j.kv->RowFor(table, j.layer, 0, p);
    v_rows[p] = j.kv->RowFor(table, j.layer, 1, p);
  }
  kernels::AttentionArgs a;
  const size_t head0 = static_cast<size_t>(kvh) * j.group * HD;  // first query head of the group
  a.q = j.q + static_cast<size_t>(t) * j.q_dim + head0;
  a.n_group = j.group;
  a.head_dim = HD;
  a.head_offset = static_cast<int64_t>(kvh) * HD;
  a.kv.k_rows = k_rows;
  a.kv.v_rows = v_rows;
  a.kv.f16 = j.f16;
  a.n_keys = n_keys;
  a.scale = j.scale;
  a.batched = j.batched;
  a.out = j.out + static_cast<size_t>(t) * j.q_dim + head0;
  a.scratch = scores;
  kernels::AttendGroup(a);
}

}  // namespace

void ForwardPass::Attention(int32_t layer, const runtime::Batch& batch, int32_t begin, int32_t n,
                            const runtime::KvCache& kv, kernels::ThreadPool* pool) {
  AttnJob job{&batch, &kv, &tables_, q_.data(), attn_.data(), scratch_.data(), rows_.data(),
              static_cast<size_t>(hp_.gqa_group()) * limits_.max_ctx, 2 * static_cast<size_t>(limits_.max_ctx),
              begin, layer, hp_.n_head_kv, hp_.gqa_group(), hp_.head_dim_k, hp_.q_dim(), limits_.max_ctx,
              kv.layout().type == runtime::KvType::kF16, n >= 2, 1.0f / std::sqrt(static_cast<float>(hp_.head_dim_k))};
  // Threads claim (token, KV head) items from a counter, so a thread the OS has not
  // scheduled yet holds nobody up (RunDynamic: whoever runs finishes the rest). Each thread
  // index has its own scores / row-pointer scratch.
  struct Claim {
    const AttnJob* job;
    int32_t items;
    std::atomic<int32_t> next{0};
  } claim{&job, n * hp_.n_head_kv};
  auto work = [](void* ctx, int ti, int /*nt*/) {
    auto& c = *static_cast<Claim*>(ctx);
    float* scores = c.job->scores + static_cast<size_t>(ti) * c.job->scores_stride;
    const void** rows = c.job->rows + static_cast<size_t>(ti) * c.job->rows_stride;
    for (int32_t it = c.next.fetch_add(1, std::memory_order_relaxed); it < c.items;
         it = c.next.fetch_add(1, std::memory_order_relaxed))
      AttendGroupOf(*c.job, it, scores, rows);
  };
  if (pool == nullptr) {
    work(&claim, 0, 1);
  } else {
    pool->RunDynamic(work, &claim);
  }
}

}  // namespace fw::model
