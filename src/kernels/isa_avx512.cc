// The AVX-512 kernel table: the 256-bit kernels in EVEX encoding with AVX512-VNNI vpdpbusd,
// which also gives the compiler 32 vector registers, so the GEMM micro-tile covers 8 tokens.
// Compiled with the _avx512.cc flags plus avx512vnni; used only when cpuid and XCR0 allow.
#if defined(__x86_64__) || defined(__i386__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC target("avx512vnni")
#endif
#define FW_ISA_NS isa_avx512
#define FW_ISA_NAME "avx512"
#define FW_VNNI 2
#define FW_MAX_TILE_T 8
#include "kernels/x86_kernels.inc"

namespace fw::kernels {
const KernelTable* Avx512KernelTable() { return &isa_avx512::Table(); }
}  // namespace fw::kernels
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "kernels/kernel_table.h"
namespace fw::kernels {
const KernelTable* Avx512KernelTable() { return nullptr; }
}  // namespace fw::kernels
#endif
