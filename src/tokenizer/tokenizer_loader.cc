#include "tokenizer/tokenizer_loader.h"

#include <sys/stat.h>

#include "gguf/gguf_file.h"

namespace fw {

Result<std::unique_ptr<Tokenizer>> LoadTokenizerFromGgufPath(const std::string& gguf_path) {
  auto file = GgufFile::Open(gguf_path);
  if (!file.ok()) return file.status().With(gguf_path);
  auto tok = Tokenizer::FromGguf(**file);  // copies everything it needs; the file may close
  if (!tok.ok()) return tok.status().With(gguf_path);
  return tok;
}

Result<std::unique_ptr<Tokenizer>> LoadTokenizerFromHfPath(const std::string& json_path) {
  std::string config;
  const size_t slash = json_path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : json_path.substr(0, slash);
  struct stat st;
  if (stat((dir + "/tokenizer_config.json").c_str(), &st) == 0) config = dir + "/tokenizer_config.json";
  return Tokenizer::FromHfJson(json_path, config);  // its errors already name the file
}

}  // namespace fw
