#include "tokenizer/vocab.h"

#include "tokenizer/regex.h"

#include <algorithm>
#include <cctype>

namespace fw::tok {

uint32_t AttrFromType(TokenType type) {
  switch (type) {
    case TokenType::kNormal: return kAttrNormal;
    case TokenType::kUnknown: return kAttrUnknown;
    case TokenType::kControl: return kAttrControl;
    case TokenType::kUserDefined: return kAttrUserDefined;
    case TokenType::kUnused: return kAttrUnused;
    case TokenType::kByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

void Vocab::BuildIndex() {
  to_id.clear();
  to_id.reserve(text.size() * 2);
  max_token_len = 0;
  for (int32_t i = 0; i < size(); ++i) {
    to_id.emplace(text[i], i);
    max_token_len = std::max(max_token_len, text[i].size());
  }
}

void Vocab::FinishSpecials() {
  // Text-based detection, as llama.cpp does for models whose GGUF lacks the ids.
  static const char* const kEot[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                     "<|endoftext|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>"};
  static const char* const kEog[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                     "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>"};
  for (int32_t id = 0; id < size(); ++id) {
    const std::string& t = text[id];
    if (eot < 0) {
      for (const char* s : kEot) {
        if (t == s) {
          eot = id;
          attr[id] |= kAttrControl;
        }
      }
    }
    if (eom < 0 && t == "<|eom_id|>") {
      eom = id;
      attr[id] |= kAttrControl;
    }
  }
  eog.clear();
  for (int32_t id = 0; id < size(); ++id) {
    for (const char* s : kEog) {
      if (text[id] == s) {
        eog.insert(id);
        attr[id] |= kAttrControl;
      }
    }
  }
  for (int32_t id : {eos, eot, eom}) {
    if (valid(id)) eog.insert(id);
  }
  special_cache.clear();
  for (int32_t id = 0; id < size(); ++id) {
    if (attr[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) special_cache.push_back(id);
  }
  std::stable_sort(special_cache.begin(), special_cache.end(), [&](int32_t a, int32_t b) {
    return text[a].size() > text[b].size();
  });
}

namespace {

// Leftmost occurrence of tok in text[from, end), exactly like string_view::find. Tokens that
// repeat one byte (neox-style vocabs have two dozen space-run tokens) are looked up in an
// index of that byte's runs of length >= 2, built once per input, instead of visiting every
// occurrence of the byte for every such token.
class Finder {
 public:
  explicit Finder(std::string_view text) : text_(text) {}

  size_t Find(std::string_view tok, size_t from, size_t end) {
    const char c = tok[0];
    if (tok.size() < 2 || tok.find_first_not_of(c) != std::string_view::npos) {
      return text_.substr(0, end).find(tok, from);
    }
    const std::vector<Span>& runs = Runs(static_cast<uint8_t>(c));
    auto it = std::lower_bound(runs.begin(), runs.end(), from,
                               [](const Span& r, size_t v) { return r.second <= v; });
    for (; it != runs.end() && it->first < end; ++it) {
      const size_t b = std::max(it->first, from), e = std::min(it->second, end);
      if (e > b && e - b >= tok.size()) return b;
    }
    return std::string_view::npos;
  }

 private:
  const std::vector<Span>& Runs(uint8_t c) {
    std::vector<Span>& runs = runs_[c];
    if (built_[c]) return runs;
    built_[c] = true;
    for (size_t i = 0; i < text_.size();) {
      if (static_cast<uint8_t>(text_[i]) != c) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < text_.size() && static_cast<uint8_t>(text_[j]) == c) ++j;
      if (j - i >= 2) runs.emplace_back(i, j);
      i = j;
    }
    return runs;
  }

  std::string_view text_;
  std::vector<Span> runs_[256];
  bool built_[256] = {};
};

}  // namespace

std::vector<Fragment> PartitionSpecial(const Vocab& vocab, std::string_view text,
                                       bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  Finder finder(text);
  for (int32_t id : vocab.special_cache) {
    const uint32_t attr = vocab.attr[id];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string& tok = vocab.text[id];
    if (tok.empty()) continue;
    bool any = false;
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0 || f.length < tok.size()) {
        next.push_back(f);
        continue;
      }
      size_t off = f.offset, len = f.length;
      while (true) {
        const size_t match = finder.Find(tok, off, off + len);
        if (match == std::string_view::npos) {
          if (len > 0) next.push_back({-1, off, len});
          break;
        }
        any = true;
        size_t left_len = match - off;
        if (attr & kAttrLstrip) {
          while (left_len > 0 && std::isspace(static_cast<unsigned char>(text[off + left_len - 1]))) {
            --left_len;
          }
        }
        if (left_len > 0) next.push_back({-1, off, left_len});
        next.push_back({id, match, tok.size()});
        size_t right_off = match + tok.size();
        size_t right_len = off + len - right_off;
        if (attr & kAttrRstrip) {
          while (right_len > 0 && std::isspace(static_cast<unsigned char>(text[right_off]))) {
            ++right_off;
            --right_len;
          }
        }
        off = right_off;
        len = right_len;
        if (len == 0) break;
      }
    }
    if (any) frags.swap(next);
  }
  return frags;
}

}  // namespace fw::tok
