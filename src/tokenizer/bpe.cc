// Byte-level BPE ("gpt2" vocab): llama.cpp's llm_tokenizer_bpe.
//
// Each raw-text fragment is made valid UTF-8 (invalid bytes become U+FFFD, as llama.cpp's
// decoder does), split by the pre-tokenizer regexes of tokenizer.ggml.pre, byte-level
// encoded (every byte -> a printable stand-in character), and merged by rank. A final symbol
// that is not a token is emitted byte by byte where single-byte tokens exist.
#include <unordered_map>

#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw::tok {
namespace {

class BpeTokenizer : public TokenizerImpl {
 public:
  std::vector<int32_t> Encode(std::string_view text, bool add_special,
                              bool parse_special) const override {
    std::vector<int32_t> out;
    if (add_special && vocab.add_bos) out.push_back(vocab.bos);
    Cache cache;
    for (const Fragment& f : PartitionSpecial(vocab, text, parse_special)) {
      if (f.token >= 0) {
        out.push_back(f.token);
      } else {
        TokenizeText(text.substr(f.offset, f.length), &cache, &out);
      }
    }
    if (add_special && vocab.add_eos) out.push_back(vocab.eos);
    return out;
  }

  std::string TokenToPiece(int32_t id, bool render_special) const override {
    const uint32_t attr = vocab.attr[id];
    if (!render_special && (attr & (kAttrUnknown | kAttrControl))) return "";
    const std::string& t = vocab.text[id];
    if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return t;
    if (attr & kAttrNormal) return ByteLevelDecode(t);
    if (attr & kAttrByte) {
      const int b = ParseByteToken(t);
      return b >= 0 ? std::string(1, static_cast<char>(b)) : std::string();
    }
    return "";
  }

  // Per-Encode memo of pre-tokenized piece (raw bytes) -> ids; the merge of a word does not
  // depend on its context.
  using Cache = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;
  static constexpr size_t kMaxCacheEntries = 1 << 16;
  static constexpr size_t kMaxCachedWord = 256;

  void TokenizeText(std::string_view raw, Cache* cache, std::vector<int32_t>* out) const {
    const std::string text = unicode::SanitizeUtf8(raw);
    const std::string_view sv(text);
    std::string word;
    for (const Span& span : pre_->Split(text)) {
      const std::string_view piece = sv.substr(span.first, span.second - span.first);
      const bool cacheable = piece.size() <= kMaxCachedWord;
      if (cacheable) {
        auto it = cache->find(piece);
        if (it != cache->end()) {
          out->insert(out->end(), it->second.begin(), it->second.end());
          continue;
        }
      }
      word = ByteLevelEncode(piece);
      const size_t before = out->size();
      TokenizeWord(word, out);
      if (cacheable && cache->size() < kMaxCacheEntries) {
        cache->emplace(std::string(piece), std::vector<int32_t>(out->begin() + before, out->end()));
      }
    }
  }

  void TokenizeWord(const std::string& word, std::vector<int32_t>* out) const {
    if (vocab.ignore_merges) {
      const int32_t id = vocab.Find(word);
      if (id >= 0) {
        out->push_back(id);
        return;
      }
    }
    for (const Span& s : BpeMergeWord(word, ranks_)) {
      const std::string_view sym = std::string_view(word).substr(s.first, s.second - s.first);
      const int32_t id = vocab.Find(sym);
      if (id >= 0) {
        out->push_back(id);
        continue;
      }
      for (char c : sym) {
        const int32_t bid = vocab.Find(std::string_view(&c, 1));
        if (bid >= 0) out->push_back(bid);
      }
    }
  }

  MergeRanks ranks_;
  std::unique_ptr<PreTokenizer> pre_;
};

}  // namespace

Result<std::unique_ptr<TokenizerImpl>> MakeBpe(Vocab vocab, const std::vector<std::string>& merges,
                                               const std::string& pre) {
  FW_ASSIGN_OR_RETURN(PreTokenizerSpec spec, LookupPreTokenizer(pre));
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());
  t->vocab = std::move(vocab);
  t->type_name = "gpt2";
  t->pre_type = pre.empty() ? "default" : pre;
  t->vocab.clean_spaces = spec.clean_spaces;
  t->vocab.ignore_merges = spec.ignore_merges;
  if (spec.add_bos) t->vocab.add_bos = true;
  FW_ASSIGN_OR_RETURN(t->pre_, PreTokenizer::Create(spec.regexes));
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string& m = merges[i];
    const size_t pos = m.find(' ', 1);
    if (pos == std::string::npos) continue;  // llama.cpp stores it as an unusable ("","") pair
    t->ranks_.Add(std::string_view(m).substr(0, pos), std::string_view(m).substr(pos + 1),
                  static_cast<int32_t>(i));
  }
  return std::unique_ptr<TokenizerImpl>(std::move(t));
}

}  // namespace fw::tok
