// Cross-check against llama-server's greedy references (reference/greedy/<model>.json): the
// prompt's token count (BOS as the vocab says, specials parsed) and the generated text, which
// llama-server builds by concatenating each generated token's piece. Random-weight models
// emit lone byte tokens that form invalid UTF-8; the server's JSON shows those as U+FFFD
// (regrouping bytes on the way), so there only the text before the first U+FFFD is compared.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/test_data.h"
#include "tokenizer/tokenizer_test_util.h"

namespace fw {
namespace {

class TokenizerGreedyRef : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerGreedyRef, PromptLengthAndGeneratedText) {
  const std::string model = GetParam();
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/" + model + ".json");
  FW_REQUIRE_SHARED_FILE(gguf_path, "models/" + model + ".gguf");
  auto gguf = GgufFile::Open(gguf_path);
  ASSERT_TRUE(gguf.ok()) << gguf.message();
  auto tok = Tokenizer::FromGguf(**gguf);
  ASSERT_TRUE(tok.ok()) << tok.message();
  const auto ref = nlohmann::json::parse(tok_test::ReadFile(ref_path));
  ASSERT_FALSE(ref.at("results").empty());
  for (const auto& r : ref.at("results")) {
    const std::string prompt = r.at("prompt");
    EXPECT_EQ((*tok)->Encode(prompt).size(), r.at("n_prompt_tokens").get<size_t>()) << "'" << prompt << "'";
    std::string text;
    for (int32_t id : r.at("tokens").get<std::vector<int32_t>>()) text += (*tok)->TokenToPiece(id);
    const std::string want = r.at("text").get<std::string>();
    const size_t bad = want.find("\xEF\xBF\xBD");
    if (bad == std::string::npos) {
      EXPECT_EQ(text, want) << "'" << prompt << "'";
    } else {
      EXPECT_EQ(text.substr(0, bad), want.substr(0, bad)) << "'" << prompt << "'";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerGreedyRef,
                         ::testing::Values("stories260K", "TinyLLama-v0-Q4_0", "llama-2-tiny-random",
                                           "tiny-llama-f32", "tiny-qwen2-f16", "quant-llama-f32"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace fw
