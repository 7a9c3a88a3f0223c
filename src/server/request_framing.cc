#include "server/request_framing.h"

#include <string_view>

namespace fw::server {

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decimal digits only, no sign, no overflow.
bool ParseLength(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits always fit in 64 bits
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

BodyFraming Refuse(int status, std::string why) {
  BodyFraming f;
  f.error_status = status;
  f.error = std::move(why);
  return f;
}
}  // namespace

BodyFraming RequestBodyFraming(const HttpHeaders& headers) {
  int n_te = 0, n_cl = 0;
  std::string_view te, cl;
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoringAsciiCase(k, "transfer-encoding")) {
      ++n_te;
      te = Trim(v);
    } else if (EqualsIgnoringAsciiCase(k, "content-length")) {
      if (n_cl++ > 0 && Trim(v) != cl) return Refuse(400, "conflicting Content-Length headers");
      cl = Trim(v);
    }
  }
  BodyFraming f;
  if (n_te > 0) {
    if (n_te > 1 || !EqualsIgnoringAsciiCase(te, "chunked")) return Refuse(501, "unsupported Transfer-Encoding (only chunked)");
    if (n_cl > 0) return Refuse(400, "both Content-Length and Transfer-Encoding");
    f.kind = BodyFraming::Kind::kChunked;
    return f;
  }
  if (n_cl > 0) {
    if (!ParseLength(cl, f.length)) return Refuse(400, "invalid Content-Length");
    f.kind = f.length == 0 ? BodyFraming::Kind::kNone : BodyFraming::Kind::kLength;
  }
  return f;
}

}  // namespace fw::server
