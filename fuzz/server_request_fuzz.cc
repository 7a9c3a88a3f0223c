// Fuzzes the server's request parsers without a model: the HTTP/1.1 head and chunked-body
// parsers, and every JSON body -> validated request struct (OpenAI and Ollama). They must
// never crash, hang, throw or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/api_request.h"
#include "server/http_parse.h"

using namespace fw::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the parser; the rest is its input.
  const uint8_t which = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  ApiError err;
  switch (which % 10) {
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
      HttpRequest req;
      size_t head = 0;
      ParseError pe;
      if (ParseRequestHead(in, req, head, pe) == ParseResult::kDone) {
        BodyFraming f;
        if (RequestFraming(req.headers, f, pe) && f.kind == BodyFraming::Kind::kChunked) {
          std::string body;
          size_t used = 0;
          (void)DecodeChunked(in.substr(head), body, used, 1 << 20, pe);
        }
      }
      break;
    }
    case 7: {
      std::string body;
      size_t used = 0;
      ParseError pe;
      (void)DecodeChunked(in, body, used, 1 << 16, pe);
      std::string buf(in), out;
      (void)DecodeChunkedStream(buf, out, pe);
      break;
    }
    case 8: {
      HttpResponse resp;
      size_t head = 0;
      ParseError pe;
      if (ParseResponseHead(in, resp, head, pe) == ParseResult::kDone) {
        BodyFraming f;
        (void)ResponseFraming(resp.headers, resp.status, f, pe);
      }
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
