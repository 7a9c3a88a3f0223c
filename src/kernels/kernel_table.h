// The dispatch table: one KernelTable per instruction set, chosen once at run time from
// GetCpuFeatures() (or forced with FLYWHEEL_KERNELS=scalar|avx2|avxvnni|avx512|reference for
// tests and benchmarks). Everything SIMD is reached through these function pointers, nowhere else.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/attention.h"
#include "kernels/quantized_acts.h"
#include "tensor/ggml_type.h"

namespace fw::kernels {

inline constexpr int kTypeSlots = 40;  // > largest GgmlType id

// 8 weight rows interleaved for the prefill GEMM (see weight_blocks.h for u/scale/min):
//   u     [cols/4][8 rows][4]  bytes: element k of row r at ((k/4)*8 + r)*4 + k%4
//   scale [cols/group][8 rows] f32
//   min   [cols/group][8 rows] f32 (zeros when the type has no min)
// Rows past the tensor's end are zero (their outputs are not stored).
struct Panel {
  uint8_t* u = nullptr;
  float* scale = nullptr;
  float* min = nullptr;
  int64_t cols = 0;
  int group = 32;
  int offset = 0;
  bool has_min = false;
  int u_max = 255;        // largest u (lets maddubs-based kernels sum in int16 safely)
  bool signed_w = false;  // u holds signed int8 weights, offset 0 (Q8_0 / IQ4_NL on
                          // tables without gemm_wide_u: they use the sign trick instead)
};
inline constexpr int kPanelRows = 8;
// Bytes of a panel's storage for `cols` (u, scale and min, 64-byte aligned sections).
size_t PanelBytes(int64_t cols, int group);
Panel LayoutPanel(void* buffer, int64_t cols, int group);

// Quantizes row t of x (acts.cols floats) into acts.
using QuantizeActsFn = void (*)(const float* x, const QuantizedActs& acts, int64_t t);
// y[r] = dot(weight row r, x) for r < rows, weights of one quantized type, one token.
using DotRowsQFn = void (*)(const uint8_t* w, size_t row_stride, int64_t rows, int64_t cols,
                            const QuantizedRow& x, float* y);
// y[r] = dot(weight row r, x) with f32 activations (F32 / F16 / BF16 weights).
using DotRowsFFn = void (*)(const uint8_t* w, size_t row_stride, int64_t rows, int64_t cols,
                            const float* x, float* y);
// Decodes weight rows [0, nrows) (nrows <= 8) of a quantized type into panel p.
using PackPanelFn = void (*)(GgmlType type, const uint8_t* w, size_t row_stride, int nrows,
                             const Panel& p);
// y[t * ldy + r] = dot(panel row r, acts row t) for t in [t0, t1), r < nrows.
using PanelGemmFn = void (*)(const Panel& p, const QuantizedActs& acts, int64_t t0, int64_t t1,
                             float* y, int64_t ldy, int nrows);
// y[t * ldy + r] = dot(weight row r, acts row t) for t in [t0, t1), r < rows: the decode
// dot's arithmetic for every token (for types ggml multiplies that way at any batch size).
using DotRowsQTokensFn = void (*)(const uint8_t* w, size_t row_stride, int64_t rows, int64_t cols,
                                  const QuantizedActs& acts, int64_t t0, int64_t t1, float* y, int64_t ldy);
// See attention.h.
using AttendGroupFn = void (*)(const AttentionArgs& a);
// See activations.h (SiluMul).
using SiluMulFn = void (*)(float* gate, const float* up, int64_t n);

struct KernelTable {
  const char* name = "";
  bool gemm_wide_u = false;  // panel_gemm is exact for u up to 255 (VNNI); else u <= 128 only,
                             // and types with larger u are packed with signed_w
  QuantizeActsFn quantize_acts = nullptr;
  DotRowsQFn dot_q[kTypeSlots] = {};
  // Decode for weights ggml's CPU backend repacks into 8-row interleaved blocks (Q4_0 with
  // rows % 8 == 0): the same arithmetic as panel_gemm on such weights, without packing;
  // rows a multiple of 8. nullptr: those weights take the panel GEMM for every batch size.
  DotRowsQFn dot_q_x8[kTypeSlots] = {};
  // Prefill for types whose ggml arithmetic is the per-token vec_dot at every batch size
  // (the K-quants without a repacked or llamafile GEMM): bit-identical to dot_q per token,
  // weight blocks unpacked once per tile of tokens. nullptr: prefill takes the panel GEMM.
  DotRowsQTokensFn dot_q_tokens[kTypeSlots] = {};
  // Float weights: dot_f has ggml's vec_dot order (one token, and any cols); dot_f_tiled
  // the order of ggml's tinyBLAS GEMM, which ggml takes for batches of 2+ tokens with
  // cols % 8 == 0 (see FloatDot in matmul.cc). nullptr: dot_f for every batch.
  DotRowsFFn dot_f[kTypeSlots] = {};
  DotRowsFFn dot_f_tiled[kTypeSlots] = {};
  PackPanelFn pack_panel[kTypeSlots] = {};
  PanelGemmFn panel_gemm = nullptr;
  AttendGroupFn attend_group = nullptr;
  SiluMulFn silu_mul = nullptr;
};

// The scalar reference table (always available).
const KernelTable& ScalarKernels();
// The table for an instruction set, or nullptr when it is not compiled in or this CPU lacks it.
// Names: "scalar", "avx2", "avxvnni", "avx512", "neon", and "reference" (no kernels: every
// MatMul dequantizes through MatMulReference; f32 activations, for debugging numerics).
const KernelTable* KernelsFor(const char* isa);
// The table MatMul uses: the best one for this CPU unless FLYWHEEL_KERNELS names another.
const KernelTable& ActiveKernels();

// Per-ISA tables, defined in their own translation units (nullptr when not compiled).
const KernelTable* Avx2KernelTable();
const KernelTable* AvxVnniKernelTable();
const KernelTable* Avx512KernelTable();
const KernelTable* NeonKernelTable();

}  // namespace fw::kernels
