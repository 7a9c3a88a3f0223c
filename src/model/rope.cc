#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace fw::model {

namespace {

// The dimension index at which a rotation of n_rot_turns full turns over the original
// context happens (YaRN's "correction dimension").
float YarnCorrDim(int32_t n_dims, int32_t n_ctx_orig, float n_rot_turns, float base) {
  return static_cast<float>(n_dims) *
         std::log(static_cast<float>(n_ctx_orig) / (n_rot_turns * 2.0f * static_cast<float>(M_PI))) /
         (2.0f * std::log(base));
}

float YarnRamp(float low, float high, int32_t i0) {
  const float y = (static_cast<float>(i0 / 2) - low) / std::max(0.001f, high - low);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}

}  // namespace

RopeConfig RopeConfig::FromHParams(const HParams& hp, const float* freq_factors) {
  RopeConfig c;
  c.n_rot = hp.n_rot;
  c.style = hp.flags.rope_style;
  c.freq_base = hp.rope_freq_base;
  c.freq_scale = hp.rope_freq_scale;
  c.ext_factor = hp.rope_scaling == RopeScaling::kYarn ? 1.0f : 0.0f;
  c.attn_factor = hp.rope_scaling == RopeScaling::kYarn ? hp.yarn_attn_factor : 1.0f;
  c.freq_factors = freq_factors;
  const float start = std::floor(YarnCorrDim(hp.n_rot, hp.rope_n_ctx_orig, hp.yarn_beta_fast, hp.rope_freq_base));
  const float end = std::ceil(YarnCorrDim(hp.n_rot, hp.rope_n_ctx_orig, hp.yarn_beta_slow, hp.rope_freq_base));
  c.corr_dims[0] = std::max(0.0f, start);
  c.corr_dims[1] = std::min(static_cast<float>(hp.n_rot - 1), end);
  return c;
}

void RopeCache(const RopeConfig& c, int32_t pos, float* cos_sin) {
  const float theta_scale = std::pow(c.freq_base, -2.0f / static_cast<float>(c.n_rot));
  float theta = static_cast<float>(pos);
  for (int32_t i0 = 0; i0 < c.n_rot; i0 += 2) {
    const float ff = c.freq_factors != nullptr ? c.freq_factors[i0 / 2] : 1.0f;
    const float theta_extrap = theta / ff;
    const float theta_interp = c.freq_scale * theta_extrap;
    float t = theta_interp;
    float mscale = c.attn_factor;
    if (c.ext_factor != 0.0f) {
      // In the contracted form GCC gives ggml's C (see ApplyRope): the first product fused.
      const float ramp_mix = YarnRamp(c.corr_dims[0], c.corr_dims[1], i0) * c.ext_factor;
      const float extrap_part = theta_extrap * ramp_mix;
      t = std::fma(theta_interp, 1.0f - ramp_mix, extrap_part);
      mscale *= std::fma(0.1f, std::log(1.0f / c.freq_scale), 1.0f);
    }
    cos_sin[i0] = std::cos(t) * mscale;
    cos_sin[i0 + 1] = std::sin(t) * mscale;
    theta *= theta_scale;
  }
}

void ApplyRope(const RopeConfig& c, const float* cos_sin, float* x, int32_t n_heads, int32_t head_dim) {
  const int32_t half = c.n_rot / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<size_t>(h) * head_dim;
    for (int32_t i0 = 0; i0 < c.n_rot; i0 += 2) {
      const float cs = cos_sin[i0];
      const float sn = cos_sin[i0 + 1];
      float* a;
      float* b;
      if (c.style == RopeStyle::kNormal) {
        a = v + i0;
        b = v + i0 + 1;
      } else {
        a = v + i0 / 2;
        b = v + i0 / 2 + half;
      }
      const float x0 = *a;
      const float x1 = *b;
      // ggml's C is built with GCC's default -ffp-contract=fast, which turns a*b - c*d into
      // fma(a, b, -(c*d)) with c*d rounded (and a*b + c*d alike); this keeps its rounding
      // bit for bit (measured against llama.cpp's rope at every position).
      const float r1 = x1 * sn;
      const float r2 = x1 * cs;
      *a = std::fma(x0, cs, -r1);
      *b = std::fma(x0, sn, r2);
    }
  }
}

}  // namespace fw::model
