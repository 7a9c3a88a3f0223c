// The scalar reference kernels: plain loops over the uniform block decode of
// weight_blocks.h. Every SIMD table is tested against these.
#include <cmath>
#include <cstring>

#include "kernels/activations.h"
#include "kernels/ggml_order.h"
#include "kernels/kernel_table.h"
#include "kernels/scratch.h"
#include "kernels/weight_blocks.h"
#include "tensor/fp16.h"

namespace fw::kernels {
namespace {

// One row: sum over groups of scale*d_x*(sum u*q - offset*sum q) + min*(d_x*sum q).
// The integer parts are exact; floats are accumulated in group order.
float DotRowQ(GgmlType type, const BlockFormat& f, const uint8_t* row, int64_t cols,
              const QuantizedRow& x) {
  const size_t block_bytes = TypeTraits(type).type_size;
  DecodedBlock blk;
  float acc = 0.0f;
  for (int64_t b = 0; b < cols / f.block; ++b) {
    DecodeBlock(type, row + static_cast<size_t>(b) * block_bytes, &blk);
    for (int g = 0; g < f.block / f.group; ++g) {
      const int64_t k0 = b * f.block + g * f.group;
      int32_t dot = 0, sum = 0;
      for (int i = 0; i < f.group; ++i) {
        dot += static_cast<int32_t>(blk.u[g * f.group + i]) * x.q[k0 + i];
        sum += x.q[k0 + i];
      }
      const float dx = x.d[k0 / 32];
      acc += blk.scale[g] * dx * static_cast<float>(dot - f.offset * sum);
      // The min term takes the activations' d*sum (for Q8_1 the f16-rounded s, as ggml).
      if (f.has_min) acc += blk.min[g] * (f.group == 32 ? x.ds32[k0 / 32] : x.ds16[k0 / 16]);
    }
  }
  return acc;
}

template <GgmlType T>
void DotRowsQ(const uint8_t* w, size_t stride, int64_t rows, int64_t cols, const QuantizedRow& x,
              float* y) {
  const BlockFormat& f = *FormatOf(T);
  for (int64_t r = 0; r < rows; ++r) y[r] = DotRowQ(T, f, w + static_cast<size_t>(r) * stride, cols, x);
}

template <GgmlType T>
float LoadElement(const uint8_t* row, int64_t k) {
  if constexpr (T == GgmlType::F32) {
    float v;
    std::memcpy(&v, row + k * 4, 4);
    return v;
  } else {
    uint16_t h;
    std::memcpy(&h, row + k * 2, 2);
    if constexpr (T == GgmlType::F16) return Fp16ToFp32(h);
    return Bf16ToFp32(h);
  }
}

// x as ggml's vec_dot_type of T sees it: F16 weights take x rounded to f16, BF16 weights
// to bf16 (round to nearest even); F32 keeps x. Returns x itself or a thread-local copy.
template <GgmlType T>
const float* FloatActs(const float* x, int64_t cols) {
  if constexpr (T == GgmlType::F32) {
    (void)cols;
    return x;
  } else {
    static thread_local Scratch scratch;
    auto* out = static_cast<float*>(scratch.Get(static_cast<size_t>(cols) * sizeof(float)));
    for (int64_t k = 0; k < cols; ++k)
      out[k] = T == GgmlType::F16 ? Fp16ToFp32(Fp32ToFp16(x[k])) : Bf16ToFp32(Fp32ToBf16(x[k]));
    return out;
  }
}

// kTiled false: ggml's 256-bit vec_dot_f32 / _f16 order (DotLikeGgml): four 8-lane
// accumulators over cols & ~31, the rest in f32 fma (F32) or double (F16; BF16 shares this
// form). kTiled true: ggml's tinyBLAS order (batches of 2+ tokens, cols % 8 == 0), one 8-lane
// accumulator. Products of two f16 (or two bf16) values are exact in f32.
template <GgmlType T, bool kTiled>
void DotRowsF(const uint8_t* w, size_t stride, int64_t rows, int64_t cols, const float* x_in, float* y) {
  const float* x = FloatActs<T>(x_in, cols);
  const bool rest_in_double = !kTiled && T != GgmlType::F32;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * stride;
    y[r] = DotLikeGgml(
        cols, kTiled, rest_in_double, [&](int64_t k) { return LoadElement<T>(row, k); }, [&](int64_t k) { return x[k]; },
        T == GgmlType::BF16);
  }
}

void PackPanelScalar(GgmlType type, const uint8_t* w, size_t stride, int nrows, const Panel& p) {
  const BlockFormat& f = *FormatOf(type);
  const size_t block_bytes = TypeTraits(type).type_size;
  const int groups = f.block / f.group;
  DecodedBlock blk;
  for (int64_t b = 0; b < p.cols / f.block; ++b) {
    for (int r = 0; r < kPanelRows; ++r) {
      if (r < nrows) {
        DecodeBlock(type, w + static_cast<size_t>(r) * stride + static_cast<size_t>(b) * block_bytes, &blk);
      } else {
        std::memset(&blk, 0, sizeof(blk));
      }
      for (int k = 0; k < f.block; ++k) {
        const int64_t kk = b * f.block + k;
        p.u[((kk / 4) * kPanelRows + r) * 4 + kk % 4] = blk.u[k];
      }
      for (int g = 0; g < groups; ++g) {
        p.scale[(b * groups + g) * kPanelRows + r] = blk.scale[g];
        p.min[(b * groups + g) * kPanelRows + r] = blk.min[g];
      }
    }
  }
}

void PanelGemmScalar(const Panel& p, const QuantizedActs& acts, int64_t t0, int64_t t1, float* y,
                     int64_t ldy, int nrows) {
  for (int64_t t = t0; t < t1; ++t) {
    const QuantizedRow x = acts.Row(t);
    for (int r = 0; r < nrows; ++r) {
      float acc = 0.0f;
      for (int64_t g = 0; g < p.cols / p.group; ++g) {
        int32_t dot = 0, sum = 0;
        for (int i = 0; i < p.group; ++i) {
          const int64_t k = g * p.group + i;
          dot += static_cast<int32_t>(p.u[((k / 4) * kPanelRows + r) * 4 + k % 4]) * x.q[k];
          sum += x.q[k];
        }
        const float dx = x.d[(g * p.group) / 32];
        // One rounding per group, as the SIMD panels (and ggml's repacked Q4_0) do.
        acc = std::fma(static_cast<float>(dot - p.offset * sum), p.scale[g * kPanelRows + r] * dx, acc);
        if (p.has_min) acc += p.min[g * kPanelRows + r] * (p.group == 32 ? x.ds32[g] : x.ds16[g]);
      }
      y[t * ldy + r] = acc;
    }
  }
}

KernelTable MakeScalarTable() {
  KernelTable t;
  t.name = "scalar";
  t.gemm_wide_u = true;
  t.quantize_acts = &QuantizeActsRowReference;
  t.dot_f[static_cast<int>(GgmlType::F32)] = &DotRowsF<GgmlType::F32, false>;
  t.dot_f[static_cast<int>(GgmlType::F16)] = &DotRowsF<GgmlType::F16, false>;
  t.dot_f[static_cast<int>(GgmlType::BF16)] = &DotRowsF<GgmlType::BF16, false>;
  t.dot_f_tiled[static_cast<int>(GgmlType::F32)] = &DotRowsF<GgmlType::F32, true>;
  t.dot_f_tiled[static_cast<int>(GgmlType::F16)] = &DotRowsF<GgmlType::F16, true>;
  t.dot_f_tiled[static_cast<int>(GgmlType::BF16)] = &DotRowsF<GgmlType::BF16, true>;
#define FW_Q(T)                                                    \
  t.dot_q[static_cast<int>(GgmlType::T)] = &DotRowsQ<GgmlType::T>; \
  t.pack_panel[static_cast<int>(GgmlType::T)] = &PackPanelScalar;
  FW_Q(Q4_0) FW_Q(Q4_1) FW_Q(Q5_0) FW_Q(Q5_1) FW_Q(Q8_0) FW_Q(IQ4_NL)
  FW_Q(Q2_K) FW_Q(Q3_K) FW_Q(Q4_K) FW_Q(Q5_K) FW_Q(Q6_K)
#undef FW_Q
  t.panel_gemm = &PanelGemmScalar;
  t.attend_group = &AttendGroupReference;
  t.silu_mul = &SiluMulReference;
  return t;
}

}  // namespace

const KernelTable& ScalarKernels() {
  static const KernelTable table = MakeScalarTable();
  return table;
}

}  // namespace fw::kernels
