// LoadChatTemplateSource: where a model keeps its chat template.
#include <fstream>
#include <sstream>

#include "chat/chat_template.h"
#include "gguf/gguf_file.h"

namespace fw {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error("cannot read " + path);
  return ss.str();
}

// tokenizer_config.json: "chat_template" is a string, or a list of {"name", "template"}
// from which transformers uses the one named "default".
Result<std::string> FromTokenizerConfig(const std::string& path, const std::string& text) {
  nlohmann::json config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return Status::Error(path + ": not valid JSON");
  if (!config.is_object() || !config.contains("chat_template")) {
    return Status::Error(path + ": no chat_template");
  }
  const auto& t = config["chat_template"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array()) {
    for (const auto& entry : t) {
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string()) {
        return entry["template"].get<std::string>();
      }
    }
    return Status::Error(path + ": chat_template list has no entry named \"default\"");
  }
  return Status::Error(path + ": chat_template is neither a string nor a list");
}

}  // namespace

Result<std::string> LoadChatTemplateSource(const std::string& path) {
  if (EndsWith(path, ".gguf")) {
    auto file = GgufFile::Open(path);
    if (!file.ok()) return file.status().With(path);
    auto tmpl = (*file)->GetString("tokenizer.chat_template");
    if (!tmpl.ok()) return tmpl.status().With(path);
    return tmpl;
  }
  FW_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  if (EndsWith(path, ".json")) return FromTokenizerConfig(path, text);
  return text;
}

}  // namespace fw
