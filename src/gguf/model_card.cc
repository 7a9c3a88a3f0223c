#include "gguf/model_card.h"

#include <cstdio>
#include <map>

#include <fmt/format.h>

namespace fw {
namespace {

using nlohmann::json;

// Tokenizer arrays that hold one entry per token or merge: too big for a card.
bool IsBigTokenizerArray(const GgufKeyValue& kv) {
  return kv.value.is_array() && kv.key.rfind("tokenizer.", 0) == 0 &&
         kv.value.as_array().items.size() > 64;
}

json ValueToJson(const GgufValue& v) {
  switch (v.type()) {
    case GgufValueType::BOOL: return v.as_bool();
    case GgufValueType::STRING: {
      // Metadata strings are not guaranteed UTF-8: invalid bytes become U+FFFD so the card
      // always serializes.
      return json::parse(json(v.as_string()).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    case GgufValueType::FLOAT32:
    case GgufValueType::FLOAT64: return v.as_f64();
    case GgufValueType::ARRAY: {
      json a = json::array();
      for (const auto& item : v.as_array().items) a.push_back(ValueToJson(item));
      return a;
    }
    case GgufValueType::INT8: case GgufValueType::INT16: case GgufValueType::INT32:
    case GgufValueType::INT64:
      return v.as_i64();
    default:
      return v.as_u64();
  }
}

json Lookup(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.Find(key);
  return v == nullptr ? json(nullptr) : ValueToJson(*v);
}

std::string TokenText(const GgufFile& f, const json& id) {
  if (!id.is_number_integer()) return "";
  const GgufValue* tokens = f.Find("tokenizer.ggml.tokens");
  if (tokens == nullptr || !tokens->is_array() || tokens->as_array().elem_type != GgufValueType::STRING) return "";
  const int64_t i = id.get<int64_t>();
  const auto& items = tokens->as_array().items;
  if (i < 0 || static_cast<size_t>(i) >= items.size()) return "";
  return items[static_cast<size_t>(i)].as_string();
}

// Token texts and metadata strings are untrusted bytes, not always UTF-8: invalid sequences
// print as U+FFFD instead of throwing.
std::string SafeDump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string Display(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:g}", v.get<double>());
  return SafeDump(v);
}

}  // namespace

std::string FileTypeName(uint32_t ftype) {
  static const std::map<uint32_t, const char*> kNames = {
      {0, "all F32"}, {1, "F16"}, {2, "Q4_0"}, {3, "Q4_1"}, {4, "Q4_1, some F16"}, {7, "Q8_0"},
      {8, "Q5_0"}, {9, "Q5_1"}, {10, "Q2_K - Medium"}, {11, "Q3_K - Small"}, {12, "Q3_K - Medium"},
      {13, "Q3_K - Large"}, {14, "Q4_K - Small"}, {15, "Q4_K - Medium"}, {16, "Q5_K - Small"},
      {17, "Q5_K - Medium"}, {18, "Q6_K"}, {19, "IQ2_XXS - 2.0625 bpw"}, {20, "IQ2_XS - 2.3125 bpw"},
      {21, "Q2_K - Small"}, {22, "IQ3_XS - 3.3 bpw"}, {23, "IQ3_XXS - 3.0625 bpw"},
      {24, "IQ1_S - 1.5625 bpw"}, {25, "IQ4_NL - 4.5 bpw"}, {26, "IQ3_S - 3.4375 bpw"},
      {27, "IQ3_S mix - 3.66 bpw"}, {28, "IQ2_S - 2.5 bpw"}, {29, "IQ2_M - 2.7 bpw"},
      {30, "IQ4_XS - 4.25 bpw"}, {31, "IQ1_M - 1.75 bpw"}, {32, "BF16"}, {36, "TQ1_0 - 1.69 bpw ternary"},
      {37, "TQ2_0 - 2.06 bpw ternary"}};
  auto it = kNames.find(ftype);
  return it == kNames.end() ? "unknown (" + std::to_string(ftype) + ")" : it->second;
}

std::string HumanCount(uint64_t n) {
  if (n >= 1000000000ull) return fmt::format("{:.2f}B", n / 1e9);
  if (n >= 1000000ull) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1000ull) return fmt::format("{:.2f}K", n / 1e3);
  return std::to_string(n);
}

std::string HumanBytes(uint64_t n) {
  if (n >= (1ull << 30)) return fmt::format("{:.2f} GiB", n / double(1ull << 30));
  if (n >= (1ull << 20)) return fmt::format("{:.2f} MiB", n / double(1ull << 20));
  if (n >= (1ull << 10)) return fmt::format("{:.2f} KiB", n / double(1ull << 10));
  return fmt::format("{} B", n);
}

json ModelCardJson(const GgufFile& f) {
  json card;
  const std::string arch = f.architecture();
  const std::string p = arch + ".";
  card["architecture"] = arch.empty() ? json(nullptr) : json(arch);
  card["name"] = Lookup(f, "general.name");
  card["gguf_version"] = f.version();
  card["size_bytes"] = f.file_size();

  uint64_t params = 0;
  uint64_t tensor_bytes = 0;
  std::map<std::string, uint64_t> type_counts;
  std::map<std::string, uint64_t> type_bytes;
  for (const auto& t : f.tensors()) {
    params += static_cast<uint64_t>(t.n_elements());
    tensor_bytes += t.size_bytes;
    const std::string tn(TypeName(t.type));
    type_counts[tn] += 1;
    type_bytes[tn] += t.size_bytes;
  }
  card["parameters"] = params;
  card["tensor_count"] = f.tensors().size();
  card["tensor_bytes"] = tensor_bytes;
  card["tensor_types"] = type_counts;
  card["tensor_type_bytes"] = type_bytes;

  const GgufValue* ft = f.Find("general.file_type");
  if (ft != nullptr && ft->is_integer()) {
    card["file_type"] = FileTypeName(static_cast<uint32_t>(ft->as_u64()));
    card["file_type_id"] = ft->as_u64();
  } else {
    // No general.file_type: name the type holding most of the bytes.
    std::string best;
    uint64_t most = 0;
    for (const auto& [name, bytes] : type_bytes) {
      if (bytes > most) { most = bytes; best = name; }
    }
    card["file_type"] = best.empty() ? json(nullptr) : json("mostly " + best + " (no general.file_type)");
    card["file_type_id"] = nullptr;
  }

  card["context_length"] = Lookup(f, p + "context_length");
  card["embedding_length"] = Lookup(f, p + "embedding_length");
  card["block_count"] = Lookup(f, p + "block_count");
  card["head_count"] = Lookup(f, p + "attention.head_count");
  card["head_count_kv"] = Lookup(f, p + "attention.head_count_kv");
  if (card["head_count_kv"].is_null()) card["head_count_kv"] = card["head_count"];
  card["feed_forward_length"] = Lookup(f, p + "feed_forward_length");
  card["key_length"] = Lookup(f, p + "attention.key_length");
  card["rms_epsilon"] = Lookup(f, p + "attention.layer_norm_rms_epsilon");
  card["rope_freq_base"] = Lookup(f, p + "rope.freq_base");
  card["rope_dimension_count"] = Lookup(f, p + "rope.dimension_count");
  card["rope_scaling_type"] = Lookup(f, p + "rope.scaling.type");
  card["rope_scaling_factor"] = Lookup(f, p + "rope.scaling.factor");

  card["vocab_type"] = Lookup(f, "tokenizer.ggml.model");
  card["vocab_pre"] = Lookup(f, "tokenizer.ggml.pre");
  const GgufValue* tokens = f.Find("tokenizer.ggml.tokens");
  card["vocab_size"] = tokens != nullptr && tokens->is_array() ? json(tokens->as_array().items.size())
                                                               : Lookup(f, p + "vocab_size");
  card["bos_token_id"] = Lookup(f, "tokenizer.ggml.bos_token_id");
  card["eos_token_id"] = Lookup(f, "tokenizer.ggml.eos_token_id");
  json special = json::object();
  for (const char* which : {"bos", "eos", "eot", "eom", "unknown", "padding", "separator", "mask"}) {
    json id = Lookup(f, std::string("tokenizer.ggml.") + which + "_token_id");
    // llama.cpp writes -1 (as u32 0xFFFFFFFF) for "no such token".
    if (id.is_null() || (id.is_number_unsigned() && id.get<uint64_t>() == 0xFFFFFFFFull) ||
        (id.is_number_integer() && id.get<int64_t>() < 0)) {
      continue;
    }
    special[which] = {{"id", id}, {"text", TokenText(f, id)}};
  }
  card["special_tokens"] = special;
  card["add_bos_token"] = Lookup(f, "tokenizer.ggml.add_bos_token");
  card["chat_template"] = f.Has("tokenizer.chat_template");

  for (const char* key : {"license", "author", "url", "organization", "description", "source.url",
                          "repo_url", "version", "basename", "size_label", "finetune"}) {
    json v = Lookup(f, std::string("general.") + key);
    if (!v.is_null()) card[std::string(key) == "source.url" ? "source_url" : key] = v;
  }

  json meta = json::object();
  for (const auto& kv : f.metadata()) {
    if (IsBigTokenizerArray(kv)) {
      meta[kv.key] = fmt::format("[{} {} values omitted]", kv.value.as_array().items.size(),
                                 GgufValueTypeName(kv.value.as_array().elem_type));
    } else {
      meta[kv.key] = ValueToJson(kv.value);
    }
  }
  card["metadata"] = meta;
  return card;
}

std::string ModelCardText(const json& c) {
  std::string out;
  auto line = [&](const std::string& label, const std::string& value) {
    out += fmt::format("  {:<22}{}\n", label, value);
  };
  out += "Model\n";
  line("name", Display(c["name"]));
  line("architecture", Display(c["architecture"]));
  line("parameters", HumanCount(c["parameters"].get<uint64_t>()) + " (" + c["parameters"].dump() + ")");
  line("file type", Display(c["file_type"]));
  std::string mix;
  for (const auto& [type, count] : c["tensor_types"].items()) {
    if (!mix.empty()) mix += ", ";
    mix += fmt::format("{} x{}", type, count.get<uint64_t>());
  }
  line("tensor types", mix.empty() ? "-" : mix);
  line("size", HumanBytes(c["size_bytes"].get<uint64_t>()));
  line("gguf version", Display(c["gguf_version"]));
  out += "\nHyperparameters\n";
  line("context length", Display(c["context_length"]));
  line("embedding length", Display(c["embedding_length"]));
  line("layers", Display(c["block_count"]));
  line("heads", Display(c["head_count"]));
  line("kv heads", Display(c["head_count_kv"]));
  if (!c["key_length"].is_null()) line("head size", Display(c["key_length"]));
  line("feed forward length", Display(c["feed_forward_length"]));
  line("rms epsilon", Display(c["rms_epsilon"]));
  std::string rope = "base " + (c["rope_freq_base"].is_null() ? std::string("10000 (default)")
                                                                : Display(c["rope_freq_base"]));
  if (!c["rope_dimension_count"].is_null()) rope += ", dims " + Display(c["rope_dimension_count"]);
  if (!c["rope_scaling_type"].is_null()) {
    rope += ", scaling " + Display(c["rope_scaling_type"]) + " x" + Display(c["rope_scaling_factor"]);
  }
  line("rope", rope);
  out += "\nTokenizer\n";
  std::string vt = Display(c["vocab_type"]);
  if (!c["vocab_pre"].is_null()) vt += " (pre: " + Display(c["vocab_pre"]) + ")";
  line("vocab type", vt);
  line("vocab size", Display(c["vocab_size"]));
  for (const auto& [which, tok] : c["special_tokens"].items()) {
    line(which + " token", fmt::format("{} {}", tok["id"].dump(), SafeDump(tok["text"])));
  }
  line("chat template", c["chat_template"].get<bool>() ? "yes" : "no");
  bool header = false;
  for (const char* key : {"license", "author", "organization", "url", "source_url", "repo_url", "description"}) {
    if (c.contains(key)) {
      if (!header) { out += "\nAbout\n"; header = true; }
      line(key, Display(c[key]));
    }
  }
  return out;
}

}  // namespace fw
