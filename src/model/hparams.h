// Model hyperparameters read from GGUF metadata (<arch>.* keys, llama.cpp's names), plus the
// per-architecture flags the one forward pass switches on.
//
// Supported architectures: "llama" (Llama 1/2/3, TinyLlama, SmolLM, Mistral without sliding
// window), "qwen2" (QKV biases), "qwen3" (per-head q/k RMSNorm, head size from key_length).
// Immutable after reading; safe to share.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "gguf/gguf_file.h"

namespace fw::model {

// How RoPE pairs the elements of one head (ggml's rope modes).
enum class RopeStyle {
  kNormal,  // pairs (x[2i], x[2i+1]): ggml mode 0, llama
  kNeox,    // pairs (x[i], x[i + n_rot/2]): ggml mode 2, qwen2/qwen3
};

enum class RopeScaling { kNone, kLinear, kYarn };

struct ArchFlags {
  RopeStyle rope_style = RopeStyle::kNormal;
  bool qkv_bias = false;     // blk.N.attn_{q,k,v}.bias present and required (qwen2)
  bool qk_norm = false;      // blk.N.attn_{q,k}_norm.weight: RMSNorm per head before RoPE (qwen3)
};

struct HParams {
  std::string arch;          // general.architecture
  ArchFlags flags;
  int32_t n_ctx_train = 0;   // <arch>.context_length
  int32_t n_embd = 0;        // <arch>.embedding_length
  int32_t n_layer = 0;       // <arch>.block_count
  int32_t n_ff = 0;          // <arch>.feed_forward_length
  int32_t n_head = 0;        // <arch>.attention.head_count
  int32_t n_head_kv = 0;     // <arch>.attention.head_count_kv (default n_head)
  int32_t head_dim_k = 0;    // <arch>.attention.key_length (default n_embd / n_head)
  int32_t head_dim_v = 0;    // <arch>.attention.value_length (default head_dim_k)
  int32_t n_vocab = 0;       // rows of the output matrix (vocab_size, else token_embd rows)
  int32_t n_rot = 0;         // <arch>.rope.dimension_count (default head_dim_k)
  float rms_eps = 1e-5f;     // <arch>.attention.layer_norm_rms_epsilon
  float rope_freq_base = 10000.0f;
  RopeScaling rope_scaling = RopeScaling::kNone;
  float rope_freq_scale = 1.0f;       // 1 / rope.scaling.factor
  int32_t rope_n_ctx_orig = 0;        // rope.scaling.original_context_length (default n_ctx_train)
  float yarn_beta_fast = 32.0f;       // ggml defaults
  float yarn_beta_slow = 1.0f;
  float yarn_attn_factor = 1.0f;      // rope.scaling.attn_factor when present

  int32_t q_dim() const { return n_head * head_dim_k; }      // width of Q
  int32_t kv_dim_k() const { return n_head_kv * head_dim_k; }
  int32_t kv_dim_v() const { return n_head_kv * head_dim_v; }
  int32_t gqa_group() const { return n_head / n_head_kv; }   // query heads per kv head
};

// Reads and validates hyperparameters; errors name the key ("llama.block_count: ...").
Result<HParams> ReadHParams(const GgufFile& file);

// True for architectures this engine runs.
bool IsSupportedArchitecture(const std::string& arch);

}  // namespace fw::model
