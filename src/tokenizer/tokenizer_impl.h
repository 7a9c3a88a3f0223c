// Internal interface behind fw::Tokenizer: one subclass per algorithm (spm.cc, bpe.cc,
// wpm.cc, hf_tokenizer.cc). Immutable after construction; all methods are const and
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "gguf/gguf_file.h"
#include "tokenizer/regex.h"
#include "tokenizer/vocab.h"

namespace fw {

class TokenizerImpl {
 public:
  virtual ~TokenizerImpl() = default;

  virtual std::vector<int32_t> Encode(std::string_view text, bool add_special,
                                      bool parse_special) const = 0;
  // The piece of one token as llama.cpp's token_to_piece renders it (no leading-space strip).
  virtual std::string TokenToPiece(int32_t id, bool render_special) const = 0;
  // Default: llama.cpp's llama_detokenize(remove_special=false): pieces concatenated, one
  // leading space of the first piece dropped when add_space_prefix, then clean_spaces.
  virtual std::string Decode(const std::vector<int32_t>& ids, bool render_special) const;

  // Renders every token once (llama.cpp keeps the same cache); Tokenizer's constructor calls
  // it when the vocab is final. Piece() is then TokenToPiece without the work.
  void BuildPieceCache();
  const std::string& Piece(int32_t id, bool render_special) const {
    static const std::string kEmpty;
    return (!render_special && hidden_[id]) ? kEmpty : pieces_[id];
  }

  tok::Vocab vocab;
  std::string type_name;  // "llama", "gpt2", "bert", "hf-bpe"
  std::string pre_type;

 private:
  std::vector<std::string> pieces_;  // TokenToPiece(id, true)
  std::vector<bool> hidden_;         // TokenToPiece(id, false) is "" while the above is not
};

namespace tok {

// Factories; `vocab` already holds tokens, scores, attrs and special ids from the GGUF.
Result<std::unique_ptr<TokenizerImpl>> MakeSpm(Vocab vocab);
Result<std::unique_ptr<TokenizerImpl>> MakeBpe(Vocab vocab, const std::vector<std::string>& merges,
                                               const std::string& pre);
Result<std::unique_ptr<TokenizerImpl>> MakeWpm(Vocab vocab);
Result<std::unique_ptr<TokenizerImpl>> MakeHf(const std::string& json_path,
                                              const std::string& config_path);

// llama.cpp's clean_spaces pass of llama_detokenize: " ?", " !", " .", " ," lose the space,
// " ' " becomes "'", and " 's", " 'm", " 're", " 've" lose the space.
std::string CleanSpaces(std::string text);

// GPT-2 byte-level mapping: byte -> UTF-8 of its printable stand-in codepoint, and back.
const std::string& ByteToUnicode(uint8_t byte);
// Returns -1 when cp is not one of the 256 stand-ins.
int UnicodeToByte(uint32_t cp);
// Maps every byte of s to its stand-in.
std::string ByteLevelEncode(std::string_view s);
// Inverse; characters that are not stand-ins are copied as UTF-8. Sets *ok=false if any was.
std::string ByteLevelDecode(std::string_view s, bool* ok = nullptr);

// Parses "<0xAB>"; returns -1 if text is not of that form.
int ParseByteToken(std::string_view text);

// llama.cpp's token_to_piece by token type, shared by the SPM and byte-level BPE vocabs:
// unknown/control tokens only when rendering specials, user-defined ones verbatim, byte
// tokens as their byte, normal tokens through decode_normal (the vocab's own unescaping).
template <typename DecodeNormal>
std::string PieceByAttr(const Vocab& vocab, int32_t id, bool render_special, DecodeNormal decode_normal) {
  const uint32_t attr = vocab.attr[id];
  if (!render_special && (attr & (kAttrUnknown | kAttrControl))) return "";
  const std::string& t = vocab.text[id];
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return t;
  if (attr & kAttrNormal) return decode_normal(t);
  if (attr & kAttrByte) {
    const int b = ParseByteToken(t);
    return b >= 0 ? std::string(1, static_cast<char>(b)) : std::string();
  }
  return "";
}

// Byte-pair merging of one word (llama.cpp llm_tokenizer_bpe_session / HF BPE::merge_word):
// the word starts as one symbol per UTF-8 character (or as `initial` spans when given);
// adjacent pairs merge lowest rank first (ties: leftmost). Returns the final symbol spans.
class MergeRanks {
 public:
  void Add(std::string_view left, std::string_view right, int32_t rank);
  int32_t Find(std::string_view left, std::string_view right, std::string* scratch) const;
  size_t size() const { return ranks_.size(); }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> ranks_;
};
std::vector<Span> BpeMergeWord(std::string_view word, const MergeRanks& ranks,
                               std::vector<Span> initial = {});

// The same merge on token ids, for vocabularies where every merge's parts and result are
// tokens (checked at load): (left id, right id) -> (rank, merged id) in a flat open-addressing
// table, so a merge step costs one integer probe instead of string hashing.
class IdMerges {
 public:
  // The first (lowest) rank of a duplicate pair wins.
  void Add(int32_t left, int32_t right, int32_t rank, int32_t merged);
  // Finalizes the table; call once after the last Add.
  void Build();
  bool Find(int32_t left, int32_t right, int32_t* rank, int32_t* merged) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t key;
    int32_t rank, merged;
  };
  std::vector<Entry> entries_;  // insertion order, until Build
  std::vector<Entry> table_;    // open addressing, key ~0 = empty
  uint64_t mask_ = 0;
};
// Merges `ids` (one token per initial symbol) in place: lowest rank first, ties leftmost.
void BpeMergeIds(std::vector<int32_t>* ids, const IdMerges& merges);

}  // namespace tok
}  // namespace fw
