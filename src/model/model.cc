#include "model/model.h"

namespace fw::model {

Result<std::unique_ptr<Model>> Model::Load(const std::string& path) {
  FW_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::Open(path));
  return FromGguf(std::move(file));
}

Result<std::unique_ptr<Model>> Model::FromGguf(std::unique_ptr<GgufFile> file) {
  std::unique_ptr<Model> m(new Model());
  FW_ASSIGN_OR_RETURN(m->hp_, ReadHParams(*file));
  FW_ASSIGN_OR_RETURN(m->w_, BindWeights(*file, m->hp_));
  m->file_ = std::move(file);
  return m;
}

}  // namespace fw::model
