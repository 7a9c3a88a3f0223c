// Round trips on random data for every quantizable type, edge-case inputs, and the bit layout
// of the formats without a golden file (decoded from blocks built by hand from the format
// description in quant_blocks.h, not from the quantizer).
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/fp16.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants.h"

namespace fw {
namespace {

struct RoundTripCase {
  GgmlType type;
  // Bound on rmse / rms for N(0, 1) data: a uniform quantizer with step s has error rms
  // s / sqrt(12); s ~ (block extreme, ~2.1 sigma for 32 values, ~2.7 for 256) / levels.
  // Each bound is ~1.5x that estimate. IQ3_S / IQ3_XXS fit |x| to 8 odd levels (step ~2*2.1/15)
  // but only 512 / 256 of the 4096 level vectors of a 4-element group exist in the codebook,
  // which roughly doubles the error: bounds as Q3_K's, IQ3_XXS (smaller grid) a bit more. Ternary types cannot approximate Gaussian data:
  // their bound only says "better than nothing" (three levels, d = max|x| ~ 2.7 sigma).
  double rel_rmse_bound;
};

const RoundTripCase kRoundTrip[] = {
    {GgmlType::F32, 0.0},     {GgmlType::F16, 1e-3},    {GgmlType::BF16, 4e-3},
    {GgmlType::Q8_0, 0.01},   {GgmlType::Q8_1, 0.01},   {GgmlType::Q5_0, 0.07},
    {GgmlType::Q5_1, 0.06},   {GgmlType::Q4_0, 0.15},   {GgmlType::Q4_1, 0.12},
    {GgmlType::Q8_K, 0.01},   {GgmlType::Q6_K, 0.035},  {GgmlType::Q5_K, 0.07},
    {GgmlType::Q4_K, 0.13},   {GgmlType::Q3_K, 0.25},   {GgmlType::Q2_K, 0.45},
    {GgmlType::IQ4_NL, 0.13}, {GgmlType::IQ4_XS, 0.13}, {GgmlType::IQ3_S, 0.30},
    {GgmlType::IQ3_XXS, 0.35}, {GgmlType::TQ1_0, 0.95},
    {GgmlType::TQ2_0, 0.95},
};

std::vector<float> Gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double RelRmse(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
    ref += a[i] * static_cast<double>(a[i]);
  }
  return ref > 0 ? std::sqrt(err / ref) : std::sqrt(err);
}

std::vector<float> RoundTrip(GgmlType t, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(RowBytes(t, n) + 1, 0xEE);
  EXPECT_EQ(QuantizeRow(t, x.data(), q.data(), n), RowBytes(t, n)) << TypeName(t);
  EXPECT_EQ(q.back(), 0xEE) << TypeName(t) << ": wrote past the row";
  std::vector<float> back(n + 1, -12345.0f);
  DequantizeRow(t, q.data(), back.data(), n);
  EXPECT_EQ(back.back(), -12345.0f) << TypeName(t) << ": wrote past the output";
  back.pop_back();
  return back;
}

TEST(QuantRoundTrip, EveryQuantizableTypeOnGaussianRows) {
  for (const RoundTripCase& c : kRoundTrip) {
    ASSERT_TRUE(CanQuantize(c.type)) << TypeName(c.type);
    ASSERT_TRUE(CanDequantize(c.type)) << TypeName(c.type);
    const int64_t block = TypeTraits(c.type).block_size;
    // An odd number of blocks per row (7 super-blocks = 1792 elements), 3 rows.
    const int64_t n = (block == 1 ? 1001 : block * 7);
    for (uint32_t row = 0; row < 3; ++row) {
      const std::vector<float> x = Gaussian(n, 1000 * static_cast<uint32_t>(c.type) + row);
      const double rel = RelRmse(x, RoundTrip(c.type, x));
      EXPECT_LE(rel, c.rel_rmse_bound) << TypeName(c.type) << " row " << row;
      std::cout << "[quant-roundtrip] " << TypeName(c.type) << " row " << row << " rel rmse " << rel
                << "\n";
    }
  }
}

TEST(QuantRoundTrip, ScaleInvariance) {
  // Quantization error scales with the data (no absolute thresholds), for tiny and huge values.
  for (const RoundTripCase& c : kRoundTrip) {
    if (c.type == GgmlType::F32) continue;
    const int64_t n = 256 * 2;
    for (float sigma : {1e-3f, 1e3f}) {
      const std::vector<float> x = Gaussian(n, 7, sigma);
      EXPECT_LE(RelRmse(x, RoundTrip(c.type, x)), c.rel_rmse_bound)
          << TypeName(c.type) << " sigma " << sigma;
    }
  }
}

TEST(QuantRoundTrip, ZerosStayZero) {
  for (const RoundTripCase& c : kRoundTrip) {
    const std::vector<float> x(512, 0.0f);
    for (float v : RoundTrip(c.type, x)) ASSERT_EQ(v, 0.0f) << TypeName(c.type);
  }
}

TEST(QuantRoundTrip, ZeroSubBlocksInsideANonZeroBlock) {
  // Half the elements zero (in whole 32-runs), the rest Gaussian: zero runs must come back
  // (near) zero and the rest within the bound; exercises the "all-zero sub-block" branches.
  for (const RoundTripCase& c : kRoundTrip) {
    if (c.type == GgmlType::IQ3_S) continue;  // see Iq3SZeroSubBlockQuirk
    std::vector<float> x = Gaussian(512, 99);
    for (int i = 0; i < 512; ++i)
      if ((i / 32) % 2 == 0) x[i] = 0.0f;
    const std::vector<float> back = RoundTrip(c.type, x);
    for (int i = 0; i < 512; ++i) {
      // Formats with a min can put 0 between levels: allow one step of the block (<= ~0.4).
      if ((i / 32) % 2 == 0) {
        EXPECT_NEAR(back[i], 0.0f, 0.45f) << TypeName(c.type) << " @" << i;
      }
    }
    EXPECT_LE(RelRmse(x, back), c.rel_rmse_bound * 1.2) << TypeName(c.type);
  }
}

TEST(QuantRoundTrip, ExtremeElementIsKept) {
  // One outlier per 256: every format maps the block extreme (nearly) exactly onto a level.
  for (const RoundTripCase& c : kRoundTrip) {
    std::vector<float> x = Gaussian(512, 5, 0.01f);
    x[17] = 3.0f;
    x[300] = -5.0f;
    const std::vector<float> back = RoundTrip(c.type, x);
    const double tol = c.type == GgmlType::BF16 ? 0.02 : 0.05;  // d is stored as f16 (or bf16)
    EXPECT_NEAR(back[17], 3.0f, 3.0 * tol) << TypeName(c.type);
    EXPECT_NEAR(back[300], -5.0f, 5.0 * tol) << TypeName(c.type);
  }
}

TEST(QuantRoundTrip, ExactlyRepresentableValuesSurvive) {
  // Values already on a format's grid come back exactly.
  {  // Q8_0: d = 127/127 = 1 -> integers -127..127.
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) x[i] = static_cast<float>((i * 37) % 255 - 127);
    x[5] = 127;
    x[40] = -127;
    EXPECT_EQ(RoundTrip(GgmlType::Q8_0, x), x);
    EXPECT_EQ(RoundTrip(GgmlType::Q8_K, std::vector<float>(x.begin(), x.end())).size(), 64u);
  }
  {  // Q4_0: max = -8 gives d = 1 -> integers -8..7.
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i % 16 - 8);
    EXPECT_EQ(RoundTrip(GgmlType::Q4_0, x), x);
  }
  {  // Ternary: {-1, 0, 1} * 0.5 with one element at +-0.5.
    std::vector<float> x(256);
    for (int i = 0; i < 256; ++i) x[i] = 0.5f * static_cast<float>((i * 7) % 3 - 1);
    EXPECT_EQ(RoundTrip(GgmlType::TQ1_0, x), x);
    EXPECT_EQ(RoundTrip(GgmlType::TQ2_0, x), x);
  }
}

TEST(QuantRoundTrip, Iq3SZeroSubBlockQuirk) {
  // ggml's IQ3_S quantizer does not advance its grid-index / sign write position past an
  // all-zero 32-element sub-block, so the next sub-block's groups are stored one slot early
  // (and decode misplaced). llama.cpp's files carry exactly these bytes; we reproduce them.
  std::vector<float> x = Gaussian(256, 21);
  std::fill(x.begin(), x.begin() + 32, 0.0f);  // sub-block 0 zero
  std::vector<uint8_t> q(RowBytes(GgmlType::IQ3_S, 256));
  QuantizeRow(GgmlType::IQ3_S, x.data(), q.data(), 256);
  quant::BlockIq3S b;
  std::memcpy(&b, q.data(), sizeof(b));
  // Slot 7 (the last sub-block's own) stays empty; sub-block 0 keeps a zero scale nibble.
  for (int k = 0; k < 8; ++k) EXPECT_EQ(b.qs[56 + k], 0) << k;
  for (int k = 0; k < 4; ++k) EXPECT_EQ(b.signs[28 + k], 0) << k;
  EXPECT_EQ(b.scales[0] & 0xF, 0);
  // Shifting the stored groups back into place recovers the data within the usual bound.
  std::memmove(b.qs + 8, b.qs, 56);
  std::memmove(b.signs + 4, b.signs, 28);
  std::vector<float> back(256);
  DequantizeRow(GgmlType::IQ3_S, &b, back.data(), 256);
  std::vector<float> tail_x(x.begin() + 32, x.end()), tail_back(back.begin() + 32, back.end());
  EXPECT_LE(RelRmse(tail_x, tail_back), 0.30);
}

TEST(QuantRoundTrip, TernaryFormatsAgree) {
  // TQ1_0 and TQ2_0 store the same d and trits in different packings: same decoded values.
  const std::vector<float> x = Gaussian(256 * 3, 11);
  EXPECT_EQ(RoundTrip(GgmlType::TQ1_0, x), RoundTrip(GgmlType::TQ2_0, x));
}

TEST(QuantRoundTrip, NonFiniteInputStaysInBounds) {
  // NaN / inf weights are garbage in, but must not crash or write outside the row.
  for (const RoundTripCase& c : kRoundTrip) {
    std::vector<float> x = Gaussian(512, 13);
    x[3] = std::numeric_limits<float>::quiet_NaN();
    x[300] = std::numeric_limits<float>::infinity();
    x[301] = -std::numeric_limits<float>::infinity();
    EXPECT_EQ(RoundTrip(c.type, x).size(), 512u) << TypeName(c.type);
  }
}

TEST(QuantRoundTrip, ArbitraryBytesDecodeWithinBounds) {
  // Any byte pattern is a valid block of every format: decoding must stay within the row
  // (checked under the sanitizer build) and fill exactly n outputs.
  std::mt19937 rng(77);
  for (uint32_t id = 0; id < 64; ++id) {
    const auto traits = LookupGgmlType(id);
    if (!traits || !CanDequantize(traits->type)) continue;
    const int64_t n = traits->block_size * 3;
    std::vector<uint8_t> bytes(RowBytes(traits->type, n));
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    std::vector<float> y(n + 1, 7.0f);
    DequantizeRow(traits->type, bytes.data(), y.data(), n);
    EXPECT_EQ(y[n], 7.0f) << traits->name;
  }
}

// ---- layouts decoded from hand-built blocks ----------------------------------------------

TEST(QuantLayout, Q8_1AndQ8_0) {
  quant::BlockQ8_1 b{};
  b.d = Fp32ToFp16(0.5f);
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j - 16);
  float y[32];
  DequantizeRow(GgmlType::Q8_1, &b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * (j - 16));
  // The quantizer stores s = d * sum(q).
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j % 5) - (j == 0 ? 127 : 0);
  quant::BlockQ8_1 q;
  QuantizeRow(GgmlType::Q8_1, x.data(), &q, 32);
  EXPECT_EQ(Fp16ToFp32(q.d), 1.0f);
  int sum = 0;
  for (int j = 0; j < 32; ++j) sum += q.qs[j];
  EXPECT_EQ(Fp16ToFp32(q.s), static_cast<float>(sum));
}

TEST(QuantLayout, Q5_0HighBits) {
  quant::BlockQ5_0 b{};
  b.d = Fp32ToFp16(1.0f);
  const uint32_t qh = 0x80000001u;  // element 0 and element 31 have their 5th bit set
  std::memcpy(b.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(3 | (5 << 4));
  float y[32];
  DequantizeRow(GgmlType::Q5_0, &b, y, 32);
  EXPECT_EQ(y[0], 3 + 16 - 16);
  EXPECT_EQ(y[1], 3 - 16);
  EXPECT_EQ(y[16], 5 - 16);
  EXPECT_EQ(y[31], 5 + 16 - 16);
}

TEST(QuantLayout, Q8_KBlockSums) {
  std::vector<float> x = Gaussian(256, 3);
  quant::BlockQ8_K b;
  QuantizeRow(GgmlType::Q8_K, x.data(), &b, 256);
  for (int g = 0; g < 16; ++g) {
    int sum = 0;
    for (int j = 0; j < 16; ++j) sum += b.qs[16 * g + j];
    EXPECT_EQ(b.bsums[g], sum) << g;
  }
  float y[256];
  DequantizeRow(GgmlType::Q8_K, &b, y, 256);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], b.d * b.qs[j]);
}

TEST(QuantLayout, Iq4Nl) {
  quant::BlockIq4Nl b{};
  b.d = Fp32ToFp16(2.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  DequantizeRow(GgmlType::IQ4_NL, &b, y, 32);
  const int levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * levels[j]);
    EXPECT_EQ(y[16 + j], 2.0f * levels[15 - j]);
  }
}

TEST(QuantLayout, Iq4XsScales) {
  quant::BlockIq4Xs b{};
  b.d = Fp32ToFp16(0.25f);
  // Sub-block i gets 6-bit scale ls_i = 32 + i - 3 (low nibble in scales_l, high 2 bits in h).
  b.scales_h = 0;
  for (int i = 0; i < 8; ++i) {
    const int ls = 29 + i + (i == 7 ? 30 : 0);  // the last one uses the high bits: 66 -> 63 max
    const int v = std::min(ls, 63);
    b.scales_l[i / 2] |= static_cast<uint8_t>((v & 0xF) << (4 * (i % 2)));
    b.scales_h |= static_cast<uint16_t>((v >> 4) << (2 * i));
  }
  for (int j = 0; j < 128; ++j) b.qs[j] = 0x98;  // low nibble 8 (level 1), high 9 (level 13)
  float y[256];
  DequantizeRow(GgmlType::IQ4_XS, &b, y, 256);
  for (int i = 0; i < 8; ++i) {
    const int ls = std::min(29 + i + (i == 7 ? 30 : 0), 63);
    EXPECT_EQ(y[32 * i], 0.25f * (ls - 32) * 1) << i;
    EXPECT_EQ(y[32 * i + 16], 0.25f * (ls - 32) * 13) << i;
  }
}

TEST(QuantLayout, Tq2_0AndTq1_0) {
  quant::BlockTq2_0 t2{};
  t2.d = Fp32ToFp16(1.0f);
  t2.qs[0] = 0b10'01'00'10;  // elements 0, 32, 64, 96 = +1, -1, 0, +1
  float y[256];
  DequantizeRow(GgmlType::TQ2_0, &t2, y, 256);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[32], -1.0f);
  EXPECT_EQ(y[64], 0.0f);
  EXPECT_EQ(y[96], 1.0f);
  EXPECT_EQ(y[1], -1.0f);  // byte 1 is 0 -> trit 0 -> -1

  quant::BlockTq1_0 t1{};
  t1.d = Fp32ToFp16(1.0f);
  // Trits (2, 0, 1, 1, 2) for elements 0, 32, 64, 96, 128: v = 2*81 + 0 + 9 + 3 + 2 = 176,
  // stored as ceil(176 * 256 / 243) = 186.
  t1.qs[0] = 186;
  for (int m = 1; m < 48; ++m) t1.qs[m] = 0x80;  // 0x80: v = 121 = 11111 in base 3 -> zeros
  for (int j = 0; j < 4; ++j) t1.qh[j] = 0x80;
  DequantizeRow(GgmlType::TQ1_0, &t1, y, 256);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[32], -1.0f);
  EXPECT_EQ(y[64], 0.0f);
  EXPECT_EQ(y[96], 0.0f);
  EXPECT_EQ(y[128], 1.0f);
  for (int i = 0; i < 256; ++i) {
    if (i % 32 != 0 || i >= 160) {
      EXPECT_EQ(y[i], 0.0f) << i;
    }
  }
}

TEST(QuantLayout, CapabilityTable) {
  // Every type of the table decodes except I64 (not representable as f32 in general).
  for (uint32_t id = 0; id < 64; ++id) {
    const auto traits = LookupGgmlType(id);
    if (!traits) continue;
    EXPECT_EQ(CanDequantize(traits->type), traits->type != GgmlType::I64) << traits->name;
  }
  // These codebook i-quants need an importance matrix in ggml: no reference quantizer.
  for (GgmlType t : {GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S, GgmlType::IQ1_S,
                     GgmlType::IQ1_M, GgmlType::I64}) {
    EXPECT_FALSE(CanQuantize(t)) << TypeName(t);
  }
  for (GgmlType t : {GgmlType::I8, GgmlType::I16, GgmlType::I32, GgmlType::F64}) {
    EXPECT_TRUE(CanDequantize(t)) << TypeName(t);
    EXPECT_FALSE(CanQuantize(t)) << TypeName(t);
  }
}

}  // namespace
}  // namespace fw
