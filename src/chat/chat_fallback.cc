// RenderFallbackChat: the documented format (docs/chat-fallback.md) for models that ship
// no chat template:
//   "<Role>: <content>\n\n" per message, Role being "System", "User", "Assistant", or the
//   message's own role with its first letter upper-cased; then "Assistant:" when
//   add_generation_prompt is set. Non-string content (e.g. a list of parts) contributes the
//   text of its {"type": "text"} parts joined by newlines, anything else as compact JSON.
#include "chat/chat_template.h"

namespace fw {

namespace {

std::string RoleLabel(const std::string& role) {
  if (role == "system") return "System";
  if (role == "user") return "User";
  if (role == "assistant") return "Assistant";
  if (role.empty()) return "User";
  std::string label = role;
  if (label[0] >= 'a' && label[0] <= 'z') label[0] = static_cast<char>(label[0] - 'a' + 'A');
  return label;
}

std::string ContentText(const nlohmann::json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  if (content.is_array()) {
    std::string out;
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
        if (!out.empty()) out += "\n";
        out += part["text"].get<std::string>();
      }
    }
    return out;
  }
  return content.dump();
}

}  // namespace

std::string RenderFallbackChat(const nlohmann::json& messages, bool add_generation_prompt) {
  std::string out;
  if (messages.is_array()) {
    for (const auto& m : messages) {
      if (!m.is_object()) continue;
      std::string role = m.contains("role") && m["role"].is_string() ? m["role"].get<std::string>() : "";
      out += RoleLabel(role) + ": " + ContentText(m.contains("content") ? m["content"] : nlohmann::json()) + "\n\n";
    }
  }
  if (add_generation_prompt) out += "Assistant:";
  return out;
}

}  // namespace fw
