// A small HTTP/1.1 server over POSIX sockets: one thread per connection (bounded), keep-alive,
// Content-Length and chunked request bodies, chunked streaming responses, and detection of
// clients that went away (so a generation can be cancelled within one engine step).
//
// Thread-safety: the handler runs on connection threads, several at once. Stop() may be called
// from any thread; it closes the listener, wakes idle connections and waits for every handler
// to return.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "server/http_message.h"

namespace fw::server {

// Writes one response, either whole (Send) or streamed (BeginStream, Write..., End).
class ResponseWriter {
 public:
  ResponseWriter(int fd, bool keep_alive, bool head_only) : fd_(fd), keep_alive_(keep_alive), head_only_(head_only) {}

  void Send(int status, std::string_view content_type, std::string_view body, const HttpHeaders& extra = {});
  // Chunked transfer coding. False when the client is gone.
  bool BeginStream(int status, std::string_view content_type, const HttpHeaders& extra = {});
  bool Write(std::string_view data);
  void End();
  // True when the peer closed its side or the connection broke (cheap poll; no blocking).
  bool ClientGone();

  bool sent() const { return sent_; }
  bool keep_alive() const { return keep_alive_ && !broken_; }
  int status() const { return status_; }
  // The server will close the connection after this response.
  void CloseAfter() { keep_alive_ = false; }

 private:
  bool WriteAll(std::string_view data);
  std::string Head(int status, std::string_view content_type, const HttpHeaders& extra, bool chunked, size_t length);

  int fd_;
  bool keep_alive_;
  bool head_only_;
  bool sent_ = false;
  bool streaming_ = false;
  bool broken_ = false;
  int status_ = 0;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 11434;              // 0: any free port (see HttpServer::port())
  size_t max_body = 16 << 20;    // bytes; larger bodies get 413
  int max_connections = 256;     // beyond: 503 and close
  int idle_timeout_ms = 30000;   // keep-alive connections idle this long are closed
  int read_timeout_ms = 30000;   // a started request must arrive within this
};

class HttpServer {
 public:
  using Handler = std::function<void(const HttpRequest&, ResponseWriter&)>;

  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; the actual port is port() afterwards.
  Status Listen();
  // Accepts connections until Stop(). Runs on the calling thread.
  void Serve();
  // Listen() + Serve() on a background thread.
  Status Start();
  void Stop();
  int port() const { return port_; }

 private:
  void Connection(int fd, std::string remote);

  HttpServerOptions options_;
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread serve_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;  // connection threads alive, guarded by mu_
};

}  // namespace fw::server
