#include "base/test_data.h"

#include <cstdlib>
#include <filesystem>

namespace fw {

std::string SharedDataDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("FLYWHEEL_DATA"); env != nullptr && *env != '\0') {
    return fs::is_directory(env, ec) ? std::string(env) : std::string();
  }
#ifdef FLYWHEEL_SOURCE_DIR
  fs::path p = fs::path(FLYWHEEL_SOURCE_DIR) / ".." / "shared";
#else
  fs::path p = fs::current_path(ec) / ".." / "shared";
#endif
  return fs::is_directory(p, ec) ? fs::weakly_canonical(p, ec).string() : std::string();
}

std::string SharedDataPath(const std::string& relative) {
  std::string dir = SharedDataDir();
  if (dir.empty()) return {};
  std::string p = dir + "/" + relative;
  std::error_code ec;
  return std::filesystem::exists(p, ec) ? p : std::string();
}

}  // namespace fw
