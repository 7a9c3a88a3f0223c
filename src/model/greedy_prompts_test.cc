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

// One comparison per model and prompt, shared by the two tests below.
struct PromptComparison {
  std::string prompt;
  testing::GreedyComparison c;
};

std::vector<PromptComparison> CompareModel(const std::string& name, std::string* error) {
  std::vector<PromptComparison> out;
  const std::string model_path = SharedDataPath("models/" + name + ".gguf");
  const std::string ref_path = SharedDataPath("reference/greedy/" + name + ".json");
  auto model = Model::Load(model_path);
  if (!model.ok()) {
    *error = model.message();
    return out;
  }
  auto tok = Tokenizer::FromGguf((*model)->gguf());
  if (!tok.ok()) {
    *error = tok.message();
    return out;
  }
  const nlohmann::json ref = ReadJsonFile(ref_path);
  for (const auto& r : ref["results"]) {
    const std::string prompt = r["prompt"].get<std::string>();
    const std::vector<int32_t> ids = (*tok)->Encode(prompt, true, true);
    if (static_cast<int>(ids.size()) != r["n_prompt_tokens"].get<int>()) {
      *error = "prompt \"" + prompt + "\": " + std::to_string(ids.size()) + " tokens, llama.cpp had " +
               std::to_string(r["n_prompt_tokens"].get<int>());
      return out;
    }
    if (ids.empty()) continue;  // nothing to run (no BOS in this vocab); the reference is empty too
    SessionOptions opt;
    opt.n_ctx = 128;
    auto session = Session::Create(**model, opt);
    if (!session.ok()) {
      *error = session.message();
      return out;
    }
    PromptComparison pc{prompt, CompareGreedy(**session, ids, r, **tok)};
    if (!pc.c.status.empty()) {
      *error = pc.c.status;
      return out;
    }
    std::cout << "[greedy] " << name << " prompt=\"" << prompt << "\": matched " << pc.c.matched << "/" << pc.c.steps
              << " (compared " << pc.c.compared << (pc.c.near_tie_stop ? ", stopped at near tie" : "")
              << (pc.c.reinserted > 0 ? ", " + std::to_string(pc.c.reinserted) + " folded tokens re-inserted" : "")
              << "), max |dlogprob| " << pc.c.max_diff << "\n";
    out.push_back(std::move(pc));
  }
  return out;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& ch : s)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

// Greedy tokens identical to llama.cpp's up to the first near tie.
class ModelGreedyTokens : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGreedyTokens, IdenticalToLlamaCppUpToFirstNearTie) {
  const std::string name = GetParam();
  FW_REQUIRE_SHARED_FILE(model_path, "models/" + name + ".gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/" + name + ".json");
  std::string error;
  const auto results = CompareModel(name, &error);
  ASSERT_TRUE(error.empty()) << error;
  for (const auto& r : results) {
    EXPECT_EQ(r.c.first_mismatch, -1) << name << " \"" << r.prompt << "\": argmax differs at step " << r.c.first_mismatch;
  }
}

// Every reference top-10 logprob within 1e-3 (F32/F16/BF16 weights) or 5e-2 (quantized).
class ModelGreedyLogprobs : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGreedyLogprobs, WithinToleranceOfLlamaCpp) {
  const std::string name = GetParam();
  FW_REQUIRE_SHARED_FILE(model_path, "models/" + name + ".gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/" + name + ".json");
  std::string error;
  const auto results = CompareModel(name, &error);
  ASSERT_TRUE(error.empty()) << error;
  const double tol = IsFloatModel(name) ? 1e-3 : 5e-2;
  for (const auto& r : results) EXPECT_LE(r.c.max_diff, tol) << name << " \"" << r.prompt << "\"";
}

INSTANTIATE_TEST_SUITE_P(AllReferences, ModelGreedyTokens, ::testing::ValuesIn(GreedyReferenceModels()), TestName);
INSTANTIATE_TEST_SUITE_P(AllReferences, ModelGreedyLogprobs, ::testing::ValuesIn(GreedyReferenceModels()), TestName);

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
