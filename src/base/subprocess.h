// Running a child process and capturing its output: used by end-to-end CLI tests and by
// benchmarks that drive other engines. Not for untrusted arguments (no shell quoting needed:
// argv is passed directly to execvp).
#pragma once

#include <string>
#include <vector>

namespace fw {

struct ProcessResult {
  int exit_code = -1;     // -1 when the process could not be started or was killed
  std::string out;        // standard output
  std::string err;        // standard error
};

// Runs argv[0] with argv, feeding stdin_data to its standard input; waits at most
// timeout_seconds, then kills it (exit_code -1).
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         double timeout_seconds = 120.0);

// The flywheel binary under test: $FLYWHEEL_BIN, else FLYWHEEL_BINARY_DIR/flywheel.
std::string FlywheelBinary();

}  // namespace fw
