#include "server/api_request.h"

#include <cctype>
#include <cmath>
#include <limits>

namespace fw::server {

using nlohmann::json;

namespace {

bool Fail(ApiError& err, std::string message, std::string param = "") {
  err.status = 400;
  err.type = "invalid_request_error";
  err.message = std::move(message);
  err.param = std::move(param);
  err.code = "";
  return false;
}

// Depth of [ / { nesting outside strings; cheap pre-check that keeps the parser shallow.
bool DepthWithin(std::string_view s, int limit) {
  int depth = 0;
  bool in_string = false, escape = false;
  for (char c : s) {
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

const json* Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

bool GetString(const json& obj, const char* key, std::string& out, ApiError& err, bool required = false) {
  const json* v = Field(obj, key);
  if (v == nullptr) return required ? Fail(err, std::string("'") + key + "' is required", key) : true;
  if (!v->is_string()) return Fail(err, std::string("'") + key + "' must be a string", key);
  out = v->get<std::string>();
  return true;
}

bool GetBool(const json& obj, const char* key, bool& out, ApiError& err) {
  const json* v = Field(obj, key);
  if (v == nullptr) return true;
  if (!v->is_boolean()) return Fail(err, std::string("'") + key + "' must be a boolean", key);
  out = v->get<bool>();
  return true;
}

bool GetNumber(const json& obj, const char* key, double lo, double hi, std::optional<double>& out, ApiError& err) {
  const json* v = Field(obj, key);
  if (v == nullptr) return true;
  if (!v->is_number()) return Fail(err, std::string("'") + key + "' must be a number", key);
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    return Fail(err, std::string("'") + key + "' must be between " + json(lo).dump() + " and " + json(hi).dump(), key);
  out = d;
  return true;
}

bool GetInt(const json& obj, const char* key, int64_t lo, int64_t hi, std::optional<int64_t>& out, ApiError& err) {
  const json* v = Field(obj, key);
  if (v == nullptr) return true;
  bool integral = v->is_number_integer();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    integral = std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15;
  }
  if (!integral) return Fail(err, std::string("'") + key + "' must be an integer", key);
  int64_t i = 0;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    i = u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                       : static_cast<int64_t>(u);
  } else if (v->is_number_float()) {
    i = static_cast<int64_t>(v->get<double>());
  } else {
    i = v->get<int64_t>();
  }
  if (i < lo || i > hi)
    return Fail(err, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi), key);
  out = i;
  return true;
}

bool GetStop(const json& obj, const char* key, std::vector<std::string>& out, ApiError& err) {
  const json* v = Field(obj, key);
  if (v == nullptr) return true;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return true;
  }
  if (!v->is_array()) return Fail(err, std::string("'") + key + "' must be a string or an array of strings", key);
  if (v->size() > 16) return Fail(err, std::string("'") + key + "' allows at most 16 sequences", key);
  for (const auto& s : *v) {
    if (!s.is_string()) return Fail(err, std::string("'") + key + "' must be a string or an array of strings", key);
    out.push_back(s.get<std::string>());
  }
  return true;
}

bool RejectUnknownModel(const json& obj, std::string& model, ApiError& err) {
  if (!GetString(obj, "model", model, err, true)) return false;
  if (model.empty()) return Fail(err, "'model' must not be empty", "model");
  return true;
}

// OpenAI sampling fields shared by chat and completions.
bool ParseOpenAiSampling(const json& j, GenerationParams& g, ApiError& err) {
  std::optional<double> temperature, top_p, freq, pres;
  std::optional<int64_t> seed, n, max_tokens, max_completion;
  if (!GetNumber(j, "temperature", 0, 2, temperature, err) || !GetNumber(j, "top_p", 0, 1, top_p, err) ||
      !GetNumber(j, "frequency_penalty", -2, 2, freq, err) || !GetNumber(j, "presence_penalty", -2, 2, pres, err) ||
      !GetInt(j, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), seed, err) ||
      !GetInt(j, "n", 1, 128, n, err) || !GetInt(j, "max_tokens", 0, 1 << 30, max_tokens, err) ||
      !GetInt(j, "max_completion_tokens", 0, 1 << 30, max_completion, err) || !GetStop(j, "stop", g.stop, err) ||
      !GetBool(j, "stream", g.stream, err) || !GetBool(j, "ignore_eos", g.ignore_eos, err))
    return false;
  if (n && *n != 1) return Fail(err, "only n = 1 is supported", "n");
  g.sampling.temperature = static_cast<float>(temperature.value_or(1.0));
  g.sampling.top_p = static_cast<float>(top_p.value_or(1.0));
  if (seed) g.sampling.seed = static_cast<uint64_t>(*seed);
  if (max_completion) g.max_tokens = static_cast<int32_t>(*max_completion);
  else if (max_tokens) g.max_tokens = static_cast<int32_t>(*max_tokens);
  return true;
}

bool ParseIncludeUsage(const json& j, bool& include, ApiError& err) {
  const json* so = Field(j, "stream_options");
  if (so == nullptr) return true;
  if (!so->is_object()) return Fail(err, "'stream_options' must be an object", "stream_options");
  return GetBool(*so, "include_usage", include, err);
}

bool ParseMessages(const json& j, std::vector<ChatMessage>& out, ApiError& err, bool openai) {
  const json* m = Field(j, "messages");
  if (m == nullptr) return openai ? Fail(err, "'messages' is required", "messages") : true;
  if (!m->is_array()) return Fail(err, "'messages' must be an array", "messages");
  if (openai && m->empty()) return Fail(err, "'messages' must not be empty", "messages");
  for (size_t i = 0; i < m->size(); ++i) {
    const json& msg = (*m)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!msg.is_object()) return Fail(err, "'" + where + "' must be an object", where);
    ChatMessage cm;
    if (!GetString(msg, "role", cm.role, err, true)) return Fail(err, "'" + where + ".role' must be a string", where + ".role");
    static const char* kRoles[] = {"system", "developer", "user", "assistant", "tool", "function"};
    bool known = false;
    for (const char* r : kRoles) known |= cm.role == r;
    if (!known) return Fail(err, "'" + where + ".role' must be one of system, developer, user, assistant, tool", where + ".role");
    const json* c = Field(msg, "content");
    if (c == nullptr) {
      if (cm.role != "assistant" || !msg.contains("tool_calls"))
        if (cm.role != "assistant") return Fail(err, "'" + where + ".content' is required", where + ".content");
    } else if (c->is_string()) {
      cm.content = c->get<std::string>();
    } else if (c->is_array()) {
      for (const auto& part : *c) {
        if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
          return Fail(err, "'" + where + ".content' parts must be objects with a 'type'", where + ".content");
        const std::string type = part["type"].get<std::string>();
        if (type == "text") {
          if (!part.contains("text") || !part["text"].is_string())
            return Fail(err, "a text part needs a string 'text'", where + ".content");
          cm.content += part["text"].get<std::string>();
        } else {
          return Fail(err, "content parts of type '" + type + "' are not supported (text only)", where + ".content");
        }
      }
    } else {
      return Fail(err, "'" + where + ".content' must be a string or an array of parts", where + ".content");
    }
    if (!openai) {
      const json* images = Field(msg, "images");
      if (images != nullptr && (!images->is_array() || !images->empty()))
        return Fail(err, "images are not supported by this model", where + ".images");
    }
    for (auto it = msg.begin(); it != msg.end(); ++it)
      if (it.key() != "role" && it.key() != "content") cm.extra[it.key()] = it.value();
    out.push_back(std::move(cm));
  }
  return true;
}

bool ParsePrompts(const json& v, const char* key, std::vector<PromptInput>& out, ApiError& err) {
  auto ids_of = [&](const json& arr, PromptInput& p) -> bool {
    p.is_ids = true;
    for (const auto& t : arr) {
      if (!t.is_number_integer()) return Fail(err, std::string("'") + key + "' token arrays must hold integers", key);
      const int64_t id = t.get<int64_t>();
      if (id < 0 || id > std::numeric_limits<int32_t>::max())
        return Fail(err, std::string("'") + key + "' holds an invalid token id", key);
      p.ids.push_back(static_cast<int32_t>(id));
    }
    return true;
  };
  if (v.is_string()) {
    out.push_back({false, v.get<std::string>(), {}});
    return true;
  }
  if (!v.is_array()) return Fail(err, std::string("'") + key + "' must be a string, an array of strings, or token ids", key);
  if (v.empty()) return Fail(err, std::string("'") + key + "' must not be empty", key);
  if (v[0].is_number()) {
    PromptInput p;
    if (!ids_of(v, p)) return false;
    out.push_back(std::move(p));
    return true;
  }
  if (v.size() > 256) return Fail(err, std::string("'") + key + "' allows at most 256 entries", key);
  for (const auto& e : v) {
    PromptInput p;
    if (e.is_string()) p.text = e.get<std::string>();
    else if (e.is_array()) {
      if (!ids_of(e, p)) return false;
    } else {
      return Fail(err, std::string("'") + key + "' must be a string, an array of strings, or token ids", key);
    }
    out.push_back(std::move(p));
  }
  return true;
}

bool ParseResponseFormat(const json& j, bool& json_mode, ApiError& err) {
  const json* rf = Field(j, "response_format");
  if (rf == nullptr) return true;
  if (!rf->is_object() || !rf->contains("type") || !(*rf)["type"].is_string())
    return Fail(err, "'response_format' must be an object with a 'type'", "response_format");
  const std::string type = (*rf)["type"].get<std::string>();
  if (type == "text") return true;
  if (type == "json_object" || type == "json_schema") {
    json_mode = true;  // json_schema: constrained to a JSON object (the schema itself is not enforced)
    return true;
  }
  return Fail(err, "'response_format.type' must be 'text', 'json_object' or 'json_schema'", "response_format.type");
}

// Ollama's "options" object and "format".
bool ParseOllamaCommon(const json& j, GenerationParams& g, ApiError& err) {
  g.stream = true;
  g.sampling.temperature = 0.8f;
  g.sampling.top_k = 40;
  g.sampling.top_p = 0.9f;
  g.sampling.repeat_penalty = 1.1f;
  if (!RejectUnknownModel(j, g.model, err) || !GetBool(j, "stream", g.stream, err)) return false;
  if (const json* f = Field(j, "format")) {
    if (f->is_string()) {
      const std::string s = f->get<std::string>();
      if (s == "json") g.json = true;
      else if (!s.empty()) return Fail(err, "'format' must be \"json\" or a JSON schema object", "format");
    } else if (f->is_object()) {
      g.json = true;  // a schema: constrained to a JSON object (the schema itself is not enforced)
    } else {
      return Fail(err, "'format' must be \"json\" or a JSON schema object", "format");
    }
  }
  if (const json* ka = Field(j, "keep_alive"))
    if (!ParseKeepAlive(*ka, g.keep_alive_s, err)) return false;
  const json* o = Field(j, "options");
  if (o == nullptr) return true;
  if (!o->is_object()) return Fail(err, "'options' must be an object", "options");
  std::optional<double> temperature, top_p, min_p, repeat_penalty;
  std::optional<int64_t> top_k, num_predict, num_ctx, seed, repeat_last_n;
  if (!GetNumber(*o, "temperature", 0, 100, temperature, err) || !GetNumber(*o, "top_p", 0, 1, top_p, err) ||
      !GetNumber(*o, "min_p", 0, 1, min_p, err) || !GetNumber(*o, "repeat_penalty", 0, 100, repeat_penalty, err) ||
      !GetInt(*o, "top_k", 0, 1 << 30, top_k, err) || !GetInt(*o, "num_predict", -2, 1 << 30, num_predict, err) ||
      !GetInt(*o, "num_ctx", 0, 1 << 30, num_ctx, err) || !GetInt(*o, "repeat_last_n", -1, 1 << 30, repeat_last_n, err) ||
      !GetInt(*o, "seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), seed, err) ||
      !GetStop(*o, "stop", g.stop, err))
    return false;
  if (temperature) g.sampling.temperature = static_cast<float>(*temperature);
  if (top_p) g.sampling.top_p = static_cast<float>(*top_p);
  if (min_p) g.sampling.min_p = static_cast<float>(*min_p);
  if (repeat_penalty) g.sampling.repeat_penalty = static_cast<float>(*repeat_penalty);
  if (top_k) g.sampling.top_k = static_cast<int32_t>(*top_k);
  if (repeat_last_n) g.sampling.repeat_last_n = static_cast<int32_t>(*repeat_last_n);
  if (seed && *seed >= 0) g.sampling.seed = static_cast<uint64_t>(*seed);
  if (num_predict && *num_predict >= 0) g.max_tokens = static_cast<int32_t>(*num_predict);
  return true;
}

}  // namespace

bool ParseJsonObject(std::string_view body, json& out, ApiError& err) {
  if (body.empty()) return Fail(err, "the request body is empty; send a JSON object");
  if (!DepthWithin(body, kMaxJsonDepth)) return Fail(err, "the JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  try {
    out = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." -> after the id.
    const size_t p = what.find("] ");
    return Fail(err, "invalid JSON in the request body: " + (p == std::string::npos ? what : what.substr(p + 2)));
  }
  if (!out.is_object()) return Fail(err, "the request body must be a JSON object");
  return true;
}

bool ParseKeepAlive(const json& v, double& seconds, ApiError& err) {
  if (v.is_number()) {
    seconds = v.get<double>();
    if (!std::isfinite(seconds)) return Fail(err, "'keep_alive' must be finite", "keep_alive");
    return true;
  }
  if (!v.is_string()) return Fail(err, "'keep_alive' must be a duration string like \"5m\" or a number of seconds", "keep_alive");
  std::string s = v.get<std::string>();
  if (s.empty()) {
    seconds = -2;
    return true;
  }
  bool negative = false;
  size_t i = 0;
  if (s[0] == '-') {
    negative = true;
    i = 1;
  }
  double total = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i || j - i > 12) return Fail(err, "'keep_alive' is not a valid duration: " + s, "keep_alive");
    double num = 0;
    try {
      num = std::stod(s.substr(i, j - i));
    } catch (...) {
      return Fail(err, "'keep_alive' is not a valid duration: " + s, "keep_alive");
    }
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    const std::string unit = s.substr(j, k - j);
    double mul = 0;
    if (unit.empty()) mul = 1;
    else if (unit == "ns") mul = 1e-9;
    else if (unit == "us" || unit == "µs") mul = 1e-6;
    else if (unit == "ms") mul = 1e-3;
    else if (unit == "s") mul = 1;
    else if (unit == "m") mul = 60;
    else if (unit == "h") mul = 3600;
    else return Fail(err, "'keep_alive' has an unknown unit '" + unit + "'", "keep_alive");
    total += num * mul;
    any = true;
    i = k;
  }
  if (!any) return Fail(err, "'keep_alive' is not a valid duration: " + s, "keep_alive");
  seconds = negative ? -total - (total == 0 ? 1 : 0) : total;
  return true;
}

bool ParseChatCompletionRequest(std::string_view body, ChatCompletionRequest& out, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err) || !RejectUnknownModel(j, out.gen.model, err) ||
      !ParseOpenAiSampling(j, out.gen, err) || !ParseMessages(j, out.messages, err, true) ||
      !ParseResponseFormat(j, out.gen.json, err) || !ParseIncludeUsage(j, out.include_usage, err))
    return false;
  bool logprobs = false;
  std::optional<int64_t> top;
  if (!GetBool(j, "logprobs", logprobs, err) || !GetInt(j, "top_logprobs", 0, 20, top, err)) return false;
  if (top && !logprobs) return Fail(err, "'top_logprobs' requires 'logprobs' to be true", "top_logprobs");
  if (logprobs) out.gen.logprobs = static_cast<int32_t>(top.value_or(0));
  if (const json* t = Field(j, "tools")) {
    if (!t->is_array()) return Fail(err, "'tools' must be an array", "tools");
    out.tools = *t;
  }
  return true;
}

bool ParseCompletionRequest(std::string_view body, CompletionRequest& out, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err) || !RejectUnknownModel(j, out.gen.model, err) ||
      !ParseOpenAiSampling(j, out.gen, err) || !GetBool(j, "echo", out.echo, err) ||
      !ParseIncludeUsage(j, out.include_usage, err))
    return false;
  if (!j.contains("max_tokens") || j["max_tokens"].is_null()) out.gen.max_tokens = 16;  // OpenAI's default
  const json* p = Field(j, "prompt");
  if (p == nullptr) return Fail(err, "'prompt' is required", "prompt");
  if (!ParsePrompts(*p, "prompt", out.prompts, err)) return false;
  std::optional<int64_t> lp;
  if (!GetInt(j, "logprobs", 0, 20, lp, err)) return false;
  if (lp) out.gen.logprobs = static_cast<int32_t>(*lp);
  if (const json* suffix = Field(j, "suffix"); suffix != nullptr)
    return Fail(err, "'suffix' is not supported", "suffix");
  return true;
}

bool ParseEmbeddingRequest(std::string_view body, EmbeddingRequest& out, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err) || !RejectUnknownModel(j, out.model, err)) return false;
  const json* in = Field(j, "input");
  if (in == nullptr) return Fail(err, "'input' is required", "input");
  if (!ParsePrompts(*in, "input", out.inputs, err)) return false;
  std::string fmt;
  if (!GetString(j, "encoding_format", fmt, err)) return false;
  if (!fmt.empty() && fmt != "float" && fmt != "base64")
    return Fail(err, "'encoding_format' must be 'float' or 'base64'", "encoding_format");
  out.base64 = fmt == "base64";
  return true;
}

bool ParseOllamaGenerateRequest(std::string_view body, OllamaGenerateRequest& out, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err) || !ParseOllamaCommon(j, out.gen, err) || !GetString(j, "prompt", out.prompt, err) ||
      !GetString(j, "system", out.system, err) || !GetString(j, "suffix", out.suffix, err) ||
      !GetString(j, "template", out.template_override, err) || !GetBool(j, "raw", out.raw, err))
    return false;
  if (const json* images = Field(j, "images"); images != nullptr && (!images->is_array() || !images->empty()))
    return Fail(err, "images are not supported by this model", "images");
  if (const json* c = Field(j, "context")) {
    if (!c->is_array()) return Fail(err, "'context' must be an array of token ids", "context");
    for (const auto& t : *c) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > std::numeric_limits<int32_t>::max())
        return Fail(err, "'context' must be an array of token ids", "context");
      out.context.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
  }
  return true;
}

bool ParseOllamaChatRequest(std::string_view body, OllamaChatRequest& out, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err) || !ParseOllamaCommon(j, out.gen, err) || !ParseMessages(j, out.messages, err, false))
    return false;
  if (const json* t = Field(j, "tools")) {
    if (!t->is_array()) return Fail(err, "'tools' must be an array", "tools");
    out.tools = *t;
  }
  return true;
}

bool ParseOllamaEmbedRequest(std::string_view body, EmbeddingRequest& out, ApiError& err, bool legacy) {
  json j;
  if (!ParseJsonObject(body, j, err) || !RejectUnknownModel(j, out.model, err) || !GetBool(j, "truncate", out.truncate, err))
    return false;
  if (const json* ka = Field(j, "keep_alive"))
    if (!ParseKeepAlive(*ka, out.keep_alive_s, err)) return false;
  out.legacy_single = legacy;
  const char* key = legacy ? "prompt" : "input";
  const json* in = Field(j, key);
  if (in == nullptr) return Fail(err, std::string("'") + key + "' is required", key);
  if (legacy && !in->is_string()) return Fail(err, "'prompt' must be a string", "prompt");
  return ParsePrompts(*in, key, out.inputs, err);
}

bool ParseOllamaModelRequest(std::string_view body, std::string& model, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err)) return false;
  if (!GetString(j, "model", model, err)) return false;
  if (model.empty() && !GetString(j, "name", model, err)) return false;
  if (model.empty()) return Fail(err, "'model' is required", "model");
  return true;
}

bool ParseOllamaCopyRequest(std::string_view body, std::string& source, std::string& destination, ApiError& err) {
  json j;
  if (!ParseJsonObject(body, j, err) || !GetString(j, "source", source, err, true) ||
      !GetString(j, "destination", destination, err, true))
    return false;
  if (source.empty() || destination.empty()) return Fail(err, "'source' and 'destination' must not be empty");
  return true;
}

}  // namespace fw::server
