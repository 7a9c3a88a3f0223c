// The HTTP/1.1 server under the API handlers, on cpp-httplib: a bounded pool of connection
// threads, keep-alive, Content-Length and chunked request bodies (limited: 413), chunked
// streaming responses, and detection of clients that went away (so a generation is
// cancelled within one engine step). Handlers see only HttpRequest and ResponseWriter;
// httplib stays inside http_server.cc.
//
// Thread-safety: the handler runs on connection threads, several at once. Stop() may be
// called from any thread; it closes the listener and waits for every connection to end.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/http_message.h"

namespace fw::server {

// Something that can tell whether the client of a request hung up. Cheap; never blocks long.
class ClientWatch {
 public:
  virtual ~ClientWatch() = default;
  virtual bool ClientGone() = 0;
};

// The body of a streamed response, written piece by piece (chunked transfer coding).
class StreamSink : public ClientWatch {
 public:
  // False when the client is gone (the producer should stop).
  virtual bool Write(std::string_view data) = 0;
};

// Runs after the handler returned, on the same connection thread, once the status line and
// headers are out. Owns (by capture) everything it needs.
using StreamProducer = std::function<void(StreamSink&)>;

// One response per request: whole (Send) or streamed (Stream). A second call is ignored.
class ResponseWriter : public ClientWatch {
 public:
  virtual void Send(int status, std::string_view content_type, std::string_view body, const HttpHeaders& extra = {}) = 0;
  virtual void Stream(int status, std::string_view content_type, StreamProducer produce, const HttpHeaders& extra = {}) = 0;
  bool sent() const { return status_ != 0; }
  int status() const { return status_; }

 protected:
  int status_ = 0;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 11434;              // 0: any free port (see HttpServer::port())
  size_t max_body = 16 << 20;    // bytes; larger bodies get 413
  int max_connections = 256;     // connection threads; further connections wait for one
  int idle_timeout_ms = 30000;   // keep-alive connections idle this long are closed
  int read_timeout_ms = 30000;   // each read of a started request must complete within this
  int write_timeout_ms = 30000;  // a client that reads nothing this long is dropped
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
  // Listen() + Serve() on a background thread; returns once connections are accepted.
  Status Start();
  void Stop();
  int port() const { return port_; }

 private:
  struct Impl;
  HttpServerOptions options_;
  Handler handler_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace fw::server
