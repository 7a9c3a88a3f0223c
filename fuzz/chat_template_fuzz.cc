// libFuzzer target: arbitrary bytes as a chat template, parsed and rendered against a small
// fixed conversation. Nothing may crash, hang, leak or overflow the stack: the
// interpreter's depth, iteration and output limits turn runaway templates into errors.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chat/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::ordered_json* context = new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "Grüße 👋 what's 2+2?"},
      {"role": "assistant", "content": "4", "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "add", "arguments": {"a": 2, "b": 2}}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "{\"sum\": 4}"}
    ],
    "tools": [{"type": "function", "function": {"name": "add", "description": "Add",
      "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}],
    "add_generation_prompt": true,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "strftime_now_time": 1721995200
  })"));
  auto tmpl = fw::ChatTemplate::Parse(std::string(reinterpret_cast<const char*>(data), size));
  if (!tmpl.ok()) return 0;
  auto out = tmpl->RenderOrdered(*context);
  (void)out;
  return 0;
}
