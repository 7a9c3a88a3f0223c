// Greedy decoding against llama.cpp's references for every prompt of every reference model,
// with prompt ids from our tokenizer (checked against the reference's n_prompt_tokens), and
// llama2.c's published 200-step output of stories260K.
#include <gtest/gtest.h>

#include <iostream>

#include "base/test_data.h"
#include "model/model.h"
#include "model/reference_test_util.h"
#include "model/session.h"
#include "tokenizer/tokenizer.h"

namespace fw::model {
namespace {

using testing::CompareGreedy;
using testing::GreedyReferenceModels;
using testing::IsFloatModel;
using testing::ReadJsonFile;

// The quant-llama-* references for the BOS-only prompt "" do not agree with a forward pass of
// BOS at position 0 on an empty cache (checked by hand: no single token on an empty cache
// yields their first-step distribution, while their three text prompts match to ~1e-4), so
// llama-server evidently ran that request on a reused slot. Those cases are reported, not
// compared; greedy_reference_test.cc covers "" for the other models.
bool BosCaseUnreliable(const std::string& model, const std::string& prompt) {
  return prompt.empty() && model.rfind("quant-llama-", 0) == 0;
}

class ModelGreedyPromptTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGreedyPromptTest, MatchesLlamaCppOnEveryPrompt) {
  const std::string name = GetParam();
  FW_REQUIRE_SHARED_FILE(model_path, "models/" + name + ".gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/" + name + ".json");
  auto model = Model::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.message();
  auto tok = Tokenizer::FromGguf((*model)->gguf());
  ASSERT_TRUE(tok.ok()) << tok.message();
  const nlohmann::json ref = ReadJsonFile(ref_path);
  const double tol = IsFloatModel(name) ? 1e-3 : 5e-2;
  for (const auto& r : ref["results"]) {
    const std::string prompt = r["prompt"].get<std::string>();
    if (BosCaseUnreliable(name, prompt)) {
      std::cout << "[greedy] " << name << " prompt=\"\": reference not comparable (see BosCaseUnreliable)\n";
      continue;
    }
    const std::vector<int32_t> ids = (*tok)->Encode(prompt, true, true);
    ASSERT_EQ(static_cast<int>(ids.size()), r["n_prompt_tokens"].get<int>()) << "prompt \"" << prompt << "\"";
    if (ids.empty()) {
      EXPECT_TRUE(r["steps"].empty());
      continue;
    }
    SessionOptions opt;
    opt.n_ctx = 128;
    auto session = Session::Create(**model, opt);
    ASSERT_TRUE(session.ok()) << session.message();
    const auto c = CompareGreedy(**session, ids, r);
    ASSERT_TRUE(c.status.empty()) << c.status;
    std::cout << "[greedy] " << name << " prompt=\"" << prompt << "\": matched " << c.matched << "/" << c.steps
              << " (compared " << c.compared << (c.near_tie_stop ? ", stopped at near tie" : "")
              << (c.utf8_stop ? ", stopped at a merged incomplete-UTF-8 reference step" : "")
              << "), max |dlogprob| " << c.max_diff << "\n";
    EXPECT_EQ(c.first_mismatch, -1) << name << " \"" << prompt << "\": argmax differs at step " << c.first_mismatch;
    EXPECT_LE(c.max_diff, tol) << name << " \"" << prompt << "\"";
  }
}

INSTANTIATE_TEST_SUITE_P(AllReferences, ModelGreedyPromptTest, ::testing::ValuesIn(GreedyReferenceModels()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

// llama2.c's published greedy output of stories260K from BOS, 200 steps. llama2.c prints the
// first piece without SentencePiece's leading space; our detokenized text has it. The file
// ends where llama2.c stopped printing, so it must equal our text's prefix of its length.
TEST(ModelStories260K, Greedy200StepsMatchLlama2c) {
  FW_REQUIRE_SHARED_FILE(model_path, "models/stories260K.gguf");
  FW_REQUIRE_SHARED_FILE(expected_path, "reference/greedy/stories260K.expected_greedy_200.txt");
  auto model = Model::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.message();
  auto tok = Tokenizer::FromGguf((*model)->gguf());
  ASSERT_TRUE(tok.ok()) << tok.message();
  SessionOptions opt;
  opt.n_ctx = 256;
  auto s = Session::Create(**model, opt);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<int32_t> out;
  int32_t next = (*tok)->bos_id();
  // llama2.c's 200 steps are 200 forward passes from BOS: 200 generated tokens.
  for (int step = 0; step < 200; ++step) {
    ASSERT_TRUE((*s)->Eval(0, std::vector<int32_t>{next}).ok());
    next = testing::ArgMax((*s)->logits(0), (*s)->n_vocab());
    out.push_back(next);
  }
  // Detokenized after BOS, as the sequence reads: the first piece keeps its space.
  std::vector<int32_t> with_bos = {(*tok)->bos_id()};
  with_bos.insert(with_bos.end(), out.begin(), out.end());
  const std::string text = (*tok)->Decode(with_bos);
  std::string expected = testing::ReadTextFile(expected_path);
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == ' ')) expected.pop_back();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text[0], ' ');
  EXPECT_EQ(text.substr(1, expected.size()), expected);
}

}  // namespace
}  // namespace fw::model
