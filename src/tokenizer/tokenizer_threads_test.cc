// A Tokenizer is immutable: concurrent Encode/Decode calls on one instance give the same
// results as sequential ones (run under TSan/ASan builds to catch races).
#include <gtest/gtest.h>

#include <thread>

#include "base/test_data.h"
#include "tokenizer/tokenizer_test_util.h"

namespace fw {
namespace {

TEST(TokenizerThreads, ConcurrentEncodeMatchesSequential) {
  FW_REQUIRE_SHARED_FILE(text_path, "reference/tokenize/edge.txt");
  FW_REQUIRE_SHARED_FILE(gguf_path, "vocab/ggml-vocab-gpt-2.gguf");
  FW_REQUIRE_SHARED_FILE(spm_path, "vocab/ggml-vocab-llama-spm.gguf");
  const std::string text = tok_test::ReadFile(text_path);
  for (const std::string& path : {gguf_path, spm_path}) {
    auto gguf = GgufFile::Open(path);
    ASSERT_TRUE(gguf.ok());
    auto tok = Tokenizer::FromGguf(**gguf);
    ASSERT_TRUE(tok.ok());
    const Tokenizer& t = **tok;
    const std::vector<int32_t> want = t.Encode(text);
    const std::string want_text = t.Decode(want);
    std::vector<int> ok(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        int good = 0;
        for (int i = 0; i < 20; ++i) good += t.Encode(text) == want && t.Decode(want) == want_text;
        ok[k] = good;
      });
    }
    for (auto& th : threads) th.join();
    for (int k = 0; k < 4; ++k) EXPECT_EQ(ok[k], 20) << path << " thread " << k;
  }
}

}  // namespace
}  // namespace fw
