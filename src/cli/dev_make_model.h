// `flywheel dev make-model`: a random-weight model of a real architecture and shape, in
// llama.cpp's GGUF layout (its key and tensor names, general.file_type, the tokenizer.* keys
// of a vocabulary GGUF), quantized with llama.cpp's mixture rules for the file type.
// Used by the benchmarks: same file for flywheel and llama-bench.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "tensor/ggml_type.h"

namespace fw::cli {

struct ModelShape {
  std::string arch = "llama";   // llama | qwen2 | qwen3
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  int64_t head_dim = 0;         // 0: n_embd / n_head
  bool tied = false;            // output shares token_embd
  bool qkv_bias = false;        // qwen2
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  int64_t n_ctx_train = 2048;
};

// Named shapes: tinyllama-1.1b, smollm2-135m, qwen2.5-0.5b, qwen3-0.6b.
std::optional<ModelShape> NamedShape(const std::string& name);

// A llama.cpp file type ("Q4_K_M", "Q8_0", "F16", ...): its general.file_type id and the
// default tensor type.
struct FileType {
  std::string name;
  uint32_t id = 0;
  GgmlType base = GgmlType::F16;
};
std::optional<FileType> ParseFileType(const std::string& name);

// The type llama.cpp's quantizer gives a 2-D weight (norms and biases stay F32).
// role: "token_embd", "output", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate",
// "ffn_up", "ffn_down"; layer: the block index (0 for non-layer tensors).
GgmlType MixtureType(const FileType& ft, const ModelShape& shape, const std::string& role, int64_t layer,
                     int64_t ne0);

struct MakeModelOptions {
  ModelShape shape;
  std::string shape_name;
  std::string vocab_path;
  FileType file_type;
  std::string out_path;
  uint64_t seed = 1;
  int64_t vocab_size = 0;  // > vocab's size: pad with unused tokens (e.g. Qwen's 151936)
  int threads = 2;
  bool quiet = false;
};

Status MakeModel(const MakeModelOptions& o);

}  // namespace fw::cli
