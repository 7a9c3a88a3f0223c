// A compiled PCRE2 pattern (UTF + UCP, JIT when available) for the pre-tokenizer splits.
// Immutable after construction and shareable across threads (match data is per call).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace fw::tok {

using Span = std::pair<size_t, size_t>;  // [begin, end) byte offsets

class Regex {
 public:
  struct Options {
    bool dollar_end_only = true;  // '$' matches only at the very end (ECMAScript semantics)
    bool caseless = false;
  };
  static Result<std::unique_ptr<Regex>> Compile(std::string_view pattern, Options options);
  static Result<std::unique_ptr<Regex>> Compile(std::string_view pattern) {
    return Compile(pattern, Options());
  }
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends the non-empty, non-overlapping matches in subject (valid UTF-8) as spans offset by
  // `base`. Lookarounds never see outside subject. A pattern that hits PCRE2's resource limits
  // stops matching (the rest of the subject stays unmatched) rather than failing.
  void FindAll(std::string_view subject, size_t base, std::vector<Span>* matches) const;
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;
};

// Splits every piece of `pieces` (spans into text) by the regex, keeping both matches and the
// gaps between them as separate pieces (HF "Isolated", llama.cpp unicode_regex_split).
std::vector<Span> SplitIsolated(const Regex& re, std::string_view text,
                                const std::vector<Span>& pieces);

}  // namespace fw::tok
