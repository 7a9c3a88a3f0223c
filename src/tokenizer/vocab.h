// The token table shared by every tokenizer model: texts, scores, attributes, the special
// token ids and flags, and llama.cpp's special-token partition (tokenizer_st_partition).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace fw::tok {

// Token attribute bits (llama.cpp's llama_token_attr values).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrNormalized = 1u << 6,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
  kAttrSingleWord = 1u << 9,
};
uint32_t AttrFromType(TokenType type);

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

struct Vocab {
  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<TokenType> type;
  std::vector<uint32_t> attr;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> to_id;

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1, mask = -1;
  bool add_bos = false, add_eos = false, add_sep = false;
  bool add_space_prefix = false;  // SPM: prefix a space to text after BOS/special tokens
  bool clean_spaces = false;      // detokenize: " ," -> "," etc. (llama.cpp clean_spaces)
  bool ignore_merges = false;     // BPE: a word that is a whole token skips the merges
  std::set<int32_t> eog;
  size_t max_token_len = 0;
  // Ids of control / user-defined / unknown tokens, longest text first (partition order).
  std::vector<int32_t> special_cache;

  int32_t size() const { return static_cast<int32_t>(text.size()); }
  bool valid(int32_t id) const { return id >= 0 && id < size(); }
  int32_t Find(std::string_view s) const {
    auto it = to_id.find(s);
    return it == to_id.end() ? -1 : it->second;
  }
  // Fills to_id (first occurrence wins on duplicates) and max_token_len.
  void BuildIndex();
  // Applies llama.cpp's text-based EOT/EOM/EOG detection (marking such tokens control) and
  // builds special_cache. Call after ids and attrs are final.
  void FinishSpecials();
};

// A piece of the input: raw text [offset, offset+length) or one special token.
struct Fragment {
  int32_t token = -1;  // >= 0: a special token
  size_t offset = 0;
  size_t length = 0;
};

// llama.cpp's tokenizer_st_partition: every special token (longest first) found in raw text
// splits it; with parse_special false only user-defined tokens are split out. LSTRIP/RSTRIP
// attributes eat adjacent ASCII whitespace.
std::vector<Fragment> PartitionSpecial(const Vocab& vocab, std::string_view text,
                                       bool parse_special);

}  // namespace fw::tok
