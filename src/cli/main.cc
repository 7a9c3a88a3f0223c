// flywheel: one binary, Ollama-like verbs. Dispatches argv[1] to a registered command.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/command.h"

namespace fw::cli {

std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "flywheel: %s\n", message.c_str());
  return 1;
}

namespace {

void PrintUsage(FILE* out) {
  std::vector<Command> cmds = Registry();
  std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) {
    return a.order != b.order ? a.order < b.order : a.name < b.name;
  });
  std::fprintf(out, "flywheel: get, run, serve, quantize and evaluate LLMs in one native program\n\n");
  std::fprintf(out, "Usage: flywheel <command> [options]   (flywheel <command> --help for details)\n\nCommands:\n");
  for (const auto& c : cmds) std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
}

}  // namespace
}  // namespace fw::cli

int main(int argc, char** argv) {
  using namespace fw::cli;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0) {
    std::printf("flywheel 0.1.0\n");
    return 0;
  }
  for (const auto& c : Registry()) {
    if (c.name == argv[1]) {
      try {
        return c.run(argc - 1, argv + 1);
      } catch (const std::exception& e) {  // the API edge: nothing escapes as a crash
        return Fail(std::string(argv[1]) + ": " + e.what());
      }
    }
  }
  Fail(std::string("unknown command '") + argv[1] + "'");
  PrintUsage(stderr);
  return 1;
}
