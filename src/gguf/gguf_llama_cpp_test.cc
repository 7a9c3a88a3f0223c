// Interoperability: files written by GgufWriter load and run in llama.cpp. Needs a llama.cpp
// build: set LLAMA_BENCH=/path/to/llama-bench (see bench/README.md for building one outside
// the repository); skipped, saying so, without it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/subprocess.h"
#include "base/test_data.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace fw {
namespace {

TEST(GgufLlamaCpp, WrittenFilesLoadInLlamaCpp) {
  const char* bench = std::getenv("LLAMA_BENCH");
  if (bench == nullptr || *bench == '\0') {
    GTEST_SKIP() << "SKIPPED: set LLAMA_BENCH=/path/to/llama-bench to check written files in llama.cpp";
  }
  FW_REQUIRE_SHARED_FILE(dir, "models");
  const std::string tmp = (std::filesystem::temp_directory_path() / "flywheel-gguf-interop").string();
  std::filesystem::create_directories(tmp);
  // v1 source (rewritten as v3), a quantized model, a qwen2 model, and a non-default alignment.
  struct Case { const char* src; uint32_t alignment; };
  for (const Case& c : {Case{"models/stories260K-gguf-v1.gguf", 0}, Case{"models/TinyLLama-v0-Q4_0.gguf", 0},
                        Case{"models/tiny-qwen2-f16.gguf", 0}, Case{"models/stories260K.gguf", 64}}) {
    auto src = GgufFile::Open(SharedDataPath(c.src));
    ASSERT_TRUE(src.ok()) << src.message();
    GgufWriter w;
    ASSERT_TRUE(w.CopyFrom(*src.value()).ok());
    if (c.alignment != 0) w.Set("general.alignment", GgufValue::U32(c.alignment));
    const std::string out = tmp + "/" + std::filesystem::path(c.src).filename().string();
    ASSERT_TRUE(w.Write(out).ok());
    ProcessResult r = RunProcess({bench, "-m", out, "-p", "8", "-n", "4", "-r", "1", "-t", "1", "-o", "json"}, "", 300);
    EXPECT_EQ(r.exit_code, 0) << c.src << "\n" << r.err.substr(r.err.size() > 2000 ? r.err.size() - 2000 : 0);
    EXPECT_NE(r.out.find("\"avg_ts\""), std::string::npos) << r.out;
    std::filesystem::remove(out);
  }
}

}  // namespace
}  // namespace fw
