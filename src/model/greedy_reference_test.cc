// Greedy decoding against llama.cpp's references (shared/reference/greedy/<model>.json) for
// the BOS-only prompt "", which needs no tokenizer: the prompt is just the vocab's BOS id.
// Tokenized prompts are covered by greedy_prompts_test.cc.
#include <gtest/gtest.h>

#include <iostream>

#include "base/test_data.h"
#include "model/model.h"
#include "model/reference_test_util.h"
#include "model/session.h"

namespace fw::model {
namespace {

using testing::CompareGreedy;
using testing::GreedyReferenceModels;
using testing::IsFloatModel;
using testing::ReadJsonFile;

class ModelGreedyBosTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGreedyBosTest, MatchesLlamaCppFromBosOnly) {
  const std::string name = GetParam();
  FW_REQUIRE_SHARED_FILE(model_path, "models/" + name + ".gguf");
  FW_REQUIRE_SHARED_FILE(ref_path, "reference/greedy/" + name + ".json");
  auto model = Model::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.message();
  const nlohmann::json ref = ReadJsonFile(ref_path);
  const nlohmann::json* bos_case = nullptr;
  for (const auto& r : ref["results"])
    if (r["prompt"] == "") bos_case = &r;
  ASSERT_NE(bos_case, nullptr);
  if ((*bos_case)["n_prompt_tokens"].get<int>() == 0) {
    // The vocab adds no BOS (GPT-2 BPE): llama.cpp had nothing to run for "".
    EXPECT_TRUE((*bos_case)["steps"].empty());
    return;
  }
  ASSERT_EQ((*bos_case)["n_prompt_tokens"].get<int>(), 1);
  auto bos = (*model)->gguf().GetU32("tokenizer.ggml.bos_token_id");
  ASSERT_TRUE(bos.ok()) << bos.message();

  SessionOptions opt;
  opt.n_ctx = 128;
  auto session = Session::Create(**model, opt);
  ASSERT_TRUE(session.ok()) << session.message();
  const auto c = CompareGreedy(**session, {static_cast<int32_t>(*bos)}, *bos_case);
  ASSERT_TRUE(c.status.empty()) << c.status;
  const double tol = IsFloatModel(name) ? 1e-3 : 5e-2;
  std::cout << "[greedy] " << name << " prompt=\"\": matched " << c.matched << "/" << c.steps
            << " (compared " << c.compared << (c.near_tie_stop ? ", stopped at near tie" : "")
              << (c.utf8_stop ? ", stopped after an incomplete-UTF-8 reference step" : "")
            << "), max |dlogprob| " << c.max_diff << "\n";
  EXPECT_EQ(c.first_mismatch, -1) << "argmax differs from llama.cpp at step " << c.first_mismatch;
  EXPECT_LE(c.max_diff, tol);
}

INSTANTIATE_TEST_SUITE_P(AllReferences, ModelGreedyBosTest, ::testing::ValuesIn(GreedyReferenceModels()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace fw::model
