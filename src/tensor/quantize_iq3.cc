// Quantization to IQ3_XXS and IQ3_S without importance matrix: a re-derivation of ggml's
// quantize_row_iq3_xxs_impl / quantize_row_iq3_s_impl (weights x^2), bit-identical to them.
//
// Per 32 elements: signs are split off (|x| is fitted), then 4-element groups are rounded to
// levels l in 0..7 (magnitude 2l + 1) for a range of trial scales; a group whose level vector
// is not in the grid is replaced by its best grid neighbour (the grid points among the
// nearest 2 (IQ3_XXS) or 3 (IQ3_S) squared-distance shells, precomputed per off-grid vector).
// The best least-squares scale wins; sub-block scales are then stored as 4-bit multiples of
// d = max_scale / 31 (times a small fudge factor, as ggml does).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "tensor/fp16.h"
#include "tensor/iq_grids.h"
#include "tensor/quant_blocks.h"
#include "tensor/quants_internal.h"
#include "tensor/no_fp_contract.h"  // last: keeps ggml's rounding (no FMA)

namespace fw::quant {
namespace {

constexpr int kMaxQ = 8;           // levels 0..7
constexpr int kMapSize = 1 << 12;  // every 4-element level vector

// Search tables for one 3-bit grid; built once, immutable afterwards (thread-safe).
struct Iq3SearchTables {
  int grid_size = 0;
  std::vector<int8_t> grid;  // grid_size x 4 magnitudes 2l + 1
  // For a level vector u: its grid index if on the grid, else -(offset + 1) into neighbours,
  // where neighbours[offset] = count, followed by that many grid indices.
  std::vector<int> map;
  std::vector<uint16_t> neighbours;
};

Iq3SearchTables BuildTables(int grid_size) {
  Iq3SearchTables t;
  t.grid_size = grid_size;
  const uint16_t* codes = Iq3GridCodes(grid_size);
  t.grid.resize(4 * grid_size);
  t.map.assign(kMapSize, -1);
  for (int k = 0; k < grid_size; ++k) {
    for (int i = 0; i < 4; ++i) t.grid[4 * k + i] = static_cast<int8_t>(2 * ((codes[k] >> (3 * i)) & 7) + 1);
    t.map[codes[k]] = k;
  }
  const int shells = grid_size == 256 ? 2 : 3;
  std::vector<std::pair<int, int>> dist(grid_size);  // (squared distance, grid index)
  for (int u = 0; u < kMapSize; ++u) {
    if (t.map[u] >= 0) continue;
    int pos[4];
    for (int i = 0; i < 4; ++i) pos[i] = 2 * ((u >> (3 * i)) & 7) + 1;
    for (int j = 0; j < grid_size; ++j) {
      int d2 = 0;
      for (int i = 0; i < 4; ++i) d2 += (t.grid[4 * j + i] - pos[i]) * (t.grid[4 * j + i] - pos[i]);
      dist[j] = {d2, j};
    }
    std::sort(dist.begin(), dist.end());  // by distance, then index: a total order
    const size_t start = t.neighbours.size();
    t.map[u] = -static_cast<int>(start + 1);
    t.neighbours.push_back(0);
    int shell_d2 = dist[0].first, have = 1;
    for (int j = 0; j < grid_size; ++j) {
      if (dist[j].first > shell_d2) {
        if (have == shells) break;
        shell_d2 = dist[j].first;
        ++have;
      }
      t.neighbours.push_back(static_cast<uint16_t>(dist[j].second));
    }
    t.neighbours[start] = static_cast<uint16_t>(t.neighbours.size() - start - 1);
  }
  return t;
}

const Iq3SearchTables& Tables(int grid_size) {
  static const Iq3SearchTables k256 = BuildTables(256);
  static const Iq3SearchTables k512 = BuildTables(512);
  return grid_size == 256 ? k256 : k512;
}

// Level code of 4 levels.
int Code4(const int8_t* L) {
  int u = 0;
  for (int i = 0; i < 4; ++i) u |= L[i] << (3 * i);
  return u;
}

// The neighbour of an off-grid vector that best fits xval at this scale (weighted squared
// error, first one on ties); writes its levels to L and returns its grid index.
int BestNeighbour(const Iq3SearchTables& t, int u, const float* xval, const float* weight,
                  float scale, int8_t* L) {
  const uint16_t* nb = t.neighbours.data() + (-t.map[u] - 1);
  float best_d2 = FLT_MAX;
  int best = nb[1];
  for (int j = 1; j <= nb[0]; ++j) {
    const int8_t* pg = t.grid.data() + 4 * nb[j];
    float d2 = 0;
    for (int i = 0; i < 4; ++i) {
      const float q = pg[i];
      const float diff = scale * q - xval[i];
      d2 += weight[i] * diff * diff;
    }
    if (d2 < best_d2) {
      best_d2 = d2;
      best = nb[j];
    }
  }
  const int8_t* pg = t.grid.data() + 4 * best;
  for (int i = 0; i < 4; ++i) L[i] = static_cast<int8_t>((pg[i] - 1) / 2);
  return best;
}

// Rounds the 8 groups of xval at inverse scale id; on_grid[k] says whether group k was on the
// grid before any neighbour replacement.
void RoundGroups(const Iq3SearchTables& t, const float* xval, const float* waux, float id,
                 float scale, int8_t* L, bool* on_grid) {
  for (int k = 0; k < 8; ++k) {
    for (int i = 0; i < 4; ++i) {
      const int l = NearestInt(0.5f * (id * xval[4 * k + i] - 1));
      L[4 * k + i] = static_cast<int8_t>(std::max(0, std::min(kMaxQ - 1, l)));
    }
    const int u = Code4(L + 4 * k);
    on_grid[k] = t.map[u] >= 0;
    if (!on_grid[k]) BestNeighbour(t, u, xval + 4 * k, waux + 4 * k, scale, L + 4 * k);
  }
}

void Moments(const float* weight, const float* xval, const int8_t* L, float* sumqx, float* sumq2) {
  *sumqx = 0;
  *sumq2 = 0;
  for (int i = 0; i < 32; ++i) {
    const float w = weight[i];
    const float q = 2 * L[i] + 1;
    *sumqx += w * xval[i] * q;
    *sumq2 += w * q * q;
  }
}

// What the search below found for one 32-element sub-block.
struct SubBlockFit {
  float scale = 0;
  int8_t L[32] = {};
  uint8_t signs[4] = {};  // per 8 elements
};

// The shared fit. IQ3_XXS (grid 256) keeps an even number of minus signs per 8 (flipping the
// element that costs least), tries 31 scales and re-rounds only off-grid groups; IQ3_S (grid
// 512) stores full sign bytes, tries 19 scales and re-rounds every group.
// Returns false for an (all but) zero sub-block.
bool FitSubBlock(const Iq3SearchTables& t, const float* xb, SubBlockFit* fit) {
  const bool xxs = t.grid_size == 256;
  float weight[32], waux[32], xval[32];
  for (int i = 0; i < 32; ++i) weight[i] = xb[i] * xb[i];
  for (int i = 0; i < 32; ++i) waux[i] = std::sqrt(weight[i]);
  for (int k = 0; k < 4; ++k) {
    int nflip = 0;
    uint8_t s = 0;
    for (int i = 0; i < 8; ++i) {
      if (xb[8 * k + i] >= 0) {
        xval[8 * k + i] = xb[8 * k + i];
      } else {
        xval[8 * k + i] = -xb[8 * k + i];
        ++nflip;
        s = static_cast<uint8_t>(s | (1 << i));
      }
    }
    if (xxs && nflip % 2) {
      int imin = 0;
      float min = weight[8 * k] * xb[8 * k] * xb[8 * k];
      for (int i = 1; i < 8; ++i) {
        const float ax = weight[8 * k + i] * xb[8 * k + i] * xb[8 * k + i];
        if (ax < min) {
          min = ax;
          imin = i;
        }
      }
      xval[8 * k + imin] = -xval[8 * k + imin];
      s = static_cast<uint8_t>(s ^ (1 << imin));
    }
    fit->signs[k] = xxs ? (s & 127) : s;
  }
  float max = xval[0];
  for (int i = 1; i < 32; ++i) max = max > xval[i] ? max : xval[i];
  std::memset(fit->L, 0, 32);
  if (xxs ? max < 1e-8f : !max) return false;

  float best = 0;
  float scale = max / (2 * kMaxQ - 1);
  bool on_grid[8], on_grid_aux[8];
  int8_t Laux[32];
  for (int k = 0; k < 8; ++k) on_grid[k] = xxs;
  const int ntry = xxs ? 15 : 9;
  for (int is = -ntry; is <= ntry; ++is) {
    const float id = (2 * kMaxQ - 1 + is * 0.2f) / max;
    const float this_scale = 1 / id;
    RoundGroups(t, xval, waux, id, this_scale, Laux, on_grid_aux);
    float sumqx, sumq2;
    Moments(weight, xval, Laux, &sumqx, &sumq2);
    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
      scale = sumqx / sumq2;
      best = scale * sumqx;
      std::memcpy(fit->L, Laux, 32);
      std::copy(on_grid_aux, on_grid_aux + 8, on_grid);
    }
  }
  int n_not_on_grid = 0;
  for (int k = 0; k < 8; ++k) n_not_on_grid += !on_grid[k];
  if (n_not_on_grid > 0 && scale > 0) {
    const float id = 1 / scale;
    for (int k = 0; k < 8; ++k) {
      if (xxs && on_grid[k]) continue;
      int8_t l4[4];
      for (int i = 0; i < 4; ++i) {
        const int l = NearestInt(0.5f * (id * xval[4 * k + i] - 1));
        l4[i] = static_cast<int8_t>(std::max(0, std::min(kMaxQ - 1, l)));
      }
      const int u = Code4(l4);
      int grid_index = t.map[u];
      if (grid_index < 0) grid_index = BestNeighbour(t, u, xval + 4 * k, waux + 4 * k, scale, fit->L + 4 * k);
      const int8_t* pg = t.grid.data() + 4 * grid_index;
      for (int i = 0; i < 4; ++i) fit->L[4 * k + i] = static_cast<int8_t>((pg[i] - 1) / 2);
    }
    float sumqx, sumq2;
    Moments(weight, xval, fit->L, &sumqx, &sumq2);
    if (sumq2 > 0) scale = sumqx / sumq2;
  }
  if (scale < 0) {  // cannot happen for |x| data; kept as ggml has it
    scale = -scale;
    for (int k = 0; k < 4; ++k) fit->signs[k] = static_cast<uint8_t>(xxs ? (~fit->signs[k]) & 127 : ~fit->signs[k]);
  }
  fit->scale = scale;
  return true;
}

int GridIndexOf(const Iq3SearchTables& t, const int8_t* L) {
  // Every fitted group is on the grid by construction.
  return t.map[Code4(L)];
}

}  // namespace

void QuantizeIq3Xxs(const float* x, void* dst, int64_t n) {
  const Iq3SearchTables& t = Tables(256);
  auto* y = static_cast<BlockIq3Xxs*>(dst);
  for (int64_t ibl = 0; ibl < n / kQKK; ++ibl, x += kQKK) {
    uint8_t q3[3 * kQKK / 8] = {};
    uint32_t scales_and_signs[kQKK / 32] = {};
    float scales[kQKK / 32];
    float max_scale = 0;
    for (int ib = 0; ib < kQKK / 32; ++ib) {
      SubBlockFit fit;
      if (!FitSubBlock(t, x + 32 * ib, &fit)) {
        scales[ib] = 0;
        continue;
      }
      for (int k = 0; k < 8; ++k) q3[8 * ib + k] = static_cast<uint8_t>(GridIndexOf(t, fit.L + 4 * k));
      scales_and_signs[ib] = fit.signs[0] | (fit.signs[1] << 7) | (fit.signs[2] << 14) | (fit.signs[3] << 21);
      scales[ib] = fit.scale;
      max_scale = std::max(max_scale, fit.scale);
    }
    if (!max_scale) {
      std::memset(&y[ibl], 0, sizeof(BlockIq3Xxs));
      continue;
    }
    const float d = max_scale / 31;
    y[ibl].d = Fp32ToFp16(d * 1.0125f);
    const float id = 1 / d;
    for (int ib = 0; ib < kQKK / 32; ++ib) {
      const int l = std::max(0, std::min(15, NearestInt(0.5f * (id * scales[ib] - 1))));
      scales_and_signs[ib] |= static_cast<uint32_t>(l) << 28;
    }
    std::memcpy(y[ibl].qs, q3, kQKK / 4);
    std::memcpy(y[ibl].qs + kQKK / 4, scales_and_signs, sizeof(scales_and_signs));
  }
}

void QuantizeIq3S(const float* x, void* dst, int64_t n) {
  const Iq3SearchTables& t = Tables(512);
  auto* y = static_cast<BlockIq3S*>(dst);
  for (int64_t ibl = 0; ibl < n / kQKK; ++ibl, x += kQKK) {
    std::memset(&y[ibl], 0, sizeof(BlockIq3S));
    float scales[kQKK / 32];
    float max_scale = 0;
    // ggml advances its qs / signs write positions only for non-zero sub-blocks (so after an
    // all-zero sub-block the following ones land one slot early); reproduced for bit-identity.
    int slot = 0;
    for (int ib = 0; ib < kQKK / 32; ++ib) {
      SubBlockFit fit;
      if (!FitSubBlock(t, x + 32 * ib, &fit)) {
        scales[ib] = 0;
        continue;
      }
      for (int k = 0; k < 8; ++k) {
        const int grid_index = GridIndexOf(t, fit.L + 4 * k);
        y[ibl].qs[8 * slot + k] = static_cast<uint8_t>(grid_index & 255);
        y[ibl].qh[ib] = static_cast<uint8_t>(y[ibl].qh[ib] | ((grid_index >> 8) << k));
      }
      std::memcpy(y[ibl].signs + 4 * slot, fit.signs, 4);
      ++slot;
      scales[ib] = fit.scale;
      max_scale = std::max(max_scale, fit.scale);
    }
    if (!max_scale) continue;
    const float d = max_scale / 31;
    y[ibl].d = Fp32ToFp16(d * 1.033f);
    const float id = 1 / d;
    for (int ib = 0; ib < kQKK / 32; ib += 2) {
      const int l1 = std::max(0, std::min(15, NearestInt(0.5f * (id * scales[ib] - 1))));
      const int l2 = std::max(0, std::min(15, NearestInt(0.5f * (id * scales[ib + 1] - 1))));
      y[ibl].scales[ib / 2] = static_cast<uint8_t>(l1 | (l2 << 4));
    }
  }
}

}  // namespace fw::quant
