// The fixed codebooks of ggml's i-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M),
// expanded at compile time into the lookup-table form the decoders (and SIMD kernels) use.
// They are part of the file formats: a block stores indices into them, so they must equal
// ggml's tables value for value (checked by iq_grids_test.cc against fingerprints of ggml's).
//
// Entry k of a grid holds one group of elements, one byte per element (element j in byte j,
// little-endian): the 2-bit grids hold magnitudes {8, 25, 43} for 8 elements, IQ3_XXS
// {4, 12, ..., 52, 62} and IQ3_S {1, 3, ..., 15} for 4 elements, IQ1_S int8 {-1, 0, 1} for 8.
#pragma once

#include <array>
#include <cstdint>

namespace fw::quant {

extern const std::array<uint64_t, 256> kIq2xxsGrid;
extern const std::array<uint64_t, 512> kIq2xsGrid;
extern const std::array<uint64_t, 1024> kIq2sGrid;
extern const std::array<uint32_t, 256> kIq3xxsGrid;
extern const std::array<uint32_t, 512> kIq3sGrid;
extern const std::array<uint64_t, 2048> kIq1sGrid;

// The 3-bit grids as level codes (element j's level l at bits 3j..3j+2), ascending; the
// quantizers work with magnitudes 2l + 1. grid_size is 256 (IQ3_XXS) or 512 (IQ3_S).
const uint16_t* Iq3GridCodes(int grid_size);

// IQ2/IQ3 store 7 sign bits per 8 elements; the 8th makes the number of minus signs even.
// Bit j of the result set = element j negative.
inline uint8_t Iq2Signs(uint32_t seven_bits) {
  const uint32_t s = seven_bits & 127;
  return static_cast<uint8_t>(s | ((__builtin_popcount(s) & 1) << 7));
}

// The shift IQ1_S / IQ1_M add to grid values (sign chosen per 32 / 16 elements).
inline constexpr float kIq1Delta = 0.125f;

}  // namespace fw::quant
