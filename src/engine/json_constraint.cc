#include "engine/json_constraint.h"

namespace fw::engine {

namespace {
bool IsWs(uint8_t c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
bool IsHex(uint8_t c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
}  // namespace

bool JsonPrefix::Feed(std::string_view bytes) {
  JsonPrefix saved = *this;
  for (char ch : bytes) {
    if (!Step(static_cast<uint8_t>(ch))) {
      *this = saved;
      return false;
    }
  }
  return true;
}

// A value just ended: back to the enclosing container, or done at top level.
bool JsonPrefix::EndValue() {
  state_ = depth_ == 0 ? kDone : kAfterValue;
  return true;
}

bool JsonPrefix::Step(uint8_t c) {
  const bool ws = IsWs(c);
  const bool structural = state_ <= kAfterValue || state_ == kDone;
  if (ws && structural) {
    if (state_ == kDone) return false;  // nothing may follow the object
    return ++ws_run_ <= kMaxWhitespaceRun;
  }
  if (structural) ws_run_ = 0;
  switch (state_) {
    case kValue:
    case kValueOrEnd:
      if (state_ == kValueOrEnd && c == ']') {
        --depth_;
        return EndValue();
      }
      if (depth_ == 0 && c != '{') return false;
      if (c == '{' || c == '[') {
        if (depth_ >= kMaxDepth) return false;
        stack_[depth_++] = c == '{' ? 'o' : 'a';
        state_ = c == '{' ? kKeyOrEnd : kValueOrEnd;
        return true;
      }
      if (c == '"') {
        string_is_key_ = false;
        state_ = kString;
        return true;
      }
      if (c == '-') { state_ = kMinus; return true; }
      if (c == '0') { state_ = kZero; return true; }
      if (IsDigit(c)) { state_ = kInt; return true; }
      if (c == 't') { literal_ = "rue"; state_ = kLiteral; return true; }
      if (c == 'f') { literal_ = "alse"; state_ = kLiteral; return true; }
      if (c == 'n') { literal_ = "ull"; state_ = kLiteral; return true; }
      return false;
    case kKeyOrEnd:
      if (c == '}') {
        --depth_;
        return EndValue();
      }
      [[fallthrough]];
    case kKey:
      if (c != '"') return false;
      string_is_key_ = true;
      state_ = kString;
      return true;
    case kColon:
      if (c != ':') return false;
      state_ = kValue;
      return true;
    case kAfterValue: {
      const char top = stack_[depth_ - 1];
      if (c == ',') {
        state_ = top == 'o' ? kKey : kValue;
        return true;
      }
      if ((c == '}' && top == 'o') || (c == ']' && top == 'a')) {
        --depth_;
        return EndValue();
      }
      return false;
    }
    case kString:
      if (c == '"') {
        if (string_is_key_) {
          state_ = kColon;
          return true;
        }
        return EndValue();
      }
      if (c == '\\') { state_ = kEscape; return true; }
      return c >= 0x20;  // control characters must be escaped
    case kEscape:
      if (c == 'u') {
        unicode_left_ = 4;
        state_ = kUnicode;
        return true;
      }
      if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
        state_ = kString;
        return true;
      }
      return false;
    case kUnicode:
      if (!IsHex(c)) return false;
      if (--unicode_left_ == 0) state_ = kString;
      return true;
    case kLiteral:
      if (c != static_cast<uint8_t>(*literal_)) return false;
      ++literal_;
      if (*literal_ == '\0') return EndValue();
      return true;
    case kMinus:
      if (c == '0') { state_ = kZero; return true; }
      if (IsDigit(c)) { state_ = kInt; return true; }
      return false;
    case kInt:
      if (IsDigit(c)) return true;
      [[fallthrough]];
    case kZero:
      if (c == '.') { state_ = kDot; return true; }
      if (c == 'e' || c == 'E') { state_ = kExp; return true; }
      EndValue();
      return Step(c);  // the number ended; c belongs to what follows
    case kDot:
      if (!IsDigit(c)) return false;
      state_ = kFrac;
      return true;
    case kFrac:
      if (IsDigit(c)) return true;
      if (c == 'e' || c == 'E') { state_ = kExp; return true; }
      EndValue();
      return Step(c);
    case kExp:
      if (c == '+' || c == '-') { state_ = kExpSign; return true; }
      [[fallthrough]];
    case kExpSign:
      if (!IsDigit(c)) return false;
      state_ = kExpDigits;
      return true;
    case kExpDigits:
      if (IsDigit(c)) return true;
      EndValue();
      return Step(c);
    case kDone:
      return false;
  }
  return false;
}

}  // namespace fw::engine
