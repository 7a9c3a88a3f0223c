// Run-time CPU feature detection: the one place the kernels decide which instruction sets
// they may use. Detected once per process (thread-safe static init), immutable afterwards.
#pragma once

#include <string>

namespace fw::kernels {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avxvnni = false;      // 256-bit VPDPBUSD (VEX encoded, Alder Lake / Sapphire Rapids)
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;
  bool neon = false;
  bool os_avx = false;       // OS saves YMM state (XCR0 bits 1,2)
  bool os_avx512 = false;    // OS saves ZMM/opmask state (XCR0 bits 5,6,7)

  // AVX2 + FMA + F16C usable (the baseline SIMD path on x86).
  bool HasAvx2Path() const { return avx2 && fma && f16c && os_avx; }
  bool HasAvxVnniPath() const { return HasAvx2Path() && avxvnni; }
  bool HasAvx512Path() const {
    return HasAvx2Path() && avx512f && avx512bw && avx512vl && avx512dq && avx512vnni && os_avx512;
  }
  std::string ToString() const;
};

// The features of the running CPU.
const CpuFeatures& GetCpuFeatures();

}  // namespace fw::kernels
