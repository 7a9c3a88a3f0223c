// The verb registry of the flywheel binary. Each verb lives in its own cmd_<verb>.cc and
// registers itself with FW_REGISTER_COMMAND; main.cc only dispatches.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace fw::cli {

// argv[0] is the verb name; returns the process exit code.
using CommandFn = std::function<int(int argc, char** argv)>;

struct Command {
  std::string name;
  std::string summary;
  CommandFn run;
  int order = 100;   // position in `flywheel --help`
};

std::vector<Command>& Registry();

struct Registrar {
  Registrar(std::string name, std::string summary, CommandFn fn, int order = 100) {
    Registry().push_back(Command{std::move(name), std::move(summary), std::move(fn), order});
  }
};

// Prints "flywheel: <message>" to stderr and returns 1: the CLI's one error format.
int Fail(const std::string& message);

}  // namespace fw::cli

#define FW_CLI_CONCAT2(a, b) a##b
#define FW_CLI_CONCAT(a, b) FW_CLI_CONCAT2(a, b)
#define FW_REGISTER_COMMAND(name, summary, fn, ...) \
  static ::fw::cli::Registrar FW_CLI_CONCAT(fw_cmd_registrar_, __LINE__)(name, summary, fn, ##__VA_ARGS__)
