#include "server/http_client.h"

#include <charconv>

#include <httplib.h>

namespace fw::server {

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  HttpUrl u;
  if (url.substr(0, 7) == "http://") url.remove_prefix(7);
  else if (url.find("://") != std::string_view::npos) return Status::Error("only http:// URLs are supported: " + std::string(url));
  url = url.substr(0, url.find('/'));
  if (url.empty()) return Status::Error("the URL has no host");
  std::string_view host = url, port;
  if (url.front() == '[') {
    const size_t close = url.find(']');
    if (close == std::string_view::npos) return Status::Error("unterminated [IPv6] address");
    host = url.substr(1, close - 1);
    if (close + 1 < url.size() && url[close + 1] == ':') port = url.substr(close + 2);
  } else if (const size_t colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = url.substr(colon + 1);
  }
  u.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 1 || p > 65535)
      return Status::Error("invalid port: " + std::string(port));
    u.port = p;
  }
  return u;
}

Result<HttpResponse> HttpClient::Request(const std::string& method, const std::string& path, const std::string& body,
                                         const HttpHeaders& headers,
                                         const std::function<bool(std::string_view)>& on_data) const {
  httplib::Client cli(host_, port_);
  const time_t secs = timeout_ms_ / 1000, usecs = (timeout_ms_ % 1000) * 1000;
  cli.set_connection_timeout(secs, usecs);
  cli.set_read_timeout(secs, usecs);
  cli.set_write_timeout(secs, usecs);
  cli.set_keep_alive(false);

  httplib::Request req;
  req.method = method;
  req.path = path;
  req.body = body;
  for (const auto& [k, v] : headers) req.headers.emplace(k, v);
  HttpResponse out;
  // The head arrives before any of the body: keep it even when the caller hangs up early.
  req.response_handler = [&](const httplib::Response& r) {
    out.status = r.status;
    for (const auto& [k, v] : r.headers) out.headers.emplace_back(AsciiLower(k), v);
    return true;
  };
  bool hung_up = false;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (!on_data) {
      out.body.append(data, n);
      return true;
    }
    if (!on_data(std::string_view(data, n))) hung_up = true;
    return !hung_up;
  };
  httplib::Result res = cli.send(req);
  if (hung_up && out.status != 0) return out;
  if (!res) {
    const std::string target = host_ + ":" + std::to_string(port_);
    if (res.error() == httplib::Error::Connection) return Status::Error("cannot connect to " + target);
    return Status::Error("request to " + target + " failed: " + httplib::to_string(res.error()));
  }
  return out;
}

}  // namespace fw::server
