// Locating ../shared test data: $FLYWHEEL_DATA, else ../shared beside the source checkout.
#pragma once

#include <string>

namespace fw {

// The shared data directory, or "" when it does not exist.
std::string SharedDataDir();
// SharedDataDir() + "/" + relative, or "" when the data directory or the file is absent.
std::string SharedDataPath(const std::string& relative);

}  // namespace fw

// In a GoogleTest body: skips loudly when ../shared (or one file in it) is missing.
#define FW_REQUIRE_SHARED_FILE(var, relative)                                             \
  const std::string var = ::fw::SharedDataPath(relative);                                 \
  if (var.empty()) {                                                                      \
    GTEST_SKIP() << "SKIPPED: shared test data missing (" << (relative)                   \
                 << "); set FLYWHEEL_DATA to the shared/ directory";                      \
  }
