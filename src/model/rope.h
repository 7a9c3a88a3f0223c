// Rotary position embedding as ggml computes it (ggml_rope_ext, modes NORMAL and NEOX, with
// linear / YaRN scaling and optional per-pair frequency divisors from rope_freqs.weight).
//
// For pair index i (0 <= i < n_rot/2) at position p:
//   theta_i = p * base^(-2i/n_rot) / freq_factor[i]   (computed by repeated multiplication in
//   f32, as ggml's rope cache does), then scaled by freq_scale, blended by the YaRN ramp.
#pragma once

#include <cstdint>

#include "model/hparams.h"

namespace fw::model {

struct RopeConfig {
  int32_t n_rot = 0;
  RopeStyle style = RopeStyle::kNormal;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  float ext_factor = 0.0f;      // 1 for YaRN, else 0
  float attn_factor = 1.0f;
  float corr_dims[2] = {0, 0};  // YaRN ramp bounds
  const float* freq_factors = nullptr;  // (n_rot/2) or null

  static RopeConfig FromHParams(const HParams& hp, const float* freq_factors);
};

// Fills cos_sin[2i] = cos(theta_i) * mscale, cos_sin[2i+1] = sin(theta_i) * mscale for the
// position; cos_sin holds n_rot floats.
void RopeCache(const RopeConfig& c, int32_t pos, float* cos_sin);

// Rotates the first n_rot elements of each of n_heads heads of x (head_dim floats apart) in
// place, using a cache from RopeCache.
void ApplyRope(const RopeConfig& c, const float* cos_sin, float* x, int32_t n_heads, int32_t head_dim);

}  // namespace fw::model
