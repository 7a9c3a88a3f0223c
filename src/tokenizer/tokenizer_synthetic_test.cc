// Hand-built vocabularies (no shared data needed): the merge rules, byte fallback, special
// token partition and the error paths, with expectations worked out by hand.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "gguf/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace fw {
namespace {

const char kSp[] = "\xE2\x96\x81";  // U+2581

struct Built {
  std::vector<uint8_t> bytes;
  std::unique_ptr<GgufFile> gguf;
  Result<std::unique_ptr<Tokenizer>> tok = Status::Error("unset");
};

Built Build(const GgufWriter& w) {
  Built b;
  b.bytes = w.WriteToBuffer();
  auto g = GgufFile::Parse(b.bytes.data(), b.bytes.size());
  if (!g.ok()) {
    b.tok = g.status();
    return b;
  }
  b.gguf = std::move(g).value();
  b.tok = Tokenizer::FromGguf(*b.gguf);
  return b;
}

// <unk> <s> </s>, 256 byte tokens, then `words` (normal) with the given scores.
GgufWriter SpmWriter(const std::vector<std::pair<std::string, float>>& words,
                     const std::vector<std::pair<std::string, int>>& specials = {}) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    tokens.push_back(buf), scores.push_back(0), types.push_back(6);
  }
  for (const auto& [w, s] : words) tokens.push_back(w), scores.push_back(s), types.push_back(1);
  for (const auto& [w, t] : specials) tokens.push_back(w), scores.push_back(0), types.push_back(t);
  GgufWriter w;
  w.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  w.Set("tokenizer.ggml.tokens", GgufValue::StringArray(tokens));
  w.Set("tokenizer.ggml.scores", GgufValue::F32Array(scores));
  w.Set("tokenizer.ggml.token_type", GgufValue::I32Array(types));
  return w;
}

int32_t Id(const Tokenizer& t, const std::string& s) { return t.FindToken(s); }

TEST(TokenizerSynthetic, SpmMergesHighestScoreFirst) {
  // "ab" -> "▁ab": pairs "▁a" (-0.5) and "ab" (-1.0); "▁a" wins, then "▁a"+"b" is no token.
  Built b = Build(SpmWriter({{kSp, -2}, {"a", -3}, {"b", -3}, {"ab", -1.0f},
                             {std::string(kSp) + "a", -0.5f}}));
  ASSERT_TRUE(b.tok.ok()) << b.tok.message();
  const Tokenizer& t = **b.tok;
  EXPECT_EQ(t.type_name(), "llama");
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.Encode("ab"), (std::vector<int32_t>{1, Id(t, std::string(kSp) + "a"), Id(t, "b")}));
  EXPECT_EQ(t.Encode("ab", false), (std::vector<int32_t>{Id(t, std::string(kSp) + "a"), Id(t, "b")}));
  // Raising "ab" above "▁a" flips the result.
  Built b2 = Build(SpmWriter({{kSp, -2}, {"a", -3}, {"b", -3}, {"ab", -0.1f},
                              {std::string(kSp) + "a", -0.5f}}));
  ASSERT_TRUE(b2.tok.ok());
  const Tokenizer& t2 = **b2.tok;
  EXPECT_EQ(t2.Encode("ab", false), (std::vector<int32_t>{Id(t2, kSp), Id(t2, "ab")}));
  EXPECT_EQ(t2.Decode(t2.Encode("ab", false)), "ab");
  // llama_detokenize drops the prefix space only from the very first piece; with BOS first
  // (a control token that renders as "") the space of "▁" stays.
  EXPECT_EQ(t2.Decode(t2.Encode("ab")), " ab");
}

TEST(TokenizerSynthetic, SpmByteFallbackAndDecode) {
  Built b = Build(SpmWriter({{kSp, -2}, {"a", -3}}));
  ASSERT_TRUE(b.tok.ok());
  const Tokenizer& t = **b.tok;
  // "é" is not a token: its two UTF-8 bytes become <0xC3> <0xA9> (ids 3 + byte).
  EXPECT_EQ(t.Encode("\xC3\xA9", false), (std::vector<int32_t>{Id(t, kSp), 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t.Decode({Id(t, kSp), 3 + 0xC3, 3 + 0xA9}), "\xC3\xA9");
  EXPECT_EQ(t.TokenToPiece(3 + 0x41), "A");
  EXPECT_EQ(t.TokenToPiece(1), "");                       // control: hidden
  EXPECT_EQ(t.TokenToPiece(1, /*render_special=*/true), "<s>");
  EXPECT_EQ(t.Decode({1, Id(t, "a")}), "a");
  EXPECT_EQ(t.Decode({1, Id(t, "a")}, true), "<s>a");
  EXPECT_TRUE(t.IsEndOfGeneration(2));
  EXPECT_FALSE(t.IsEndOfGeneration(1));
}

TEST(TokenizerSynthetic, SpecialPartitionLongestFirstAndParseFlag) {
  // Control "<a>" and "<a><b>", user-defined "<u>".
  Built b = Build(SpmWriter({{kSp, -2}, {"x", -3}, {"y", -3}},
                            {{"<a>", 3}, {"<a><b>", 3}, {"<u>", 4}}));
  ASSERT_TRUE(b.tok.ok());
  const Tokenizer& t = **b.tok;
  const int32_t ab = Id(t, "<a><b>"), u = Id(t, "<u>"), x = Id(t, "x"), y = Id(t, "y");
  // After a special token the SPM space prefix is added again ("▁y"), which is no token.
  EXPECT_EQ(t.Encode("x<a><b>y", false), (std::vector<int32_t>{Id(t, kSp), x, ab, Id(t, kSp), y}));
  // parse_special=false: control texts stay text (here: bytes), user-defined still split.
  const auto ids = t.Encode("<a>x<u>", false, false);
  EXPECT_EQ(ids.back(), u);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), Id(t, "<a>")), 0);
}

TEST(TokenizerSynthetic, BpeRankedMerges) {
  // Byte-level alphabet for "a", "b", "c" only; merges "b c" (rank 0) then "a bc" (1), and
  // "a b" (2) which must lose to "b c" on "abc".
  GgufWriter w;
  const std::vector<std::string> tokens = {"a", "b", "c", "bc", "abc", "ab", "<|endoftext|>"};
  w.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  w.Set("tokenizer.ggml.pre", GgufValue::String("gpt-2"));
  w.Set("tokenizer.ggml.tokens", GgufValue::StringArray(tokens));
  w.Set("tokenizer.ggml.merges", GgufValue::StringArray({"b c", "a bc", "a b"}));
  w.Set("tokenizer.ggml.eos_token_id", GgufValue::U32(6));
  Built b = Build(w);
  ASSERT_TRUE(b.tok.ok()) << b.tok.message();
  const Tokenizer& t = **b.tok;
  EXPECT_EQ(t.type_name(), "gpt2");
  EXPECT_FALSE(t.add_bos());
  EXPECT_EQ(t.Encode("abc"), (std::vector<int32_t>{4}));
  EXPECT_EQ(t.Encode("ab"), (std::vector<int32_t>{5}));
  EXPECT_EQ(t.Encode("cab"), (std::vector<int32_t>{2, 5}));
  EXPECT_EQ(t.Encode("ab<|endoftext|>"), (std::vector<int32_t>{5, 6}));  // control by its text
  EXPECT_TRUE(t.IsEndOfGeneration(6));
  EXPECT_EQ(t.Decode({2, 5}), "cab");
}

TEST(TokenizerSynthetic, BpeIgnoreMergesKeepsWholeTokens) {
  // "abc": merges give "a" + "bc" ("a bc" is no merge); llama-bpe (ignore_merges) keeps the
  // whole piece because "abc" is a token.
  for (const char* pre : {"gpt-2", "llama-bpe"}) {
    GgufWriter w;
    w.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
    w.Set("tokenizer.ggml.pre", GgufValue::String(pre));
    w.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "c", "bc", "abc", "<s>"}));
    w.Set("tokenizer.ggml.merges", GgufValue::StringArray({"b c"}));
    w.Set("tokenizer.ggml.bos_token_id", GgufValue::U32(5));
    Built b = Build(w);
    ASSERT_TRUE(b.tok.ok()) << b.tok.message();
    const bool llama3 = std::string(pre) == "llama-bpe";
    EXPECT_EQ((*b.tok)->add_bos(), llama3) << pre;  // llama-bpe implies add_bos
    const std::vector<int32_t> want = llama3 ? std::vector<int32_t>{4} : std::vector<int32_t>{0, 3};
    EXPECT_EQ((*b.tok)->Encode("abc", false), want) << pre;
  }
}

TEST(TokenizerSynthetic, GgufErrorsNameTheProblem) {
  {
    GgufWriter w;
    w.Set("tokenizer.ggml.model", GgufValue::String("llama"));
    Built b = Build(w);
    ASSERT_FALSE(b.tok.ok());
    EXPECT_NE(b.tok.message().find("tokenizer.ggml.tokens"), std::string::npos) << b.tok.message();
  }
  {
    GgufWriter w = SpmWriter({{kSp, -1}});
    w.Set("tokenizer.ggml.scores", GgufValue::F32Array({0.0f, 1.0f}));
    Built b = Build(w);
    ASSERT_FALSE(b.tok.ok());
    EXPECT_NE(b.tok.message().find("tokenizer.ggml.scores"), std::string::npos) << b.tok.message();
  }
  {
    GgufWriter w = SpmWriter({});
    w.Set("tokenizer.ggml.model", GgufValue::String("klingon"));
    Built b = Build(w);
    ASSERT_FALSE(b.tok.ok());
    EXPECT_NE(b.tok.message().find("klingon"), std::string::npos);
  }
  {
    GgufWriter w;
    w.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
    w.Set("tokenizer.ggml.pre", GgufValue::String("no-such-pre"));
    w.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b"}));
    w.Set("tokenizer.ggml.merges", GgufValue::StringArray({"a b"}));
    Built b = Build(w);
    ASSERT_FALSE(b.tok.ok());
    EXPECT_NE(b.tok.message().find("no-such-pre"), std::string::npos);
  }
  {
    GgufWriter w = SpmWriter({});
    w.Set("tokenizer.ggml.add_eos_token", GgufValue::Bool(true));
    w.Set("tokenizer.ggml.eos_token_id", GgufValue::U32(1u << 30));  // out of range: ignored
    Built b = Build(w);
    ASSERT_TRUE(b.tok.ok()) << b.tok.message();  // the default EOS (2) stays
    EXPECT_EQ((*b.tok)->eos_id(), 2);
  }
}

TEST(TokenizerSynthetic, HfJsonErrorsNameTheFile) {
  auto missing = Tokenizer::FromHfJson("/nonexistent/tokenizer.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("/nonexistent/tokenizer.json"), std::string::npos);
  const std::string path = ::testing::TempDir() + "/fw_tok_bad.json";
  {
    std::ofstream(path) << R"({"model": {"type": "Unigram", "vocab": []}})";
  }
  auto unigram = Tokenizer::FromHfJson(path);
  ASSERT_FALSE(unigram.ok());
  EXPECT_NE(unigram.message().find("Unigram"), std::string::npos) << unigram.message();
  {
    std::ofstream(path) << "{not json";
  }
  auto bad = Tokenizer::FromHfJson(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("JSON"), std::string::npos) << bad.message();
  {
    std::ofstream(path) << R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2},
      "merges": [["a", "b"]]}, "added_tokens": [{"id": 3, "content": "<x>", "special": true}]})";
  }
  auto ok = Tokenizer::FromHfJson(path);
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ((*ok)->Encode("ab<x>ba"), (std::vector<int32_t>{2, 3, 1, 0}));
  EXPECT_EQ((*ok)->Decode({2, 3, 1, 0}), "abba");
  EXPECT_EQ((*ok)->Decode({2, 3, 1, 0}, true), "ab<x>ba");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace fw
