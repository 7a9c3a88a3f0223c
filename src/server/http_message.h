// HTTP/1.1 request and response values shared by the server, the client and the parsers.
// Plain data.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fw::server {

// Header names are stored lower-cased (HTTP header names are case-insensitive).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first header called name (lower-case), or "".
inline std::string_view FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as sent: "/v1/models?x=1"
  std::string path;     // target without the query
  std::string query;    // after '?', undecoded
  int version_minor = 1;  // HTTP/1.x
  HttpHeaders headers;
  std::string body;
  std::string remote;   // peer address, for logs

  std::string_view Header(std::string_view lower_name) const { return FindHeader(headers, lower_name); }
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  std::string_view Header(std::string_view lower_name) const { return FindHeader(headers, lower_name); }
};

// "OK", "Not Found", ... for the codes the server uses.
const char* StatusReason(int status);

}  // namespace fw::server
