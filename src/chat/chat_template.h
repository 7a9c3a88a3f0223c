// Chat templates: a Jinja2 interpreter for the subset Hugging Face chat templates use, plus
// loading a model's template and a documented fallback format.
//
// ChatTemplate renders exactly as transformers' apply_chat_template does: Jinja2's sandboxed
// environment with trim_blocks=True and lstrip_blocks=True, the default (lenient) Undefined,
// `tojson` as json.dumps(ensure_ascii=False), `raise_exception(msg)` and `strftime_now(fmt)`.
//
// Ownership / thread-safety: a ChatTemplate holds a shared_ptr to an immutable AST, so it
// is cheap to copy and Render() may be called from several threads at once.
// Robustness: parsing caps nesting; rendering has a recursion depth limit, an output size
// limit, a loop iteration budget and a work budget (chat/jinja_interpreter.h); exceeding
// one is a failed Result, never a crash, a hang or unbounded memory.
//
// Known differences from Jinja2 (none used by real chat templates): no {% call %},
// recursive loops, include/import/extends/block; integers are 64-bit (Python's big ints
// overflow to float); filters that return generators in Jinja2 (map, select, reverse, ...)
// return lists, and range() is a list, so printing one bare shows a list rather than
// "<generator ...>" / "range(0, n)"; case mapping covers Latin, Greek and Cyrillic.
// Like HF's immutable sandbox, list.append / dict.update and other mutators are errors.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace fw {

namespace jinja {
struct Template;  // the parsed AST (chat/jinja_ast.h)
}

class ChatTemplate {
 public:
  // Parses Jinja source once; errors read "line L, column C: <problem>".
  static Result<ChatTemplate> Parse(const std::string& source);

  // context: {"messages": [...], "tools": [...] (optional), "add_generation_prompt": bool,
  // "bos_token": "...", "eos_token": "...", plus any other variables}. The clock behind
  // strftime_now() is taken from the optional context key "strftime_now_time" (a Unix time
  // in seconds, interpreted as UTC) and otherwise from the system clock.
  // A raise_exception(msg) in the template gives a failed Result whose message is msg.
  // Note: nlohmann::json stores objects sorted by key, so tool schemas passed this way render
  // with their keys sorted; Hugging Face keeps insertion order. Use RenderOrdered with an
  // nlohmann::ordered_json (e.g. from nlohmann::ordered_json::parse) to match it exactly.
  Result<std::string> Render(const nlohmann::json& context) const;
  Result<std::string> RenderOrdered(const nlohmann::ordered_json& context) const;

 private:
  explicit ChatTemplate(std::shared_ptr<const jinja::Template> ast) : ast_(std::move(ast)) {}
  std::shared_ptr<const jinja::Template> ast_;
};

// The model's template source: a .gguf's tokenizer.chat_template, a tokenizer_config.json's
// chat_template (a string, or a list of {name, template} from which "default" is taken), or
// the whole text of any other file (a .jinja template).
Result<std::string> LoadChatTemplateSource(const std::string& path);

// The fallback for models without a template (docs/chat-fallback.md): each message becomes
// "<Role>: <content>\n\n" with Role = "System", "User", "Assistant" (or the role name with
// its first letter capitalised), and add_generation_prompt appends "Assistant:".
std::string RenderFallbackChat(const nlohmann::json& messages, bool add_generation_prompt);

}  // namespace fw
