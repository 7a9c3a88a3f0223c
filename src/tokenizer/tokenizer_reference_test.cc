// llama.cpp's ids for whole texts (reference/tokenize/<vocab>.<text>.ids): BOS as the vocab
// says, special tokens parsed.
#include <gtest/gtest.h>

#include "base/test_data.h"
#include "tokenizer/tokenizer_test_util.h"

namespace fw {
namespace {

struct RefCase {
  const char* vocab;
  const char* text;
};

class TokenizerReference : public ::testing::TestWithParam<RefCase> {};

TEST_P(TokenizerReference, MatchesLlamaCppIds) {
  const RefCase& c = GetParam();
  FW_REQUIRE_SHARED_FILE(gguf_path, std::string("vocab/ggml-vocab-") + c.vocab + ".gguf");
  FW_REQUIRE_SHARED_FILE(text_path, std::string("reference/tokenize/") + c.text + ".txt");
  FW_REQUIRE_SHARED_FILE(ids_path, std::string("reference/tokenize/") + c.vocab + "." + c.text + ".ids");
  auto gguf = GgufFile::Open(gguf_path);
  ASSERT_TRUE(gguf.ok()) << gguf.message();
  auto tok = Tokenizer::FromGguf(**gguf);
  ASSERT_TRUE(tok.ok()) << tok.message();
  const std::string text = tok_test::ReadFile(text_path);
  const std::vector<int32_t> expected = tok_test::ReadIdsJson(ids_path);
  ASSERT_FALSE(expected.empty());
  const std::vector<int32_t> ids = (*tok)->Encode(text);
  size_t first_diff = 0;
  while (first_diff < ids.size() && first_diff < expected.size() && ids[first_diff] == expected[first_diff]) {
    ++first_diff;
  }
  EXPECT_EQ(ids.size(), expected.size());
  EXPECT_EQ(first_diff, std::max(ids.size(), expected.size()))
      << "first difference at index " << first_diff << ": got "
      << (first_diff < ids.size() ? std::to_string(ids[first_diff]) : "<end>") << ", want "
      << (first_diff < expected.size() ? std::to_string(expected[first_diff]) : "<end>");
}

std::vector<RefCase> AllCases() {
  std::vector<RefCase> v;
  for (const char* vocab : {"llama-spm", "phi-3", "baichuan", "gpt-2", "gpt-neox", "mpt",
                            "deepseek-coder", "bert-bge"}) {
    for (const char* text : {"edge", "wikitext-20k", "tinystories-10k"}) v.push_back({vocab, text});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerReference, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<RefCase>& info) {
                           std::string n = std::string(info.param.vocab) + "_" + info.param.text;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace fw
