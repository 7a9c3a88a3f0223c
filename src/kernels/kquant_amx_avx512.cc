// AMX-INT8 prefill for Q2_K..Q6_K, bit-identical to the AVX-512 tiles of x86_kernels.inc
// (ggml's vec_dot_q2_K_q8_K .. vec_dot_q6_K_q8_K arithmetic).
//
// What must match: per (row, token, superblock) the 8 int32 lanes sumi_i, converted to float
// and added as acc_i = fma(d_x * d_w, float(sumi_i), acc_i) in superblock order (Q4_K also
// its 4 min lanes into their own accumulator, Q5_K their sum into a scalar), then ggml's
// fixed horizontal sum. Integer arithmetic is exact, so each lane may be computed any way at
// all; here as tile products:
//   lane i of a superblock uses the elements K_i = {32c + 4i + j : chunk c < 8, j < 4} with
//   weights w = scale * u (Q4_K: u 0..15, Q5_K: u 0..31, scale 0..63 per chunk; Q6_K: u - 32 in
//   -32..31, Q3_K: u - 4 in -4..3, Q2_K: u 0..3, scales per 16 elements: int8, 6 bits - 32, 4 bits). w is split as lo + 128 * hi (lo = w & 127, hi = w >> 7, both int8), and
//   C_lo[r][t] = sum_{k in K_i} lo[r][k] * q[t][k] (TDPBSSD, 16 rows x 16 tokens), likewise
//   C_hi, so sumi_i = C_lo + 128 * C_hi.
//   (Q6_K's offset 32 is taken off each element, in its own lane, as llama.cpp build 4748's
//   kernel does.)
//   The Q4_K / Q5_K / Q2_K min terms (mins times 32- or 16-element sums) are integers below
//   2^24, computed exactly in float vector arithmetic (Q2_K's go into the lane accumulator
//   before its sumi, as in ggml).
// Prefill runs row block (16 rows) by token block (16 tokens), each lane over all superblocks
// with its accumulators in registers. Layouts (tile A = weights, 16 rows; tile B =
// activations, 16 tokens x 4 bytes per row):
//   W[b][i][p][r][kKA]  row r's lane-i bytes of part p
//   X[tb][b][rows][16][4] per superblock dword rows over the 16 tokens of block tb:
//                        64 rows, 8i + c = dword i of chunk c (K_i).
// Only reached after AmxKQuantTokens has confirmed AMX (cpuid, XCR0, Linux permission).
#include "kernels/kquant_amx.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#if !defined(__clang__)
#pragma GCC target("amx-tile,amx-int8")
// GCC 12 reports the _mm512_undefined_* placeholders inside its own intrinsics as maybe
// uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/scratch.h"

// clang declares every intrinsic whatever the target; the functions below get AMX (after the
// standard headers, whose definitions must not change attributes).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c,amx-tile,amx-int8"))), apply_to = function)
#endif

namespace fw::kernels {
namespace {

constexpr int kTile = 16;   // rows per weight block, tokens per token block
constexpr int kKA = 32;     // bytes of one lane of one superblock per row: K_i, 8 chunks x 4 (W above)

struct TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

inline __m512i Load512(const void* p) { return _mm512_loadu_si512(p); }

// The 256 bytes of a superblock as 4 zmm (zmm m = chunks 2m, 2m+1) -> o[k] = lanes 2k, 2k+1,
// lane i being [dword i of chunk 0, ..., dword i of chunk 7].
struct LanePermute {
  __m512i p_lo, p_hi, o_even, o_odd;
  LanePermute() {
    alignas(64) int32_t a[16], b[16], e[16], o[16];
    for (int i = 0; i < 4; ++i)
      for (int c = 0; c < 4; ++c) {
        a[4 * i + c] = 8 * c + i;
        b[4 * i + c] = 8 * c + i + 4;
      }
    for (int half = 0; half < 2; ++half)
      for (int c = 0; c < 8; ++c) {
        const int l_even = half, l_odd = 2 + half;
        e[8 * half + c] = c < 4 ? 4 * l_even + c : 16 + 4 * l_even + c - 4;
        o[8 * half + c] = c < 4 ? 4 * l_odd + c : 16 + 4 * l_odd + c - 4;
      }
    p_lo = _mm512_load_si512(a);
    p_hi = _mm512_load_si512(b);
    o_even = _mm512_load_si512(e);
    o_odd = _mm512_load_si512(o);
  }
  void Apply(const __m512i z[4], __m512i out[4]) const {
    const __m512i pl = _mm512_permutex2var_epi32(z[0], p_lo, z[1]);
    const __m512i ph = _mm512_permutex2var_epi32(z[0], p_hi, z[1]);
    const __m512i ql = _mm512_permutex2var_epi32(z[2], p_lo, z[3]);
    const __m512i qh = _mm512_permutex2var_epi32(z[2], p_hi, z[3]);
    out[0] = _mm512_permutex2var_epi32(pl, o_even, ql);
    out[1] = _mm512_permutex2var_epi32(pl, o_odd, ql);
    out[2] = _mm512_permutex2var_epi32(ph, o_even, qh);
    out[3] = _mm512_permutex2var_epi32(ph, o_odd, qh);
  }
};

// out[col] = column col of the 16 x 16 dword matrix in[row].
inline void Transpose16(const __m512i in[16], __m512i out[16]) {
  __m512i u[16];
  for (int g = 0; g < 4; ++g) {
    const __m512i* r = in + 4 * g;
    const __m512i t0 = _mm512_unpacklo_epi32(r[0], r[1]), t1 = _mm512_unpackhi_epi32(r[0], r[1]);
    const __m512i t2 = _mm512_unpacklo_epi32(r[2], r[3]), t3 = _mm512_unpackhi_epi32(r[2], r[3]);
    u[4 * g + 0] = _mm512_unpacklo_epi64(t0, t2);  // per 128-bit lane L: column 4L + 0 of rows 4g..4g+3
    u[4 * g + 1] = _mm512_unpackhi_epi64(t0, t2);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t1, t3);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t1, t3);
  }
  for (int m = 0; m < 4; ++m) {
    const __m512i v01 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x88), w01 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xdd);
    const __m512i v23 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x88), w23 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xdd);
    out[0 + m] = _mm512_shuffle_i32x4(v01, v23, 0x88);
    out[8 + m] = _mm512_shuffle_i32x4(v01, v23, 0xdd);
    out[4 + m] = _mm512_shuffle_i32x4(w01, w23, 0x88);
    out[12 + m] = _mm512_shuffle_i32x4(w01, w23, 0xdd);
  }
}

// Dword rows of X per superblock, in the K_i order.
constexpr int kXRows = 64;

// Activations of tokens [t, t + tn) (tn <= 16, the rest zero) into X for one token block;
// d_x per superblock and token into dx[nb][16]; the min terms' element sums into bs[nb][kBsGroups][16].
template <int kBsGroups>
void PrepareTokens(const QuantizedActs& a, int64_t t, int tn, int64_t nb, const LanePermute& lp, int32_t* x,
                   float* dx, float* bs) {
  const int64_t cols = a.cols;
  constexpr int kGroups = kXRows / 16;
  for (int64_t b = 0; b < nb; ++b) {
    __m512i rows[kGroups][kTile];  // [dword group][token]
    for (int k = 0; k < kTile; ++k) {
      const bool real = k < tn;
      if (!real) {
        for (int g = 0; g < kGroups; ++g) rows[g][k] = _mm512_setzero_si512();
      } else {
        const int8_t* q = a.q + (t + k) * cols + b * 256;
        __m512i z[4], o[4];
        for (int m = 0; m < 4; ++m) z[m] = Load512(q + 64 * m);
        lp.Apply(z, o);
        for (int m = 0; m < 4; ++m) rows[m][k] = o[m];
      }
      dx[b * kTile + k] = real ? a.d[(t + k) * (cols / 32) + b * 8] : 0.0f;
      // The exact element sums over 32 (kBsGroups 8) or 16 (kBsGroups 16) that the min terms use.
      if constexpr (kBsGroups == 8)
        for (int c = 0; c < 8; ++c) bs[(b * 8 + c) * kTile + k] = real ? a.sum32[(t + k) * (cols / 32) + b * 8 + c] : 0.0f;
      if constexpr (kBsGroups == 16)
        for (int g = 0; g < 16; ++g) bs[(b * 16 + g) * kTile + k] = real ? a.sum16[(t + k) * (cols / 16) + b * 16 + g] : 0.0f;
    }
    int32_t* xb = x + b * kXRows * kTile;
    for (int g = 0; g < kGroups; ++g) {
      __m512i cols16[kTile];
      Transpose16(rows[g], cols16);
      for (int c = 0; c < kTile; ++c) _mm512_store_si512(xb + (16 * g + c) * kTile, cols16[c]);
    }
  }
}

inline float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// lo / hi parts (w & 127, w >> 7) of 32 int16 weights as int8.
inline void SplitParts(__m512i w16, __m256i* lo, __m256i* hi) {
  *lo = _mm512_cvtepi16_epi8(_mm512_and_si512(w16, _mm512_set1_epi16(127)));
  *hi = _mm512_cvtepi16_epi8(_mm512_srai_epi16(w16, 7));
}

// The 6-bit scales and mins of a Q4_K superblock.
inline void ScalesMinsQ4K(const uint8_t* q, int* sc, int* mn) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = q[j] & 63;
      mn[j] = q[j + 4] & 63;
    } else {
      sc[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
      mn[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
  }
}

// Weight rows [0, nr) (nr <= 16; the rest zero) of one row block into W (and Wm, dw, dmin).
// kT: 2..6 for Q2_K..Q6_K. mnf[nb][groups][16 rows]: Q4_K / Q5_K mins per 32, Q2_K per 16.
template <int kT>
void PrepareRows(const uint8_t* w, size_t stride, int nr, int64_t nb, const LanePermute& lp, int8_t* wt, float* mnf,
                 float* dw, float* dmin) {
  constexpr bool kQ5 = kT == 5;
  constexpr size_t kLaneBytes = 2 * kTile * kKA;  // both parts of one lane
  const size_t block_bytes = 8 * kLaneBytes;
  if (nr < kTile) {  // rows past the end stay zero
    std::memset(wt, 0, static_cast<size_t>(nb) * block_bytes);
    if constexpr (kT != 6 && kT != 3) std::memset(mnf, 0, static_cast<size_t>(nb) * (kT == 2 ? 16 : 8) * kTile * sizeof(float));
  }
  for (int64_t b = 0; b < nb; ++b)
    for (int r = 0; r < kTile; ++r) dw[b * kTile + r] = dmin[b * kTile + r] = 0.0f;
  for (int r = 0; r < nr; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * stride;
    for (int64_t b = 0; b < nb; ++b) {
      __m256i part[2][8];  // [lo/hi][chunk c], kept in registers (no store-forwarding stalls)
      int8_t* out = wt + static_cast<size_t>(b) * block_bytes;
      if constexpr (kT == 4 || kT == 5) {
        // Q4_K: d, dmin, scales[12], qs[128]; Q5_K: the same with qh[32] before qs.
        const uint8_t* blk = row + static_cast<size_t>(b) * (kQ5 ? 176 : 144);
        dw[b * kTile + r] = Half(blk);
        dmin[b * kTile + r] = Half(blk + 2);
        int sc[8], mn[8];
        ScalesMinsQ4K(blk + 4, sc, mn);
        for (int j = 0; j < 4; ++j) {
          const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + (kQ5 ? 48 : 16) + 32 * j));
          const __m256i m4 = _mm256_set1_epi8(0x0F);
          __m256i u[2] = {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)};
          if constexpr (kQ5) {  // bit 2j (2j + 1) of qh byte k is the fifth bit of chunk 2j (2j + 1)
            const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16));
            const __m256i one = _mm256_set1_epi8(1);
            for (int h = 0; h < 2; ++h)
              u[h] = _mm256_or_si256(u[h], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * j + h), one), 4));
          }
          for (int h = 0; h < 2; ++h) {
            const int c = 2 * j + h;
            const __m512i w16 = _mm512_mullo_epi16(_mm512_cvtepu8_epi16(u[h]), _mm512_set1_epi16(static_cast<int16_t>(sc[c])));
            __m256i lo, hi;
            SplitParts(w16, &lo, &hi);
            part[0][c] = lo;
            part[1][c] = hi;
          }
          for (int h = 0; h < 2; ++h) mnf[(b * 8 + 2 * j + h) * kTile + r] = static_cast<float>(mn[2 * j + h]);
        }
      } else if constexpr (kT == 2 || kT == 3) {
        // Q2_K: scales[16] (scale | min << 4), qs[64], d, dmin. Q3_K: hmask[32], qs[64],
        // scales[12] (6 bits, minus 32), d. Chunk c = 4j + k holds bits 2k.. of qs[32j..].
        const uint8_t* blk = row + static_cast<size_t>(b) * (kT == 2 ? 84 : 110);
        alignas(16) int8_t sc[16];
        if constexpr (kT == 2) {
          dw[b * kTile + r] = Half(blk + 80);
          dmin[b * kTile + r] = Half(blk + 82);
          for (int g = 0; g < 16; ++g) {
            sc[g] = static_cast<int8_t>(blk[g] & 0xF);
            mnf[(b * 16 + g) * kTile + r] = static_cast<float>(blk[g] >> 4);
          }
        } else {
          dw[b * kTile + r] = Half(blk + 108);
          const uint8_t* q = blk + 96;
          for (int g = 0; g < 16; ++g) {
            const int lo = g < 8 ? (q[g] & 0xF) : (q[g - 8] >> 4);
            const int hi = (q[8 + (g % 4)] >> (2 * (g / 4))) & 3;
            sc[g] = static_cast<int8_t>((lo | (hi << 4)) - 32);
          }
        }
        const __m256i m3 = _mm256_set1_epi8(3);
        for (int j = 0; j < 2; ++j) {
          const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + (kT == 2 ? 16 : 32) + 32 * j));
          for (int k = 0; k < 4; ++k) {
            const int c = 4 * j + k;
            __m256i u = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), m3);
            __m512i u16;
            if constexpr (kT == 3) {  // v = u | hmask bit << 2, minus 4: signed -4..3
              const __m256i hm = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk));
              u = _mm256_or_si256(u, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, c), _mm256_set1_epi8(1)), 2));
              u16 = _mm512_cvtepi8_epi16(_mm256_sub_epi8(u, _mm256_set1_epi8(4)));
            } else {
              u16 = _mm512_cvtepu8_epi16(u);
            }
            // Bytes 0..15 (lanes 0-3) are in group 2c, bytes 16..31 in group 2c + 1.
            const __m512i scale = _mm512_inserti64x4(_mm512_set1_epi16(sc[2 * c]), _mm256_set1_epi16(sc[2 * c + 1]), 1);
            __m256i lo, hi;
            SplitParts(_mm512_mullo_epi16(u16, scale), &lo, &hi);
            part[0][c] = lo;
            part[1][c] = hi;
          }
        }
      } else {
        const uint8_t* blk = row + static_cast<size_t>(b) * 210;
        dw[b * kTile + r] = Half(blk + 208);
        const auto* s = reinterpret_cast<const int8_t*>(blk + 192);
        const __m256i m4 = _mm256_set1_epi8(0x0F);
        for (int n = 0; n < 2; ++n) {
          const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * n));
          const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 64 * n + 32));
          const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 128 + 32 * n));
          __m256i u[4];
          u[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(0x03)), 4));
          u[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(0x0C)), 2));
          u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, _mm256_set1_epi8(0x30)));
          u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                 _mm256_srli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(static_cast<char>(0xC0))), 2));
          for (int k = 0; k < 4; ++k) {
            const int c = 4 * n + k;
            // Bytes 0..15 (lanes 0-3) are in group 2c, bytes 16..31 in group 2c + 1.
            const __m512i scale = _mm512_inserti64x4(_mm512_set1_epi16(s[2 * c]), _mm256_set1_epi16(s[2 * c + 1]), 1);
            // |scale * (u - 32)| <= 128 * 32: lo 0..127 and hi -32..31 both fit int8.
            const __m512i w16 =
                _mm512_mullo_epi16(_mm512_cvtepi8_epi16(_mm256_sub_epi8(u[k], _mm256_set1_epi8(32))), scale);
            __m256i lo, hi;
            SplitParts(w16, &lo, &hi);
            part[0][c] = lo;
            part[1][c] = hi;
          }
        }
      }
      for (int p = 0; p < 2; ++p) {
        __m512i z[4], o[4];
        for (int m = 0; m < 4; ++m) z[m] = _mm512_inserti64x4(_mm512_castsi256_si512(part[p][2 * m]), part[p][2 * m + 1], 1);
        lp.Apply(z, o);
        for (int k = 0; k < 4; ++k)
          for (int e = 0; e < 2; ++e) {
            const int i = 2 * k + e;
            const __m256i v = e == 0 ? _mm512_castsi512_si256(o[k]) : _mm512_extracti64x4_epi64(o[k], 1);
            int8_t* dst = out + static_cast<size_t>(i) * kLaneBytes + p * kTile * kKA + r * kKA;
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v);
          }
      }
    }
  }
}

void ConfigureTiles() {
  TileConfig cfg;
  for (int i = 0; i < 8; ++i) {
    cfg.rows[i] = kTile;
    cfg.colsb[i] = 64;
  }
  cfg.colsb[0] = cfg.colsb[1] = kKA;  // weights of one lane, lo and hi parts
  cfg.rows[2] = kKA / 4;              // activations of one lane
  _tile_loadconfig(&cfg);
}

// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): the order of HorizontalSum on 8 lanes.
inline __m512 LaneSum8(const __m512* l) {
  return _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(l[0], l[4]), _mm512_add_ps(l[2], l[6])),
                       _mm512_add_ps(_mm512_add_ps(l[1], l[5]), _mm512_add_ps(l[3], l[7])));
}

// Tile products of one lane of one superblock for one token block: weights in tiles 0 (lo)
// and 1 (hi), activations in tile 2, results in tiles 3 and 4, stored to cb as
// [lo, hi][16 rows][16 tokens].
inline void IssueLane(const int8_t* wl, const int32_t* xl, int32_t* cb) {
  _tile_loadd(0, wl, kKA);
  _tile_loadd(1, wl + kTile * kKA, kKA);
  _tile_loadd(2, xl, 64);
  _tile_zero(3);
  _tile_zero(4);
  _tile_dpbssd(3, 0, 2);
  _tile_dpbssd(4, 1, 2);
  _tile_stored(3, cb, 64);
  _tile_stored(4, cb + 256, 64);
}

// One token block of a row block: X, the d vectors [nb][16 rows] over its tokens, and for
// Q4_K the 32-element sums and the -d_x * dmin_w vectors.
struct BlockArgs {
  const int32_t* x;
  const __m512* d;
  const __m512* dm;
  const float* bs;  // [nb][8][16 tokens]
};

// One row block x one token block, lane by lane over all superblocks, so that a lane's 16 row
// accumulators stay in registers (added in superblock order); superblock b + 1's tile products
// are issued before b's are added (cbuf halves alternate). lanes[i * 16 + r] receives lane i
// of row r (Q4_K: min lanes at i = 8..11).
template <int kT>
void RowBlockTokens(const int8_t* wt, const float* mnf, const BlockArgs& blk, int64_t nb, int32_t* cbuf, __m512* lanes) {
  constexpr bool kQ5 = kT == 5;
  constexpr size_t kLaneBytes = 2 * kTile * kKA;
  for (int i = 0; i < 8; ++i) {
    auto issue = [&](int64_t b) {
      IssueLane(wt + (static_cast<size_t>(b) * 8 + i) * kLaneBytes, blk.x + b * kXRows * kTile + 8 * i * kTile,
                cbuf + (b & 1) * 512);
    };
    __m512 acc[kTile];
    for (int r = 0; r < kTile; ++r) acc[r] = _mm512_setzero_ps();
    issue(0);
    for (int64_t b = 0; b < nb; ++b) {
      if (b + 1 < nb) issue(b + 1);
      const int32_t* c = cbuf + (b & 1) * 512;
      const __m512* d = blk.d + b * kTile;
      if constexpr (kT == 2) {
        // Q2_K adds its min lane i (groups 2i, 2i + 1; an exact integer in float) into the
        // same accumulator first.
        const float* bs = blk.bs + b * 16 * kTile;
        const __m512 b0 = _mm512_loadu_ps(bs + 2 * i * kTile), b1 = _mm512_loadu_ps(bs + (2 * i + 1) * kTile);
        const float* m0 = mnf + (b * 16 + 2 * i) * kTile;
        const float* m1 = m0 + kTile;
        const __m512* dm = blk.dm + b * kTile;
        for (int r = 0; r < kTile; ++r) {
          const __m512 mins = _mm512_fmadd_ps(_mm512_set1_ps(m1[r]), b1, _mm512_mul_ps(_mm512_set1_ps(m0[r]), b0));
          acc[r] = _mm512_fmadd_ps(dm[r], mins, acc[r]);
        }
      }
      for (int r = 0; r < kTile; ++r) {
        const __m512i sumi = _mm512_add_epi32(_mm512_load_si512(c + 16 * r), _mm512_slli_epi32(_mm512_load_si512(c + 256 + 16 * r), 7));
        acc[r] = _mm512_fmadd_ps(d[r], _mm512_cvtepi32_ps(sumi), acc[r]);
      }
    }
    for (int r = 0; r < kTile; ++r) lanes[i * kTile + r] = acc[r];
  }
  if constexpr (kQ5) {
    // Q5_K: all 8 min products summed per superblock (ggml's hadd of the 4 min lanes), an
    // integer below 2^24 that the float sums give exactly, added by one fma into lane 8.
    __m512 acc[kTile];
    for (int r = 0; r < kTile; ++r) acc[r] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const __m512* dm = blk.dm + b * kTile;
      const float* bs = blk.bs + b * 8 * kTile;
      __m512 bc[8];
      for (int c = 0; c < 8; ++c) bc[c] = _mm512_loadu_ps(bs + c * kTile);
      for (int r = 0; r < kTile; ++r) {
        __m512 total = _mm512_mul_ps(_mm512_set1_ps(mnf[(b * 8) * kTile + r]), bc[0]);
        for (int c = 1; c < 8; ++c) total = _mm512_fmadd_ps(_mm512_set1_ps(mnf[(b * 8 + c) * kTile + r]), bc[c], total);
        acc[r] = _mm512_fmadd_ps(dm[r], total, acc[r]);
      }
    }
    for (int r = 0; r < kTile; ++r) lanes[8 * kTile + r] = acc[r];
  } else if constexpr (kT == 4) {
    // Min lane j = m_{2j} * bs_{2j} + m_{2j+1} * bs_{2j+1}: products and sum are integers
    // below 2^24, so the float arithmetic gives ggml's int32 value exactly.
    for (int j = 0; j < 4; ++j) {
      __m512 acc[kTile];
      for (int r = 0; r < kTile; ++r) acc[r] = _mm512_setzero_ps();
      for (int64_t b = 0; b < nb; ++b) {
        const __m512* dm = blk.dm + b * kTile;
        const float* bs = blk.bs + b * 8 * kTile;
        const __m512 b0 = _mm512_loadu_ps(bs + 2 * j * kTile), b1 = _mm512_loadu_ps(bs + (2 * j + 1) * kTile);
        const float* m0 = mnf + (b * 8 + 2 * j) * kTile;
        const float* m1 = m0 + kTile;
        for (int r = 0; r < kTile; ++r) {
          const __m512 mins = _mm512_fmadd_ps(_mm512_set1_ps(m1[r]), b1, _mm512_mul_ps(_mm512_set1_ps(m0[r]), b0));
          acc[r] = _mm512_fmadd_ps(dm[r], mins, acc[r]);
        }
      }
      for (int r = 0; r < kTile; ++r) lanes[(8 + j) * kTile + r] = acc[r];
    }
  }
}

template <int kT>
void AmxRowsTokens(const uint8_t* w, size_t stride, int64_t rows, int64_t cols, const QuantizedActs& a, int64_t t0,
                   int64_t t1, float* y, int64_t ldy) {
  constexpr bool kQ5 = kT == 5;
  constexpr int kBsGroups = kT == 2 ? 16 : (kT == 4 || kT == 5) ? 8 : 0;  // of the min terms
  constexpr int kLanes = 12;
  const int64_t nb = cols / 256;
  const int64_t ntb = (t1 - t0 + kTile - 1) / kTile;
  const size_t x_ints = static_cast<size_t>(nb) * kXRows * kTile;
  const size_t wt_bytes = static_cast<size_t>(nb) * 8 * 2 * kTile * kKA;
  const size_t per_sb = static_cast<size_t>(nb) * kTile;  // floats of one [nb][16] array
  auto round64 = [](size_t v) { return (v + 63) & ~size_t{63}; };
  const size_t sz_x = round64(x_ints * 4) * ntb, sz_dx = round64(per_sb * 4) * ntb, sz_bs = round64(per_sb * 16 * 4) * ntb;
  const size_t sz_wt = round64(wt_bytes), sz_mn = round64(per_sb * 16 * 4), sz_d = round64(per_sb * 4);
  const size_t sz_vec = per_sb * 64;  // [nb][16] zmm
  static thread_local Scratch scratch;
  auto* p = static_cast<uint8_t*>(scratch.Get(sz_x + sz_dx + sz_bs + sz_wt + sz_mn + 2 * sz_d + 4 * 1024 + 2 * sz_vec +
                                              kLanes * kTile * 64));
  auto take = [&p](size_t bytes) {
    uint8_t* q = p;
    p += bytes;
    return q;
  };
  auto* x = reinterpret_cast<int32_t*>(take(sz_x));
  auto* dx = reinterpret_cast<float*>(take(sz_dx));
  auto* bs = reinterpret_cast<float*>(take(sz_bs));
  auto* wt = reinterpret_cast<int8_t*>(take(sz_wt));
  auto* mnf = reinterpret_cast<float*>(take(sz_mn));
  auto* dw = reinterpret_cast<float*>(take(sz_d));
  auto* dmin = reinterpret_cast<float*>(take(sz_d));
  auto* cbuf = reinterpret_cast<int32_t*>(take(4 * 1024));             // 2 halves x [lo, hi][16][16]
  auto* vecs = reinterpret_cast<__m512*>(take(2 * sz_vec));            // [d, dm][nb][16]
  auto* lanes = reinterpret_cast<__m512*>(take(kLanes * kTile * 64));  // [12 lanes][16 rows]

  const LanePermute lp;
  for (int64_t tb = 0; tb < ntb; ++tb) {
    const int64_t t = t0 + tb * kTile;
    PrepareTokens<kBsGroups>(a, t, static_cast<int>(std::min<int64_t>(kTile, t1 - t)), nb, lp, x + tb * (sz_x / ntb / 4),
                       dx + tb * (sz_dx / ntb / 4), bs + tb * (sz_bs / ntb / 4));
  }
  ConfigureTiles();
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int nr = static_cast<int>(std::min<int64_t>(kTile, rows - r0));
    PrepareRows<kT>(w + static_cast<size_t>(r0) * stride, stride, nr, nb, lp, wt, mnf, dw, dmin);
    for (int64_t tb = 0; tb < ntb; ++tb) {
      const float* dxt = dx + tb * (sz_dx / ntb / 4);
      __m512* d = vecs;
      __m512* dm = d + per_sb;
      for (int64_t b = 0; b < nb; ++b) {
        const __m512 dxv = _mm512_loadu_ps(dxt + b * kTile);
        const __m512 ndx = _mm512_xor_ps(dxv, _mm512_set1_ps(-0.0f));  // -d_x, as ggml negates
        for (int r = 0; r < kTile; ++r) {
          d[b * kTile + r] = _mm512_mul_ps(dxv, _mm512_set1_ps(dw[b * kTile + r]));
          if constexpr (kT != 6) dm[b * kTile + r] = _mm512_mul_ps(ndx, _mm512_set1_ps(dmin[b * kTile + r]));
        }
      }
      const BlockArgs blk{x + tb * (sz_x / ntb / 4), d, dm, bs + tb * (sz_bs / ntb / 4)};
      RowBlockTokens<kT>(wt, mnf, blk, nb, cbuf, lanes);
      const int64_t tk = t0 + tb * kTile;
      const int tn = static_cast<int>(std::min<int64_t>(kTile, t1 - tk));
      for (int r = 0; r < nr; ++r) {
        __m512 l[8];
        for (int i = 0; i < 8; ++i) l[i] = lanes[i * kTile + r];
        __m512 v = LaneSum8(l);
        if constexpr (kQ5) {
          v = _mm512_add_ps(v, lanes[8 * kTile + r]);
        } else if constexpr (kT == 4) {
          const __m512* m = lanes + 8 * kTile + r;
          v = _mm512_add_ps(v, _mm512_add_ps(_mm512_add_ps(m[0], m[2 * kTile]), _mm512_add_ps(m[kTile], m[3 * kTile])));
        }
        alignas(64) float out[kTile];
        _mm512_store_ps(out, v);
        for (int q = 0; q < tn; ++q) y[(tk + q) * ldy + r0 + r] = out[q];
      }
    }
  }
  _tile_release();
}

bool AmxUsable() {
  const char* env = std::getenv("FLYWHEEL_AMX");
  if (env != nullptr && std::strcmp(env, "0") == 0) return false;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  const bool amx_tile = (d >> 24) & 1, amx_int8 = (d >> 25) & 1;
  const bool avx512 = ((b >> 16) & 1) && ((b >> 30) & 1);  // avx512f, avx512bw
  if (!amx_tile || !amx_int8 || !avx512) return false;
  __cpuid(1, a, b, c, d);
  if (((c >> 27) & 1) == 0) return false;  // OSXSAVE
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0x60000u) != 0x60000u) return false;  // XTILECFG, XTILEDATA
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

}  // namespace

DotRowsQTokensFn AmxKQuantTokens(GgmlType type) {
  static const bool usable = AmxUsable();
  if (!usable) return nullptr;
  if (type == GgmlType::Q2_K) return &AmxRowsTokens<2>;
  if (type == GgmlType::Q3_K) return &AmxRowsTokens<3>;
  if (type == GgmlType::Q4_K) return &AmxRowsTokens<4>;
  if (type == GgmlType::Q5_K) return &AmxRowsTokens<5>;
  if (type == GgmlType::Q6_K) return &AmxRowsTokens<6>;
  return nullptr;
}

}  // namespace fw::kernels
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
namespace fw::kernels {
DotRowsQTokensFn AmxKQuantTokens(GgmlType /*type*/) { return nullptr; }
}  // namespace fw::kernels
#endif
