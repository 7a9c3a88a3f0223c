// Stop strings over streamed text for the engine's sequences: the runtime's matcher
// (runtime/sampling/stop_strings.h) under the names the engine uses. Holds back the shortest
// tail that could still become a stop string, so a client never sees part of one.
// Not thread-safe; one per sequence.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/sampling/stop_strings.h"

namespace fw::engine {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops) : m_(std::move(stops)) {}

  // Adds text; returns what may be emitted now. Sets matched() when a stop string appeared
  // (the returned text then ends right before it and nothing more should be fed).
  std::string Feed(const std::string& text) { return m_.Push(text); }
  // The held-back tail (at the end of generation without a match).
  std::string Flush() { return m_.Flush(); }
  bool matched() const { return m_.stopped(); }

 private:
  runtime::StopStringMatcher m_;
};

}  // namespace fw::engine
