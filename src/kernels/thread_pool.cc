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
  generation_.fetch_add(1, std::memory_order_seq_cst);
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
  generation_.fetch_add(1, std::memory_order_seq_cst);  // releases fn_, ctx_, pending_
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
  fn(ctx, 0, n_threads_);
  int p = 0;
  SpinUntil([&] { return (p = pending_.load(std::memory_order_acquire)) == 0; });
  if (p != 0) {
    caller_sleeping_.store(1, std::memory_order_seq_cst);
    while ((p = pending_.load(std::memory_order_seq_cst)) != 0) pending_.wait(p);
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
