// flywheel show MODEL.gguf [--json] [--tensors]: the model card from the GGUF header.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "gguf/gguf_file.h"
#include "gguf/model_card.h"

namespace fw::cli {
namespace {

int RunShow(int argc, char** argv) {
  CLI::App app("Print a model's card: architecture, size, hyperparameters, tokenizer", "flywheel show");
  std::string path;
  bool as_json = false;
  bool tensors = false;
  app.add_option("model", path, "GGUF model file")->required();
  app.add_flag("--json", as_json, "print one JSON object");
  app.add_flag("--tensors", tensors, "list every tensor: name, type, shape, offset, bytes");
  CLI11_PARSE(app, argc, argv);

  auto file = GgufFile::Open(path);
  if (!file.ok()) return Fail(path + ": " + file.message());
  const GgufFile& f = *file.value();
  nlohmann::json card = ModelCardJson(f);
  card["path"] = path;

  if (as_json) {
    if (tensors) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& t : f.tensors()) {
        list.push_back({{"name", t.name},
                        {"type", std::string(TypeName(t.type))},
                        {"shape", std::vector<int64_t>(t.ne, t.ne + t.n_dims)},
                        {"offset", f.data_offset() + t.offset},
                        {"bytes", t.size_bytes}});
      }
      card["tensors"] = list;
    }
    std::printf("%s\n", card.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::fputs(ModelCardText(card).c_str(), stdout);
  if (tensors) {
    std::printf("\nTensors (%zu; offsets are absolute file offsets)\n", f.tensors().size());
    std::printf("  %-36s %-8s %-24s %12s %12s\n", "name", "type", "shape", "offset", "bytes");
    for (const auto& t : f.tensors()) {
      std::string shape;
      for (int d = 0; d < t.n_dims; ++d) shape += (d ? " x " : "") + std::to_string(t.ne[d]);
      std::printf("  %-36s %-8s %-24s %12llu %12llu\n", t.name.c_str(),
                  std::string(TypeName(t.type)).c_str(), shape.c_str(),
                  static_cast<unsigned long long>(f.data_offset() + t.offset),
                  static_cast<unsigned long long>(t.size_bytes));
    }
  }
  return 0;
}

FW_REGISTER_COMMAND("show", "print a model's card (--json, --tensors)", RunShow, 20);

}  // namespace
}  // namespace fw::cli
