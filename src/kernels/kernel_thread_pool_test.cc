#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "kernels/thread_pool.h"

namespace fw::kernels {
namespace {

TEST(KernelThreadPool, RunCallsEveryThreadOnce) {
  for (int n : {1, 2, 3, 5}) {
    ThreadPool pool(n);
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(n);
      pool.Run([&](int i, int nt) {
        ASSERT_EQ(nt, n);
        hits[i].fetch_add(1);
      });
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "rep " << rep;
    }
  }
}

TEST(KernelThreadPool, ParallelForCoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 3, 7, 1000}) {
    std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
    pool.ParallelFor(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) seen[i].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1);
  }
}

TEST(KernelThreadPool, WakesWorkersAfterTheyFallAsleep) {
  ThreadPool pool(2);
  std::atomic<int> sum{0};
  for (int rep = 0; rep < 3; ++rep) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // workers go from spinning to sleeping
    pool.Run([&](int i, int) { sum.fetch_add(i + 1); });
  }
  EXPECT_EQ(sum.load(), 3 * 3);
}

TEST(KernelThreadPool, RunLambdaWorksWithoutStdFunction) {
  ThreadPool pool(2);
  std::atomic<int> count{0};
  auto body = [&](int, int) { count.fetch_add(1); };
  for (int rep = 0; rep < 10000; ++rep) pool.RunLambda(body);
  EXPECT_EQ(count.load(), 20000);
}

// RunDynamic: every claimed item is done exactly once and visible to the caller afterwards,
// whether or not the workers joined in time; mixed with plain Run jobs.
TEST(KernelThreadPool, RunDynamicFinishesSelfBalancingJobs) {
  for (int n : {2, 3}) {
    ThreadPool pool(n);
    for (int rep = 0; rep < 3000; ++rep) {
      struct Ctx {
        std::atomic<int> next{0};
        int items;
        std::vector<int> done;
      } ctx;
      ctx.items = 1 + rep % 37;
      ctx.done.assign(ctx.items, 0);
      pool.RunDynamic(
          [](void* c, int, int) {
            auto& x = *static_cast<Ctx*>(c);
            for (int i = x.next.fetch_add(1); i < x.items; i = x.next.fetch_add(1)) x.done[i] += 1;
          },
          &ctx);
      for (int i = 0; i < ctx.items; ++i) ASSERT_EQ(ctx.done[i], 1) << "rep " << rep << " item " << i;
      if (rep % 100 == 0) {
        std::atomic<int> hits{0};
        pool.Run([&](int, int) { hits.fetch_add(1); });
        ASSERT_EQ(hits.load(), n);
      }
      if (rep % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

}  // namespace
}  // namespace fw::kernels
