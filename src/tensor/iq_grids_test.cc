// The i-quant codebooks against fingerprints of ggml's own tables, and the i-quant bit layouts
// decoded from hand-built blocks.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/fp16.h"
#include "tensor/iq_grids.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants.h"

namespace fw {
namespace {

// FNV-1a (64-bit) over the little-endian bytes of a table.
template <typename Table>
uint64_t Fnv1a(const Table& t) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (auto e : t) {
    for (size_t b = 0; b < sizeof(e); ++b) {
      h ^= static_cast<uint8_t>(static_cast<uint64_t>(e) >> (8 * b));
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

TEST(QuantIqGrids, MatchGgmlTables) {
  // Fingerprints computed by a script over the hexadecimal tables iq2xxs_grid, iq2xs_grid,
  // iq2s_grid, iq3xxs_grid, iq3s_grid and iq1s_grid of ggml's ggml-common.h (unchanged since
  // the formats were introduced), not from this code.
  EXPECT_EQ(Fnv1a(quant::kIq2xxsGrid), 0xbb4ee025b5ac6e8eull);
  EXPECT_EQ(Fnv1a(quant::kIq2xsGrid), 0xc9b1ee61e79909bdull);
  EXPECT_EQ(Fnv1a(quant::kIq2sGrid), 0x123edd38a3b62b90ull);
  EXPECT_EQ(Fnv1a(quant::kIq3xxsGrid), 0xdfa5dc83d6a155d5ull);
  EXPECT_EQ(Fnv1a(quant::kIq3sGrid), 0xfa37020c25b44829ull);
  EXPECT_EQ(Fnv1a(quant::kIq1sGrid), 0x6703ed863501ae2eull);
  // First and last entries, as printed in ggml's tables.
  EXPECT_EQ(quant::kIq2xxsGrid[0], 0x0808080808080808ull);
  EXPECT_EQ(quant::kIq2xxsGrid[255], 0x2b2b2b1908081908ull);
  EXPECT_EQ(quant::kIq2xsGrid[511], 0x2b2b2b2b2b2b2b2bull);
  EXPECT_EQ(quant::kIq3xxsGrid[255], 0x3e341c04u);
  EXPECT_EQ(quant::kIq3sGrid[511], 0x0f0f0101u);
  EXPECT_EQ(quant::kIq1sGrid[0], 0xffffffffffffffffull);
  EXPECT_EQ(quant::kIq1sGrid[2047], 0x0101010101010101ull);
}

TEST(QuantIqGrids, SignParity) {
  // ggml's ksigns_iq2xs: 7 stored bits plus an 8th that makes the popcount even.
  EXPECT_EQ(quant::Iq2Signs(0), 0);
  EXPECT_EQ(quant::Iq2Signs(1), 129);
  EXPECT_EQ(quant::Iq2Signs(3), 3);
  EXPECT_EQ(quant::Iq2Signs(127), 255);
  EXPECT_EQ(quant::Iq2Signs(0x80 | 1), 129);  // only 7 bits are used
}

TEST(QuantIqLayout, Iq2XxsScaleSignsAndIndices) {
  quant::BlockIq2Xxs b{};
  b.d = Fp32ToFp16(1.0f);
  // Sub-block 1: group 0 uses index 255, sign bits 0b0000001 (element 0 negative, and by
  // parity element 7 too), scale s = 3 -> db = (0.5 + 3) * 0.25 = 0.875.
  const uint32_t a0 = 255, a1 = 1u | (3u << 28);
  std::memcpy(&b.qs[4], &a0, 4);
  std::memcpy(&b.qs[6], &a1, 4);
  std::vector<float> y(256);
  DequantizeRow(GgmlType::IQ2_XXS, &b, y.data(), 256);
  // Sub-block 0 is all zero bytes: index 0 (all 8), no signs, s = 0 -> 0.125 * 8 = 1.
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 1.0f) << j;
  const uint8_t expect[8] = {0x08, 0x19, 0x08, 0x08, 0x19, 0x2b, 0x2b, 0x2b};  // 0x2b2b2b1908081908
  for (int j = 0; j < 8; ++j) {
    const float sign = (j == 0 || j == 7) ? -1.f : 1.f;
    EXPECT_EQ(y[32 + j], 0.875f * expect[j] * sign) << j;
  }
  EXPECT_EQ(y[40], 0.875f * 8);  // group 1 of sub-block 1: index 0
}

TEST(QuantIqLayout, Iq2XsAndIq2SIndexBits) {
  quant::BlockIq2Xs xs{};
  xs.d = Fp32ToFp16(2.0f);
  xs.qs[1] = static_cast<uint16_t>(511 | (2u << 9));  // group 1: index 511, element 1 negative
  xs.scales[0] = 0x10;                                 // groups 0-1 s = 0, groups 2-3 s = 1
  std::vector<float> y(256);
  DequantizeRow(GgmlType::IQ2_XS, &xs, y.data(), 256);
  EXPECT_EQ(y[0], 2.0f * 0.125f * 8);
  EXPECT_EQ(y[8], 2.0f * 0.125f * 43);
  EXPECT_EQ(y[9], -2.0f * 0.125f * 43);  // and element 7 of the group by parity
  EXPECT_EQ(y[15], -2.0f * 0.125f * 43);
  EXPECT_EQ(y[16], 2.0f * 0.375f * 8);

  quant::BlockIq2S s{};
  s.d = Fp32ToFp16(1.0f);
  s.qs[2] = 0xff;               // group 2, low index bits
  s.qh[0] = 0b11 << 4;          // group 2 high bits -> index 1023
  s.qs[32 + 2] = 0x80;          // group 2: element 7 negative (full sign byte, no parity)
  DequantizeRow(GgmlType::IQ2_S, &s, y.data(), 256);
  EXPECT_EQ(y[16], 0.125f * 43);
  EXPECT_EQ(y[23], -0.125f * 43);
  EXPECT_EQ(y[0], 0.125f * 8);
}

TEST(QuantIqLayout, Iq3XxsAndIq3S) {
  quant::BlockIq3Xxs x{};
  x.d = Fp32ToFp16(1.0f);
  x.qs[1] = 255;  // second 4-element half of group 0
  const uint32_t ss = 1u << 28;  // sub-block 0: s = 1 -> db = 1.5 * 0.5 = 0.75
  std::memcpy(&x.qs[64], &ss, 4);
  std::vector<float> y(256);
  DequantizeRow(GgmlType::IQ3_XXS, &x, y.data(), 256);
  EXPECT_EQ(y[0], 0.75f * 4);
  EXPECT_EQ(y[4], 0.75f * 0x04);
  EXPECT_EQ(y[5], 0.75f * 0x1c);
  EXPECT_EQ(y[6], 0.75f * 0x34);
  EXPECT_EQ(y[7], 0.75f * 0x3e);
  EXPECT_EQ(y[32], 0.25f * 4);  // sub-block 1: s = 0

  quant::BlockIq3S s{};
  s.d = Fp32ToFp16(1.0f);
  s.qs[8 + 1] = 255;       // sub-block 1, second index
  s.qh[1] = 0b10;          // its 9th bit -> index 511 = 0x0f0f0101
  s.signs[4] = 0x10;       // sub-block 1, element 4 negative
  s.scales[0] = 0x21;      // sub-block 0: s = 1 (db 3), sub-block 1: s = 2 (db 5)
  DequantizeRow(GgmlType::IQ3_S, &s, y.data(), 256);
  EXPECT_EQ(y[0], 3.0f);
  EXPECT_EQ(y[32], 5.0f);
  EXPECT_EQ(y[36], -5.0f * 1);
  EXPECT_EQ(y[38], 5.0f * 15);
  EXPECT_EQ(y[64], 1.0f);  // sub-block 2: s = 0
}

TEST(QuantIqLayout, Iq1SAndIq1M) {
  quant::BlockIq1S s{};
  s.d = Fp32ToFp16(0.5f);
  s.qs[0] = 0xff;
  s.qh[0] = static_cast<uint16_t>(7 | (2u << 12) | 0x8000);  // group 0 -> index 2047; s = 2; -delta
  std::vector<float> y(256);
  DequantizeRow(GgmlType::IQ1_S, &s, y.data(), 256);
  EXPECT_EQ(y[0], 0.5f * 5 * (1 - 0.125f));   // grid value +1
  EXPECT_EQ(y[8], 0.5f * 5 * (-1 - 0.125f));  // group 1: index 0, value -1
  EXPECT_EQ(y[32], 0.5f * 1 * (-1 + 0.125f)); // sub-block 1: s = 0, +delta

  quant::BlockIq1M m{};
  // d = 1.0 = 0x3C00: nibbles 0x0, 0x0, 0xC, 0x3 go to the top of words 0..3.
  uint16_t sc[4] = {0x0000, 0x0000, 0xC000, 0x3000};
  sc[0] |= 1 | (2 << 3);  // sub-block 0: groups 0-1 scale 1 (x3), groups 2-3 scale 2 (x5)
  std::memcpy(m.scales, sc, 8);
  m.qs[1] = 0xff;
  m.qh[0] = 0x70 | 0x80;  // group 1: index 0x7ff, -delta
  DequantizeRow(GgmlType::IQ1_M, &m, y.data(), 256);
  EXPECT_EQ(y[0], 3.0f * (-1 + 0.125f));
  EXPECT_EQ(y[8], 3.0f * (1 - 0.125f));
  EXPECT_EQ(y[16], 5.0f * (-1 + 0.125f));
  EXPECT_EQ(y[32], 1.0f * (-1 + 0.125f));  // sub-block 1: scale 0 -> x1
}

}  // namespace
}  // namespace fw
