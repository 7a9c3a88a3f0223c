#include "kernels/weight_blocks.h"

#include <cstring>

#include "tensor/fp16.h"

namespace fw::kernels {
namespace {

constexpr ActsKind k80 = ActsKind::kQ8_0, k81 = ActsKind::kQ8_1, k8K = ActsKind::kQ8_K;
constexpr BlockFormat kQ4_0{32, 32, 8, false, 15, k80};
constexpr BlockFormat kQ4_1{32, 32, 0, true, 15, k81};
constexpr BlockFormat kQ5_0{32, 32, 16, false, 31, k80};
constexpr BlockFormat kQ5_1{32, 32, 0, true, 31, k81};
constexpr BlockFormat kQ8_0{32, 32, 128, false, 255, k80};
constexpr BlockFormat kIq4nl{32, 32, 128, false, 241, k80};
constexpr BlockFormat kQ2_K{256, 16, 0, true, 3, k8K};
constexpr BlockFormat kQ3_K{256, 16, 4, false, 7, k8K};
constexpr BlockFormat kQ4_K{256, 32, 0, true, 15, k8K};
constexpr BlockFormat kQ5_K{256, 32, 0, true, 31, k8K};
constexpr BlockFormat kQ6_K{256, 16, 32, false, 63, k8K};

float Half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return Fp16ToFp32(h);
}

// Q4_K / Q5_K packed 6-bit scale and min of sub-block j (0..7).
void ScaleMinK4(int j, const uint8_t* q, int* sc, int* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void DecodeLegacy4(const uint8_t* qs, uint8_t* u) {
  for (int j = 0; j < 16; ++j) {
    u[j] = qs[j] & 0xF;
    u[j + 16] = qs[j] >> 4;
  }
}

void DecodeLegacy5(const uint8_t* qh_bytes, const uint8_t* qs, uint8_t* u) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  for (int j = 0; j < 16; ++j) {
    u[j] = static_cast<uint8_t>((qs[j] & 0xF) | (((qh >> j) & 1) << 4));
    u[j + 16] = static_cast<uint8_t>((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
  }
}

// Fills scale / min from the integer form (K-quants): scale[g] = d * iscale[g],
// min[g] = -dmin * imin[g].
void ScalesFromIntegers(int groups, DecodedBlock* out) {
  for (int g = 0; g < groups; ++g) {
    out->scale[g] = out->d * static_cast<float>(out->iscale[g]);
    out->min[g] = -out->dmin * static_cast<float>(out->imin[g]);
  }
}

// Q4_K / Q5_K: d, dmin, then the 8 packed 6-bit scales and mins at b + 4.
void DecodeScalesK4(const uint8_t* b, DecodedBlock* out) {
  out->d = Half(b);
  out->dmin = Half(b + 2);
  for (int g = 0; g < 8; ++g) {
    int s, m;
    ScaleMinK4(g, b + 4, &s, &m);
    out->iscale[g] = static_cast<int16_t>(s);
    out->imin[g] = static_cast<int16_t>(m);
  }
  ScalesFromIntegers(8, out);
}

}  // namespace

const BlockFormat* FormatOf(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return &kQ4_0;
    case GgmlType::Q4_1: return &kQ4_1;
    case GgmlType::Q5_0: return &kQ5_0;
    case GgmlType::Q5_1: return &kQ5_1;
    case GgmlType::Q8_0: return &kQ8_0;
    case GgmlType::IQ4_NL: return &kIq4nl;
    case GgmlType::Q2_K: return &kQ2_K;
    case GgmlType::Q3_K: return &kQ3_K;
    case GgmlType::Q4_K: return &kQ4_K;
    case GgmlType::Q5_K: return &kQ5_K;
    case GgmlType::Q6_K: return &kQ6_K;
    default: return nullptr;
  }
}

void DecodeBlock(GgmlType t, const uint8_t* b, DecodedBlock* out) {
  uint8_t* u = out->u;
  std::memset(out->iscale, 0, sizeof(out->iscale));
  std::memset(out->imin, 0, sizeof(out->imin));
  out->d = out->dmin = 0.0f;
  switch (t) {
    case GgmlType::Q4_0: {  // d, qs[16]
      out->scale[0] = Half(b);
      out->min[0] = 0.0f;
      DecodeLegacy4(b + 2, u);
      return;
    }
    case GgmlType::Q4_1: {  // d, m, qs[16]
      out->scale[0] = Half(b);
      out->min[0] = Half(b + 2);
      DecodeLegacy4(b + 4, u);
      return;
    }
    case GgmlType::Q5_0: {  // d, qh[4], qs[16]
      out->scale[0] = Half(b);
      out->min[0] = 0.0f;
      DecodeLegacy5(b + 2, b + 6, u);
      return;
    }
    case GgmlType::Q5_1: {  // d, m, qh[4], qs[16]
      out->scale[0] = Half(b);
      out->min[0] = Half(b + 2);
      DecodeLegacy5(b + 4, b + 8, u);
      return;
    }
    case GgmlType::Q8_0: {  // d, qs[32] int8
      out->scale[0] = Half(b);
      out->min[0] = 0.0f;
      for (int j = 0; j < 32; ++j) u[j] = static_cast<uint8_t>(static_cast<int8_t>(b[2 + j]) + 128);
      return;
    }
    case GgmlType::IQ4_NL: {  // d, qs[16] indices into the code book
      out->scale[0] = Half(b);
      out->min[0] = 0.0f;
      for (int j = 0; j < 16; ++j) {
        u[j] = static_cast<uint8_t>(kIq4nlValues[b[2 + j] & 0xF] + 128);
        u[j + 16] = static_cast<uint8_t>(kIq4nlValues[b[2 + j] >> 4] + 128);
      }
      return;
    }
    case GgmlType::Q2_K: {  // scales[16], qs[64], d, dmin
      const uint8_t* scales = b;
      const uint8_t* qs = b + 16;
      out->d = Half(b + 80);
      out->dmin = Half(b + 82);
      for (int g = 0; g < 16; ++g) {
        out->iscale[g] = static_cast<int16_t>(scales[g] & 0xF);
        out->imin[g] = static_cast<int16_t>(scales[g] >> 4);
      }
      ScalesFromIntegers(16, out);
      // Element n*128 + j*32 + l takes bits 2j..2j+1 of qs[n*32 + l].
      for (int n = 0; n < 2; ++n)
        for (int j = 0; j < 4; ++j)
          for (int l = 0; l < 32; ++l) u[n * 128 + j * 32 + l] = (qs[n * 32 + l] >> (2 * j)) & 3;
      return;
    }
    case GgmlType::Q3_K: {  // hmask[32], qs[64], scales[12], d
      const uint8_t* hmask = b;
      const uint8_t* qs = b + 32;
      const uint8_t* sc = b + 96;
      out->d = Half(b + 108);
      for (int g = 0; g < 16; ++g) {
        // 16 6-bit scales: low 4 bits from sc[0..7] nibbles, high 2 bits from sc[8..11].
        const int lo = g < 8 ? (sc[g] & 0xF) : (sc[g - 8] >> 4);
        const int hi = (sc[8 + (g % 4)] >> (2 * (g / 4))) & 3;
        out->iscale[g] = static_cast<int16_t>((lo | (hi << 4)) - 32);
      }
      ScalesFromIntegers(16, out);
      // Element n*128 + j*32 + l: low 2 bits = bits 2j of qs[n*32+l]; high bit = bit
      // (n*4 + j) of hmask[l]. u = q3 + 4 where q3 = low - (high ? 0 : 4).
      for (int n = 0; n < 2; ++n)
        for (int j = 0; j < 4; ++j)
          for (int l = 0; l < 32; ++l) {
            const int low = (qs[n * 32 + l] >> (2 * j)) & 3;
            const int high = (hmask[l] >> (n * 4 + j)) & 1;
            u[n * 128 + j * 32 + l] = static_cast<uint8_t>(low + 4 * high);
          }
      return;
    }
    case GgmlType::Q4_K: {  // d, dmin, scales[12], qs[128]
      const uint8_t* qs = b + 16;
      DecodeScalesK4(b, out);
      for (int j = 0; j < 4; ++j)
        for (int l = 0; l < 32; ++l) {
          u[j * 64 + l] = qs[j * 32 + l] & 0xF;
          u[j * 64 + 32 + l] = qs[j * 32 + l] >> 4;
        }
      return;
    }
    case GgmlType::Q5_K: {  // d, dmin, scales[12], qh[32], qs[128]
      const uint8_t* qh = b + 16;
      const uint8_t* qs = b + 48;
      DecodeScalesK4(b, out);
      for (int j = 0; j < 4; ++j)
        for (int l = 0; l < 32; ++l) {
          u[j * 64 + l] = static_cast<uint8_t>((qs[j * 32 + l] & 0xF) | (((qh[l] >> (2 * j)) & 1) << 4));
          u[j * 64 + 32 + l] =
              static_cast<uint8_t>((qs[j * 32 + l] >> 4) | (((qh[l] >> (2 * j + 1)) & 1) << 4));
        }
      return;
    }
    case GgmlType::Q6_K: {  // ql[128], qh[64], scales[16] int8, d
      const uint8_t* ql = b;
      const uint8_t* qh = b + 128;
      const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
      out->d = Half(b + 208);
      for (int g = 0; g < 16; ++g) out->iscale[g] = sc[g];
      ScalesFromIntegers(16, out);
      for (int n = 0; n < 2; ++n)
        for (int l = 0; l < 32; ++l) {
          const uint8_t* lq = ql + n * 64;
          const uint8_t h = qh[n * 32 + l];
          uint8_t* un = u + n * 128;
          un[l] = static_cast<uint8_t>((lq[l] & 0xF) | ((h & 3) << 4));
          un[l + 32] = static_cast<uint8_t>((lq[l + 32] & 0xF) | (((h >> 2) & 3) << 4));
          un[l + 64] = static_cast<uint8_t>((lq[l] >> 4) | (((h >> 4) & 3) << 4));
          un[l + 96] = static_cast<uint8_t>((lq[l + 32] >> 4) | (((h >> 6) & 3) << 4));
        }
      return;
    }
    default:
      return;
  }
}

}  // namespace fw::kernels
