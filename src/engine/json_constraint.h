// A byte-level recognizer for prefixes of one JSON object (response_format json_object,
// Ollama format:"json"): Feed() accepts a byte only if the text so far can still be
// completed to valid JSON whose top-level value is an object. Used to mask tokens whose
// piece would break the JSON, and to stop once the object is closed.
//
// Plain value type (copy it to try a token without committing). Not thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace fw::engine {

class JsonPrefix {
 public:
  // Feeds bytes; false (and this object unchanged) when they cannot continue valid JSON.
  bool Feed(std::string_view bytes);
  // The top-level object has been closed.
  bool complete() const { return state_ == kDone; }

  static constexpr int kMaxDepth = 32;
  static constexpr int kMaxWhitespaceRun = 8;  // keeps a model from padding forever

 private:
  enum State : uint8_t {
    kValue,        // expecting a value (at top level: only '{')
    kKeyOrEnd,     // after '{': '"' or '}'
    kKey,          // after ',' in an object: '"'
    kColon,        // after a key
    kValueOrEnd,   // after '[': a value or ']'
    kAfterValue,   // ',' or the closing bracket
    kString, kEscape, kUnicode,
    kMinus, kZero, kInt, kDot, kFrac, kExp, kExpSign, kExpDigits,
    kLiteral,      // inside true / false / null
    kDone,
  };
  bool Step(uint8_t c);
  bool EndValue();

  State state_ = kValue;
  bool string_is_key_ = false;
  uint8_t unicode_left_ = 0;
  const char* literal_ = nullptr;  // remaining characters of the literal
  int depth_ = 0;
  char stack_[kMaxDepth] = {};  // 'o' or 'a' per open container
  int ws_run_ = 0;
};

}  // namespace fw::engine
