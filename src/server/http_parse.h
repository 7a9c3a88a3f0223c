// Incremental HTTP/1.1 message parsing over a byte buffer, shared by the server (requests)
// and the client (responses). Pure functions over the bytes received so far; strict about
// syntax, bounded in what they accept (no allocation beyond the limits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http_message.h"

namespace fw::server {

enum class ParseResult { kNeedMore, kDone, kError };

struct ParseError {
  int status = 400;     // the response the server should send (400, 413, 431, 501, 505)
  std::string message;
};

inline constexpr size_t kMaxHeadBytes = 64 * 1024;
inline constexpr size_t kMaxHeaders = 100;

// Parses the request line and headers at the start of buf. On kDone, head_bytes is the
// length of the head including the blank line. Fills method/target/path/query/headers.
ParseResult ParseRequestHead(std::string_view buf, HttpRequest& req, size_t& head_bytes, ParseError& err);
// Same for a response head ("HTTP/1.1 200 OK").
ParseResult ParseResponseHead(std::string_view buf, HttpResponse& resp, size_t& head_bytes, ParseError& err);

// How the body after a head is delimited.
struct BodyFraming {
  enum class Kind { kNone, kLength, kChunked, kUntilClose };
  Kind kind = Kind::kNone;
  uint64_t length = 0;
};
// From Content-Length / Transfer-Encoding. Requests without either have no body; responses
// read until the connection closes. Conflicting or malformed values are errors.
bool RequestFraming(const HttpHeaders& h, BodyFraming& f, ParseError& err);
bool ResponseFraming(const HttpHeaders& h, int status, BodyFraming& f, ParseError& err);

// Decodes chunked transfer coding from buf (the bytes after the head). On kDone, consumed is
// how many bytes the body took and out holds the data. Fails when the data exceeds max_bytes
// (err.status 413).
ParseResult DecodeChunked(std::string_view buf, std::string& out, size_t& consumed, size_t max_bytes, ParseError& err);

// Incremental variant for streamed responses: appends the data of every complete chunk in
// buf to out and removes those bytes from buf; returns kDone after the last chunk.
ParseResult DecodeChunkedStream(std::string& buf, std::string& out, ParseError& err);

}  // namespace fw::server
