#include "cli/dev_make_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "tensor/quants.h"

namespace fw::cli {

std::optional<ModelShape> NamedShape(const std::string& name) {
  ModelShape s;
  if (name == "tinyllama-1.1b") {
    s.arch = "llama";
    s.n_embd = 2048, s.n_layer = 22, s.n_head = 32, s.n_head_kv = 4, s.n_ff = 5632;
    s.rope_base = 10000.0f, s.rms_eps = 1e-5f, s.n_ctx_train = 2048;
    return s;
  }
  if (name == "smollm2-135m") {
    s.arch = "llama";
    s.n_embd = 576, s.n_layer = 30, s.n_head = 9, s.n_head_kv = 3, s.n_ff = 1536, s.tied = true;
    s.rope_base = 100000.0f, s.rms_eps = 1e-5f, s.n_ctx_train = 8192;
    return s;
  }
  if (name == "qwen2.5-0.5b") {
    s.arch = "qwen2";
    s.n_embd = 896, s.n_layer = 24, s.n_head = 14, s.n_head_kv = 2, s.n_ff = 4864, s.tied = true;
    s.qkv_bias = true, s.rope_base = 1000000.0f, s.rms_eps = 1e-6f, s.n_ctx_train = 32768;
    return s;
  }
  if (name == "qwen3-0.6b") {
    s.arch = "qwen3";
    s.n_embd = 1024, s.n_layer = 28, s.n_head = 16, s.n_head_kv = 8, s.n_ff = 3072, s.head_dim = 128;
    s.tied = true, s.rope_base = 1000000.0f, s.rms_eps = 1e-6f, s.n_ctx_train = 40960;
    return s;
  }
  return std::nullopt;
}

std::optional<FileType> ParseFileType(const std::string& raw) {
  std::string n = raw;
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  struct Entry { const char* name; uint32_t id; GgmlType base; };
  static const Entry kTypes[] = {
      {"F32", 0, GgmlType::F32},        {"F16", 1, GgmlType::F16},       {"BF16", 32, GgmlType::BF16},
      {"Q4_0", 2, GgmlType::Q4_0},      {"Q4_1", 3, GgmlType::Q4_1},     {"Q8_0", 7, GgmlType::Q8_0},
      {"Q5_0", 8, GgmlType::Q5_0},      {"Q5_1", 9, GgmlType::Q5_1},     {"Q2_K", 10, GgmlType::Q2_K},
      {"Q3_K_S", 11, GgmlType::Q3_K},   {"Q3_K_M", 12, GgmlType::Q3_K},   {"Q3_K_L", 13, GgmlType::Q3_K},   {"Q4_K_S", 14, GgmlType::Q4_K},  {"Q4_K_M", 15, GgmlType::Q4_K},
      {"Q5_K_S", 16, GgmlType::Q5_K},   {"Q5_K_M", 17, GgmlType::Q5_K},  {"Q6_K", 18, GgmlType::Q6_K},
      {"IQ4_NL", 25, GgmlType::IQ4_NL},
  };
  for (const auto& e : kTypes) {
    if (n == e.name) return FileType{e.name, e.id, e.base};
  }
  return std::nullopt;
}

namespace {

bool IsFloatFileType(const FileType& ft) {
  return ft.base == GgmlType::F32 || ft.base == GgmlType::F16 || ft.base == GgmlType::BF16;
}

bool UseMoreBits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// llama.cpp's fallback when a row length does not fit the type's block.
GgmlType Fallback(GgmlType t, int64_t ne0) {
  if (ne0 % TypeTraits(t).block_size == 0) return t;
  switch (t) {
    case GgmlType::Q2_K: case GgmlType::Q3_K: return GgmlType::Q4_0;
    case GgmlType::Q4_K: return GgmlType::Q5_0;
    case GgmlType::Q5_K: return GgmlType::Q5_1;
    case GgmlType::Q6_K: return GgmlType::Q8_0;
    case GgmlType::IQ4_XS: return GgmlType::IQ4_NL;
    default: return GgmlType::F16;
  }
}

}  // namespace

GgmlType MixtureType(const FileType& ft, const ModelShape& shape, const std::string& role, int64_t layer,
                     int64_t ne0) {
  if (IsFloatFileType(ft)) return ft.base;
  GgmlType t = ft.base;
  const int64_t n = shape.n_layer;
  const int64_t gqa = shape.n_head / std::max<int64_t>(1, shape.n_head_kv);
  const std::string& f = ft.name;
  if (role == "output" || (shape.tied && role == "token_embd")) {
    if (ne0 % TypeTraits(t).block_size != 0) t = GgmlType::Q8_0;
    else if (t != GgmlType::Q8_0) t = GgmlType::Q6_K;
  } else if (role == "token_embd") {
    // the file type's base
  } else if (role == "attn_v") {
    if (f == "Q2_K") t = gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K;
    else if (f == "Q3_K_M") t = layer < 2 ? GgmlType::Q5_K : GgmlType::Q4_K;
    else if (f == "Q3_K_L") t = GgmlType::Q5_K;
    else if (f == "IQ4_NL" && gqa >= 4) t = GgmlType::Q5_K;
    else if ((f == "Q4_K_M" || f == "Q5_K_M") && UseMoreBits(layer, n)) t = GgmlType::Q6_K;
    else if (f == "Q4_K_S" && layer < 4) t = GgmlType::Q5_K;
  } else if (role == "ffn_down") {
    if (f == "Q2_K") t = GgmlType::Q3_K;
    else if (f == "Q3_K_M") t = layer < n / 16 ? GgmlType::Q5_K : GgmlType::Q4_K;
    else if (f == "Q3_K_L") t = GgmlType::Q5_K;
    else if (f == "Q4_K_M" && UseMoreBits(layer, n)) t = GgmlType::Q6_K;
    else if (f == "IQ4_NL" && layer < n / 8) t = GgmlType::Q5_K;
    else if (f == "Q5_K_M" && UseMoreBits(layer, n)) t = GgmlType::Q6_K;
    else if (f == "Q4_K_S" && layer < n / 8) t = GgmlType::Q5_K;
  } else if (role == "attn_output") {
    if (f == "Q2_K") t = GgmlType::Q3_K;
    else if (f == "Q3_K_M") t = GgmlType::Q4_K;
    else if (f == "Q3_K_L") t = GgmlType::Q5_K;
  }
  return Fallback(t, ne0);
}

namespace {

// SplitMix64: a fast, seedable stream per (tensor, row), so rows can be filled in parallel
// and the output is the same for any thread count.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Approximately normal (sum of four uniforms), mean 0, standard deviation 1.
  float Normal() {
    float acc = 0.0f;
    for (int i = 0; i < 2; ++i) {
      const uint64_t r = Next();
      acc += static_cast<float>(r & 0xFFFFFFFFu) * (1.0f / 4294967296.0f);
      acc += static_cast<float>(r >> 32) * (1.0f / 4294967296.0f);
    }
    return (acc - 2.0f) * 1.7320508f;  // var of the sum of 4 U(0,1) is 1/3
  }
};

struct TensorSpec {
  std::string name;
  std::string role;   // for MixtureType; "norm" / "bias" stay F32
  int64_t layer = 0;
  int64_t ne0 = 0, ne1 = 1;
  float stddev = 0.02f;
  float mean = 0.0f;  // norms: 1
};

std::vector<TensorSpec> Tensors(const ModelShape& s, int64_t n_vocab) {
  const int64_t hd = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
  const int64_t q_dim = hd * s.n_head, kv_dim = hd * s.n_head_kv;
  std::vector<TensorSpec> v;
  v.push_back({"token_embd.weight", "token_embd", 0, s.n_embd, n_vocab, 0.02f, 0.0f});
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    v.push_back({p + "attn_norm.weight", "norm", l, s.n_embd, 1, 0.0f, 1.0f});
    v.push_back({p + "attn_q.weight", "attn_q", l, s.n_embd, q_dim});
    v.push_back({p + "attn_k.weight", "attn_k", l, s.n_embd, kv_dim});
    v.push_back({p + "attn_v.weight", "attn_v", l, s.n_embd, kv_dim});
    if (s.qkv_bias) {
      v.push_back({p + "attn_q.bias", "bias", l, q_dim, 1, 0.02f, 0.0f});
      v.push_back({p + "attn_k.bias", "bias", l, kv_dim, 1, 0.02f, 0.0f});
      v.push_back({p + "attn_v.bias", "bias", l, kv_dim, 1, 0.02f, 0.0f});
    }
    if (s.arch == "qwen3") {
      v.push_back({p + "attn_q_norm.weight", "norm", l, hd, 1, 0.0f, 1.0f});
      v.push_back({p + "attn_k_norm.weight", "norm", l, hd, 1, 0.0f, 1.0f});
    }
    v.push_back({p + "attn_output.weight", "attn_output", l, q_dim, s.n_embd});
    v.push_back({p + "ffn_norm.weight", "norm", l, s.n_embd, 1, 0.0f, 1.0f});
    v.push_back({p + "ffn_gate.weight", "ffn_gate", l, s.n_embd, s.n_ff});
    v.push_back({p + "ffn_up.weight", "ffn_up", l, s.n_embd, s.n_ff});
    v.push_back({p + "ffn_down.weight", "ffn_down", l, s.n_ff, s.n_embd});
  }
  v.push_back({"output_norm.weight", "norm", 0, s.n_embd, 1, 0.0f, 1.0f});
  if (!s.tied) v.push_back({"output.weight", "output", 0, s.n_embd, n_vocab});
  return v;
}

// Fills and quantizes rows [r0, r1) of one tensor.
void FillRows(const TensorSpec& t, GgmlType type, uint64_t seed, int64_t r0, int64_t r1, uint8_t* out) {
  std::vector<float> row(static_cast<size_t>(t.ne0));
  const size_t rb = RowBytes(type, t.ne0);
  for (int64_t r = r0; r < r1; ++r) {
    Rng rng{seed ^ (static_cast<uint64_t>(r) * 0xD1B54A32D192ED03ull)};
    for (auto& x : row) x = t.mean + t.stddev * rng.Normal();
    QuantizeRow(type, row.data(), out + static_cast<size_t>(r) * rb, t.ne0);
  }
}

uint64_t HashName(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

Status MakeModel(const MakeModelOptions& o) {
  const ModelShape& s = o.shape;
  if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_ff <= 0)
    return Status::Error("make-model: every dimension must be positive");
  if (s.n_head % s.n_head_kv != 0) return Status::Error("make-model: n_head must be a multiple of n_head_kv");
  if (s.arch != "llama" && s.arch != "qwen2" && s.arch != "qwen3")
    return Status::Error("make-model: --arch must be llama, qwen2 or qwen3");
  const int64_t hd = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
  if (!s.head_dim && s.n_embd % s.n_head != 0) return Status::Error("make-model: n_embd must be a multiple of n_head");

  auto vocab_or = GgufFile::Open(o.vocab_path);
  if (!vocab_or.ok()) return Status::Error(o.vocab_path + ": " + vocab_or.message());
  const GgufFile& vocab = *vocab_or.value();
  auto tokens_or = vocab.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens_or.ok()) return Status::Error(o.vocab_path + ": " + tokens_or.message());
  const int64_t base_vocab = static_cast<int64_t>(tokens_or.value().size());
  const int64_t n_vocab = std::max(base_vocab, o.vocab_size);

  GgufWriter w;
  const std::string& a = s.arch;
  w.Set("general.architecture", GgufValue::String(a));
  w.Set("general.name", GgufValue::String(fmt::format("flywheel random {} {}", o.shape_name.empty() ? a : o.shape_name, o.file_type.name)));
  w.Set("general.file_type", GgufValue::U32(o.file_type.id));
  w.Set("general.quantization_version", GgufValue::U32(2));
  w.Set(a + ".context_length", GgufValue::U32(static_cast<uint32_t>(s.n_ctx_train)));
  w.Set(a + ".embedding_length", GgufValue::U32(static_cast<uint32_t>(s.n_embd)));
  w.Set(a + ".block_count", GgufValue::U32(static_cast<uint32_t>(s.n_layer)));
  w.Set(a + ".feed_forward_length", GgufValue::U32(static_cast<uint32_t>(s.n_ff)));
  w.Set(a + ".attention.head_count", GgufValue::U32(static_cast<uint32_t>(s.n_head)));
  w.Set(a + ".attention.head_count_kv", GgufValue::U32(static_cast<uint32_t>(s.n_head_kv)));
  w.Set(a + ".attention.layer_norm_rms_epsilon", GgufValue::F32(s.rms_eps));
  w.Set(a + ".rope.freq_base", GgufValue::F32(s.rope_base));
  if (a == "llama") w.Set(a + ".rope.dimension_count", GgufValue::U32(static_cast<uint32_t>(hd)));
  if (s.head_dim) {
    w.Set(a + ".attention.key_length", GgufValue::U32(static_cast<uint32_t>(hd)));
    w.Set(a + ".attention.value_length", GgufValue::U32(static_cast<uint32_t>(hd)));
  }
  w.Set(a + ".vocab_size", GgufValue::U32(static_cast<uint32_t>(n_vocab)));
  for (const auto& kv : vocab.metadata()) {
    if (kv.key.rfind("tokenizer.", 0) == 0) w.Set(kv.key, kv.value);
  }
  if (n_vocab > base_vocab) {
    // Pad the vocabulary with unused tokens so the embedding has the real model's rows.
    std::vector<std::string> toks = tokens_or.value();
    for (int64_t i = base_vocab; i < n_vocab; ++i) toks.push_back(fmt::format("<|flywheel_pad_{}|>", i));
    w.Set("tokenizer.ggml.tokens", GgufValue::StringArray(toks));
    if (const GgufValue* types = vocab.Find("tokenizer.ggml.token_type"); types && types->is_array()) {
      std::vector<int32_t> tt;
      for (const auto& v : types->as_array().items) tt.push_back(static_cast<int32_t>(v.as_i64()));
      tt.resize(static_cast<size_t>(n_vocab), 4);  // USER_DEFINED: never produced by merges
      w.Set("tokenizer.ggml.token_type", GgufValue::I32Array(tt));
    }
    if (const GgufValue* sc = vocab.Find("tokenizer.ggml.scores"); sc && sc->is_array()) {
      std::vector<float> scores;
      for (const auto& v : sc->as_array().items) scores.push_back(static_cast<float>(v.as_f64()));
      scores.resize(static_cast<size_t>(n_vocab), -1000.0f);
      w.Set("tokenizer.ggml.scores", GgufValue::F32Array(scores));
    }
  }

  const std::vector<TensorSpec> specs = Tensors(s, n_vocab);
  uint64_t total_elems = 0, done_elems = 0;
  for (const auto& t : specs) total_elems += static_cast<uint64_t>(t.ne0 * t.ne1);
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& t = specs[i];
    const bool is_vec = t.role == "norm" || t.role == "bias";
    const GgmlType type = is_vec ? GgmlType::F32 : MixtureType(o.file_type, s, t.role, t.layer, t.ne0);
    if (!CanQuantize(type)) return Status::Error(fmt::format("make-model: cannot quantize to {}", TypeName(type)));
    std::vector<uint8_t> data(RowBytes(type, t.ne0) * static_cast<size_t>(t.ne1));
    const uint64_t seed = HashName(t.name, o.seed);
    const int nt = std::max(1, std::min<int>(o.threads, static_cast<int>(t.ne1)));
    std::vector<std::thread> pool;
    for (int k = 0; k < nt; ++k) {
      const int64_t r0 = t.ne1 * k / nt, r1 = t.ne1 * (k + 1) / nt;
      pool.emplace_back([&, r0, r1] { FillRows(t, type, seed, r0, r1, data.data()); });
    }
    for (auto& th : pool) th.join();
    std::vector<int64_t> ne = is_vec ? std::vector<int64_t>{t.ne0} : std::vector<int64_t>{t.ne0, t.ne1};
    FW_RETURN_IF_ERROR(w.AddOwnedTensor(t.name, type, ne, std::move(data)));
    done_elems += static_cast<uint64_t>(t.ne0 * t.ne1);
    const bool last = i + 1 == specs.size();
    if (!o.quiet && (last || t.ne1 > 1)) {  // one line per matrix, updated in place
      std::fprintf(stderr, "\rmake-model: [%3zu/%zu] %5.1f%% %-28s %-6s", i + 1, specs.size(),
                   100.0 * static_cast<double>(done_elems) / static_cast<double>(total_elems), t.name.c_str(),
                   std::string(TypeName(type)).c_str());
      std::fflush(stderr);
    }
  }
  if (!o.quiet) std::fprintf(stderr, "\nmake-model: writing %s\n", o.out_path.c_str());
  return w.Write(o.out_path);
}

}  // namespace fw::cli
