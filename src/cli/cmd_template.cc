// flywheel template TEMPLATE.jinja|MODEL.gguf|tokenizer_config.json --context CONTEXT.json
// Renders a chat template exactly as Hugging Face's apply_chat_template would and prints
// the text as is (no newline added). CONTEXT.json is one object: messages, optional tools,
// add_generation_prompt, bos_token, eos_token and any other template variables; its key
// order is kept, as Python dicts keep it.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "cli/command.h"

namespace fw::cli {
namespace {

int RunTemplate(int argc, char** argv) {
  CLI::App app("Render a model's chat template for a conversation", "flywheel template");
  std::string source_path;
  std::string context_path;
  app.add_option("template", source_path, "a .jinja file, a .gguf model, or a tokenizer_config.json")->required();
  app.add_option("--context", context_path, "JSON file: messages, tools, add_generation_prompt, bos_token, eos_token")
      ->required();
  CLI11_PARSE(app, argc, argv);

  auto source = LoadChatTemplateSource(source_path);
  if (!source.ok()) return Fail(source.message());
  auto tmpl = ChatTemplate::Parse(*source);
  if (!tmpl.ok()) return Fail(source_path + ": " + tmpl.message());

  std::ifstream in(context_path, std::ios::binary);
  if (!in) return Fail("cannot open " + context_path);
  std::stringstream text;
  text << in.rdbuf();
  auto context = nlohmann::ordered_json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (context.is_discarded()) return Fail(context_path + ": not valid JSON");
  if (!context.is_object()) return Fail(context_path + ": the context must be a JSON object");

  auto out = tmpl->RenderOrdered(context);
  if (!out.ok()) return Fail(out.message());
  std::fwrite(out->data(), 1, out->size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

FW_REGISTER_COMMAND("template", "render a chat template for a conversation (like HF apply_chat_template)",
                    RunTemplate, 60);

}  // namespace fw::cli
