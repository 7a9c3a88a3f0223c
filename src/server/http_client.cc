#include "server/http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "server/http_parse.h"

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

namespace {
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};
}  // namespace

Result<HttpResponse> HttpClient::Request(const std::string& method, const std::string& path, const std::string& body,
                                         const HttpHeaders& headers,
                                         const std::function<bool(std::string_view)>& on_data) const {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (int g = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); g != 0)
    return Status::Error("cannot resolve " + host_ + ": " + ::gai_strerror(g));
  int fd = -1;
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) return Status::Error("cannot connect to " + host_ + ":" + port + ": " + why);
  Socket sock(fd);

  std::string msg = method + " " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + port + "\r\nConnection: close\r\n";
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    msg += k + ": " + v + "\r\n";
    if (k == "Content-Length" || k == "content-length") has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "DELETE"))
    msg += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  msg += "\r\n";
  msg += body;
  std::string_view out = msg;
  while (!out.empty()) {
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may answer early (413) and close; read what it said
    out.remove_prefix(static_cast<size_t>(n));
  }

  std::string buf;
  char tmp[16384];
  auto read_more = [&]() -> int {  // 1 data, 0 closed, -1 error/timeout
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms_);
    if (r <= 0) return -1;
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n < 0) return errno == ECONNRESET && !buf.empty() ? 0 : -1;
    if (n == 0) return 0;
    buf.append(tmp, static_cast<size_t>(n));
    return 1;
  };

  HttpResponse resp;
  size_t head = 0;
  ParseError err;
  ParseResult r;
  while ((r = ParseResponseHead(buf, resp, head, err)) == ParseResult::kNeedMore) {
    if (read_more() != 1) return Status::Error("the server closed the connection without a complete response");
  }
  if (r == ParseResult::kError) return Status::Error("bad response: " + err.message);
  buf.erase(0, head);
  BodyFraming f;
  if (!ResponseFraming(resp.headers, resp.status, f, err)) return Status::Error("bad response: " + err.message);
  if (method == "HEAD") f.kind = BodyFraming::Kind::kNone;
  auto deliver = [&](std::string_view data) -> bool {
    if (on_data) return on_data(data);
    resp.body.append(data);
    return true;
  };
  switch (f.kind) {
    case BodyFraming::Kind::kNone:
      break;
    case BodyFraming::Kind::kLength:
      while (buf.size() < f.length) {
        if (on_data && !buf.empty()) {
          if (!deliver(buf)) return resp;
          f.length -= buf.size();
          buf.clear();
          continue;
        }
        if (read_more() != 1) return Status::Error("the response body ended early");
      }
      deliver(std::string_view(buf).substr(0, f.length));
      break;
    case BodyFraming::Kind::kChunked:
      for (;;) {
        std::string data;
        r = DecodeChunkedStream(buf, data, err);
        if (!data.empty() && !deliver(data)) return resp;
        if (r == ParseResult::kDone) break;
        if (r == ParseResult::kError) return Status::Error("bad chunked response: " + err.message);
        if (read_more() != 1) return Status::Error("the chunked response ended early");
      }
      break;
    case BodyFraming::Kind::kUntilClose:
      for (;;) {
        if (!buf.empty() && !deliver(buf)) return resp;
        buf.clear();
        const int m = read_more();
        if (m == 0) break;
        if (m < 0) return Status::Error("reading the response failed");
      }
      break;
  }
  return resp;
}

}  // namespace fw::server
