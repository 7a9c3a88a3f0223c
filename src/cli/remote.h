// Talking to a running `flywheel serve` (or Ollama) from the CLI: the server address from
// --host, $FLYWHEEL_HOST or $OLLAMA_HOST (default http://127.0.0.1:11434), and
// `flywheel run --host URL MODEL [PROMPT]` as a client of POST /api/generate.
#pragma once

#include <string>
#include <vector>

namespace fw::cli {

// --host value, else $FLYWHEEL_HOST, else $OLLAMA_HOST, else "http://127.0.0.1:11434".
std::string DefaultServerHost(const std::string& flag);

struct RemoteRunOptions {
  std::string host;          // URL of the server
  std::string model;         // name on the server
  std::string prompt;        // empty: read standard input
  std::string system;
  std::string api_key;       // sent as a Bearer token when set ($FLYWHEEL_API_KEY otherwise)
  bool raw = false;          // no chat template
  int max_tokens = -1;
  double temperature = -1;   // <0: the server's default
  long long seed = -1;
  std::vector<std::string> stops;
};

// Streams the completion to stdout; returns the exit code (errors print "flywheel: ...").
// For cmd_run.cc: `flywheel run --host URL MODEL [PROMPT]` calls this instead of loading the
// model locally.
int RunRemote(const RemoteRunOptions& options);

}  // namespace fw::cli
