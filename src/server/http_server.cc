#include "server/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <algorithm>

#include "server/http_parse.h"

namespace fw::server {

namespace {
constexpr int kPollSliceMs = 100;  // how often blocked reads look at the stop flag

std::string ErrorJson(std::string_view message) {
  std::string out = "{\"error\":{\"message\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  out += "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
  return out;
}
}  // namespace

// ---------------------------------------------------------------------------------------
// ResponseWriter
// ---------------------------------------------------------------------------------------

bool ResponseWriter::WriteAll(std::string_view data) {
  if (broken_) return false;
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 30000) <= 0) {
        broken_ = true;
        return false;
      }
      continue;
    }
    if (n <= 0) {
      broken_ = true;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ResponseWriter::Head(int status, std::string_view content_type, const HttpHeaders& extra, bool chunked,
                                 size_t length) {
  status_ = status;
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + StatusReason(status) + "\r\n";
  if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
  if (chunked) h += "Transfer-Encoding: chunked\r\n";
  else h += "Content-Length: " + std::to_string(length) + "\r\n";
  h += keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [k, v] : extra) h += k + ": " + v + "\r\n";
  h += "\r\n";
  return h;
}

void ResponseWriter::Send(int status, std::string_view content_type, std::string_view body, const HttpHeaders& extra) {
  if (sent_) return;
  sent_ = true;
  std::string msg = Head(status, content_type, extra, false, body.size());
  if (!head_only_) msg.append(body);
  WriteAll(msg);
}

bool ResponseWriter::BeginStream(int status, std::string_view content_type, const HttpHeaders& extra) {
  if (sent_) return false;
  sent_ = true;
  streaming_ = true;
  HttpHeaders h = extra;
  h.emplace_back("Cache-Control", "no-cache");
  h.emplace_back("X-Accel-Buffering", "no");
  return WriteAll(Head(status, content_type, h, true, 0));
}

bool ResponseWriter::Write(std::string_view data) {
  if (!streaming_ || data.empty()) return !broken_;
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string msg = size;
  msg.append(data);
  msg += "\r\n";
  return WriteAll(msg);
}

void ResponseWriter::End() {
  if (!streaming_) return;
  streaming_ = false;
  WriteAll("0\r\n\r\n");
}

bool ResponseWriter::ClientGone() {
  if (broken_) return true;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) {
    broken_ = true;
    return true;
  }
  if (p.revents & POLLIN) {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      broken_ = true;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// HttpServer
// ---------------------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(options_.port);
  const int gai = ::getaddrinfo(options_.host.empty() ? nullptr : options_.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) return Status::Error("cannot resolve " + options_.host + ": " + ::gai_strerror(gai));
  std::string last_error = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      listen_fd_ = fd;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      port_ = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0) return Status::Error("cannot listen on " + options_.host + ":" + port + ": " + last_error);
  return Status::Ok();
}

Status HttpServer::Start() {
  FW_RETURN_IF_ERROR(Listen());
  serve_thread_ = std::thread([this] { Serve(); });
  return Status::Ok();
}

void HttpServer::Serve() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, kPollSliceMs);
    if (r <= 0) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET) ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, host, sizeof host);
    else if (ss.ss_family == AF_INET6) ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, host, sizeof host);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (active_ >= options_.max_connections) {
        ResponseWriter w(fd, false, false);
        w.Send(503, "application/json", ErrorJson("too many connections"), {{"Retry-After", "1"}});
        ::close(fd);
        continue;
      }
      ++active_;
    }
    std::thread([this, fd, remote = std::string(host)] { Connection(fd, remote); }).detach();
  }
}

void HttpServer::Stop() {
  if (stopping_.exchange(true)) {
    if (serve_thread_.joinable()) serve_thread_.join();
    return;
  }
  if (serve_thread_.joinable()) serve_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return active_ == 0; });
}

void HttpServer::Connection(int fd, std::string remote) {
  std::string buf;
  char tmp[16384];
  // Reads more bytes into buf; false on close, error, stop, or timeout.
  auto read_more = [&](int timeout_ms) -> bool {
    int waited = 0;
    for (;;) {
      if (stopping_.load()) return false;
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, kPollSliceMs);
      if (r < 0 && errno != EINTR) return false;
      if (r <= 0) {
        waited += kPollSliceMs;
        if (waited >= timeout_ms) return false;
        continue;
      }
      const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      return true;
    }
  };
  auto error = [&](int status, const std::string& message) {
    ResponseWriter w(fd, false, false);
    w.Send(status, "application/json", ErrorJson(message));
  };

  for (;;) {
    HttpRequest req;
    size_t head = 0;
    ParseError err;
    ParseResult r;
    bool first_read = true;
    while ((r = ParseRequestHead(buf, req, head, err)) == ParseResult::kNeedMore) {
      if (!read_more(buf.empty() && first_read ? options_.idle_timeout_ms : options_.read_timeout_ms)) goto done;
      first_read = false;
    }
    if (r == ParseResult::kError) {
      error(err.status, err.message);
      break;
    }
    {
      BodyFraming framing;
      if (!RequestFraming(req.headers, framing, err)) {
        error(err.status, err.message);
        break;
      }
      buf.erase(0, head);
      // A client that asked to wait (curl does for large bodies) gets the go-ahead, unless
      // the body is already known to be too large.
      const bool too_large = framing.kind == BodyFraming::Kind::kLength && framing.length > options_.max_body;
      const bool expects_continue = req.Header("expect").find("100-continue") != std::string_view::npos;
      if (!too_large && framing.kind != BodyFraming::Kind::kNone && buf.empty() && expects_continue) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        (void)::send(fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
      }
      if (framing.kind == BodyFraming::Kind::kLength) {
        if (framing.length > options_.max_body) {
          // Read and drop the body (up to 64 MiB) so the client gets to read the 413.
          uint64_t left = framing.length, drained = 0;
          for (; !expects_continue;) {
            const uint64_t take = std::min<uint64_t>(left, buf.size());
            left -= take;
            drained += take;
            buf.clear();
            if (left == 0 || drained >= (64ull << 20) || !read_more(2000)) break;
          }
          error(413, "request body larger than the limit of " + std::to_string(options_.max_body) + " bytes");
          break;
        }
        while (buf.size() < framing.length)
          if (!read_more(options_.read_timeout_ms)) goto done;
        req.body = buf.substr(0, framing.length);
        buf.erase(0, framing.length);
      } else if (framing.kind == BodyFraming::Kind::kChunked) {
        size_t consumed = 0;
        for (;;) {
          r = DecodeChunked(buf, req.body, consumed, options_.max_body, err);
          if (r != ParseResult::kNeedMore) break;
          if (!read_more(options_.read_timeout_ms)) goto done;
        }
        if (r == ParseResult::kError) {
          error(err.status, err.message);
          break;
        }
        buf.erase(0, consumed);
      }
      std::string_view conn = req.Header("connection");
      bool keep_alive = req.version_minor == 1;
      if (conn.find("close") != std::string_view::npos || conn.find("Close") != std::string_view::npos) keep_alive = false;
      if (conn.find("keep-alive") != std::string_view::npos) keep_alive = true;
      if (stopping_.load()) keep_alive = false;
      req.remote = remote;
      ResponseWriter w(fd, keep_alive, req.method == "HEAD");
      try {
        handler_(req, w);
      } catch (const std::exception& e) {
        // A bug or an allocation failure in one request must not take the server down.
        if (!w.sent()) w.Send(500, "application/json", ErrorJson(std::string("internal error: ") + e.what()));
        w.CloseAfter();
      }
      if (!w.sent()) w.Send(500, "application/json", ErrorJson("the handler sent no response"));
      w.End();
      if (!w.keep_alive()) break;
    }
  }
done:
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  --active_;
  cv_.notify_all();
}

}  // namespace fw::server
