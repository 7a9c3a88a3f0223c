// F16 / BF16 conversions and the plain-type rows: special values checked against hand-derived
// IEEE bit patterns (independent of the code under test).
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace fw {
namespace {

uint16_t ToF16Bits(float f) {
  uint16_t h;
  QuantizeRow(GgmlType::F16, &f, &h, 1);
  return h;
}
uint16_t ToBf16Bits(float f) {
  uint16_t h;
  QuantizeRow(GgmlType::BF16, &f, &h, 1);
  return h;
}
float FromF16Bits(uint16_t h) {
  float f;
  DequantizeRow(GgmlType::F16, &h, &f, 1);
  return f;
}
float FromBf16Bits(uint16_t h) {
  float f;
  DequantizeRow(GgmlType::BF16, &h, &f, 1);
  return f;
}

TEST(QuantFloat, F16SpecialValues) {
  EXPECT_EQ(ToF16Bits(0.0f), 0x0000);
  EXPECT_EQ(ToF16Bits(-0.0f), 0x8000);
  EXPECT_EQ(ToF16Bits(1.0f), 0x3C00);
  EXPECT_EQ(ToF16Bits(-2.0f), 0xC000);
  EXPECT_EQ(ToF16Bits(65504.0f), 0x7BFF);                               // largest finite
  EXPECT_EQ(ToF16Bits(65520.0f), 0x7C00);                               // rounds up to inf
  EXPECT_EQ(ToF16Bits(65519.0f), 0x7BFF);                               // just below the tie
  EXPECT_EQ(ToF16Bits(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(ToF16Bits(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(ToF16Bits(std::ldexp(1.0f, -24)), 0x0001);                  // smallest subnormal
  EXPECT_EQ(ToF16Bits(std::ldexp(1.0f, -14)), 0x0400);                  // smallest normal
  EXPECT_EQ(ToF16Bits(std::ldexp(1023.0f, -24)), 0x03FF);               // largest subnormal
  EXPECT_EQ(ToF16Bits(std::ldexp(1.0f, -25)), 0x0000);                  // tie to even (0)
  EXPECT_EQ(ToF16Bits(std::ldexp(3.0f, -25)), 0x0002);                  // tie to even (2)
  EXPECT_EQ(ToF16Bits(std::ldexp(1.0f, -26)), 0x0000);                  // underflow
  // Ties between normals: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10 -> even (1).
  EXPECT_EQ(ToF16Bits(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(ToF16Bits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(ToF16Bits(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
  const uint16_t nan = ToF16Bits(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);

  EXPECT_EQ(FromF16Bits(0x3C00), 1.0f);
  EXPECT_EQ(FromF16Bits(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(FromF16Bits(0x83FF), -std::ldexp(1023.0f, -24));
  EXPECT_EQ(FromF16Bits(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::isinf(FromF16Bits(0x7C00)));
  EXPECT_TRUE(std::isnan(FromF16Bits(0x7E00)));
  EXPECT_TRUE(std::signbit(FromF16Bits(0x8000)));
}

TEST(QuantFloat, F16EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = FromF16Bits(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(ToF16Bits(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(QuantFloat, Bf16SpecialValues) {
  EXPECT_EQ(ToBf16Bits(1.0f), 0x3F80);
  EXPECT_EQ(ToBf16Bits(-0.0f), 0x8000);
  EXPECT_EQ(ToBf16Bits(std::numeric_limits<float>::infinity()), 0x7F80);
  // Ties to even: 1 + 2^-8 is halfway between 0x3F80 and 0x3F81.
  EXPECT_EQ(ToBf16Bits(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(ToBf16Bits(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_EQ(ToBf16Bits(BitsToFloat(0x3F808001u)), 0x3F81);
  // Largest finite float rounds to infinity.
  EXPECT_EQ(ToBf16Bits(std::numeric_limits<float>::max()), 0x7F80);
  // Subnormals are kept (not flushed) and rounded like normals.
  EXPECT_EQ(ToBf16Bits(BitsToFloat(0x00018000u)), 0x0002);
  EXPECT_EQ(ToBf16Bits(BitsToFloat(0x00010000u)), 0x0001);
  // NaN stays NaN and becomes quiet, even a signalling one whose payload sits in low bits.
  const uint16_t nan = ToBf16Bits(BitsToFloat(0x7F800001u));
  EXPECT_EQ(nan & 0x7F80, 0x7F80);
  EXPECT_NE(nan & 0x0040, 0);
  EXPECT_EQ(FromBf16Bits(0x3F80), 1.0f);
  EXPECT_EQ(FromBf16Bits(0x0001), BitsToFloat(0x00010000u));
  EXPECT_TRUE(std::isnan(FromBf16Bits(0x7FC0)));
}

TEST(QuantFloat, PlainIntegerAndDoubleRows) {
  const int8_t i8[3] = {-128, 0, 127};
  const int16_t i16[2] = {-32768, 1234};
  const int32_t i32[2] = {-7, 1 << 20};
  const double f64[2] = {0.5, -3.25};
  float out[3];
  DequantizeRow(GgmlType::I8, i8, out, 3);
  EXPECT_EQ(out[0], -128.0f);
  EXPECT_EQ(out[2], 127.0f);
  DequantizeRow(GgmlType::I16, i16, out, 2);
  EXPECT_EQ(out[0], -32768.0f);
  EXPECT_EQ(out[1], 1234.0f);
  DequantizeRow(GgmlType::I32, i32, out, 2);
  EXPECT_EQ(out[0], -7.0f);
  EXPECT_EQ(out[1], 1048576.0f);
  DequantizeRow(GgmlType::F64, f64, out, 2);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -3.25f);
}

TEST(QuantFloat, OddLengthRowsAndUnalignedData) {
  // 7 elements, stored at an odd address.
  std::vector<uint8_t> buf(1 + 7 * 2);
  const float src[7] = {1, -2, 0.5f, 3, 1e-3f, -65504, 7};
  EXPECT_EQ(QuantizeRow(GgmlType::F16, src, buf.data() + 1, 7), 14u);
  float back[7];
  DequantizeRow(GgmlType::F16, buf.data() + 1, back, 7);
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(back[i], src[i], std::fabs(src[i]) * 1e-3f) << i;
  EXPECT_EQ(QuantizeRow(GgmlType::BF16, src, buf.data() + 1, 7), 14u);
  DequantizeRow(GgmlType::BF16, buf.data() + 1, back, 7);
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(back[i], src[i], std::fabs(src[i]) * 8e-3f) << i;
}

}  // namespace
}  // namespace fw
