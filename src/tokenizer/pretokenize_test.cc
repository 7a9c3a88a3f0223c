// llama.cpp's pre-tokenizer families: every name compiles, the pieces tile the input, and a
// few splits whose results follow directly from the family's regexes.
#include "tokenizer/pretokenize.h"

#include <gtest/gtest.h>

namespace fw::tok {
namespace {

std::vector<std::string> SplitWith(const std::string& pre, const std::string& text) {
  auto spec = LookupPreTokenizer(pre);
  EXPECT_TRUE(spec.ok()) << spec.message();
  if (!spec.ok()) return {};
  auto p = PreTokenizer::Create(spec->regexes);
  EXPECT_TRUE(p.ok()) << p.message();
  if (!p.ok()) return {};
  std::vector<std::string> out;
  for (const Span& s : (*p)->Split(text)) out.push_back(text.substr(s.first, s.second - s.first));
  return out;
}

TEST(TokenizerPreTokenizers, EveryFamilyCompilesAndTilesTheInput) {
  const std::string text = "Hello, WORLD!  it's 12345 日本語 한국어 \xF0\x9F\xA6\x99\n\n\tx=1;  ";
  for (const char* name :
       {"default", "llama3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe", "deepseek-llm",
        "deepseek-coder", "deepseek-v3", "falcon", "mpt", "gpt-2", "phi-2", "jina-es", "jina-de",
        "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code", "roberta-bpe",
        "olmo", "jais", "trillion", "exaone4", "starcoder", "refact", "command-r", "smollm",
        "codeshell", "exaone", "minerva-7b", "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez",
        "hunyuan", "poro-chat", "bloom", "gpt3-finnish", "chatglm-bpe", "glm4", "viking",
        "tekken", "chameleon", "gpt-4o", "llama4", "superbpe", "bailingmoe", "seed-coder", ""}) {
    SCOPED_TRACE(name);
    std::string joined;
    for (const std::string& piece : SplitWith(name, text)) {
      EXPECT_FALSE(piece.empty());
      joined += piece;
    }
    EXPECT_EQ(joined, text);
  }
  EXPECT_FALSE(LookupPreTokenizer("no-such-family").ok());
}

TEST(TokenizerPreTokenizers, FamilySplits) {
  using V = std::vector<std::string>;
  // GPT-2: contractions split, a space attaches to the following word, trailing spaces stay.
  EXPECT_EQ(SplitWith("gpt-2", "it's  ok"), (V{"it", "'s", " ", " ok"}));
  // Llama 3: numbers in groups of three, case-insensitive contractions.
  EXPECT_EQ(SplitWith("llama-bpe", "I'M 12345"), (V{"I", "'M", " ", "123", "45"}));
  // Qwen2: single digits.
  EXPECT_EQ(SplitWith("qwen2", "x 123"), (V{"x", " ", "1", "2", "3"}));
  // deepseek-coder: \r and \n isolated, punctuation runs after an optional space.
  EXPECT_EQ(SplitWith("deepseek-coder", "a\n\nb..c"), (V{"a", "\n", "\n", "b", "..", "c"}));
  // default (gpt-neox without a pre name): punctuation and $+<=>^~| runs first.
  EXPECT_EQ(SplitWith("default", "a+=b"), (V{"a", "+=", "b"}));
}

}  // namespace
}  // namespace fw::tok
