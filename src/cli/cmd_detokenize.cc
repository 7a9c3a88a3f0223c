// flywheel detokenize MODEL.gguf IDS... [--special] [--tokenizer-json PATH]
// Prints the text the ids decode to (llama.cpp's llama_detokenize rules for GGUF vocabs, the
// decoder chain for tokenizer.json). IDS are integers, as separate arguments or one JSON
// array ("[1, 15043, 3186]").
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "tokenizer/tokenizer_loader.h"

namespace fw::cli {
namespace {

// Parses integers separated by spaces, commas or brackets; false on anything else.
bool ParseIds(const std::vector<std::string>& args, std::vector<int32_t>* ids, std::string* bad) {
  for (const std::string& a : args) {
    size_t i = 0;
    while (i < a.size()) {
      const char c = a[i];
      if (c == ' ' || c == ',' || c == '[' || c == ']' || c == '\n' || c == '\t') {
        ++i;
        continue;
      }
      size_t j = i;
      if (a[j] == '-') ++j;
      while (j < a.size() && a[j] >= '0' && a[j] <= '9') ++j;
      if (j == i || (a[i] == '-' && j == i + 1) || j - i > 11) {
        *bad = a;
        return false;
      }
      const long long v = std::stoll(a.substr(i, j - i));
      if (v < INT32_MIN || v > INT32_MAX) {
        *bad = a;
        return false;
      }
      ids->push_back(static_cast<int32_t>(v));
      i = j;
    }
  }
  return true;
}

int RunDetokenize(int argc, char** argv) {
  CLI::App app("Turn token ids back into text", "flywheel detokenize");
  std::vector<std::string> positional;
  std::string tokenizer_json;
  bool special = false;
  app.add_option("args", positional, "MODEL.gguf IDS... (MODEL omitted with --tokenizer-json)");
  app.add_flag("--special", special, "render control tokens such as <s> as text");
  app.add_option("--tokenizer-json", tokenizer_json, "use a Hugging Face tokenizer.json");
  CLI11_PARSE(app, argc, argv);

  std::string model;
  if (tokenizer_json.empty()) {
    if (positional.empty()) return Fail("detokenize: MODEL.gguf is required (or --tokenizer-json)");
    model = positional[0];
    positional.erase(positional.begin());
  } else if (!positional.empty() && positional[0].size() > 5 &&
             positional[0].compare(positional[0].size() - 5, 5, ".gguf") == 0) {
    positional.erase(positional.begin());
  }
  std::vector<int32_t> ids;
  std::string bad;
  if (!ParseIds(positional, &ids, &bad)) return Fail("detokenize: not a token id list: '" + bad + "'");

  auto tok = tokenizer_json.empty() ? LoadTokenizerFromGgufPath(model)
                                    : LoadTokenizerFromHfPath(tokenizer_json);
  if (!tok.ok()) return Fail(tok.message());
  const Tokenizer& t = **tok;
  for (int32_t id : ids) {
    if (id < 0 || id >= t.n_vocab()) {
      return Fail("detokenize: token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                  std::to_string(t.n_vocab() - 1) + ")");
    }
  }
  const std::string text = t.Decode(ids, special);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

FW_REGISTER_COMMAND("detokenize", "print the text of token ids (--special)", RunDetokenize, 61);

}  // namespace
}  // namespace fw::cli
