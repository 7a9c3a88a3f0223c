// Runs the JavaScript integration tests (tests/server/*.test.mjs: the official `openai` and
// `ollama` npm clients against `flywheel serve`) under ctest. Skips loudly when node, the
// npm packages (`npm ci --prefix tests/server`), the binary or the shared models are missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/subprocess.h"
#include "base/test_data.h"

namespace fw {
namespace {

TEST(ServerJsClients, OfficialOpenAiAndOllamaClients) {
  FW_REQUIRE_SHARED_FILE(model, "models/stories260K.gguf");
  const std::filesystem::path tests = std::filesystem::path(FLYWHEEL_SOURCE_DIR) / "tests" / "server";
  if (RunProcess({"node", "--version"}, "", 20).exit_code != 0)
    GTEST_SKIP() << "SKIPPED: node is not installed; install Node.js >= 20 to run the client tests";
  if (!std::filesystem::exists(tests / "node_modules" / "openai") || !std::filesystem::exists(tests / "node_modules" / "ollama"))
    GTEST_SKIP() << "SKIPPED: npm packages missing; run `npm ci --prefix tests/server`";
  const std::string bin = FlywheelBinary();
  if (!std::filesystem::exists(bin)) GTEST_SKIP() << "SKIPPED: " << bin << " is not built";
  ::setenv("FLYWHEEL_BIN", bin.c_str(), 1);
  ::setenv("FLYWHEEL_DATA", SharedDataDir().c_str(), 1);
  const ProcessResult r = RunProcess({"node", "--test", "--test-reporter=spec", (tests / "server.test.mjs").string()}, "", 300);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("fail 0"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fw
