#include "model/weights.h"

#include <string>

#include "tensor/quants.h"

namespace fw::model {

namespace {

std::string Shape(const GgufTensorInfo& t) {
  std::string s = "[";
  for (int i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.ne[i]);
  return s + "]";
}

class Binder {
 public:
  Binder(const GgufFile& f) : f_(f) {}

  // A matrix with ne = [cols, rows]; any type the matmul kernels can read.
  Status Matrix(const std::string& name, int64_t cols, int64_t rows, kernels::WeightView* out) {
    const GgufTensorInfo* t = f_.FindTensor(name);
    if (t == nullptr) return Status::Error("tensor " + name + ": missing");
    if (t->n_dims != 2 || t->ne[0] != cols || t->ne[1] != rows)
      return Status::Error("tensor " + name + ": shape " + Shape(*t) + ", expected [" +
                           std::to_string(cols) + ", " + std::to_string(rows) + "]");
    if (!CanDequantize(t->type))
      return Status::Error("tensor " + name + ": type " + std::string(TypeName(t->type)) +
                           " is not supported");
    const auto& tr = TypeTraits(t->type);
    if (cols % tr.block_size != 0)
      return Status::Error("tensor " + name + ": row length " + std::to_string(cols) +
                           " is not a multiple of the " + std::string(tr.name) + " block size " +
                           std::to_string(tr.block_size));
    const size_t row_bytes = RowBytes(t->type, cols);
    if (t->size_bytes < row_bytes * static_cast<size_t>(rows) || t->data == nullptr)
      return Status::Error("tensor " + name + ": data shorter than its shape");
    out->type = t->type;
    out->data = t->data;
    out->rows = rows;
    out->cols = cols;
    out->row_stride = row_bytes;
    return Status::Ok();
  }

  // An f32 vector of n elements (norms and biases are f32 in every llama.cpp conversion).
  Status Vector(const std::string& name, int64_t n, VectorView* out, bool optional = false) {
    const GgufTensorInfo* t = f_.FindTensor(name);
    if (t == nullptr) {
      if (optional) return Status::Ok();
      return Status::Error("tensor " + name + ": missing");
    }
    if (t->n_elements() != n || t->ne[0] != n)
      return Status::Error("tensor " + name + ": shape " + Shape(*t) + ", expected [" +
                           std::to_string(n) + "]");
    if (t->type != GgmlType::F32)
      return Status::Error("tensor " + name + ": type " + std::string(TypeName(t->type)) +
                           ", expected f32");
    if (t->size_bytes < static_cast<size_t>(n) * 4 || t->data == nullptr)
      return Status::Error("tensor " + name + ": data shorter than its shape");
    if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0)
      return Status::Error("tensor " + name + ": data not 4-byte aligned");
    out->data = reinterpret_cast<const float*>(t->data);
    out->n = n;
    return Status::Ok();
  }

 private:
  const GgufFile& f_;
};

}  // namespace

Result<ModelWeights> BindWeights(const GgufFile& f, const HParams& hp) {
  ModelWeights w;
  Binder b(f);
  FW_RETURN_IF_ERROR(b.Matrix("token_embd.weight", hp.n_embd, hp.n_vocab, &w.token_embd));
  FW_RETURN_IF_ERROR(b.Vector("output_norm.weight", hp.n_embd, &w.output_norm));
  if (f.FindTensor("output.weight") != nullptr) {
    FW_RETURN_IF_ERROR(b.Matrix("output.weight", hp.n_embd, hp.n_vocab, &w.output));
  } else {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  FW_RETURN_IF_ERROR(b.Vector("rope_freqs.weight", hp.n_rot / 2, &w.rope_freqs, /*optional=*/true));
  w.layers.resize(static_cast<size_t>(hp.n_layer));
  for (int32_t i = 0; i < hp.n_layer; ++i) {
    LayerWeights& l = w.layers[static_cast<size_t>(i)];
    const std::string p = "blk." + std::to_string(i) + ".";
    FW_RETURN_IF_ERROR(b.Vector(p + "attn_norm.weight", hp.n_embd, &l.attn_norm));
    FW_RETURN_IF_ERROR(b.Matrix(p + "attn_q.weight", hp.n_embd, hp.q_dim(), &l.wq));
    FW_RETURN_IF_ERROR(b.Matrix(p + "attn_k.weight", hp.n_embd, hp.kv_dim_k(), &l.wk));
    FW_RETURN_IF_ERROR(b.Matrix(p + "attn_v.weight", hp.n_embd, hp.kv_dim_v(), &l.wv));
    // Biases: required for qwen2; honoured when present for the others (some llama-family
    // conversions carry them).
    const bool need_bias = hp.flags.qkv_bias;
    FW_RETURN_IF_ERROR(b.Vector(p + "attn_q.bias", hp.q_dim(), &l.bq, !need_bias));
    FW_RETURN_IF_ERROR(b.Vector(p + "attn_k.bias", hp.kv_dim_k(), &l.bk, !need_bias));
    FW_RETURN_IF_ERROR(b.Vector(p + "attn_v.bias", hp.kv_dim_v(), &l.bv, !need_bias));
    if (hp.flags.qk_norm) {
      FW_RETURN_IF_ERROR(b.Vector(p + "attn_q_norm.weight", hp.head_dim_k, &l.q_norm));
      FW_RETURN_IF_ERROR(b.Vector(p + "attn_k_norm.weight", hp.head_dim_k, &l.k_norm));
    }
    FW_RETURN_IF_ERROR(b.Matrix(p + "attn_output.weight", hp.q_dim(), hp.n_embd, &l.wo));
    FW_RETURN_IF_ERROR(b.Vector(p + "ffn_norm.weight", hp.n_embd, &l.ffn_norm));
    FW_RETURN_IF_ERROR(b.Matrix(p + "ffn_gate.weight", hp.n_embd, hp.n_ff, &l.w_gate));
    FW_RETURN_IF_ERROR(b.Matrix(p + "ffn_up.weight", hp.n_embd, hp.n_ff, &l.w_up));
    FW_RETURN_IF_ERROR(b.Matrix(p + "ffn_down.weight", hp.n_ff, hp.n_embd, &l.w_down));
  }
  for (const auto& t : f.tensors()) w.total_bytes += t.size_bytes;
  return w;
}

}  // namespace fw::model
