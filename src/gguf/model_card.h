// A model's card from its GGUF header: what `flywheel show` prints and /api/show returns.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"

namespace fw {

// The card as JSON. Keys: architecture, name, parameters, file_type, tensor_types
// ({type: count}), size_bytes, gguf_version, context_length, embedding_length, block_count,
// head_count, head_count_kv, feed_forward_length, rope_freq_base, rope_dimension_count,
// rope_scaling_type, rope_scaling_factor, vocab_type, vocab_size, bos_token_id, eos_token_id,
// special_tokens, chat_template (bool), license/author/url/... when present, and metadata
// (every key except the big tokenizer arrays). Absent values are null.
nlohmann::json ModelCardJson(const GgufFile& file);

// The human-readable card.
std::string ModelCardText(const nlohmann::json& card);

// llama.cpp's llama_ftype names ("Q4_K - Medium", ...) for general.file_type.
std::string FileTypeName(uint32_t ftype);

// 260K, 4.6M, 1.1B: a parameter count as people say it.
std::string HumanCount(uint64_t n);
// 1.2 MiB, 637.4 KiB: a byte size.
std::string HumanBytes(uint64_t n);

}  // namespace fw
