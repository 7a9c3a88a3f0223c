// The socket of the connection a request arrived on, found by its four addresses, for the
// two things cpp-httplib (Debian's 0.11) does not offer a handler: noticing that the peer
// hung up while a non-streamed generation runs, and draining a refused body so the client
// gets to read the 413 instead of a reset.
//
// Valid only on the connection thread while it handles that request: the HTTP library keeps
// the descriptor open until the handler (and its stream producer) returned, and a TCP
// four-tuple names exactly one open connection. Linux: the search reads /proc/self/fd once.
#pragma once

#include <cstddef>
#include <string>

namespace fw::server {

class ConnectionSocket {
 public:
  ConnectionSocket(std::string local_addr, int local_port, std::string remote_addr, int remote_port)
      : local_addr_(std::move(local_addr)), remote_addr_(std::move(remote_addr)), local_port_(local_port),
        remote_port_(remote_port) {}

  // The descriptor, or -1 when it cannot be found (then nothing below does anything).
  int fd();
  // True once the peer closed its side or the connection broke. Non-blocking.
  bool PeerGone();
  // Reads and drops up to max_bytes, until the peer pauses for pause_ms or closes. The HTTP
  // library may already hold up to its read buffer of them (4 KiB), so within that much of
  // max_bytes a short pause ends it.
  void Drain(size_t max_bytes, int pause_ms);

 private:
  std::string local_addr_, remote_addr_;
  int local_port_, remote_port_;
  int fd_ = -1;
  bool searched_ = false;
  bool gone_ = false;
};

// Shuts down both directions of every accepted TCP connection of this process whose local
// port is `port` (those with a peer: not the listener, not clients connecting to it). The
// library's idle keep-alive connections only notice a stopping server when their timeout
// ends; this wakes them at once.
void ShutdownServerConnections(int port);

}  // namespace fw::server
