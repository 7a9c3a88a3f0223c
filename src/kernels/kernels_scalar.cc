// The scalar reference kernels: plain loops over the uniform block decode of
// weight_blocks.h, in the float order of ggml's 256-bit x86 kernels (ggml_order.h), so that
// every SIMD table is tested against these bit for bit.
#include <cmath>
#include <cstring>

#include "kernels/activations.h"
#include "kernels/ggml_order.h"
#include "kernels/kernel_table.h"
#include "kernels/scratch.h"
#include "kernels/weight_blocks.h"
#include "tensor/fp16.h"
#include "tensor/no_fp_contract.h"  // last: every rounding below is spelled out (std::fma or not)

namespace fw::kernels {
namespace {

// The 32-element block types in the order of ggml's AVX2 vec_dot_q4_0_q8_0 .. _q5_1_q8_1
// (DotRowsBlock32 in x86_kernels.inc): per block the 8 exact int32 lanes of (u - offset) * q
// (DotLaneOf), acc = fma(lanes, d_w * d_x, acc); Q4_1 / Q5_1 add m_w * s_x into a scalar in
// block order (as an fma, which GCC's contraction makes of ggml's summs += m * s; both are f16
// values, so the product is exact and an unfused form would give the same bits);
// y = ReduceLanes8(acc) + summs.
float DotRowBlock32(GgmlType type, const BlockFormat& f, const uint8_t* row, int64_t cols,
                    const QuantizedRow& x) {
  const size_t block_bytes = TypeTraits(type).type_size;
  DecodedBlock blk;
  float acc[8] = {};
  float summs = 0.0f;
  for (int64_t b = 0; b < cols / 32; ++b) {
    DecodeBlock(type, row + static_cast<size_t>(b) * block_bytes, &blk);
    const int8_t* q = x.q + b * 32;
    int32_t lanes[8] = {};
    for (int k = 0; k < 32; ++k) lanes[DotLaneOf(k)] += (blk.u[k] - f.offset) * q[k];
    FmaLanes8(acc, lanes, blk.scale[0] * x.d[b]);
    if (f.has_min) summs = std::fma(blk.min[0], x.ds32[b], summs);
  }
  return ReduceLanes8(acc) + summs;
}

// How ggml's x86 vec_dot_q*_K_q8_K adds the K-quant mins (Q2_K, Q4_K, Q5_K): with the integer
// min lanes  mins[j] = imin[2j] * bsum[2j] + imin[2j+1] * bsum[2j+1]  over the block's
// groups (bsum: the activations' sum over a group; 8 lanes for 16-element groups, 4 for 32)
// and dmin = dmin_w * -d_x per block:
//   kIntoAcc  (Q2_K): acc[j] = fma(dmin, float(mins[j]), acc[j]) before the block's sums
//   kOwnLanes (Q4_K): acc_m[j] = fma(dmin, float(mins[j]), acc_m[j]), y adds ReduceLanes4(acc_m)
//   kScalar   (Q5_K): summs = fma(dmin, float(sum of mins[j]), summs), y adds summs
enum class KMins { kNone, kIntoAcc, kOwnLanes, kScalar };

constexpr KMins KMinsOf(GgmlType t) {
  return t == GgmlType::Q2_K ? KMins::kIntoAcc
         : t == GgmlType::Q4_K ? KMins::kOwnLanes
         : t == GgmlType::Q5_K ? KMins::kScalar
                               : KMins::kNone;
}

// The K-quants in the order of ggml's x86 (AVX2) vec_dot_q*_K_q8_K (the tiles in
// x86_kernels.inc). Per 256-block, with 8 exact int32 lanes (DotLaneOf):
//   lanes[i] = sum over elements e of lane i of iscale[e / group] * (u[e] - offset) * q[e]
// (Q6_K too: llama.cpp build 4748 subtracts its 32 per element pair, in the lanes of those
// elements; later builds move it to lane c of chunk c via the q8 bsums, which rounds
// differently); then acc = fma(d_w * d_x, float(lanes), acc), the mins as KMinsOf(T) says, and
// y = ReduceLanes8(acc) (+ the min part).
template <GgmlType T>
float DotRowK(const BlockFormat& f, const uint8_t* row, int64_t cols, const QuantizedRow& x) {
  constexpr KMins kMins = KMinsOf(T);
  const size_t block_bytes = TypeTraits(T).type_size;
  const int groups = 256 / f.group;
  DecodedBlock blk;
  float acc[8] = {}, acc_m[4] = {};
  float summs = 0.0f;
  for (int64_t b = 0; b < cols / 256; ++b) {
    DecodeBlock(T, row + static_cast<size_t>(b) * block_bytes, &blk);
    const int8_t* q = x.q + b * 256;
    const int16_t* bsum16 = x.bsum16 + b * 16;
    const float dx = x.d[b * 8];
    if constexpr (kMins != KMins::kNone) {
      int32_t mins[8] = {};
      for (int g = 0; g < groups; ++g) {
        const int bsum = f.group == 16 ? bsum16[g] : bsum16[2 * g] + bsum16[2 * g + 1];
        mins[g / 2] += blk.imin[g] * bsum;
      }
      const float dmin = blk.dmin * -dx;
      if constexpr (kMins == KMins::kIntoAcc) {
        for (int j = 0; j < 8; ++j) acc[j] = std::fma(dmin, static_cast<float>(mins[j]), acc[j]);
      } else if constexpr (kMins == KMins::kOwnLanes) {
        for (int j = 0; j < 4; ++j) acc_m[j] = std::fma(dmin, static_cast<float>(mins[j]), acc_m[j]);
      } else {
        summs = std::fma(dmin, static_cast<float>(mins[0] + mins[1] + mins[2] + mins[3]), summs);
      }
    }
    int32_t lanes[8] = {};
    for (int e = 0; e < 256; ++e) lanes[DotLaneOf(e)] += blk.iscale[e / f.group] * (blk.u[e] - f.offset) * q[e];
    FmaLanes8(acc, lanes, blk.d * dx);
  }
  if constexpr (kMins == KMins::kOwnLanes) return ReduceLanes8(acc) + ReduceLanes4(acc_m);
  return ReduceLanes8(acc) + summs;
}

template <GgmlType T>
void DotRowsQ(const uint8_t* w, size_t stride, int64_t rows, int64_t cols, const QuantizedRow& x,
              float* y) {
  const BlockFormat& f = *FormatOf(T);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * stride;
    if (f.block == 32) {
      y[r] = DotRowBlock32(T, f, row, cols, x);
    } else {
      y[r] = DotRowK<T>(f, row, cols, x);
    }
  }
}

// Prefill for the types ggml multiplies with its per-token vec_dot at every batch size
// (Q5_1 and the K-quants: no GEMM for them in its x86 build): DotRowsQ per token.
template <GgmlType T>
void DotRowsQTokens(const uint8_t* w, size_t stride, int64_t rows, int64_t cols, const QuantizedActs& acts,
                    int64_t t0, int64_t t1, float* y, int64_t ldy) {
  for (int64_t t = t0; t < t1; ++t) DotRowsQ<T>(w, stride, rows, cols, acts.Row(t), y + t * ldy);
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
        // One rounding per group, as the SIMD panels (and ggml's repacked Q4_0) do; the min
        // term is fused into the same accumulator.
        acc = std::fma(static_cast<float>(dot - p.offset * sum), p.scale[g * kPanelRows + r] * dx, acc);
        if (p.has_min) acc = std::fma(p.min[g * kPanelRows + r], p.group == 32 ? x.ds32[g] : x.ds16[g], acc);
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
  // As the x86 tables: these types prefill with the per-token dot (repacked Q4_0 takes the
  // panel GEMM, see matmul.cc).
#define FW_TOKENS(T) t.dot_q_tokens[static_cast<int>(GgmlType::T)] = &DotRowsQTokens<GgmlType::T>;
  FW_TOKENS(Q4_0) FW_TOKENS(Q4_1) FW_TOKENS(Q5_0) FW_TOKENS(Q5_1) FW_TOKENS(Q8_0) FW_TOKENS(IQ4_NL) FW_TOKENS(Q2_K) FW_TOKENS(Q3_K) FW_TOKENS(Q4_K) FW_TOKENS(Q5_K) FW_TOKENS(Q6_K)
#undef FW_TOKENS
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
