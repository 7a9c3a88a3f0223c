// AMX-INT8 prefill for Q2_K..Q6_K weights in ggml's vec_dot arithmetic (see
// kquant_amx_avx512.cc): bit-identical to the AVX-512 table's dot_q_tokens, computed with
// tile multiplies instead of vector multiplies.
#pragma once

#include "kernels/kernel_table.h"
#include "tensor/ggml_type.h"

namespace fw::kernels {

// The AMX token-tile kernel for `type` (Q2_K..Q6_K; nullptr for other types), or nullptr
// when this build, the CPU or the OS cannot run AMX tiles, or FLYWHEEL_AMX=0 is set. The
// first call asks Linux for the tile state permission (process-wide). Same contract as
// DotRowsQTokensFn.
DotRowsQTokensFn AmxKQuantTokens(GgmlType type);

}  // namespace fw::kernels
