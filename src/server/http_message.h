// HTTP request and response values shared by the server adapter, the client and the API
// handlers, independent of the HTTP library underneath. Plain data.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fw::server {

// Header names as sent; lookups through FindHeader ignore ASCII case (HTTP header names are
// case-insensitive). Responses returned by HttpClient and requests given to handlers have
// lower-case names.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first header called name (any case), or "".
std::string_view FindHeader(const HttpHeaders& headers, std::string_view name);
// ASCII case folding, as header names need (no locale).
std::string AsciiLower(std::string_view s);
bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, without the query
  HttpHeaders headers;
  std::string body;
  std::string remote;  // peer address, for logs

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

}  // namespace fw::server
