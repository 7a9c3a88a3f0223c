#include "server/http_server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/connection_socket.h"
#include "server/request_framing.h"

namespace fw::server {

namespace {
// A body refused for its size is read and dropped (up to this much, until the client pauses
// this long) before the 413, so a client still sending it gets to read the answer.
constexpr size_t kMaxDrainBytes = 64u << 20;
constexpr int kDrainPauseMs = 2000;
constexpr int kChunkedDrainPauseMs = 200;

std::string ErrorJson(const std::string& message) {
  const nlohmann::json j = {
      {"error", {{"message", message}, {"type", "invalid_request_error"}, {"param", nullptr}, {"code", nullptr}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TooLargeMessage(size_t max_body) {
  return "request body larger than the limit of " + std::to_string(max_body) + " bytes";
}

HttpHeaders FromLibrary(const httplib::Headers& headers) {
  HttpHeaders out;
  out.reserve(headers.size());
  for (const auto& [k, v] : headers) out.emplace_back(AsciiLower(k), v);
  return out;
}

// A whole response. close: the connection ends after it. httplib 0.11 lets a handler neither
// close the connection nor reach its socket, but a content provider that delivers the whole
// body and then reports failure makes it send the response and drop the connection.
void SetWhole(httplib::Response& res, int status, std::string_view content_type, std::string_view body,
              const HttpHeaders& extra, bool close) {
  res.status = status;
  for (const auto& [k, v] : extra) res.set_header(k, v);
  if (close) res.set_header("Connection", "close");
  if (content_type.empty()) {
    res.body.assign(body);
    return;
  }
  if (!close || body.empty()) {
    res.set_content(std::string(body), std::string(content_type));
    return;
  }
  auto data = std::make_shared<const std::string>(body);
  res.set_content_provider(data->size(), std::string(content_type),
                           [data](size_t offset, size_t length, httplib::DataSink& sink) {
                             sink.write(data->data() + offset, length);
                             return false;  // done: close (see above)
                           });
}

class LibraryStreamSink final : public StreamSink {
 public:
  LibraryStreamSink(httplib::DataSink& sink, ConnectionSocket& socket) : sink_(sink), socket_(socket) {}
  bool Write(std::string_view data) override {
    if (gone_) return false;
    if (!data.empty() && !sink_.write(data.data(), data.size())) gone_ = true;
    return !gone_;
  }
  // A failed write, a socket httplib no longer finds writable, or a peer that hung up.
  bool ClientGone() override {
    if (!gone_ && (!sink_.is_writable() || socket_.PeerGone())) gone_ = true;
    return gone_;
  }
  bool gone() const { return gone_; }

 private:
  httplib::DataSink& sink_;
  ConnectionSocket& socket_;
  bool gone_ = false;
};

class LibraryResponseWriter final : public ResponseWriter {
 public:
  LibraryResponseWriter(const httplib::Request& req, httplib::Response& res)
      : res_(res), socket_(std::make_shared<ConnectionSocket>(req.local_addr, req.local_port, req.remote_addr, req.remote_port)) {}

  void Send(int status, std::string_view content_type, std::string_view body, const HttpHeaders& extra = {}) override {
    if (sent()) return;
    status_ = status;
    SetWhole(res_, status, content_type, body, extra, close_);
  }

  void Stream(int status, std::string_view content_type, StreamProducer produce, const HttpHeaders& extra = {}) override {
    if (sent()) return;
    status_ = status;
    res_.status = status;
    for (const auto& [k, v] : extra) res_.set_header(k, v);
    res_.set_header("Cache-Control", "no-cache");
    res_.set_header("X-Accel-Buffering", "no");
    if (close_) res_.set_header("Connection", "close");
    // Runs on this connection thread after the handler returned, the socket still open.
    res_.set_chunked_content_provider(
        std::string(content_type), [produce = std::move(produce), socket = socket_](size_t, httplib::DataSink& sink) {
          LibraryStreamSink s(sink, *socket);
          try {
            produce(s);
          } catch (const std::exception&) {
            return false;  // a bug in one stream must not end the server; the client sees a cut stream
          }
          if (s.gone()) return false;
          sink.done();
          return true;
        });
  }

  bool ClientGone() override { return socket_->PeerGone(); }
  void CloseAfter() { close_ = true; }
  ConnectionSocket& socket() { return *socket_; }

 private:
  httplib::Response& res_;
  std::shared_ptr<ConnectionSocket> socket_;  // shared with the stream producer
  bool close_ = false;
};

// One request: its body read under the limit, then the handler.
void Dispatch(const HttpServerOptions& options, const HttpServer::Handler& handler, const httplib::Request& lreq,
              httplib::Response& res, const httplib::ContentReader* reader) {
  HttpRequest req;
  req.method = lreq.method;
  req.path = lreq.path;
  req.headers = FromLibrary(lreq.headers);
  req.remote = lreq.remote_addr;
  LibraryResponseWriter w(lreq, res);
  // HTTP/1.0 closes after each response unless it asked otherwise; say so.
  if (lreq.version == "HTTP/1.0" && lreq.get_header_value("Connection") != "Keep-Alive") w.CloseAfter();

  if (reader != nullptr) {
    const BodyFraming f = RequestBodyFraming(req.headers);
    auto refuse_large = [&] {
      w.CloseAfter();
      w.Send(413, "application/json", ErrorJson(TooLargeMessage(options.max_body)));
    };
    if (f.error_status != 0) {
      w.CloseAfter();
      return w.Send(f.error_status, "application/json", ErrorJson(f.error));
    }
    if (f.kind == BodyFraming::Kind::kLength && f.length > options.max_body) {
      // (A client that asked to wait was refused by the expect handler and sends nothing.)
      w.socket().Drain(static_cast<size_t>(std::min<uint64_t>(f.length, kMaxDrainBytes)), kDrainPauseMs);
      return refuse_large();
    }
    if (f.kind != BodyFraming::Kind::kNone) {
      bool too_large = false;
      const bool ok = (*reader)([&](const char* data, size_t n) {
        if (req.body.size() + n > options.max_body) {
          too_large = true;
          return false;
        }
        req.body.append(data, n);
        return true;
      });
      if (too_large) {
        w.socket().Drain(kMaxDrainBytes, kChunkedDrainPauseMs);  // its end is unknown: a shorter pause
        return refuse_large();
      }
      if (!ok) {
        w.CloseAfter();
        return w.Send(400, "application/json", ErrorJson("incomplete or malformed request body"));
      }
    }
  }

  try {
    handler(req, w);
  } catch (const std::exception& e) {
    // A bug or an allocation failure in one request must not take the server down.
    w.CloseAfter();
    if (!w.sent()) w.Send(500, "application/json", ErrorJson(std::string("internal error: ") + e.what()));
  }
  if (!w.sent()) w.Send(500, "application/json", ErrorJson("the handler sent no response"));
}

}  // namespace

struct HttpServer::Impl {
  httplib::Server lib;
  std::thread thread;
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)), impl_(std::make_unique<Impl>()) {
  httplib::Server& lib = impl_->lib;
  const size_t threads = static_cast<size_t>(std::max(1, options_.max_connections));
  lib.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Not the library's default options: SO_REUSEPORT would let a second server share the port.
  lib.set_socket_options([](int sock) {
    int one = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  });
  lib.set_tcp_nodelay(true);  // accepted sockets inherit it: streamed tokens go out at once
  lib.set_keep_alive_max_count(1u << 30);
  lib.set_keep_alive_timeout(std::max(1, options_.idle_timeout_ms / 1000));
  lib.set_read_timeout(options_.read_timeout_ms / 1000, (options_.read_timeout_ms % 1000) * 1000);
  lib.set_write_timeout(options_.write_timeout_ms / 1000, (options_.write_timeout_ms % 1000) * 1000);
  // Bodies are read by Dispatch with its own limit; this only guards the library's paths.
  lib.set_payload_max_length(options_.max_body);

  // A client that asked to wait before sending gets the go-ahead unless the body is already
  // known to be refused.
  lib.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    const BodyFraming f = RequestBodyFraming(FromLibrary(req.headers));
    if (f.error_status != 0) {
      SetWhole(res, f.error_status, "application/json", ErrorJson(f.error), {}, true);
      return f.error_status;
    }
    if (f.kind == BodyFraming::Kind::kLength && f.length > options_.max_body) {
      SetWhole(res, 413, "application/json", ErrorJson(TooLargeMessage(options_.max_body)), {}, true);
      return 413;
    }
    return 100;
  });
  // Errors the library answers itself (malformed request line or headers, target too long,
  // refused expectations) get the same JSON error object, and the connection ends.
  lib.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    switch (res.status) {
      case 400: message = "malformed HTTP request"; break;
      case 404: message = "no such endpoint"; break;
      case 413: message = TooLargeMessage(options_.max_body); break;
      case 414: message = "request target too long"; break;
      default: message = "HTTP error " + std::to_string(res.status); break;
    }
    SetWhole(res, res.status, "application/json", ErrorJson(message), {}, true);
    return httplib::Server::HandlerResponse::Handled;
  }));

  // Every path goes to the handler, which routes itself (and answers 404/405).
  auto plain = [this](const httplib::Request& req, httplib::Response& res) { Dispatch(options_, handler_, req, res, nullptr); };
  auto with_body = [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    Dispatch(options_, handler_, req, res, &reader);
  };
  lib.Get(".*", plain);  // and HEAD: the library sends the head only
  lib.Options(".*", plain);
  lib.Post(".*", with_body);
  lib.Put(".*", with_body);
  lib.Patch(".*", with_body);
  lib.Delete(".*", with_body);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen() {
  httplib::Server& lib = impl_->lib;
  if (options_.port == 0) {
    port_ = lib.bind_to_any_port(options_.host);
    if (port_ > 0) return Status::Ok();
  } else if (lib.bind_to_port(options_.host, options_.port)) {
    port_ = options_.port;
    return Status::Ok();
  }
  port_ = 0;
  return Status::Error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                       " (address in use, or not an address of this machine)");
}

void HttpServer::Serve() { impl_->lib.listen_after_bind(); }

Status HttpServer::Start() {
  FW_RETURN_IF_ERROR(Listen());
  impl_->thread = std::thread([this] { Serve(); });
  // stop() only acts on a running server: wait until it runs, so Stop() right after works.
  for (int i = 0; i < 5000 && !impl_->lib.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::Ok();
}

void HttpServer::Stop() {
  const bool running = impl_->lib.is_running();
  impl_->lib.stop();  // closes the listener; Serve() returns once every connection thread ended
  if (running && port_ > 0) ShutdownServerConnections(port_);  // idle keep-alive ones end now
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace fw::server
