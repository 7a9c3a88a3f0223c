// Test helpers: an in-process Server on 127.0.0.1 with an ephemeral port over a temporary
// models directory of symlinks to shared models, and raw-socket access for error cases.
#pragma once

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/test_data.h"
#include "server/http_client.h"
#include "server/server.h"

namespace fw::server::testing {

class TempModelsDir {
 public:
  explicit TempModelsDir(const std::vector<std::string>& shared_models) {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("fw-server-test-" + std::to_string(rd()) + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const auto& m : shared_models) {
      const std::string src = SharedDataPath("models/" + m + ".gguf");
      if (!src.empty()) std::filesystem::create_symlink(src, dir_ / (m + ".gguf"));
    }
  }
  ~TempModelsDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

struct TestServer {
  explicit TestServer(ServerOptions o) {
    o.http.host = "127.0.0.1";
    o.http.port = 0;
    if (o.models.engine.ctx == 2048) o.models.engine.ctx = 256;
    o.models.engine.threads = 1;
    server = std::make_unique<Server>(std::move(o));
    status = server->Start();
  }
  ~TestServer() { server->Stop(); }
  HttpClient client() const { return HttpClient("127.0.0.1", server->port(), 60); }
  int port() const { return server->port(); }
  std::unique_ptr<Server> server;
  Status status;
};

// One raw client connection, for keep-alive and disconnect cases.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { Close(); }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Reads until what arrived contains `marker` (true), the peer closes or 5 s pass (false).
  bool ReadUntil(const std::string& marker) {
    char buf[4096];
    while (received_.find(marker) == std::string::npos) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      received_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  const std::string& received() const { return received_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool connected_ = false;
  std::string received_;
};

// Sends raw bytes on a fresh connection and returns everything the server answers until it
// closes (or timeout_ms passes).
inline std::string RawExchange(int port, const std::string& bytes, int timeout_ms = 5000) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace fw::server::testing
