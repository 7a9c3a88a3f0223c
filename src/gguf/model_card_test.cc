// The model card never throws on untrusted bytes (found by gguf_reader_fuzz: a BOS token
// whose text is not UTF-8 made the text card's JSON dump throw).
#include "gguf/model_card.h"

#include <gtest/gtest.h>

#include "gguf/gguf_writer.h"

namespace fw {
namespace {

TEST(ModelCard, InvalidUtf8TokenTextDoesNotThrow) {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("general.name", GgufValue::String("bad \xff name"));
  w.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  w.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"<unk>", "\xc3\x28", "ok"}));
  w.Set("tokenizer.ggml.bos_token_id", GgufValue::U32(1));
  std::vector<uint8_t> bytes = w.WriteToBuffer();
  auto f = GgufFile::Parse(bytes.data(), bytes.size());
  ASSERT_TRUE(f.ok()) << f.message();
  nlohmann::json card;
  std::string text;
  ASSERT_NO_THROW(card = ModelCardJson(*f.value()));
  ASSERT_NO_THROW(text = ModelCardText(card));
  EXPECT_NE(text.find("bos token             1 \"\xEF\xBF\xBD(\""), std::string::npos) << text;
  EXPECT_EQ(card["vocab_size"], 3);
}

}  // namespace
}  // namespace fw
