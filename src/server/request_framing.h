// How a request body is delimited, decided from its Content-Length / Transfer-Encoding
// headers before any of it is read. HTTP/1.1 (RFC 9112 §6): chunked is the only transfer
// coding accepted; Content-Length is plain decimal digits; both at once, or two different
// lengths, are refused (a proxy in front could frame the body differently: smuggling).
// Pure function over untrusted header values.
#pragma once

#include <cstdint>
#include <string>

#include "server/http_message.h"

namespace fw::server {

struct BodyFraming {
  enum class Kind { kNone, kLength, kChunked };
  Kind kind = Kind::kNone;
  uint64_t length = 0;     // kLength: the declared size (> 0)
  int error_status = 0;    // 0: valid; else the answer (400, 501) ...
  std::string error;       // ... and why
};

BodyFraming RequestBodyFraming(const HttpHeaders& headers);

}  // namespace fw::server
