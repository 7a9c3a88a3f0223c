// Stop strings over streamed text: Push() takes each newly decoded piece and returns the
// text that can be shown now. Text that might be the start of a stop string is held back
// until it is clearly not; when a stop string completes, everything before it is released,
// the stop string and anything after it are dropped, and stopped() turns true.
//
// Not thread-safe; one per generated sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fw::runtime {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  std::string Push(std::string_view piece);
  // End of generation: the held-back text (it did not become a stop string).
  std::string Flush();
  bool stopped() const { return stopped_; }
  // The stop string that matched ("" when none).
  const std::string& matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace fw::runtime
