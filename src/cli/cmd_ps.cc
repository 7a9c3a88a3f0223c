// flywheel ps: the models a running server has loaded (GET /api/ps).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/remote.h"
#include "server/http_client.h"

namespace fw::cli {
namespace {

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

int RunPs(int argc, char** argv) {
  CLI::App app("List the models a running server has loaded", "flywheel ps");
  std::string host, api_key;
  bool as_json = false;
  app.add_option("--host", host, "server URL (default $FLYWHEEL_HOST, $OLLAMA_HOST or http://127.0.0.1:11434)");
  app.add_option("--api-key", api_key, "Bearer token for a server started with --api-key")->envname("FLYWHEEL_API_KEY");
  app.add_flag("--json", as_json, "print the server's JSON");
  CLI11_PARSE(app, argc, argv);
  auto url = server::ParseHttpUrl(DefaultServerHost(host));
  if (!url.ok()) return Fail(url.message());
  server::HttpHeaders headers;
  if (!api_key.empty()) headers.emplace_back("Authorization", "Bearer " + api_key);
  auto resp = server::HttpClient(url->host, url->port, 30).Get("/api/ps", headers);
  if (!resp.ok()) return Fail(resp.message() + " (is `flywheel serve` running?)");
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (resp->status != 200) {
    std::string msg = "server answered " + std::to_string(resp->status);
    if (!j.is_discarded() && j.contains("error")) msg += ": " + (j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
    return Fail(msg);
  }
  if (j.is_discarded() || !j.contains("models") || !j["models"].is_array()) return Fail("unexpected answer from the server");
  if (as_json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%-32s %-10s %-8s %-9s %-8s %-8s %s\n", "NAME", "SIZE", "CONTEXT", "PARALLEL", "RUNNING", "WAITING", "UNTIL");
  for (const auto& m : j["models"]) {
    auto str = [&](const char* k) { return m.contains(k) && m[k].is_string() ? m[k].get<std::string>() : std::string("-"); };
    auto num = [&](const char* k) { return m.contains(k) && m[k].is_number() ? std::to_string(m[k].get<int64_t>()) : std::string("-"); };
    const double size = m.contains("size") && m["size"].is_number() ? m["size"].get<double>() : 0;
    std::printf("%-32s %-10s %-8s %-9s %-8s %-8s %s\n", str("name").c_str(), HumanBytes(size).c_str(), num("context_length").c_str(),
                num("parallel").c_str(), num("requests_running").c_str(), num("requests_waiting").c_str(), str("expires_at").c_str());
  }
  return 0;
}

}  // namespace

FW_REGISTER_COMMAND("ps", "list the models a running server has loaded", RunPs, 22);

}  // namespace fw::cli
