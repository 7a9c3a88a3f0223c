// MatMul: dispatch to the kernel table, split over the pool.
//
// Decode (n < kGemmMinTokens; Q4_0 with rows % 8 == 0 takes dot_q_x8, or the GEMM where a
// table has none, see GemmForAnyBatch): activations are quantized once by the caller
// thread, then threads claim chunks of rows from an atomic counter and run dot_q / dot_f
// per token.
// Prefill: activations are quantized in parallel (one row per token). Types with
// dot_q_tokens (ggml multiplies them with its per-token vec_dot at every batch size, or with
// tinyBLAS, whose per-output arithmetic for the 32-blocks is vec_dot's: 8 lanes, one fma per
// lane and block, then the horizontal sum) run it on claimed row chunks, tokens in chunks of
// TokensPerCall. Repacked Q4_0 (GemmForAnyBatch) and types without dot_q_tokens: threads claim macro
// tiles of kMacroRows weight rows; each packs its rows into interleaved 8-row panels
// (thread-local scratch) and runs the GEMM micro-kernel over the tokens in chunks of
// kTokenChunk (so a chunk of activations stays in L2 while all panels of the tile use it).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/matmul_dispatch.h"
#include "kernels/scratch.h"
#include "kernels/thread_pool.h"
#include "kernels/weight_blocks.h"

namespace fw::kernels {
namespace {

constexpr int64_t kGemmMinTokens = 4;
constexpr int kMacroPanels = 4;
constexpr int64_t kMacroRows = kMacroPanels * kPanelRows;
constexpr int64_t kTokenChunk = 64;

// Tokens per dot_q_tokens call. Each call unpacks its rows' weight blocks once per tile of
// rows (the AMX kernels into tile layout, ~20% of their time at 64 tokens), so more tokens
// amortize that, while the call's activations (~2 bytes per column and token in tile layout)
// should stay within about 1 MiB of L2: 256 tokens at 2048 columns, 64 from 16384 on.
int64_t TokensPerCall(int64_t cols) {
  const int64_t t = std::clamp<int64_t>((int64_t{1} << 20) / std::max<int64_t>(cols, 1), 64, 256);
  return t & ~int64_t{15};
}

// Q4_0 with rows % 8 == 0 is repacked by ggml's CPU backend into 8-row interleaved blocks
// whose kernels, for one token as for many, add each block as acc = fma(sumi, d_w * d_x, acc)
// in block order. The panel GEMM computes exactly that, so those weights take it always.
bool GemmForAnyBatch(const WeightView& w) { return w.type == GgmlType::Q4_0 && w.rows % 8 == 0; }

// FLYWHEEL_PREFILL=panel: the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL)
// prefill with the panel GEMM (exact integer sum per block, one float fma per block and
// output) instead of ggml's vec_dot order (8 float lanes per block and output): about 2x faster
// on those types, as accurate, but not bit-identical to llama.cpp. Read once.
bool PanelForBlock32Prefill() {
  static const bool on = [] {
    const char* v = std::getenv("FLYWHEEL_PREFILL");
    return v != nullptr && std::strcmp(v, "panel") == 0;
  }();
  return on;
}

// dot_q_tokens for w's prefill, or null where the panel GEMM (or per-token dot) serves it.
DotRowsQTokensFn TokensDot(const KernelTable& kt, const WeightView& w) {
  const BlockFormat* fmt = FormatOf(w.type);
  if (GemmForAnyBatch(w) || (PanelForBlock32Prefill() && fmt != nullptr && fmt->block == 32)) return nullptr;
  return kt.dot_q_tokens[static_cast<int>(w.type)];
}

bool IsFloatType(GgmlType t) {
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16;
}

Scratch& ActsScratch() {
  static thread_local Scratch s;
  return s;
}
Scratch& PanelScratch() {
  static thread_local Scratch s;
  return s;
}

constexpr int kMaxMulti = 8;

// One MatMul or MatMulMulti call: weights 0..count share x (and its quantized form).
struct Job {
  const KernelTable* kt;
  const WeightView* w;        // first weight (cols, quantization decisions)
  const float* x;
  int64_t n;
  float* y;
  QuantizedActs acts;
  const BlockFormat* fmt;     // of the current weight in single-weight jobs
  int64_t chunk_rows;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> next_token{0};  // RunQuantize's claim counter
  // Multi-weight jobs: each weight has its own claim counter; threads drain them in order.
  int count = 0;
  const WeightView* ws[kMaxMulti] = {};
  float* ys[kMaxMulti] = {};
  const BlockFormat* fmts[kMaxMulti] = {};
  int64_t chunks[kMaxMulti] = {};
  bool gemm[kMaxMulti] = {};
  std::atomic<int64_t> nexts[kMaxMulti];
};

// Rows per claimed chunk for the row-parallel paths: big enough to stream, small enough
// that a slow thread does not hold up the rest.
int64_t ChunkRows(int64_t rows, int threads) {
  int64_t c = rows / (static_cast<int64_t>(threads) * 8);
  c = std::max<int64_t>(16, std::min<int64_t>(c, 256));
  return (c + 7) & ~int64_t{7};
}

// The row-parallel decode kernel for w: dot_q, or dot_q_x8 for weights whose ggml arithmetic
// is that of the repacked 8-row blocks (their rows, and so every chunk, are multiples of 8).
DotRowsQFn DecodeDot(const KernelTable& kt, const WeightView& w) {
  const int slot = static_cast<int>(w.type);
  if (GemmForAnyBatch(w) && kt.dot_q_x8[slot] != nullptr) return kt.dot_q_x8[slot];
  return kt.dot_q[slot];
}

// Whether w takes the panel GEMM for an n-token batch.
bool UsesGemm(const KernelTable& kt, const WeightView& w, int64_t n) {
  const int slot = static_cast<int>(w.type);
  if (kt.panel_gemm == nullptr || kt.pack_panel[slot] == nullptr) return false;
  if (GemmForAnyBatch(w)) return n >= kGemmMinTokens || kt.dot_q_x8[slot] == nullptr;
  if (TokensDot(kt, w) != nullptr) return false;
  return n >= kGemmMinTokens;
}

// Float weights: ggml multiplies a batch of 2+ tokens with tinyBLAS when k % 8 == 0 (its
// 256-bit step) and with vec_dot per token otherwise, and a single token with vec_dot.
DotRowsFFn FloatDot(const KernelTable& kt, const WeightView& w, int64_t n) {
  const int slot = static_cast<int>(w.type);
  if (n >= 2 && w.cols % 8 == 0 && kt.dot_f_tiled[slot] != nullptr) return kt.dot_f_tiled[slot];
  return kt.dot_f[slot];
}

void RowsOf(const Job& job, const WeightView& w, const BlockFormat* fmt, float* y, int64_t chunk_rows,
            std::atomic<int64_t>& next) {
  const auto* base = static_cast<const uint8_t*>(w.data);
  const DotRowsQFn dot = fmt != nullptr ? DecodeDot(*job.kt, w) : nullptr;
  const DotRowsQTokensFn dot_tokens =
      fmt != nullptr && job.n > 1 ? TokensDot(*job.kt, w) : nullptr;
  const DotRowsFFn dot_f = fmt == nullptr ? FloatDot(*job.kt, w, job.n) : nullptr;
  for (;;) {
    const int64_t r0 = next.fetch_add(chunk_rows, std::memory_order_relaxed);
    if (r0 >= w.rows) return;
    const int64_t r1 = std::min(w.rows, r0 + chunk_rows);
    const uint8_t* wr = base + static_cast<size_t>(r0) * w.row_stride;
    if (dot_tokens != nullptr) {
      const int64_t step = TokensPerCall(w.cols);
      for (int64_t t0 = 0; t0 < job.n; t0 += step)
        dot_tokens(wr, w.row_stride, r1 - r0, w.cols, job.acts, t0, std::min(job.n, t0 + step), y + r0, w.rows);
      continue;
    }
    for (int64_t t = 0; t < job.n; ++t) {
      float* yt = y + t * w.rows + r0;
      if (fmt != nullptr) {
        dot(wr, w.row_stride, r1 - r0, w.cols, job.acts.Row(t), yt);
      } else {
        dot_f(wr, w.row_stride, r1 - r0, w.cols, job.x + t * w.cols, yt);
      }
    }
  }
}

void RunRows(Job& job, int /*thread*/, int /*n_threads*/) {
  RowsOf(job, *job.w, job.fmt, job.y, job.chunk_rows, job.next);
}

// Tokens are claimed from a counter (not split by thread index): every Body here must let
// any one thread finish the whole job, because Dispatch runs it with RunDynamic.
void RunQuantize(Job& job, int /*thread*/, int /*n_threads*/) {
  for (int64_t t = job.next_token.fetch_add(1, std::memory_order_relaxed); t < job.n;
       t = job.next_token.fetch_add(1, std::memory_order_relaxed)) {
    job.kt->quantize_acts(job.x + t * job.w->cols, job.acts, t);
  }
}

void GemmOf(const Job& job, const WeightView& w, const BlockFormat* fmt_ptr, float* y,
            std::atomic<int64_t>& next) {
  const BlockFormat& fmt = *fmt_ptr;
  const auto* base = static_cast<const uint8_t*>(w.data);
  const size_t panel_bytes = PanelBytes(w.cols, fmt.group);
  auto* store = static_cast<uint8_t*>(PanelScratch().Get(panel_bytes * kMacroPanels));
  Panel panels[kMacroPanels];
  for (;;) {
    const int64_t r0 = next.fetch_add(kMacroRows, std::memory_order_relaxed);
    if (r0 >= w.rows) return;
    const int64_t r1 = std::min(w.rows, r0 + kMacroRows);
    const int np = static_cast<int>((r1 - r0 + kPanelRows - 1) / kPanelRows);
    for (int p = 0; p < np; ++p) {
      panels[p] = LayoutPanel(store + p * panel_bytes, w.cols, fmt.group);
      panels[p].signed_w = !job.kt->gemm_wide_u && fmt.u_max > 128;
      panels[p].offset = panels[p].signed_w ? 0 : fmt.offset;
      panels[p].has_min = fmt.has_min;
      panels[p].u_max = fmt.u_max;
      const int64_t pr = r0 + p * kPanelRows;
      const int nrows = static_cast<int>(std::min<int64_t>(kPanelRows, r1 - pr));
      job.kt->pack_panel[static_cast<int>(w.type)](w.type, base + static_cast<size_t>(pr) * w.row_stride,
                                                   w.row_stride, nrows, panels[p]);
    }
    for (int64_t t0 = 0; t0 < job.n; t0 += kTokenChunk) {
      const int64_t t1 = std::min(job.n, t0 + kTokenChunk);
      for (int p = 0; p < np; ++p) {
        const int64_t pr = r0 + p * kPanelRows;
        const int nrows = static_cast<int>(std::min<int64_t>(kPanelRows, r1 - pr));
        job.kt->panel_gemm(panels[p], job.acts, t0, t1, y + pr, w.rows, nrows);
      }
    }
  }
}

void RunGemm(Job& job, int /*thread*/, int /*n_threads*/) { GemmOf(job, *job.w, job.fmt, job.y, job.next); }

void RunMulti(Job& job, int /*thread*/, int /*n_threads*/) {
  for (int i = 0; i < job.count; ++i) {
    if (job.gemm[i]) GemmOf(job, *job.ws[i], job.fmts[i], job.ys[i], job.nexts[i]);
    else RowsOf(job, *job.ws[i], job.fmts[i], job.ys[i], job.chunks[i], job.nexts[i]);
  }
}

template <void (*Body)(Job&, int, int)>
void Dispatch(Job& job, ThreadPool* pool) {
  if (pool == nullptr || pool->size() == 1) {
    Body(job, 0, 1);
    return;
  }
  pool->RunDynamic([](void* c, int i, int n) { Body(*static_cast<Job*>(c), i, n); }, &job);
}

bool Supported(const KernelTable& kt, const WeightView& w, const BlockFormat* fmt) {
  const int slot = static_cast<int>(w.type);
  if (slot < 0 || slot >= kTypeSlots) return false;
  if (IsFloatType(w.type)) return kt.dot_f[slot] != nullptr;
  return fmt != nullptr && kt.dot_q[slot] != nullptr && kt.quantize_acts != nullptr &&
         w.cols % fmt->block == 0;
}

}  // namespace

bool HasFastPath(GgmlType type) {
  return IsFloatType(type) || FormatOf(type) != nullptr;
}

void MatMulWith(const KernelTable& kt, const WeightView& w, const float* x, int64_t n, float* y,
                ThreadPool* pool) {
  if (n <= 0 || w.rows <= 0) return;
  const BlockFormat* fmt = IsFloatType(w.type) ? nullptr : FormatOf(w.type);
  if (!Supported(kt, w, fmt)) {
    MatMulReference(w, x, n, y);
    return;
  }
  const int threads = pool ? pool->size() : 1;
  Job job;
  job.kt = &kt;
  job.w = &w;
  job.x = x;
  job.n = n;
  job.y = y;
  job.fmt = fmt;
  if (fmt == nullptr) {
    job.chunk_rows = ChunkRows(w.rows, threads);
    Dispatch<RunRows>(job, pool);
    return;
  }
  job.acts = LayoutQuantizedActs(ActsScratch().Get(QuantizedActsBytes(n, w.cols)), n, w.cols, fmt->acts);
  const bool gemm = UsesGemm(kt, w, n);
  if (n == 1 || threads == 1) {
    for (int64_t t = 0; t < n; ++t) kt.quantize_acts(x + t * w.cols, job.acts, t);
  } else {
    Dispatch<RunQuantize>(job, pool);
  }
  if (gemm) {
    Dispatch<RunGemm>(job, pool);
  } else {
    job.chunk_rows = ChunkRows(w.rows, threads);
    Dispatch<RunRows>(job, pool);
  }
}

void MatMul(const WeightView& w, const float* x, int64_t n, float* y, ThreadPool* pool) {
  MatMulWith(ActiveKernels(), w, x, n, y, pool);
}

void MatMulMulti(const WeightView* ws, float* const* ys, int count, const float* x, int64_t n, ThreadPool* pool) {
  const KernelTable& kt = ActiveKernels();
  if (n <= 0 || count <= 0) return;
  // Weights the fast path cannot take (or too many for one job) go one at a time.
  const int64_t cols = ws[0].cols;
  Job job;
  job.kt = &kt;
  job.w = &ws[0];
  job.x = x;
  job.n = n;
  bool any_quantized = false;
  ActsKind kind = ActsKind::kQ8_0;
  const int threads = pool ? pool->size() : 1;
  for (int i = 0; i < count; ++i) {
    const WeightView& w = ws[i];
    const BlockFormat* fmt = IsFloatType(w.type) ? nullptr : FormatOf(w.type);
    // Quantized weights share one activation quantization only when they want the same kind.
    const bool kind_ok = fmt == nullptr || !any_quantized || fmt->acts == kind;
    if (job.count == kMaxMulti || w.cols != cols || w.rows <= 0 || !Supported(kt, w, fmt) || !kind_ok) {
      MatMulWith(kt, w, x, n, ys[i], pool);
      continue;
    }
    const int k = job.count++;
    job.ws[k] = &w;
    job.ys[k] = ys[i];
    job.fmts[k] = fmt;
    job.chunks[k] = ChunkRows(w.rows, threads);
    job.gemm[k] = fmt != nullptr && UsesGemm(kt, w, n);
    job.nexts[k].store(0, std::memory_order_relaxed);
    if (fmt != nullptr && !any_quantized) kind = fmt->acts;
    any_quantized = any_quantized || fmt != nullptr;
  }
  if (job.count == 0) return;
  if (any_quantized) {
    job.acts = LayoutQuantizedActs(ActsScratch().Get(QuantizedActsBytes(n, cols)), n, cols, kind);
    if (n == 1 || threads == 1) {
      for (int64_t t = 0; t < n; ++t) kt.quantize_acts(x + t * cols, job.acts, t);
    } else {
      Dispatch<RunQuantize>(job, pool);
    }
  }
  Dispatch<RunMulti>(job, pool);
}

}  // namespace fw::kernels
