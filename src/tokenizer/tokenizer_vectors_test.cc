// llama.cpp's vocab test vectors (vocab/ggml-vocab-*.gguf.inp/.out), tokenized like
// test-tokenizer-0 does: no BOS/EOS, special tokens not parsed.
#include <gtest/gtest.h>

#include "base/test_data.h"
#include "tokenizer/tokenizer_test_util.h"

namespace fw {
namespace {

struct VectorCase {
  const char* vocab;           // name in vocab/ggml-vocab-<name>.gguf.inp
  const char* tokenizer_json;  // HF tokenizer directory when the GGUF is not shipped
};

class TokenizerVectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(TokenizerVectors, MatchLlamaCpp) {
  const VectorCase& c = GetParam();
  const std::string base = std::string("vocab/ggml-vocab-") + c.vocab + ".gguf";
  FW_REQUIRE_SHARED_FILE(inp, base + ".inp");
  FW_REQUIRE_SHARED_FILE(outp, base + ".out");
  std::unique_ptr<GgufFile> gguf;
  std::unique_ptr<Tokenizer> tok;
  if (c.tokenizer_json == nullptr) {
    FW_REQUIRE_SHARED_FILE(path, base);
    auto g = GgufFile::Open(path);
    ASSERT_TRUE(g.ok()) << g.message();
    gguf = std::move(g).value();
    auto t = Tokenizer::FromGguf(*gguf);
    ASSERT_TRUE(t.ok()) << t.message();
    tok = std::move(t).value();
  } else {
    FW_REQUIRE_SHARED_FILE(path, std::string("tokenizers/") + c.tokenizer_json + "/tokenizer.json");
    auto t = Tokenizer::FromHfJson(path);
    ASSERT_TRUE(t.ok()) << t.message();
    tok = std::move(t).value();
  }
  const auto inputs = tok_test::ReadVocabInputs(inp);
  const auto expected = tok_test::ReadVocabOutputs(outp);
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 40u);
  int passed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto ids = tok->Encode(inputs[i], /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(tok_test::IdsToString(ids), tok_test::IdsToString(expected[i]))
        << "case " << i << ": '" << inputs[i] << "'";
    passed += ids == expected[i];
  }
  std::printf("[vectors] %s: %d/%zu passed\n", c.vocab, passed, inputs.size());
}

INSTANTIATE_TEST_SUITE_P(
    All, TokenizerVectors,
    ::testing::Values(VectorCase{"llama-spm", nullptr}, VectorCase{"phi-3", nullptr},
                      VectorCase{"gpt-2", nullptr}, VectorCase{"mpt", nullptr},
                      VectorCase{"deepseek-coder", nullptr}, VectorCase{"bert-bge", nullptr},
                      VectorCase{"llama-bpe", "llama3"}, VectorCase{"qwen2", "qwen3"}),
    [](const ::testing::TestParamInfo<VectorCase>& info) {
      std::string n = info.param.vocab;
      for (char& ch : n) {
        if (ch == '-') ch = '_';
      }
      return n;
    });

}  // namespace
}  // namespace fw
