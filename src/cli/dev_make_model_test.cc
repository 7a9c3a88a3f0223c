// End-to-end tests of `flywheel dev make-model` and `flywheel bench`.
// The mixture test checks make-model's per-tensor types against files llama-quantize wrote
// (../shared/models/quant-llama-mix-*.gguf, llama.cpp's default mixture rules).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "base/test_data.h"
#include "gguf/gguf_file.h"

namespace fw {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("fw-kern-" + std::to_string(getpid()) + "-" + name)).string();
}

TEST(KernelMakeModel, MixtureMatchesLlamaQuantize) {
  for (const char* type : {"Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M"}) {
    FW_REQUIRE_SHARED_FILE(ref_path, std::string("models/quant-llama-mix-") + type + ".gguf");
    auto ref = GgufFile::Open(ref_path);
    ASSERT_TRUE(ref.ok()) << ref.message();
    const GgufFile& r = *ref.value();
    const bool tied = r.FindTensor("output.weight") == nullptr;
    const std::string out = TempPath(std::string(type) + ".gguf");
    std::vector<std::string> args = {FlywheelBinary(), "dev", "make-model", "--arch", "llama",
                                     "--dims", "256,2,4,2,512", "--vocab", ref_path, "--type", type, "-q", out};
    if (tied) args.push_back("--tied");
    ProcessResult p = RunProcess(args);
    ASSERT_EQ(p.exit_code, 0) << p.err;
    auto made = GgufFile::Open(out);
    ASSERT_TRUE(made.ok()) << made.message();
    std::map<std::string, std::pair<GgmlType, std::vector<int64_t>>> want, got;
    for (const auto& t : r.tensors()) want[t.name] = {t.type, {t.ne, t.ne + t.n_dims}};
    for (const auto& t : made.value()->tensors()) got[t.name] = {t.type, {t.ne, t.ne + t.n_dims}};
    ASSERT_EQ(want.size(), got.size()) << type;
    for (const auto& [name, tv] : want) {
      ASSERT_TRUE(got.count(name)) << type << " missing " << name;
      EXPECT_EQ(TypeName(got[name].first), TypeName(tv.first)) << type << " " << name;
      EXPECT_EQ(got[name].second, tv.second) << type << " " << name;
    }
    auto ft_ref = r.GetU32("general.file_type");
    auto ft_got = made.value()->GetU32("general.file_type");
    ASSERT_TRUE(ft_ref.ok() && ft_got.ok());
    EXPECT_EQ(ft_got.value(), ft_ref.value()) << type;
    std::filesystem::remove(out);
  }
}

TEST(KernelMakeModel, NamedShapeCopiesTokenizerKeys) {
  FW_REQUIRE_SHARED_FILE(vocab, "vocab/ggml-vocab-llama-spm.gguf");
  const std::string out = TempPath("tiny.gguf");
  ProcessResult p = RunProcess({FlywheelBinary(), "dev", "make-model", "--arch", "qwen2", "--dims", "64,2,4,2,128",
                                "--vocab", vocab, "--type", "Q8_0", "-q", out});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto made = GgufFile::Open(out);
  ASSERT_TRUE(made.ok()) << made.message();
  auto v = GgufFile::Open(vocab);
  ASSERT_TRUE(v.ok());
  for (const auto& kv : v.value()->metadata()) {
    if (kv.key.rfind("tokenizer.", 0) != 0) continue;
    const GgufValue* mine = made.value()->Find(kv.key);
    ASSERT_NE(mine, nullptr) << kv.key;
    EXPECT_TRUE(*mine == kv.value) << kv.key;
  }
  EXPECT_EQ(made.value()->GetString("general.architecture").value(), "qwen2");
  EXPECT_EQ(made.value()->GetU32("general.file_type").value(), 7u);
  EXPECT_NE(made.value()->FindTensor("blk.1.attn_q.bias"), nullptr);  // qwen2: QKV bias
  std::filesystem::remove(out);
}

TEST(KernelBench, JsonRowsUseLlamaBenchFields) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  ProcessResult p = RunProcess({FlywheelBinary(), "bench", model, "-p", "16", "-n", "4", "-t", "2", "-r", "2",
                                "--json", "--no-membw"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto j = nlohmann::json::parse(p.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  for (const auto& row : j) {
    for (const char* key : {"model_filename", "model_type", "n_prompt", "n_gen", "n_threads", "avg_ts",
                            "stddev_ts", "samples_ts"}) {
      EXPECT_TRUE(row.contains(key)) << key;
    }
    EXPECT_EQ(row["model_filename"], "stories260K.gguf");
    EXPECT_EQ(row["n_threads"], 2);
    EXPECT_EQ(row["samples_ts"].size(), 2u);
    EXPECT_GT(row["avg_ts"].get<double>(), 0.0);
  }
  EXPECT_EQ(j[0]["n_prompt"], 16);
  EXPECT_EQ(j[0]["n_gen"], 0);
  EXPECT_EQ(j[1]["n_prompt"], 0);
  EXPECT_EQ(j[1]["n_gen"], 4);
}

TEST(KernelBench, BadModelIsAClearError) {
  ProcessResult p = RunProcess({FlywheelBinary(), "bench", "/nonexistent/model.gguf", "-p", "4", "-n", "1"});
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE(p.err.find("flywheel: /nonexistent/model.gguf"), std::string::npos) << p.err;
}

}  // namespace
}  // namespace fw
