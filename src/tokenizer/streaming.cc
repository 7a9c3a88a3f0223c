// StreamingDetokenizer: emits the growing Decode() of the ids pushed so far, holding back
// bytes that may still change: an incomplete UTF-8 sequence at the end, and (for vocabs with
// clean_spaces) the last few bytes, which the " ," / " 's" rewrites can still alter.
//
// Cost: each Push re-decodes every id pushed so far (O(n) per token, with pieces cached by
// the tokenizer's vocab); fine for interactive generation lengths.
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw {
namespace {
// clean_spaces decisions look a few bytes ahead of the byte they change (at most 3 per pass
// plus the bytes earlier passes removed); 8 is a safe bound.
constexpr size_t kCleanSpacesHoldback = 8;
}  // namespace

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, bool render_special)
    : tok_(tokenizer), render_special_(render_special) {}

std::string StreamingDetokenizer::Push(int32_t id) {
  ids_.push_back(id);
  const std::string text = tok_.Decode(ids_, render_special_);
  size_t stable = text.size();
  if (tok_.impl().vocab.clean_spaces) stable = stable > kCleanSpacesHoldback ? stable - kCleanSpacesHoldback : 0;
  stable -= unicode::IncompleteUtf8Tail(std::string_view(text).substr(0, stable));
  if (stable <= emitted_) return "";
  std::string out = text.substr(emitted_, stable - emitted_);
  emitted_ = stable;
  return out;
}

std::string StreamingDetokenizer::Flush() {
  const std::string text = tok_.Decode(ids_, render_special_);
  std::string out = emitted_ < text.size() ? text.substr(emitted_) : std::string();
  ids_.clear();
  emitted_ = 0;
  return out;
}

}  // namespace fw
