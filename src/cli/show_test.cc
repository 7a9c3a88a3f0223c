// End-to-end tests of `flywheel show`: the binary's text, JSON and error output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/subprocess.h"
#include "base/test_data.h"

namespace fw {
namespace {

TEST(CliShow, TextCard) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  ProcessResult r = RunProcess({FlywheelBinary(), "show", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* want : {"architecture          llama", "layers                5", "heads                 8",
                           "kv heads              4", "feed forward length   172", "vocab size            512",
                           "chat template         no", "bos token             1 \"<s>\""}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
}

TEST(CliShow, JsonCardHasEveryKey) {
  FW_REQUIRE_SHARED_FILE(path, "models/TinyLLama-v0-Q4_0.gguf");
  ProcessResult r = RunProcess({FlywheelBinary(), "show", "--json", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"architecture", "name", "parameters", "file_type", "tensor_types", "size_bytes",
                          "gguf_version", "context_length", "embedding_length", "block_count", "head_count",
                          "head_count_kv", "feed_forward_length", "rope_freq_base", "vocab_type", "vocab_size",
                          "bos_token_id", "eos_token_id", "chat_template", "metadata"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["architecture"], "llama");
  EXPECT_EQ(j["vocab_size"], 32000);
  EXPECT_EQ(j["block_count"], 8);
  EXPECT_EQ(j["embedding_length"], 64);
  EXPECT_EQ(j["chat_template"], false);
  EXPECT_GT(j["tensor_types"]["q4_0"].get<int>(), 0);
  // The big tokenizer arrays are summarised, not dumped.
  EXPECT_TRUE(j["metadata"]["tokenizer.ggml.tokens"].is_string());
  EXPECT_EQ(j["metadata"]["llama.block_count"], 8);
}

TEST(CliShow, TensorList) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K.gguf");
  ProcessResult r = RunProcess({FlywheelBinary(), "show", "--json", "--tensors", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tensors"].size(), 48u);
  bool found = false;
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "blk.0.ffn_down.weight") {
      found = true;
      EXPECT_EQ(t["type"], "f32");
      EXPECT_EQ(t["shape"], nlohmann::json::array({172, 64}));
      EXPECT_EQ(t["bytes"], 172 * 64 * 4);
      EXPECT_EQ(t["offset"].get<uint64_t>() % 32, 0u);
    }
  }
  EXPECT_TRUE(found);
  ProcessResult text = RunProcess({FlywheelBinary(), "show", "--tensors", path});
  EXPECT_NE(text.out.find("blk.0.ffn_down.weight"), std::string::npos);
}

TEST(CliShow, BadFileFailsWithOneLine) {
  FW_REQUIRE_SHARED_FILE(path, "models/stories260K-q8_0-ragged-rows.gguf");
  ProcessResult r = RunProcess({FlywheelBinary(), "show", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err.rfind("flywheel: " + path + ": tensor 'blk.0.ffn_down.weight'", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  ProcessResult missing = RunProcess({FlywheelBinary(), "show", "/nonexistent.gguf"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("flywheel: /nonexistent.gguf: No such file or directory"), std::string::npos);
  ProcessResult notgguf = RunProcess({FlywheelBinary(), "show", SharedDataPath("README.md")});
  EXPECT_EQ(notgguf.exit_code, 1);
  EXPECT_NE(notgguf.err.find("bad magic"), std::string::npos);
}

TEST(CliShow, UnknownCommandFails) {
  ProcessResult r = RunProcess({FlywheelBinary(), "frobnicate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
}

}  // namespace
}  // namespace fw
