#include "model/hparams.h"

#include <cmath>
#include <optional>

namespace fw::model {

bool IsSupportedArchitecture(const std::string& arch) {
  return arch == "llama" || arch == "qwen2" || arch == "qwen3";
}

namespace {

// A positive integer hyperparameter that must fit comfortably in int32.
Result<int32_t> PositiveInt(const GgufFile& f, const std::string& key, std::optional<int32_t> def) {
  if (!f.Has(key)) {
    if (def) return *def;
    return Status::Error(key + ": missing");
  }
  FW_ASSIGN_OR_RETURN(uint32_t v, f.GetU32(key));
  if (v == 0 || v > (1u << 24)) return Status::Error(key + ": value " + std::to_string(v) + " out of range");
  return static_cast<int32_t>(v);
}

}  // namespace

Result<HParams> ReadHParams(const GgufFile& f) {
  HParams hp;
  hp.arch = f.architecture();
  if (hp.arch.empty()) return Status::Error("general.architecture: missing");
  if (!IsSupportedArchitecture(hp.arch))
    return Status::Error("unsupported architecture '" + hp.arch + "' (supported: llama, qwen2, qwen3)");
  if (hp.arch == "qwen2") {
    hp.flags.rope_style = RopeStyle::kNeox;
    hp.flags.qkv_bias = true;
  } else if (hp.arch == "qwen3") {
    hp.flags.rope_style = RopeStyle::kNeox;
    hp.flags.qk_norm = true;
  }
  const std::string a = hp.arch + ".";
  FW_ASSIGN_OR_RETURN(hp.n_embd, PositiveInt(f, a + "embedding_length", std::nullopt));
  FW_ASSIGN_OR_RETURN(hp.n_layer, PositiveInt(f, a + "block_count", std::nullopt));
  FW_ASSIGN_OR_RETURN(hp.n_ff, PositiveInt(f, a + "feed_forward_length", std::nullopt));
  FW_ASSIGN_OR_RETURN(hp.n_head, PositiveInt(f, a + "attention.head_count", std::nullopt));
  FW_ASSIGN_OR_RETURN(hp.n_ctx_train, PositiveInt(f, a + "context_length", 2048));
  FW_ASSIGN_OR_RETURN(hp.n_head_kv, PositiveInt(f, a + "attention.head_count_kv", hp.n_head));
  if (hp.n_head % hp.n_head_kv != 0)
    return Status::Error(a + "attention.head_count " + std::to_string(hp.n_head) +
                         " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv));
  if (hp.n_embd % hp.n_head != 0 && !f.Has(a + "attention.key_length"))
    return Status::Error(a + "embedding_length is not a multiple of attention.head_count");
  FW_ASSIGN_OR_RETURN(hp.head_dim_k, PositiveInt(f, a + "attention.key_length", hp.n_embd / hp.n_head));
  FW_ASSIGN_OR_RETURN(hp.head_dim_v, PositiveInt(f, a + "attention.value_length", hp.head_dim_k));
  if (hp.head_dim_k != hp.head_dim_v)
    return Status::Error(a + "attention.key_length != value_length is not supported");
  FW_ASSIGN_OR_RETURN(hp.n_rot, PositiveInt(f, a + "rope.dimension_count", hp.head_dim_k));
  if (hp.n_rot > hp.head_dim_k || hp.n_rot % 2 != 0)
    return Status::Error(a + "rope.dimension_count " + std::to_string(hp.n_rot) +
                         " must be even and at most the head size " + std::to_string(hp.head_dim_k));
  FW_ASSIGN_OR_RETURN(hp.rms_eps, f.GetF32Or(a + "attention.layer_norm_rms_epsilon", 1e-5f));
  if (!(hp.rms_eps > 0.0f && hp.rms_eps < 1.0f))
    return Status::Error(a + "attention.layer_norm_rms_epsilon out of range");
  FW_ASSIGN_OR_RETURN(hp.rope_freq_base, f.GetF32Or(a + "rope.freq_base", 10000.0f));
  if (!(hp.rope_freq_base > 1.0f)) return Status::Error(a + "rope.freq_base must be > 1");

  // RoPE scaling: rope.scaling.type ("none", "linear", "yarn"; llama3-style factors come as
  // the rope_freqs.weight tensor instead), factor, original_context_length. The older key
  // rope.scale_linear is honoured as linear scaling.
  FW_ASSIGN_OR_RETURN(std::string scaling, f.GetStringOr(a + "rope.scaling.type", ""));
  FW_ASSIGN_OR_RETURN(float factor, f.GetF32Or(a + "rope.scaling.factor", 0.0f));
  if (scaling.empty() && f.Has(a + "rope.scale_linear")) {
    FW_ASSIGN_OR_RETURN(factor, f.GetF32(a + "rope.scale_linear"));
    scaling = "linear";
  }
  if (scaling == "linear") {
    hp.rope_scaling = RopeScaling::kLinear;
  } else if (scaling == "yarn") {
    hp.rope_scaling = RopeScaling::kYarn;
  } else if (scaling.empty() || scaling == "none" || scaling == "llama3") {
    hp.rope_scaling = RopeScaling::kNone;
  } else {
    return Status::Error(a + "rope.scaling.type '" + scaling + "' is not supported");
  }
  if (hp.rope_scaling != RopeScaling::kNone) {
    if (!(factor > 0.0f && std::isfinite(factor))) factor = 1.0f;
    hp.rope_freq_scale = 1.0f / factor;
  }
  FW_ASSIGN_OR_RETURN(uint32_t orig, f.GetU32Or(a + "rope.scaling.original_context_length",
                                                static_cast<uint32_t>(hp.n_ctx_train)));
  hp.rope_n_ctx_orig = static_cast<int32_t>(orig == 0 ? hp.n_ctx_train : orig);
  FW_ASSIGN_OR_RETURN(hp.yarn_attn_factor, f.GetF32Or(a + "rope.scaling.attn_factor", 1.0f));

  const GgufTensorInfo* embd = f.FindTensor("token_embd.weight");
  if (embd == nullptr) return Status::Error("tensor token_embd.weight: missing");
  const GgufTensorInfo* out = f.FindTensor("output.weight");
  hp.n_vocab = static_cast<int32_t>((out != nullptr ? out : embd)->ne[1]);
  if (hp.n_vocab <= 0) return Status::Error("vocabulary size is 0");
  return hp;
}

}  // namespace fw::model
