#include "kernels/kernel_table.h"

#include <cstdlib>
#include <cstring>

#include "kernels/cpu_features.h"

namespace fw::kernels {
namespace {
size_t Align64(size_t v) { return (v + 63) & ~size_t{63}; }
}  // namespace

size_t PanelBytes(int64_t cols, int group) {
  const size_t c = static_cast<size_t>(cols);
  const size_t groups = c / static_cast<size_t>(group);
  return Align64(c * kPanelRows) + 2 * Align64(groups * kPanelRows * sizeof(float));
}

Panel LayoutPanel(void* buffer, int64_t cols, int group) {
  const size_t c = static_cast<size_t>(cols);
  const size_t groups = c / static_cast<size_t>(group);
  auto* p = static_cast<uint8_t*>(buffer);
  Panel panel;
  panel.cols = cols;
  panel.group = group;
  panel.u = p;
  p += Align64(c * kPanelRows);
  panel.scale = reinterpret_cast<float*>(p);
  p += Align64(groups * kPanelRows * sizeof(float));
  panel.min = reinterpret_cast<float*>(p);
  return panel;
}

namespace {
// No kernels at all: MatMul falls back to MatMulReference (dequantize + f32 dot, no 8-bit
// activations). For debugging numerics only.
const KernelTable& ReferenceOnlyKernels() {
  static const KernelTable table = [] {
    KernelTable t;
    t.name = "reference";
    t.attend_group = ScalarKernels().attend_group;
    t.silu_mul = ScalarKernels().silu_mul;
    return t;
  }();
  return table;
}
}  // namespace

const KernelTable* KernelsFor(const char* isa) {
  const CpuFeatures& f = GetCpuFeatures();
  if (std::strcmp(isa, "scalar") == 0) return &ScalarKernels();
  if (std::strcmp(isa, "reference") == 0) return &ReferenceOnlyKernels();
  if (std::strcmp(isa, "avx2") == 0) return f.HasAvx2Path() ? Avx2KernelTable() : nullptr;
  if (std::strcmp(isa, "avxvnni") == 0) return f.HasAvxVnniPath() ? AvxVnniKernelTable() : nullptr;
  if (std::strcmp(isa, "avx512") == 0) return f.HasAvx512Path() ? Avx512KernelTable() : nullptr;
  if (std::strcmp(isa, "neon") == 0) return f.neon ? NeonKernelTable() : nullptr;
  return nullptr;
}

namespace {
const KernelTable& ChooseKernels() {
  if (const char* forced = std::getenv("FLYWHEEL_KERNELS"); forced != nullptr && *forced) {
    if (const KernelTable* t = KernelsFor(forced)) return *t;
  }
  for (const char* isa : {"avx512", "avxvnni", "avx2", "neon"}) {
    if (const KernelTable* t = KernelsFor(isa)) return *t;
  }
  return ScalarKernels();
}
}  // namespace

const KernelTable& ActiveKernels() {
  static const KernelTable& table = ChooseKernels();
  return table;
}

}  // namespace fw::kernels
