// A Prometheus-style cumulative histogram (fixed upper bounds in seconds). Thread-safe:
// the step loop observes, the /metrics handler reads a snapshot.
#pragma once

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace fw::engine {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

  void Observe(double v) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) ++i;
    ++counts_[i];
    sum_ += v;
    ++count_;
  }

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const {
    std::lock_guard<std::mutex> lock(mu_);
    Snapshot s{bounds_, {}, sum_, count_};
    uint64_t acc = 0;
    for (uint64_t c : counts_) s.cumulative.push_back(acc += c);
    return s;
  }

 private:
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace fw::engine
