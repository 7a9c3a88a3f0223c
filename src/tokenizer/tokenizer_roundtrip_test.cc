// Detokenize(tokenize(x)) == x for the vocabularies that are lossless, and the streaming
// detokenizer's guarantees (every chunk is whole UTF-8; the chunks concatenate to Decode).
//
// Lossless (add_special=false, parse_special=false, valid UTF-8 input):
//   llama-spm, phi-3, baichuan: SentencePiece with <0xXX> byte fallback; the space prefix the
//     encoder adds is the one llama_detokenize removes. (Not lossless for text containing
//     user-defined token strings, which are always split out, e.g. phi-3's "<|user|>" eats the
//     whitespace after it.)
//   deepseek-coder: byte-level BPE without clean_spaces.
//   llama3 / mistral tokenizer.json: byte-level BPE / byte-fallback BPE whose decoder undoes
//     the Prepend; qwen3 too, but only for NFC text (its normalizer is NFC).
// Lossy: gpt-2, gpt-neox, mpt (llama.cpp's clean_spaces turns " ," into ","), bert-bge
//   (lowercasing, accent stripping, whitespace collapsing).
#include <gtest/gtest.h>

#include "base/test_data.h"
#include "tokenizer/tokenizer_test_util.h"
#include "tokenizer/unicode.h"

namespace fw {
namespace {

struct Loaded {
  std::unique_ptr<GgufFile> gguf;
  std::unique_ptr<Tokenizer> tok;
};

Loaded Load(const std::string& name) {
  Loaded l;
  if (name == "llama3" || name == "qwen3" || name == "mistral") {
    const std::string dir = SharedDataPath("tokenizers/" + name);
    if (dir.empty()) return l;
    auto t = Tokenizer::FromHfJson(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
    if (t.ok()) l.tok = std::move(t).value();
    return l;
  }
  const std::string path = SharedDataPath("vocab/ggml-vocab-" + name + ".gguf");
  if (path.empty()) return l;
  auto g = GgufFile::Open(path);
  if (!g.ok()) return l;
  l.gguf = std::move(g).value();
  auto t = Tokenizer::FromGguf(*l.gguf);
  if (t.ok()) l.tok = std::move(t).value();
  return l;
}

std::vector<std::string> Texts(bool nfc_only) {
  std::vector<std::string> texts;
  for (const char* f : {"edge.txt", "wikitext-20k.txt", "tinystories-10k.txt"}) {
    const std::string p = SharedDataPath(std::string("reference/tokenize/") + f);
    if (p.empty()) continue;
    const std::string t = tok_test::ReadFile(p);
    if (nfc_only && unicode::Nfc(t) != t) continue;
    texts.push_back(t);
  }
  const std::string inp = SharedDataPath("vocab/ggml-vocab-gpt-2.gguf.inp");
  if (!inp.empty()) {
    for (const std::string& s : tok_test::ReadVocabInputs(inp)) {
      if (!nfc_only || unicode::Nfc(s) == s) texts.push_back(s);
    }
  }
  // Characters that need several byte tokens, glued to each other.
  texts.push_back("🦙🦙 日本語 ∮ E⋅da = Q \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9");
  return texts;
}

class TokenizerRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerRoundTrip, DecodeOfEncodeIsIdentity) {
  FW_REQUIRE_SHARED_FILE(data, "reference/tokenize/edge.txt");
  const std::string name = GetParam();
  Loaded l = Load(name);
  ASSERT_NE(l.tok, nullptr) << name;
  for (const std::string& text : Texts(name == "qwen3")) {
    const auto ids = l.tok->Encode(text, /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(l.tok->Decode(ids), text) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Lossless, TokenizerRoundTrip,
                         ::testing::Values("llama-spm", "phi-3", "baichuan", "deepseek-coder",
                                           "llama3", "qwen3", "mistral"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

TEST(TokenizerRoundTripLossy, CleanSpacesVocabsDropSpaceBeforeComma) {
  // llama.cpp's detokenizer for gpt-2 style vocabs removes the space in " ," (clean_spaces);
  // deepseek-coder's does not.
  FW_REQUIRE_SHARED_FILE(gpt2_path, "vocab/ggml-vocab-gpt-2.gguf");
  Loaded gpt2 = Load("gpt-2");
  Loaded ds = Load("deepseek-coder");
  ASSERT_NE(gpt2.tok, nullptr);
  ASSERT_NE(ds.tok, nullptr);
  const std::string text = "a , b 's c";
  EXPECT_EQ(gpt2.tok->Decode(gpt2.tok->Encode(text, false, false)), "a, b's c");
  EXPECT_EQ(ds.tok->Decode(ds.tok->Encode(text, false, false)), text);
}

// The parameter's tokenizer, loaded in SetUp (skipped loudly without the shared data).
class TokenizerStreaming : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    FW_REQUIRE_SHARED_FILE(data, "reference/tokenize/edge.txt");
    name = GetParam();
    l = Load(name);
    ASSERT_NE(l.tok, nullptr) << name;
  }
  std::string name;
  Loaded l;
};

TEST_P(TokenizerStreaming, ChunksAreWholeUtf8AndConcatenateToDecode) {
  int multi_token_chars = 0;
  for (const std::string& text : Texts(false)) {
    const auto ids = l.tok->Encode(text);
    StreamingDetokenizer stream(*l.tok);
    std::string all;
    for (int32_t id : ids) {
      const std::string chunk = stream.Push(id);
      EXPECT_TRUE(unicode::IsValidUtf8(chunk)) << name << ": broken chunk after id " << id;
      if (!unicode::IsValidUtf8(l.tok->TokenToPiece(id))) ++multi_token_chars;
      all += chunk;
    }
    all += stream.Flush();
    EXPECT_EQ(all, l.tok->Decode(ids)) << name;
  }
  // The texts must really exercise characters split over several tokens.
  if (name != "bert-bge") {
    EXPECT_GT(multi_token_chars, 0) << name;
  }
}

// Random ids (control, byte and user-defined tokens included, in any order): the windowed
// streaming decode must still concatenate to Decode of the whole sequence, with and without
// rendering special tokens.
TEST_P(TokenizerStreaming, RandomIdsConcatenateToDecode) {
  uint32_t state = 12345;
  const auto next = [&state] { return state = state * 1664525u + 1013904223u; };
  for (int round = 0; round < 6; ++round) {
    const bool special = round % 2 == 1;
    std::vector<int32_t> ids(round < 2 ? 40 : 1500);
    // Rounds 4-5 draw from the first 300 ids only: byte and control tokens, densely.
    const uint32_t range = round >= 4 ? std::min<uint32_t>(300, l.tok->n_vocab()) : l.tok->n_vocab();
    for (int32_t& id : ids) id = static_cast<int32_t>((next() >> 8) % range);
    StreamingDetokenizer stream(*l.tok, special);
    std::string all;
    for (int32_t id : ids) all += stream.Push(id);
    all += stream.Flush();
    ASSERT_EQ(all, l.tok->Decode(ids, special)) << name << " round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerStreaming,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "mpt", "deepseek-coder",
                                           "bert-bge", "llama3", "qwen3", "mistral"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

TEST(TokenizerStreamingSynthetic, SplitEmojiBytesHeldUntilComplete) {
  FW_REQUIRE_SHARED_FILE(path, "vocab/ggml-vocab-llama-spm.gguf");
  Loaded l = Load("llama-spm");
  ASSERT_NE(l.tok, nullptr);
  // U+1F999 is not in the llama vocab: it is four <0xXX> byte tokens.
  const auto ids = l.tok->Encode("\xF0\x9F\xA6\x99", false, false);
  ASSERT_GE(ids.size(), 4u);
  StreamingDetokenizer stream(*l.tok);
  std::vector<std::string> chunks;
  for (int32_t id : ids) chunks.push_back(stream.Push(id));
  for (size_t i = 0; i + 1 < chunks.size(); ++i) EXPECT_EQ(chunks[i], "") << i;
  EXPECT_EQ(chunks.back(), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(stream.Flush(), "");
}

}  // namespace
}  // namespace fw
