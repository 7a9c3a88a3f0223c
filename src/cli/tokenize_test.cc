// End-to-end tests of `flywheel tokenize` / `detokenize`: the binary's output equals
// llama.cpp's `llama-tokenize --ids` (../shared/reference/tokenize) byte for byte.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "base/test_data.h"

namespace fw {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(CliTokenize, MatchesLlamaTokenizeOnEveryReference) {
  FW_REQUIRE_SHARED_FILE(dir, "reference/tokenize");
  int checked = 0;
  for (const char* vocab : {"llama-spm", "phi-3", "baichuan", "gpt-2", "gpt-neox", "mpt", "deepseek-coder", "bert-bge"}) {
    const std::string model = SharedDataPath(std::string("vocab/ggml-vocab-") + vocab + ".gguf");
    ASSERT_FALSE(model.empty()) << vocab;
    for (const char* text : {"edge", "tinystories-10k"}) {
      const std::string ids = SharedDataPath(std::string("reference/tokenize/") + vocab + "." + text + ".ids");
      const std::string txt = SharedDataPath(std::string("reference/tokenize/") + text + ".txt");
      ProcessResult r = RunProcess({FlywheelBinary(), "tokenize", model, "-f", txt});
      ASSERT_EQ(r.exit_code, 0) << vocab << " " << text << ": " << r.err;
      EXPECT_EQ(Trim(r.out), Trim(ReadFile(ids))) << vocab << " " << text;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 16);
}

TEST(CliTokenize, PiecesNoBosAndDetokenizeRoundTrip) {
  FW_REQUIRE_SHARED_FILE(model, "vocab/ggml-vocab-llama-spm.gguf");
  ProcessResult ids = RunProcess({FlywheelBinary(), "tokenize", model, "--no-bos", "Hello world"});
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  auto arr = nlohmann::json::parse(ids.out);
  ASSERT_TRUE(arr.is_array());
  ASSERT_FALSE(arr.empty());
  EXPECT_NE(arr[0], 1);  // no BOS
  ProcessResult with_bos = RunProcess({FlywheelBinary(), "tokenize", model, "Hello world"});
  EXPECT_EQ(nlohmann::json::parse(with_bos.out)[0], 1);
  ProcessResult pieces = RunProcess({FlywheelBinary(), "tokenize", model, "--no-bos", "--pieces", "Hello world"});
  ASSERT_EQ(pieces.exit_code, 0);
  auto p = nlohmann::json::parse(pieces.out);
  ASSERT_EQ(p.size(), arr.size());
  EXPECT_EQ(p[0][0], arr[0]);
  EXPECT_TRUE(p[0][1].is_string());
  std::vector<std::string> argv = {FlywheelBinary(), "detokenize", model};
  for (const auto& id : arr) argv.push_back(std::to_string(id.get<int>()));
  ProcessResult text = RunProcess(argv);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(Trim(text.out), "Hello world");
  // Stdin input gives the same ids as an argument.
  ProcessResult piped = RunProcess({FlywheelBinary(), "tokenize", model, "--no-bos"}, "Hello world");
  EXPECT_EQ(Trim(piped.out), Trim(ids.out));
}

TEST(CliTokenize, SpecialTokensParsedUnlessNoSpecial) {
  FW_REQUIRE_SHARED_FILE(tok, "tokenizers/qwen3/tokenizer.json");
  ProcessResult on = RunProcess({FlywheelBinary(), "tokenize", "--tokenizer-json", tok, "<|im_start|>user"});
  ASSERT_EQ(on.exit_code, 0) << on.err;
  auto a = nlohmann::json::parse(on.out);
  EXPECT_EQ(a[0], 151644);  // <|im_start|> in Qwen's vocab
  ProcessResult off = RunProcess({FlywheelBinary(), "tokenize", "--tokenizer-json", tok, "--no-special", "<|im_start|>user"});
  auto b = nlohmann::json::parse(off.out);
  EXPECT_GT(b.size(), a.size());
  EXPECT_NE(b[0], 151644);
}

TEST(CliTokenize, BadInputFails) {
  ProcessResult r = RunProcess({FlywheelBinary(), "tokenize", "/nonexistent.gguf", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("flywheel: /nonexistent.gguf", 0), 0u) << r.err;
}

}  // namespace
}  // namespace fw
