#include "server/connection_socket.h"

#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>

namespace fw::server {

namespace {
// Numeric host and port of a socket address, as httplib reports them (getnameinfo).
bool Describe(const sockaddr_storage& ss, socklen_t len, std::string& host, int& port) {
  char h[NI_MAXHOST], s[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&ss), len, h, sizeof h, s, sizeof s, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return false;
  host = h;
  port = std::atoi(s);
  return true;
}

// Calls fn(fd) for every open descriptor of this process but the directory's own.
template <typename Fn>
void ForEachDescriptor(Fn fn) {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return;
  const int own = ::dirfd(d);
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long n = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || n == own) continue;
    if (!fn(static_cast<int>(n))) break;
  }
  ::closedir(d);
}

bool Matches(int fd, const std::string& local_addr, int local_port, const std::string& remote_addr, int remote_port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;  // not a socket
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return false;
  std::string host;
  int port = 0;
  if (!Describe(ss, len, host, port) || port != local_port || host != local_addr) return false;
  len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;  // listener
  return Describe(ss, len, host, port) && port == remote_port && host == remote_addr;
}
}  // namespace

int ConnectionSocket::fd() {
  if (searched_) return fd_;
  searched_ = true;
  ForEachDescriptor([&](int fd) {
    if (!Matches(fd, local_addr_, local_port_, remote_addr_, remote_port_)) return true;
    fd_ = fd;
    return false;
  });
  return fd_;
}

bool ConnectionSocket::PeerGone() {
  if (gone_) return true;
  if (fd() < 0) return false;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) return gone_ = true;
  if (p.revents & POLLIN) {
    // Readable without a hang-up: more bytes (a pipelined request), or end of stream.
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return gone_ = true;
  }
  return false;
}

void ConnectionSocket::Drain(size_t max_bytes, int pause_ms) {
  if (fd() < 0) return;
  constexpr size_t kLibraryBuffer = 4096;
  constexpr int kShortPauseMs = 20;
  char buf[16384];
  size_t drained = 0;
  while (drained < max_bytes) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, drained + kLibraryBuffer >= max_bytes ? kShortPauseMs : pause_ms) <= 0) return;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return;
    drained += static_cast<size_t>(n);
  }
}

void ShutdownServerConnections(int port) {
  ForEachDescriptor([&](int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return true;
    int local_port = -1;
    if (ss.ss_family == AF_INET) local_port = ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) local_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
    len = sizeof ss;
    if (local_port == port && ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) ::shutdown(fd, SHUT_RDWR);
    return true;
  });
}

}  // namespace fw::server
