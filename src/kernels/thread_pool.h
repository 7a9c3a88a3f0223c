// A fixed pool of worker threads for splitting one operation across cores.
//
// Synchronisation is built for many short jobs per token (one per matmul): a job is
// published by bumping an atomic generation counter; idle workers spin on it (a few hundred
// CPU pauses, then sched_yield for up to ~1 ms so an oversubscribed machine still runs the
// thread being waited for), then sleep on a futex (std::atomic::wait). Completion is an
// atomic countdown the caller waits on the same way. Nothing allocates per job when the
// RunRaw / RunLambda forms are used.
//
// Not re-entrant: call Run* from one thread at a time (the forward pass owns its pool), and
// never from inside a job.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace fw::kernels {

class ThreadPool {
 public:
  // n_threads includes the calling thread; 1 means everything runs inline.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index, n_threads) once on each of the pool's threads (the caller is
  // thread 0) and waits for all of them. fn splits its own work by thread_index.
  void Run(const std::function<void(int thread_index, int n_threads)>& fn);

  // Splits [0, n) into contiguous ranges, one per thread: fn(begin, end).
  void ParallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

  // The allocation-free form of Run: fn(ctx, thread_index, n_threads).
  using RawFn = void (*)(void* ctx, int thread_index, int n_threads);
  void RunRaw(RawFn fn, void* ctx);

  // For self-balancing jobs only (threads claim work from shared atomic counters until none
  // is left, so any one thread can finish it all): like RunRaw, but once the caller's own
  // call returns it waits only for workers already inside the job; workers that had not
  // started yet (descheduled on a busy machine) skip it instead of being waited for.
  void RunDynamic(RawFn fn, void* ctx);

  // Run with any callable f(int thread_index, int n_threads), without std::function.
  template <class F>
  void RunLambda(F& f) {
    RunRaw([](void* c, int i, int n) { (*static_cast<F*>(c))(i, n); }, &f);
  }

 private:
  void WorkerLoop(int index);
  uint64_t NextGeneration(bool dynamic);  // publishes the next job; returns its generation

  int n_threads_;
  std::vector<std::thread> workers_;
  RawFn fn_ = nullptr;
  void* ctx_ = nullptr;
  // Bit 0: the job is a RunDynamic one; the rest counts jobs.
  alignas(64) std::atomic<uint64_t> generation_{0};
  alignas(64) std::atomic<uint64_t> closed_{0};   // generation of the last closed dynamic job
  std::atomic<int> inside_{0};                    // workers inside the current dynamic job
  alignas(64) std::atomic<int> pending_{0};
  alignas(64) std::atomic<int> sleeping_workers_{0};
  std::atomic<int> caller_sleeping_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace fw::kernels
