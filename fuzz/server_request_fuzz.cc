// Fuzzes the parsers of outside bytes the server owns (no model): every JSON body ->
// validated request struct (OpenAI and Ollama endpoints), the request body framing decided
// from Content-Length / Transfer-Encoding, and the client's server URL. HTTP messages
// themselves are parsed by cpp-httplib. None may crash, hang, throw or read out of bounds,
// whatever the bytes; a valid framing must also be consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/api_request.h"
#include "server/http_client.h"
#include "server/request_framing.h"

using namespace fw::server;

namespace {
// "name: value" lines (split at the first ':') as a header list, the way they reach
// RequestBodyFraming after the HTTP library split them.
HttpHeaders HeaderLines(std::string_view in) {
  HttpHeaders h;
  while (!in.empty() && h.size() < 64) {
    const size_t nl = in.find('\n');
    const std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    h.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  return h;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the parser; the rest is its input.
  const uint8_t which = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  ApiError err;
  switch (which % 9) {
    case 0: {
      ChatCompletionRequest r;
      (void)ParseChatCompletionRequest(in, r, err);
      break;
    }
    case 1: {
      CompletionRequest r;
      (void)ParseCompletionRequest(in, r, err);
      break;
    }
    case 2: {
      EmbeddingRequest r;
      (void)ParseEmbeddingRequest(in, r, err);
      break;
    }
    case 3: {
      OllamaGenerateRequest r;
      (void)ParseOllamaGenerateRequest(in, r, err);
      break;
    }
    case 4: {
      OllamaChatRequest r;
      (void)ParseOllamaChatRequest(in, r, err);
      break;
    }
    case 5: {
      EmbeddingRequest r;
      (void)ParseOllamaEmbedRequest(in, r, err, (which & 0x10) != 0);
      std::string a, b;
      (void)ParseOllamaModelRequest(in, a, err);
      (void)ParseOllamaCopyRequest(in, a, b, err);
      break;
    }
    case 6: {
      const BodyFraming f = RequestBodyFraming(HeaderLines(in));
      const bool valid = f.error_status == 0;
      // Refused: an error status and a reason; accepted: a length exactly when kLength.
      if (valid != f.error.empty()) std::abort();
      if (!valid && f.error_status != 400 && f.error_status != 501) std::abort();
      if (valid && (f.kind == BodyFraming::Kind::kLength) != (f.length > 0)) std::abort();
      break;
    }
    case 7: {
      auto u = ParseHttpUrl(in);
      if (u.ok() && (u->port < 1 || u->port > 65535)) std::abort();
      break;
    }
    default: {
      nlohmann::json j;
      if (ParseJsonObject(in, j, err) && j.contains("keep_alive")) {
        double s = 0;
        (void)ParseKeepAlive(j["keep_alive"], s, err);
      }
      break;
    }
  }
  return 0;
}
