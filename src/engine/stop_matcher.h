// Stop strings over streamed text: holds back the shortest tail that could still become a
// stop string, so a client never sees part of one. Not thread-safe; one per sequence.
#pragma once

#include <string>
#include <vector>

namespace fw::engine {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);
  // Adds text; returns what may be emitted now. Sets matched() when a stop string appeared
  // (the returned text then ends right before it and nothing more should be fed).
  std::string Feed(const std::string& text);
  // The held-back tail (at the end of generation without a match).
  std::string Flush();
  bool matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool matched_ = false;
};

}  // namespace fw::engine
