#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/remote.h"
#include "server/http_client.h"

namespace fw::cli {

std::string DefaultServerHost(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* h = std::getenv("FLYWHEEL_HOST"); h != nullptr && *h) return h;
  if (const char* h = std::getenv("OLLAMA_HOST"); h != nullptr && *h) return h;
  return "http://127.0.0.1:11434";
}

int RunRemote(const RemoteRunOptions& o) {
  auto url = server::ParseHttpUrl(DefaultServerHost(o.host));
  if (!url.ok()) return Fail(url.message());
  std::string prompt = o.prompt;
  if (prompt.empty()) prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  nlohmann::json body = {{"model", o.model}, {"prompt", prompt}, {"stream", true}, {"raw", o.raw}};
  if (!o.system.empty()) body["system"] = o.system;
  nlohmann::json options = nlohmann::json::object();
  if (o.max_tokens >= 0) options["num_predict"] = o.max_tokens;
  if (o.temperature >= 0) options["temperature"] = o.temperature;
  if (o.seed >= 0) options["seed"] = o.seed;
  if (!o.stops.empty()) options["stop"] = o.stops;
  body["options"] = options;
  server::HttpHeaders headers{{"Content-Type", "application/json"}};
  std::string key = o.api_key;
  if (key.empty())
    if (const char* k = std::getenv("FLYWHEEL_API_KEY"); k != nullptr) key = k;
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);

  std::string pending, error;
  bool ended_with_newline = true;
  auto on_data = [&](std::string_view data) {
    pending.append(data);
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("error")) {
        error = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
        continue;
      }
      if (j.contains("response") && j["response"].is_string()) {
        const std::string piece = j["response"].get<std::string>();
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        if (!piece.empty()) ended_with_newline = piece.back() == '\n';
      }
    }
    return true;
  };
  server::HttpClient client(url->host, url->port);
  auto resp = client.Request("POST", "/api/generate", body.dump(), headers, on_data);
  if (!resp.ok()) return Fail(resp.message());
  if (resp->status != 200) {
    on_data("\n");
    auto j = nlohmann::json::parse(pending.empty() ? "{}" : pending, nullptr, false);
    return Fail("server answered " + std::to_string(resp->status) + (error.empty() ? "" : ": " + error));
  }
  if (!ended_with_newline) std::fputc('\n', stdout);
  if (!error.empty()) return Fail(error);
  return 0;
}

}  // namespace fw::cli
