// Request bodies of the OpenAI (/v1/*) and Ollama (/api/*) endpoints: JSON text -> validated
// structs. Every function here is pure (no model needed) and total: malformed JSON, invalid
// UTF-8, wrong types, out-of-range values and excessive nesting give an ApiError, never an
// exception or a crash. fuzz/server_request_fuzz.cc drives them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sampling_params.h"

namespace fw::server {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";  // OpenAI error type
  std::string param;                           // offending field, "" when none
  std::string code;                            // OpenAI error code, "" when none
};

// A prompt given as text or as token ids.
struct PromptInput {
  bool is_ids = false;
  std::string text;
  std::vector<int32_t> ids;
};

struct ChatMessage {
  std::string role;
  std::string content;  // text parts joined
  nlohmann::json extra; // other fields (tool_calls, name, ...) passed to the template as is
};

// What every generation endpoint boils down to.
struct GenerationParams {
  std::string model;
  bool stream = false;
  int32_t max_tokens = -1;  // -1: until the context ends
  engine::SamplingParams sampling;
  std::vector<std::string> stop;
  int32_t logprobs = -1;    // -1: off; else number of top alternatives (0 = only the chosen token)
  bool json = false;        // response_format json_object / format "json"
  bool ignore_eos = false;  // llama-server's extension: keep generating past end-of-text
  double keep_alive_s = -2; // Ollama keep_alive: -2 not given, <0 forever, 0 unload now
};

struct ChatCompletionRequest {  // POST /v1/chat/completions
  GenerationParams gen;
  std::vector<ChatMessage> messages;
  nlohmann::json tools;  // null when absent
  bool include_usage = false;
};

struct CompletionRequest {  // POST /v1/completions
  GenerationParams gen;
  std::vector<PromptInput> prompts;  // one choice per prompt
  bool echo = false;
  bool include_usage = false;
};

struct EmbeddingRequest {  // POST /v1/embeddings and POST /api/embed (and legacy /api/embeddings)
  std::string model;
  std::vector<PromptInput> inputs;
  bool base64 = false;       // OpenAI encoding_format "base64"
  bool truncate = true;      // Ollama: cut inputs at the context length
  double keep_alive_s = -2;
  bool legacy_single = false;  // /api/embeddings: {"prompt": "..."} -> {"embedding": [...]}
};

struct OllamaGenerateRequest {  // POST /api/generate
  GenerationParams gen;
  std::string prompt, system, suffix, template_override;
  bool raw = false;
  std::vector<int32_t> context;
};

struct OllamaChatRequest {  // POST /api/chat
  GenerationParams gen;
  std::vector<ChatMessage> messages;
  nlohmann::json tools;
};

// Parses JSON text strictly (UTF-8 checked, nesting at most kMaxJsonDepth). Top level must be
// an object.
inline constexpr int kMaxJsonDepth = 64;
bool ParseJsonObject(std::string_view body, nlohmann::json& out, ApiError& err);

bool ParseChatCompletionRequest(std::string_view body, ChatCompletionRequest& out, ApiError& err);
bool ParseCompletionRequest(std::string_view body, CompletionRequest& out, ApiError& err);
bool ParseEmbeddingRequest(std::string_view body, EmbeddingRequest& out, ApiError& err);
bool ParseOllamaGenerateRequest(std::string_view body, OllamaGenerateRequest& out, ApiError& err);
bool ParseOllamaChatRequest(std::string_view body, OllamaChatRequest& out, ApiError& err);
bool ParseOllamaEmbedRequest(std::string_view body, EmbeddingRequest& out, ApiError& err, bool legacy);
// {"model": "..."} (also "name", older clients) for /api/show and /api/delete.
bool ParseOllamaModelRequest(std::string_view body, std::string& model, ApiError& err);
bool ParseOllamaCopyRequest(std::string_view body, std::string& source, std::string& destination, ApiError& err);

// Ollama's keep_alive: a duration string ("5m", "1h30m", "10s", "0", "-1") or seconds.
bool ParseKeepAlive(const nlohmann::json& v, double& seconds, ApiError& err);

}  // namespace fw::server
