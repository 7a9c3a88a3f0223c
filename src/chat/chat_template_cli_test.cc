// End-to-end: `flywheel template` prints exactly the rendered text and reports template
// errors as "flywheel: <message>" with exit code 1.
#include <fstream>

#include <gtest/gtest.h>

#include "base/subprocess.h"
#include "base/test_data.h"

namespace fw {
namespace {

// The binary is built by the `flywheel` target, not by chat_tests itself.
#define FW_REQUIRE_FLYWHEEL_BINARY()                                                        \
  if (!std::ifstream(FlywheelBinary()).good()) {                                            \
    GTEST_SKIP() << "SKIPPED: " << FlywheelBinary() << " not built (cmake --build . --target flywheel)"; \
  }

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = testing::TempDir() + "/chat_cli_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ChatTemplateCli, PrintsRenderedTextWithoutNewline) {
  FW_REQUIRE_FLYWHEEL_BINARY();
  std::string tmpl = WriteTemp("t.jinja",
                               "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
                               "{% if add_generation_prompt %}[assistant]{% endif %}");
  std::string ctx = WriteTemp("ctx.json", R"({"messages": [{"role": "user", "content": "Grüße"}],
      "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
  ProcessResult r = RunProcess({FlywheelBinary(), "template", tmpl, "--context", ctx});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<s>[user] Grüße\n[assistant]");
}

TEST(ChatTemplateCli, TemplateErrorExitsOne) {
  FW_REQUIRE_FLYWHEEL_BINARY();
  std::string tmpl = WriteTemp("err.jinja",
                               "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}");
  std::string ctx = WriteTemp("sys.json", R"({"messages": [{"role": "system", "content": "x"}]})");
  ProcessResult r = RunProcess({FlywheelBinary(), "template", tmpl, "--context", ctx});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "flywheel: System role not supported\n");
}

TEST(ChatTemplateCli, TokenizerConfigMatchesReference) {
  FW_REQUIRE_FLYWHEEL_BINARY();
  FW_REQUIRE_SHARED_FILE(config, "tokenizers/qwen3/tokenizer_config.json");
  std::string ctx = WriteTemp("qwen.json", R"({"messages": [{"role": "user", "content": "Hello!"}],
      "add_generation_prompt": true, "bos_token": "", "eos_token": "<|im_end|>"})");
  ProcessResult r = RunProcess({FlywheelBinary(), "template", config, "--context", ctx});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateCli, BadInputsAreReported) {
  FW_REQUIRE_FLYWHEEL_BINARY();
  std::string tmpl = WriteTemp("ok.jinja", "x");
  std::string bad = WriteTemp("bad.json", "[1, 2");
  ProcessResult r = RunProcess({FlywheelBinary(), "template", tmpl, "--context", bad});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("flywheel: ", 0), 0u) << r.err;
  std::string broken = WriteTemp("broken.jinja", "{% if %}");
  r = RunProcess({FlywheelBinary(), "template", broken, "--context", WriteTemp("empty.json", "{}")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 1, column"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fw
