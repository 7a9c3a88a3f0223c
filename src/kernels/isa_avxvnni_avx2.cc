// The AVX2 kernel table with AVX-VNNI (256-bit vpdpbusd, VEX encoded) for the integer dots.
// Compiled with the _avx2.cc flags plus the avxvnni target below; used only when cpuid
// reports AVX-VNNI.
#if defined(__x86_64__) || defined(__i386__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avxvnni"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC target("avxvnni")
#endif
#define FW_ISA_NS isa_avxvnni
#define FW_ISA_NAME "avxvnni"
#define FW_VNNI 1
#define FW_MAX_TILE_T 4
#include "kernels/x86_kernels.inc"

namespace fw::kernels {
const KernelTable* AvxVnniKernelTable() { return &isa_avxvnni::Table(); }
}  // namespace fw::kernels
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "kernels/kernel_table.h"
namespace fw::kernels {
const KernelTable* AvxVnniKernelTable() { return nullptr; }
}  // namespace fw::kernels
#endif
