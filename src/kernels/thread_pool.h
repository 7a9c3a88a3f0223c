// A fixed pool of worker threads for splitting one operation across cores.
// ParallelFor blocks until every chunk is done. Not re-entrant: call it from one thread at
// a time (the forward pass owns its pool).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
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

 private:
  void WorkerLoop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_;
  std::condition_variable done_cv_;
  const std::function<void(int, int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace fw::kernels
