#include "kernels/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fw::kernels {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Waits until ready() holds, cheapest first: a short pause-spin (the partner is usually a few
// microseconds away), then sched_yield for up to ~1 ms (hands the core to a runnable thread
// when the machine is oversubscribed, costs ~1 us when it is not), then gives up and lets the
// caller sleep on a futex. Returns true when ready() became true while spinning.
template <class Ready>
bool SpinUntil(Ready ready) {
  for (int i = 0; i < 256; ++i) {
    if (ready()) return true;
    CpuRelax();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(1000);
  for (int i = 0;; ++i) {
    if (ready()) return true;
    sched_yield();
    if ((i & 15) == 15 && std::chrono::steady_clock::now() > deadline) return ready();
  }
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.store(((generation_.load() >> 1) + 1) << 1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = seen;
    SpinUntil([&] { return (g = generation_.load(std::memory_order_acquire)) != seen; });
    if (g == seen) {
      // Dekker-style handshake with RunRaw: we announce that we sleep, then re-check; the
      // publisher bumps the generation, then checks for sleepers.
      sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
      while ((g = generation_.load(std::memory_order_seq_cst)) == seen) generation_.wait(seen);
      sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = g;
    if (stop_.load(std::memory_order_acquire)) return;
    if (g & 1) {
      // Dynamic job: enter, then check it is still open (Dekker handshake with RunDynamic,
      // which closes it and then counts who is inside). fn_ / ctx_ are this job's as long as
      // it is open: the next job cannot start before the caller saw inside_ drop to zero.
      inside_.fetch_add(1, std::memory_order_seq_cst);
      if (closed_.load(std::memory_order_seq_cst) < g) fn_(ctx_, index, n_threads_);
      if (inside_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
          caller_sleeping_.load(std::memory_order_seq_cst) != 0) {
        inside_.notify_one();
      }
      continue;
    }
    fn_(ctx_, index, n_threads_);
    if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        caller_sleeping_.load(std::memory_order_seq_cst) != 0) {
      pending_.notify_one();
    }
  }
}

void ThreadPool::RunRaw(RawFn fn, void* ctx) {
  if (n_threads_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  NextGeneration(false);  // releases fn_, ctx_, pending_
  fn(ctx, 0, n_threads_);
  int p = 0;
  SpinUntil([&] { return (p = pending_.load(std::memory_order_acquire)) == 0; });
  if (p != 0) {
    caller_sleeping_.store(1, std::memory_order_seq_cst);
    while ((p = pending_.load(std::memory_order_seq_cst)) != 0) pending_.wait(p);
    caller_sleeping_.store(0, std::memory_order_relaxed);
  }
}

uint64_t ThreadPool::NextGeneration(bool dynamic) {
  const uint64_t cur = generation_.load(std::memory_order_relaxed);
  const uint64_t next = ((cur >> 1) + 1) << 1 | (dynamic ? 1u : 0u);
  generation_.store(next, std::memory_order_seq_cst);
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
  return next;
}

void ThreadPool::RunDynamic(RawFn fn, void* ctx) {
  if (n_threads_ == 1) {
    fn(ctx, 0, 1);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  const uint64_t g = NextGeneration(true);
  fn(ctx, 0, n_threads_);
  closed_.store(g, std::memory_order_seq_cst);
  int in = 0;
  SpinUntil([&] { return (in = inside_.load(std::memory_order_seq_cst)) == 0; });
  if (in != 0) {
    caller_sleeping_.store(1, std::memory_order_seq_cst);
    while ((in = inside_.load(std::memory_order_seq_cst)) != 0) inside_.wait(in);
    caller_sleeping_.store(0, std::memory_order_relaxed);
  }
}

void ThreadPool::Run(const std::function<void(int, int)>& fn) {
  RunRaw([](void* c, int i, int n) { (*static_cast<const std::function<void(int, int)>*>(c))(i, n); },
         const_cast<std::function<void(int, int)>*>(&fn));
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  auto body = [&](int t, int nt) {
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t begin = std::min<int64_t>(n, chunk * t);
    const int64_t end = std::min<int64_t>(n, begin + chunk);
    if (begin < end) fn(begin, end);
  };
  RunLambda(body);
}

}  // namespace fw::kernels
