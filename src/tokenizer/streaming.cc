// StreamingDetokenizer: emits the growing Decode() of the ids pushed so far, holding back
// bytes that may still change: an incomplete UTF-8 sequence at the end, and (for vocabs with
// clean_spaces) the last few bytes, which the " ," / " 's" rewrites can still alter.
//
// Cost: each Push decodes a window of the last ids only (at most 2 * kContextTokens plus what
// is still held back), so a generation of n tokens costs O(n), not O(n^2). ids_ is the window;
// Decode(ids_) is the text it stands for. It drops its oldest ids only where the result is the
// same text: when the decode of the shorter window is a suffix of the current one and
// everything before that suffix has been emitted. Decoders whose output at a position depends
// on much earlier tokens simply keep the longer window (correct, slower).
#include <algorithm>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw {
namespace {
// clean_spaces decisions look a few bytes ahead of the byte they change (at most 3 per pass
// plus the bytes earlier passes removed); 8 is a safe bound.
constexpr size_t kCleanSpacesHoldback = 8;
// Tokens of already-emitted context kept at the start of the window.
constexpr size_t kContextTokens = 8;
}  // namespace

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, bool render_special)
    : tok_(tokenizer), render_special_(render_special) {}

std::string StreamingDetokenizer::DecodeWindow(size_t from) const {
  return tok_.Decode(std::vector<int32_t>(ids_.begin() + static_cast<std::ptrdiff_t>(from), ids_.end()),
                     render_special_);
}

std::string StreamingDetokenizer::Push(int32_t id) {
  ids_.push_back(id);
  const std::string text = DecodeWindow(0);
  size_t stable = text.size();
  if (tok_.impl().vocab.clean_spaces) stable = stable > kCleanSpacesHoldback ? stable - kCleanSpacesHoldback : 0;
  stable -= unicode::IncompleteUtf8Tail(std::string_view(text).substr(0, stable));
  std::string out;
  if (stable > emitted_) {
    out = text.substr(emitted_, stable - emitted_);
    emitted_ = stable;
  }
  // Slide the window once it holds 2 * kContextTokens tokens.
  if (ids_.size() >= 2 * kContextTokens) {
    const size_t next = ids_.size() - kContextTokens;
    const std::string tail = DecodeWindow(next);
    const size_t dropped = text.size() - std::min(text.size(), tail.size());
    if (tail.size() <= text.size() && text.compare(dropped, std::string::npos, tail) == 0 && dropped <= emitted_) {
      emitted_ -= dropped;
      ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(next));
    }
  }
  return out;
}

std::string StreamingDetokenizer::Flush() {
  const std::string text = DecodeWindow(0);
  std::string out = emitted_ < text.size() ? text.substr(emitted_) : std::string();
  ids_.clear();
  emitted_ = 0;
  return out;
}

}  // namespace fw
