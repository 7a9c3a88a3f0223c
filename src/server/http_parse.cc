#include "server/http_parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fw::server {

const char* StatusReason(int s) {
  switch (s) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {

bool IsTokenChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult Fail(ParseError& err, int status, std::string msg) {
  err.status = status;
  err.message = std::move(msg);
  return ParseResult::kError;
}

// Splits the head into lines and parses the header lines after the first.
ParseResult ParseHeaders(std::string_view head, std::string_view& first_line, HttpHeaders& headers, ParseError& err) {
  size_t eol = head.find("\r\n");
  first_line = head.substr(0, eol);
  size_t pos = eol + 2;
  while (pos < head.size()) {
    const size_t e = head.find("\r\n", pos);
    const std::string_view line = head.substr(pos, e - pos);
    pos = e + 2;
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return Fail(err, 400, "obsolete header line folding is not supported");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Fail(err, 400, "malformed header line");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) return Fail(err, 400, "invalid header name");
    const std::string_view value = Trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return Fail(err, 400, "control character in a header value");
    if (headers.size() >= kMaxHeaders) return Fail(err, 431, "too many header fields");
    headers.emplace_back(Lower(name), std::string(value));
  }
  return ParseResult::kDone;
}

ParseResult FindHead(std::string_view buf, size_t& head_bytes, ParseError& err) {
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() > kMaxHeadBytes) return Fail(err, 431, "request head larger than 64 KiB");
    return ParseResult::kNeedMore;
  }
  if (end + 4 > kMaxHeadBytes) return Fail(err, 431, "request head larger than 64 KiB");
  head_bytes = end + 4;
  return ParseResult::kDone;
}

bool ParseUint(std::string_view s, uint64_t& v, int base = 10) {
  if (s.empty() || s.size() > 18) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

ParseResult ParseRequestHead(std::string_view buf, HttpRequest& req, size_t& head_bytes, ParseError& err) {
  // Tolerate blank lines before a request (RFC 9112 section 2.2).
  size_t skip = 0;
  while (buf.substr(skip, 2) == "\r\n") skip += 2;
  ParseResult r = FindHead(buf.substr(skip), head_bytes, err);
  if (r != ParseResult::kDone) return r;
  std::string_view first;
  req.headers.clear();
  r = ParseHeaders(buf.substr(skip, head_bytes), first, req.headers, err);
  if (r != ParseResult::kDone) return r;
  head_bytes += skip;
  const size_t sp1 = first.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || first.find(' ', sp2 + 1) != std::string_view::npos)
    return Fail(err, 400, "malformed request line");
  const std::string_view method = first.substr(0, sp1);
  const std::string_view target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = first.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) return Fail(err, 400, "invalid method");
  if (target.empty() || target.front() != '/') return Fail(err, 400, "the request target must be an absolute path");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Fail(err, 400, "invalid character in the request target");
  if (version == "HTTP/1.1") req.version_minor = 1;
  else if (version == "HTTP/1.0") req.version_minor = 0;
  else return Fail(err, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
  req.method = std::string(method);
  req.target = std::string(target);
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  req.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  return ParseResult::kDone;
}

ParseResult ParseResponseHead(std::string_view buf, HttpResponse& resp, size_t& head_bytes, ParseError& err) {
  ParseResult r = FindHead(buf, head_bytes, err);
  if (r != ParseResult::kDone) return r;
  std::string_view first;
  resp.headers.clear();
  r = ParseHeaders(buf.substr(0, head_bytes), first, resp.headers, err);
  if (r != ParseResult::kDone) return r;
  if (first.size() < 12 || first.substr(0, 7) != "HTTP/1." || first[8] != ' ') return Fail(err, 400, "malformed status line");
  uint64_t code = 0;
  if (!ParseUint(first.substr(9, 3), code) || code < 100 || code > 999) return Fail(err, 400, "malformed status code");
  resp.status = static_cast<int>(code);
  return ParseResult::kDone;
}

namespace {
bool Framing(const HttpHeaders& h, BodyFraming& f, ParseError& err, BodyFraming::Kind fallback) {
  std::string_view te, cl;
  int n_cl = 0;
  for (const auto& [k, v] : h) {
    if (k == "transfer-encoding") te = v;
    if (k == "content-length") {
      if (n_cl++ > 0 && v != cl) {
        err = {400, "conflicting Content-Length headers"};
        return false;
      }
      cl = v;
    }
  }
  if (!te.empty()) {
    if (Lower(te) != "chunked") {
      err = {501, "unsupported Transfer-Encoding (only chunked)"};
      return false;
    }
    if (!cl.empty()) {
      err = {400, "both Content-Length and Transfer-Encoding"};
      return false;
    }
    f.kind = BodyFraming::Kind::kChunked;
    return true;
  }
  if (!cl.empty()) {
    if (!ParseUint(cl, f.length)) {
      err = {400, "invalid Content-Length"};
      return false;
    }
    f.kind = f.length == 0 ? BodyFraming::Kind::kNone : BodyFraming::Kind::kLength;
    return true;
  }
  f.kind = fallback;
  return true;
}
}  // namespace

bool RequestFraming(const HttpHeaders& h, BodyFraming& f, ParseError& err) {
  return Framing(h, f, err, BodyFraming::Kind::kNone);
}

bool ResponseFraming(const HttpHeaders& h, int status, BodyFraming& f, ParseError& err) {
  if (status == 204 || status == 304 || status < 200) {
    f.kind = BodyFraming::Kind::kNone;
    return true;
  }
  return Framing(h, f, err, BodyFraming::Kind::kUntilClose);
}

namespace {
// One chunk at buf[pos]: kDone with its data range, or kNeedMore / kError.
ParseResult NextChunk(std::string_view buf, size_t pos, size_t& data_begin, uint64_t& size, size_t& next, ParseError& err) {
  const size_t eol = buf.find("\r\n", pos);
  if (eol == std::string_view::npos) {
    if (buf.size() - pos > 1024) return Fail(err, 400, "chunk size line too long");
    return ParseResult::kNeedMore;
  }
  std::string_view line = buf.substr(pos, eol - pos);
  line = line.substr(0, line.find(';'));  // chunk extensions are ignored
  line = Trim(line);
  if (!ParseUint(line, size, 16)) return Fail(err, 400, "malformed chunk size");
  data_begin = eol + 2;
  if (size == 0) {
    // Trailers until a blank line.
    size_t p = data_begin;
    for (;;) {
      const size_t e = buf.find("\r\n", p);
      if (e == std::string_view::npos) return buf.size() - p > kMaxHeadBytes ? Fail(err, 431, "trailers too large") : ParseResult::kNeedMore;
      if (e == p) {
        next = e + 2;
        return ParseResult::kDone;
      }
      p = e + 2;
    }
  }
  if (buf.size() < data_begin + size + 2) return ParseResult::kNeedMore;
  if (buf.substr(data_begin + size, 2) != "\r\n") return Fail(err, 400, "chunk data not followed by CRLF");
  next = data_begin + size + 2;
  return ParseResult::kDone;
}
}  // namespace

ParseResult DecodeChunked(std::string_view buf, std::string& out, size_t& consumed, size_t max_bytes, ParseError& err) {
  out.clear();
  size_t pos = 0;
  for (;;) {
    size_t data = 0, next = 0;
    uint64_t size = 0;
    ParseResult r = NextChunk(buf, pos, data, size, next, err);
    if (r == ParseResult::kError) return r;
    if (r == ParseResult::kNeedMore) {
      if (size > 0 && out.size() + size > max_bytes) return Fail(err, 413, "request body too large");
      return r;
    }
    if (size == 0) {
      consumed = next;
      return ParseResult::kDone;
    }
    if (out.size() + size > max_bytes) return Fail(err, 413, "request body too large");
    out.append(buf.substr(data, size));
    pos = next;
  }
}

ParseResult DecodeChunkedStream(std::string& buf, std::string& out, ParseError& err) {
  size_t pos = 0;
  ParseResult r = ParseResult::kNeedMore;
  for (;;) {
    size_t data = 0, next = 0;
    uint64_t size = 0;
    r = NextChunk(buf, pos, data, size, next, err);
    if (r != ParseResult::kDone) break;
    out.append(buf, data, size);
    pos = next;
    if (size == 0) break;
  }
  buf.erase(0, pos);
  return r;
}

}  // namespace fw::server
