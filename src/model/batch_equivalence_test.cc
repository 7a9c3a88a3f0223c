// Decoding several sequences together in one batch (prefill of all prompts in one forward
// pass, then one token of each sequence per pass) gives the same tokens as decoding each
// alone; also, a prompt split across several forward calls gives the same logits.
#include <gtest/gtest.h>

#include <cmath>

#include "base/test_data.h"
#include "model/model.h"
#include "model/reference_test_util.h"
#include "model/session.h"

namespace fw::model {
namespace {

using testing::ArgMax;

std::vector<int32_t> DecodeAlone(const Model& m, const std::vector<int32_t>& prompt, int steps) {
  SessionOptions o;
  o.n_ctx = 96;
  auto s = Session::Create(m, o);
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE((*s)->Eval(0, prompt).ok());
  std::vector<int32_t> out;
  for (int i = 0; i < steps; ++i) {
    out.push_back(ArgMax((*s)->logits(0), (*s)->n_vocab()));
    EXPECT_TRUE((*s)->Eval(0, std::vector<int32_t>{out.back()}).ok());
  }
  return out;
}

void CheckBatchedEqualsAlone(const std::string& model_file) {
  const std::string path = SharedDataPath(model_file);
  if (path.empty()) GTEST_SKIP() << "SKIPPED: shared test data missing (" << model_file << ")";
  auto m = Model::Load(path);
  ASSERT_TRUE(m.ok()) << m.message();
  // Prompts of different lengths (ids from the stories vocab: BOS, then ordinary tokens).
  const std::vector<std::vector<int32_t>> prompts = {
      {1, 403, 407, 261, 378}, {1, 317, 269, 368, 302, 263, 377, 267, 265, 282, 295, 433, 426}, {1}, {1, 291, 280, 294}};
  const int steps = 24;
  SessionOptions o;
  o.n_ctx = 96;
  o.n_seq = static_cast<int32_t>(prompts.size());
  o.n_batch = 64;
  auto s = Session::Create(**m, o);
  ASSERT_TRUE(s.ok()) << s.message();
  runtime::Batch b;
  for (size_t q = 0; q < prompts.size(); ++q)
    for (size_t i = 0; i < prompts[q].size(); ++i)
      b.Add(prompts[q][i], static_cast<int32_t>(i), static_cast<int32_t>(q), i + 1 == prompts[q].size());
  ASSERT_TRUE((*s)->EvalBatch(b).ok());
  std::vector<std::vector<int32_t>> out(prompts.size());
  for (int step = 0; step < steps; ++step) {
    ASSERT_EQ((*s)->n_outputs(), static_cast<int32_t>(prompts.size()));
    b.Clear();
    for (size_t q = 0; q < prompts.size(); ++q) {
      const int32_t id = ArgMax((*s)->logits(static_cast<int32_t>(q)), (*s)->n_vocab());
      out[q].push_back(id);
      b.Add(id, static_cast<int32_t>(prompts[q].size()) + step, static_cast<int32_t>(q), true);
    }
    ASSERT_TRUE((*s)->EvalBatch(b).ok());
  }
  for (size_t q = 0; q < prompts.size(); ++q)
    EXPECT_EQ(out[q], DecodeAlone(**m, prompts[q], steps)) << "prompt " << q;
}

TEST(ModelBatch, BatchedDecodeEqualsOneAtATimeStories) { CheckBatchedEqualsAlone("models/stories260K.gguf"); }
// A quantized model (Q4_0 weights, 8-bit activations): batched prefill and decode take the
// kernels' GEMM path, single tokens the dot path.
TEST(ModelBatch, BatchedDecodeEqualsOneAtATimeTinyLlamaQ4_0) {
  CheckBatchedEqualsAlone("models/TinyLLama-v0-Q4_0.gguf");
}

TEST(ModelBatch, PromptSplitAcrossCallsGivesSameLogits) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  auto m = Model::Load(path);
  ASSERT_TRUE(m.ok()) << m.message();
  const std::vector<int32_t> prompt = {1, 317, 269, 368, 302, 263, 377, 267, 265, 282, 295, 433, 426};
  std::vector<float> whole, split;
  // Like ggml, a micro-batch of 2+ tokens multiplies in tinyBLAS order and a single token
  // in vec_dot order, so both splits (13 and 5 + 5 + 3) keep every micro-batch at 2+ tokens
  // and the logits must agree bit for bit.
  for (int32_t n_batch : {64, 5}) {
    SessionOptions o;
    o.n_ctx = 64;
    o.n_batch = n_batch;
    auto s = Session::Create(**m, o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Eval(0, prompt).ok());
    std::vector<float>& dst = n_batch == 64 ? whole : split;
    dst.assign((*s)->logits(0), (*s)->logits(0) + (*s)->n_vocab());
  }
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(whole[i], split[i]) << i;
}

// Threads split matmul rows and attention items; no result may depend on how.
TEST(ModelForward, LogitsIndependentOfThreadCount) {
  FW_REQUIRE_SHARED_FILE(path, "models/TinyLLama-v0-Q4_0.gguf");
  auto m = Model::Load(path);
  ASSERT_TRUE(m.ok()) << m.message();
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 432, 383, 286};
  std::vector<std::vector<float>> out;
  for (int32_t threads : {1, 3}) {
    SessionOptions o;
    o.n_ctx = 32;
    o.n_threads = threads;
    auto s = Session::Create(**m, o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Eval(0, prompt).ok());
    ASSERT_TRUE((*s)->Eval(0, std::vector<int32_t>{261}).ok());
    out.emplace_back((*s)->logits(0), (*s)->logits(0) + (*s)->n_vocab());
  }
  EXPECT_EQ(out[0], out[1]);
}

TEST(ModelForward, RejectsBadBatches) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  auto m = Model::Load(path);
  ASSERT_TRUE(m.ok()) << m.message();
  SessionOptions o;
  o.n_ctx = 8;
  auto s = Session::Create(**m, o);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->Eval(0, std::vector<int32_t>{1, 100000}).ok());  // id outside the vocab
  EXPECT_FALSE((*s)->Eval(0, std::vector<int32_t>{1, -1}).ok());
  EXPECT_FALSE((*s)->Eval(0, std::vector<int32_t>(9, 1)).ok());       // longer than the context
  runtime::Batch b;
  b.Add(1, 3, 0, true);  // position does not continue the (empty) sequence
  EXPECT_FALSE((*s)->EvalBatch(b).ok());
  EXPECT_EQ((*s)->SeqLength(0), 0);
  EXPECT_TRUE((*s)->Eval(0, std::vector<int32_t>(8, 1)).ok());       // exactly the context
  EXPECT_FALSE((*s)->Eval(0, std::vector<int32_t>{1}).ok());          // context full
}

TEST(ModelLoad, ErrorsNameTheProblem) {
  FW_REQUIRE_SHARED_FILE(ragged, "models/stories260K-q8_0-ragged-rows.gguf");
  auto m = Model::Load(ragged);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.message().find("block size"), std::string::npos) << m.message();
  auto missing = Model::Load("/nonexistent/model.gguf");
  EXPECT_FALSE(missing.ok());
}

TEST(ModelLoad, HParamsFromMetadata) {
  FW_REQUIRE_SHARED_FILE(q, "models/tiny-qwen2-f16.gguf");
  auto m = Model::Load(q);
  ASSERT_TRUE(m.ok()) << m.message();
  const HParams& hp = (*m)->hparams();
  EXPECT_EQ(hp.arch, "qwen2");
  EXPECT_EQ(hp.n_embd, 96);
  EXPECT_EQ(hp.n_layer, 3);
  EXPECT_EQ(hp.n_head, 6);
  EXPECT_EQ(hp.n_head_kv, 2);
  EXPECT_EQ(hp.head_dim_k, 16);
  EXPECT_FLOAT_EQ(hp.rope_freq_base, 1e6f);
  EXPECT_EQ(hp.flags.rope_style, RopeStyle::kNeox);
  EXPECT_TRUE(hp.flags.qkv_bias);
  EXPECT_TRUE((*m)->weights().tied_output);
  EXPECT_EQ(hp.n_vocab, 50257);
}

}  // namespace
}  // namespace fw::model
