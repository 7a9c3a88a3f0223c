#include "tokenizer/tokenizer_impl.h"
namespace fw::tok {
// Hugging Face tokenizer.json import lands in the next commit.
Result<std::unique_ptr<TokenizerImpl>> MakeHf(const std::string& path, const std::string&) {
  return Status::Error(path + ": tokenizer.json import is not implemented yet");
}
}  // namespace fw::tok
