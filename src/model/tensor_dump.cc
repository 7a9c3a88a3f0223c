#include "model/tensor_dump.h"

#include <cerrno>
#include <cstring>

namespace fw::model {

Result<std::unique_ptr<TensorDump>> TensorDump::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::Error("cannot write " + path + ": " + std::strerror(errno));
  return std::unique_ptr<TensorDump>(new TensorDump(f, path));
}

TensorDump::~TensorDump() { std::fclose(f_); }

void TensorDump::Attach(ForwardPass& forward) { forward.SetTap(&TensorDump::Write, this); }

Status TensorDump::status() const {
  if (failed_ || std::ferror(f_)) return Status::Error("writing " + path_ + " failed");
  return Status::Ok();
}

void TensorDump::Write(void* self, const char* name, int32_t layer, const float* data, int32_t rows, int32_t width) {
  auto& d = *static_cast<TensorDump*>(self);
  if (d.failed_) return;
  if (layer == 0 && std::strcmp(name, "attn_norm") == 0) ++d.batch_;
  const std::string label = layer >= 0 ? std::string(name) + "-" + std::to_string(layer) : std::string(name);
  const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(width);
  if (std::fprintf(d.f_, "%lld %s %d %d\n", static_cast<long long>(d.batch_), label.c_str(), rows, width) < 0 ||
      std::fwrite(data, sizeof(float), n, d.f_) != n || std::fputc('\n', d.f_) == EOF)
    d.failed_ = true;
}

}  // namespace fw::model
