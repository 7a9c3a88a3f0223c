// flywheel tokenize MODEL.gguf [TEXT] [-f FILE] [--pieces] [--no-bos] [--no-special]
//                   [--tokenizer-json PATH] [--time]
//                   [--no-escape]
// Prints the token ids as one JSON array on one line ("[1, 15043, 3186]"), exactly like
// llama.cpp's `llama-tokenize --ids`: BOS (and EOS) added when the vocab adds BOS, special-token
// texts parsed, and backslash escapes (\n \r \t \' \" \\ \xHH) in the text processed unless
// --no-escape. TEXT, else -f FILE, else stdin. --time (for benchmarks) encodes the text
// repeatedly for at least a second and prints throughput instead of ids.
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "tokenizer/tokenizer_loader.h"

namespace fw::cli {
namespace {

// llama.cpp's string_process_escapes: \n \r \t \' \" \\ and \xHH; any other backslash pair is
// kept as is.
std::string ProcessEscapes(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 >= in.size()) {
      out.push_back(in[i]);
      continue;
    }
    const char c = in[++i];
    switch (c) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case '\'': case '"': case '\\': out.push_back(c); break;
      case 'x':
        // Two characters that strtol(.., 16) consumes entirely: "HH", or a space/sign and "H".
        if (i + 2 < in.size() && hex(in[i + 2]) &&
            (hex(in[i + 1]) || std::isspace(static_cast<unsigned char>(in[i + 1])) ||
             in[i + 1] == '+' || in[i + 1] == '-')) {
          const long v = std::strtol(in.substr(i + 1, 2).c_str(), nullptr, 16);
          out.push_back(static_cast<char>(v));
          i += 2;
          break;
        }
        [[fallthrough]];
      default:
        out.push_back('\\');
        out.push_back(c);
    }
  }
  return out;
}

int RunTokenize(int argc, char** argv) {
  CLI::App app("Tokenize text with a model's vocabulary (or a tokenizer.json)", "flywheel tokenize");
  std::vector<std::string> positional;
  std::string file, tokenizer_json;
  bool pieces = false, no_bos = false, no_special = false, timing = false, no_escape = false;
  app.add_option("args", positional, "MODEL.gguf [TEXT] (MODEL optional with --tokenizer-json)");
  app.add_option("-f,--file", file, "read the text from FILE");
  app.add_flag("--pieces", pieces, "print [[id, \"piece\"], ...]");
  app.add_flag("--no-bos", no_bos, "do not add BOS/EOS even if the vocab asks for them");
  app.add_flag("--no-special", no_special, "do not parse special-token texts such as <|im_start|>");
  app.add_option("--tokenizer-json", tokenizer_json, "use a Hugging Face tokenizer.json");
  app.add_flag("--no-escape", no_escape, "do not process backslash escapes such as \\n in the text");
  app.add_flag("--time", timing, "benchmark: print {bytes, tokens, seconds, mb_per_s}")->group("");
  CLI11_PARSE(app, argc, argv);

  std::string model, text;
  bool have_text = false;
  if (tokenizer_json.empty()) {
    if (positional.empty()) return Fail("tokenize: MODEL.gguf is required (or --tokenizer-json)");
    model = positional[0];
    if (positional.size() > 1) text = positional[1], have_text = true;
  } else {
    // With --tokenizer-json a lone positional is the text unless it names a .gguf.
    if (positional.size() >= 2) {
      model = positional[0];
      text = positional[1], have_text = true;
    } else if (positional.size() == 1) {
      const std::string& p = positional[0];
      if (p.size() > 5 && p.compare(p.size() - 5, 5, ".gguf") == 0) {
        model = p;
      } else {
        text = p, have_text = true;
      }
    }
  }
  if (positional.size() > 2) return Fail("tokenize: too many arguments (quote the text)");
  if (!have_text) {
    if (!file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (!in) return Fail(file + ": cannot open file");
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
  }

  auto tok = tokenizer_json.empty() ? LoadTokenizerFromGgufPath(model)
                                    : LoadTokenizerFromHfPath(tokenizer_json);
  if (!tok.ok()) return Fail(tok.message());
  const Tokenizer& t = **tok;
  if (!no_escape) text = ProcessEscapes(text);
  // As llama-tokenize: special tokens (BOS and EOS) are added only when the vocab adds BOS.
  const bool add_special = t.add_bos() && !no_bos;
  const bool parse_special = !no_special;

  if (timing) {
    size_t tokens = 0, rounds = 0;
    const auto start = std::chrono::steady_clock::now();
    double seconds = 0;
    do {
      tokens = t.Encode(text, add_special, parse_special).size();
      ++rounds;
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (seconds < 1.0);
    const double bytes = static_cast<double>(text.size()) * rounds;
    nlohmann::json j = {{"bytes", text.size()},      {"tokens", tokens},
                        {"rounds", rounds},          {"seconds", seconds},
                        {"mb_per_s", bytes / seconds / 1e6}, {"tokenizer", std::string(t.type_name())}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }

  const std::vector<int32_t> ids = t.Encode(text, add_special, parse_special);
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    if (pieces) {
      nlohmann::json piece = t.TokenToPiece(ids[i], /*render_special=*/true);
      out += "[" + std::to_string(ids[i]) + ", " +
             piece.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "]";
    } else {
      out += std::to_string(ids[i]);
    }
  }
  out += "]\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

FW_REGISTER_COMMAND("tokenize", "print the token ids of a text (--pieces, --no-bos, --no-special)",
                    RunTokenize, 60);

}  // namespace
}  // namespace fw::cli
