// The AVX2 + FMA + F16C kernel table (u8 x s8 dots via vpmaddubsw + vpmaddwd).
#if defined(__x86_64__) || defined(__i386__)
#define FW_ISA_NS isa_avx2
#define FW_ISA_NAME "avx2"
#define FW_VNNI 0
#define FW_MAX_TILE_T 4
#include "kernels/x86_kernels.inc"

namespace fw::kernels {
const KernelTable* Avx2KernelTable() { return &isa_avx2::Table(); }
}  // namespace fw::kernels
#else
#include "kernels/kernel_table.h"
namespace fw::kernels {
const KernelTable* Avx2KernelTable() { return nullptr; }
}  // namespace fw::kernels
#endif
