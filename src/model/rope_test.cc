// RoPE (model/rope.h): properties that pin down the rotation independently of the code's
// arithmetic: identity at position 0, the pairings of the two styles, composition of
// rotations, and what linear scaling and frequency factors mean.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/rope.h"

namespace fw::model {
namespace {

RopeConfig Config(int32_t n_rot, RopeStyle style) {
  RopeConfig c;
  c.n_rot = n_rot;
  c.style = style;
  c.freq_base = 10000.0f;
  return c;
}

std::vector<float> Rotate(const RopeConfig& c, int32_t pos, std::vector<float> x, int32_t head_dim) {
  std::vector<float> cs(static_cast<size_t>(c.n_rot));
  RopeCache(c, pos, cs.data());
  ApplyRope(c, cs.data(), x.data(), static_cast<int32_t>(x.size()) / head_dim, head_dim);
  return x;
}

std::vector<float> Ramp(int n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) x[static_cast<size_t>(i)] = 0.1f * static_cast<float>(i + 1) * (i % 2 ? -1.0f : 1.0f);
  return x;
}

TEST(ModelRope, PositionZeroIsIdentity) {
  for (RopeStyle st : {RopeStyle::kNormal, RopeStyle::kNeox}) {
    const auto x = Ramp(16);
    EXPECT_EQ(Rotate(Config(16, st), 0, x, 16), x);
  }
}

TEST(ModelRope, NormalPairsAdjacentNeoxPairsHalves) {
  // The first pair has frequency 1: at position p it turns by p radians. Rotating e0 moves
  // it onto its partner: x[1] for the normal style, x[n/2] for NEOX.
  std::vector<float> e0(8, 0.0f);
  e0[0] = 1.0f;
  const auto n = Rotate(Config(8, RopeStyle::kNormal), 1, e0, 8);
  EXPECT_NEAR(n[0], std::cos(1.0f), 1e-6);
  EXPECT_NEAR(n[1], std::sin(1.0f), 1e-6);
  const auto q = Rotate(Config(8, RopeStyle::kNeox), 1, e0, 8);
  EXPECT_NEAR(q[0], std::cos(1.0f), 1e-6);
  EXPECT_NEAR(q[4], std::sin(1.0f), 1e-6);
  EXPECT_EQ(q[1], 0.0f);
}

TEST(ModelRope, RotationsComposeAndKeepNorms) {
  const RopeConfig c = Config(16, RopeStyle::kNormal);
  const auto x = Ramp(32);  // two heads
  const auto a = Rotate(c, 7, Rotate(c, 5, x, 16), 16);
  const auto b = Rotate(c, 12, x, 16);
  double nx = 0, na = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], 1e-4) << i;
    nx += x[i] * x[i];
    na += a[i] * a[i];
  }
  EXPECT_NEAR(na, nx, 1e-4);
}

TEST(ModelRope, PartialRotationLeavesTheRestAlone) {
  const auto x = Ramp(16);
  const auto y = Rotate(Config(8, RopeStyle::kNeox), 3, x, 16);
  for (size_t i = 8; i < 16; ++i) EXPECT_EQ(y[i], x[i]);
}

TEST(ModelRope, LinearScalingDividesPositions) {
  RopeConfig scaled = Config(16, RopeStyle::kNormal);
  scaled.freq_scale = 0.25f;
  const auto x = Ramp(16);
  const auto a = Rotate(scaled, 20, x, 16);
  const auto b = Rotate(Config(16, RopeStyle::kNormal), 5, x, 16);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << i;
}

TEST(ModelRope, FrequencyFactorsDivideEachPairsAngle) {
  // llama3-style rope_freqs: pair i turns by theta_i / factor_i.
  const std::vector<float> factors = {2.0f, 1.0f, 1.0f, 1.0f};
  RopeConfig c = Config(8, RopeStyle::kNormal);
  c.freq_factors = factors.data();
  std::vector<float> cs(8), ref(8);
  RopeCache(c, 6, cs.data());
  RopeCache(Config(8, RopeStyle::kNormal), 3, ref.data());
  EXPECT_NEAR(cs[0], ref[0], 1e-6);  // pair 0 at position 6 / 2
  EXPECT_NEAR(cs[1], ref[1], 1e-6);
  EXPECT_NEAR(cs[0], std::cos(3.0f), 1e-6);
}

TEST(ModelRope, YarnKeepsHighFrequenciesAndInterpolatesLowOnes) {
  HParams hp;
  hp.n_rot = 64;
  hp.rope_freq_base = 10000.0f;
  hp.rope_scaling = RopeScaling::kYarn;
  hp.rope_freq_scale = 0.25f;
  hp.rope_n_ctx_orig = 4096;
  const RopeConfig c = RopeConfig::FromHParams(hp, nullptr);
  EXPECT_EQ(c.ext_factor, 1.0f);
  std::vector<float> cs(64), plain(64);
  RopeCache(c, 100, cs.data());
  RopeCache(Config(64, RopeStyle::kNormal), 100, plain.data());
  const float mscale = 1.0f + 0.1f * std::log(4.0f);
  // Pair 0 (fastest, below the ramp): extrapolated, i.e. unscaled angle, times mscale.
  EXPECT_NEAR(cs[0], plain[0] * mscale, 1e-5);
  // The slowest pair (above the ramp): interpolated, i.e. the angle at position 100 / 4.
  std::vector<float> quarter(64);
  RopeCache(Config(64, RopeStyle::kNormal), 25, quarter.data());
  EXPECT_NEAR(cs[62], quarter[62] * mscale, 1e-5);
  EXPECT_NEAR(cs[63], quarter[63] * mscale, 1e-5);
}

}  // namespace
}  // namespace fw::model
