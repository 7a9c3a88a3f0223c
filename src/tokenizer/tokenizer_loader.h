// Opens a tokenizer from what a user names on the command line: a GGUF (model or vocab-only)
// or a Hugging Face tokenizer.json (tokenizer_config.json beside it is picked up).
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "tokenizer/tokenizer.h"

namespace fw {

// Errors read "<path>: <problem>".
Result<std::unique_ptr<Tokenizer>> LoadTokenizerFromGgufPath(const std::string& gguf_path);
Result<std::unique_ptr<Tokenizer>> LoadTokenizerFromHfPath(const std::string& tokenizer_json_path);

}  // namespace fw
