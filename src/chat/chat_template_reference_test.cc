// Golden test: every template and conversation of shared/reference/templates/
// chat-templates.json renders byte-identically to Hugging Face's apply_chat_template, and
// the cases where HF raised render to the same error message.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "base/test_data.h"
#include "chat/chat_template.h"

namespace fw {
namespace {

nlohmann::ordered_json LoadJson(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::ordered_json::parse(ss.str());
}

TEST(ChatTemplateReference, AllCasesMatchHuggingFace) {
  FW_REQUIRE_SHARED_FILE(path, "reference/templates/chat-templates.json");
  nlohmann::ordered_json ref = LoadJson(path);
  ASSERT_TRUE(ref.contains("templates"));
  int total = 0, identical = 0;
  for (const auto& t : ref["templates"]) {
    std::string name = t["template"].get<std::string>();
    auto tmpl = ChatTemplate::Parse(t["source"].get<std::string>());
    ASSERT_TRUE(tmpl.ok()) << name << ": " << tmpl.message();
    for (const auto& c : t["cases"]) {
      ++total;
      std::string label = name + " / " + c["case"].get<std::string>();
      auto out = tmpl->RenderOrdered(c["context"]);
      if (c.contains("error")) {
        // HF reports "TemplateError: <message given to raise_exception>".
        std::string expected = c["error"].get<std::string>();
        const std::string prefix = "TemplateError: ";
        if (expected.rfind(prefix, 0) == 0) expected = expected.substr(prefix.size());
        EXPECT_FALSE(out.ok()) << label << " rendered instead of raising";
        if (!out.ok()) {
          EXPECT_EQ(out.message(), expected) << label;
          if (out.message() == expected) ++identical;
        }
      } else {
        ASSERT_TRUE(out.ok()) << label << ": " << out.message();
        EXPECT_EQ(*out, c["output"].get<std::string>()) << label;
        if (*out == c["output"].get<std::string>()) ++identical;
      }
    }
  }
  EXPECT_EQ(total, 63);
  std::printf("chat template reference cases identical: %d of %d\n", identical, total);
  EXPECT_EQ(identical, total);
}

// The templates shipped inside the shared tokenizer configs parse and render a
// conversation (their exact output is covered above for the same sources).
TEST(ChatTemplateReference, TokenizerConfigTemplatesRender) {
  for (const char* model : {"llama3", "qwen3"}) {
    FW_REQUIRE_SHARED_FILE(path, std::string("tokenizers/") + model + "/tokenizer_config.json");
    auto source = LoadChatTemplateSource(path);
    ASSERT_TRUE(source.ok()) << source.message();
    auto tmpl = ChatTemplate::Parse(*source);
    ASSERT_TRUE(tmpl.ok()) << model << ": " << tmpl.message();
    nlohmann::ordered_json ctx = {
        {"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}}},
        {"add_generation_prompt", true},
        {"bos_token", "<s>"},
        {"eos_token", "</s>"}};
    auto out = tmpl->RenderOrdered(ctx);
    ASSERT_TRUE(out.ok()) << model << ": " << out.message();
    EXPECT_NE(out->find("Be brief."), std::string::npos) << *out;
    EXPECT_NE(out->find("Hi"), std::string::npos) << *out;
  }
}

// The shared Mistral tokenizer_config.json carries no template: the loader says so, and
// callers use RenderFallbackChat (docs/chat-fallback.md).
TEST(ChatTemplateReference, ConfigWithoutTemplateIsReported) {
  FW_REQUIRE_SHARED_FILE(path, "tokenizers/mistral/tokenizer_config.json");
  auto source = LoadChatTemplateSource(path);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.message().find("no chat_template"), std::string::npos) << source.message();
}

}  // namespace
}  // namespace fw
