// Include last in a scalar reference kernel file: turns off contraction of a*b+c into one fused
// multiply-add for the rest of the translation unit. The reference quantizers must reproduce
// ggml's float rounding step by step; with -mfma or -march=native both GCC and Clang would
// otherwise fuse such expressions and flip near-ties (the golden tests would then fail).
#pragma once

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
