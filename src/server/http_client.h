// A blocking HTTP/1.1 client (plain http only) on cpp-httplib, for `flywheel ps`, `flywheel
// run --host` and the server's own tests. One connection per request (Connection: close).
// Thread-safe: an HttpClient holds only its target; each Request is independent.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/http_message.h"

namespace fw::server {

struct HttpUrl {
  std::string host = "127.0.0.1";
  int port = 11434;
};
// "http://host:port", "host:port", "host" (port 11434), "http://[::1]:8080". Untrusted text
// (flags, environment): a clear error for anything else.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

class HttpClient {
 public:
  HttpClient(std::string host, int port, double timeout_seconds = 300.0)
      : host_(std::move(host)), port_(port), timeout_ms_(static_cast<int>(timeout_seconds * 1000)) {}

  // on_data, when given, receives the (de-chunked) body as it arrives and may return false to
  // hang up; resp.body then stays empty, and resp still has the status and headers.
  Result<HttpResponse> Request(const std::string& method, const std::string& path, const std::string& body = "",
                               const HttpHeaders& headers = {},
                               const std::function<bool(std::string_view)>& on_data = nullptr) const;
  Result<HttpResponse> Get(const std::string& path, const HttpHeaders& headers = {}) const {
    return Request("GET", path, "", headers);
  }
  Result<HttpResponse> Post(const std::string& path, const std::string& body, const HttpHeaders& headers = {}) const {
    HttpHeaders h = headers;
    h.emplace_back("Content-Type", "application/json");
    return Request("POST", path, body, h);
  }

 private:
  std::string host_;
  int port_;
  int timeout_ms_;
};

}  // namespace fw::server
