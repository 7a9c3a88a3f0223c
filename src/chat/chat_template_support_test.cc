// LoadChatTemplateSource, RenderFallbackChat, robustness limits and value semantics of
// ChatTemplate (copies, concurrent renders, key order).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "chat/chat_template.h"
#include "gguf/gguf_writer.h"

namespace fw {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::TempDir() + "/chat_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ChatTemplateSource, JinjaFileIsReadVerbatim) {
  std::string path = WriteTemp("t.jinja", "{{ bos_token }}\n{% for m in messages %}{{ m.content }}{% endfor %}\n");
  auto s = LoadChatTemplateSource(path);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(*s, "{{ bos_token }}\n{% for m in messages %}{{ m.content }}{% endfor %}\n");
}

TEST(ChatTemplateSource, TokenizerConfigString) {
  std::string path = WriteTemp("a_tokenizer_config.json", R"({"bos_token": "<s>", "chat_template": "{{ 'x' }}"})");
  auto s = LoadChatTemplateSource(path);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(*s, "{{ 'x' }}");
}

TEST(ChatTemplateSource, TokenizerConfigListPicksDefault) {
  std::string path = WriteTemp("b_tokenizer_config.json", R"({"chat_template": [
      {"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})");
  auto s = LoadChatTemplateSource(path);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(*s, "D");
}

TEST(ChatTemplateSource, TokenizerConfigErrors) {
  EXPECT_FALSE(LoadChatTemplateSource(WriteTemp("c.json", R"({"chat_template": [{"name": "x", "template": "T"}]})")).ok());
  EXPECT_FALSE(LoadChatTemplateSource(WriteTemp("d.json", R"({"bos_token": "<s>"})")).ok());
  EXPECT_FALSE(LoadChatTemplateSource(WriteTemp("e.json", "{not json")).ok());
  EXPECT_FALSE(LoadChatTemplateSource(testing::TempDir() + "/chat_does_not_exist.jinja").ok());
}

TEST(ChatTemplateSource, GgufMetadataKey) {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("tokenizer.chat_template", GgufValue::String("{{ messages[0].content }}!"));
  std::string path = testing::TempDir() + "/chat_with_template.gguf";
  ASSERT_TRUE(w.Write(path).ok());
  auto s = LoadChatTemplateSource(path);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(*s, "{{ messages[0].content }}!");

  GgufWriter bare;
  bare.Set("general.architecture", GgufValue::String("llama"));
  std::string bare_path = testing::TempDir() + "/chat_without_template.gguf";
  ASSERT_TRUE(bare.Write(bare_path).ok());
  auto missing = LoadChatTemplateSource(bare_path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("tokenizer.chat_template"), std::string::npos) << missing.message();
}

TEST(ChatTemplateFallback, DocumentedFormat) {
  nlohmann::json messages = nlohmann::json::array({
      {{"role", "system"}, {"content", "Be brief."}},
      {{"role", "user"}, {"content", "Hi"}},
      {{"role", "assistant"}, {"content", "Hello."}},
      {{"role", "tool"}, {"content", nullptr}},
      {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "image"}}, {{"type", "text"}, {"text", "b"}}}}},
  });
  EXPECT_EQ(RenderFallbackChat(messages, true),
            "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello.\n\nTool: \n\nUser: a\nb\n\nAssistant:");
  EXPECT_EQ(RenderFallbackChat(nlohmann::json::array({{{"role", "user"}, {"content", "x"}}}), false), "User: x\n\n");
  EXPECT_EQ(RenderFallbackChat(nlohmann::json::array(), true), "Assistant:");
}

// Each hostile template must fail cleanly (no crash, hang or stack overflow) and quickly.
TEST(ChatTemplateLimits, RunawayTemplatesFailCleanly) {
  const std::string deep_parens = std::string(5000, '(') + "1" + std::string(5000, ')');
  std::string long_chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) long_chain += " + 1";
  long_chain += " }}";
  std::string deep_blocks;
  for (int i = 0; i < 2000; ++i) deep_blocks += "{% if true %}";
  const struct {
    const char* name;
    std::string source;
    bool parse_fails;
  } cases[] = {
      {"deep parentheses", "{{ " + deep_parens + " }}", true},
      {"long operator chain", long_chain, true},
      {"deeply nested blocks", deep_blocks, true},
      {"nested loops", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", false},
      {"infinite macro recursion", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", false},
      {"string doubling", "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", false},
      {"string repetition", "{{ 'x' * 100000000000 }}", false},
      {"list nesting", "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}", false},
      {"namespace cycle printed", "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", false},
      {"namespace cycle tojson", "{% set ns = namespace() %}{% set ns.me = [ns] %}{{ ns.me|tojson }}", false},
      {"huge output", "{% for i in range(100000) %}{% for j in range(100) %}" + std::string(1000, 'x') + "{% endfor %}{% endfor %}", false},
  };
  for (const auto& c : cases) {
    auto start = std::chrono::steady_clock::now();
    auto tmpl = ChatTemplate::Parse(c.source);
    if (c.parse_fails) {
      EXPECT_FALSE(tmpl.ok()) << c.name;
    } else {
      ASSERT_TRUE(tmpl.ok()) << c.name << ": " << tmpl.message();
      auto out = tmpl->Render(nlohmann::json::object());
      EXPECT_FALSE(out.ok()) << c.name << " rendered " << out->size() << " bytes";
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 20.0) << c.name;
    std::printf("  %-26s %.2f s\n", c.name, seconds);
  }
}

TEST(ChatTemplateValue, CopiesShareTheParsedTemplateAcrossThreads) {
  auto parsed = ChatTemplate::Parse("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}");
  ASSERT_TRUE(parsed.ok());
  ChatTemplate copy = *parsed;
  nlohmann::json ctx = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  std::vector<std::thread> threads;
  std::vector<std::string> outs(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto r = copy.Render(ctx);
        if (r.ok()) outs[t] = *r;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& o : outs) EXPECT_EQ(o, "<user>hi");
}

TEST(ChatTemplateValue, OrderedJsonKeepsKeyOrderPlainJsonSortsIt) {
  auto tmpl = ChatTemplate::Parse("{{ tools[0]|tojson }}");
  ASSERT_TRUE(tmpl.ok());
  const char* text = R"({"tools": [{"type": "function", "function": {"name": "f"}}]})";
  auto ordered = tmpl->RenderOrdered(nlohmann::ordered_json::parse(text));
  ASSERT_TRUE(ordered.ok());
  EXPECT_EQ(*ordered, R"({"type": "function", "function": {"name": "f"}})");
  auto sorted = tmpl->Render(nlohmann::json::parse(text));
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ(*sorted, R"({"function": {"name": "f"}, "type": "function"})");
}

}  // namespace
}  // namespace fw
