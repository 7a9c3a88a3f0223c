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
    return PieceByAttr(vocab, id, render_special, [](const std::string& t) { return ByteLevelDecode(t); });
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
    std::vector<int32_t> ids;
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
      const size_t before = out->size();
      int32_t whole = -1;
      if (vocab.ignore_merges) {  // llama3-style: a piece that is a token is kept whole
        word = ByteLevelEncode(piece);
        whole = vocab.Find(word);
      }
      if (whole >= 0) {
        out->push_back(whole);
      } else if (id_mode_) {
        // Every initial symbol is one input byte's stand-in, itself a token.
        ids.clear();
        for (char c : piece) ids.push_back(byte_id_[static_cast<uint8_t>(c)]);
        BpeMergeIds(&ids, id_merges_);
        for (int32_t id : ids) {
          if (id >= 0) {
            out->push_back(id);
          } else {  // a byte whose stand-in is no token: llama.cpp's per-byte lookup
            const auto& f = byte_fallback_[-(id + 2)];
            out->insert(out->end(), f.begin(), f.end());
          }
        }
      } else {
        word = ByteLevelEncode(piece);
        TokenizeWord(word, out);
      }
      if (cacheable && cache->size() < kMaxCacheEntries) {
        cache->emplace(std::string(piece), std::vector<int32_t>(out->begin() + before, out->end()));
      }
    }
  }

  // The string path (used when some merge part or result is not a token).
  void TokenizeWord(const std::string& word, std::vector<int32_t>* out) const {
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
  // Id fast path, exact when every merge's parts and result are tokens (decided at load).
  // byte_id_[b] is the token of byte b's stand-in, or -(b + 2) when there is none (such a
  // symbol never merges; byte_fallback_[b] is what llama.cpp then emits for it).
  bool id_mode_ = false;
  int32_t byte_id_[256];
  std::vector<int32_t> byte_fallback_[256];
  IdMerges id_merges_;
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
  bool ids_ok = true;
  for (int b = 0; b < 256; ++b) {
    const std::string& stand_in = ByteToUnicode(static_cast<uint8_t>(b));
    t->byte_id_[b] = t->vocab.Find(stand_in);
    if (t->byte_id_[b] < 0) {
      t->byte_id_[b] = -(b + 2);
      for (char c : stand_in) {
        const int32_t id = t->vocab.Find(std::string_view(&c, 1));
        if (id >= 0) t->byte_fallback_[b].push_back(id);
      }
    }
  }
  for (size_t i = 0; i < merges.size() && ids_ok; ++i) {
    const std::string& m = merges[i];
    const size_t pos = m.find(' ', 1);
    if (pos == std::string::npos) continue;
    const int32_t a = t->vocab.Find(std::string_view(m).substr(0, pos));
    const int32_t b = t->vocab.Find(std::string_view(m).substr(pos + 1));
    const int32_t ab = t->vocab.Find(m.substr(0, pos) + m.substr(pos + 1));
    if (a < 0 || b < 0 || ab < 0) {
      ids_ok = false;
      break;
    }
    t->id_merges_.Add(a, b, static_cast<int32_t>(i), ab);
  }
  t->id_mode_ = ids_ok;
  if (ids_ok) t->id_merges_.Build();
  return std::unique_ptr<TokenizerImpl>(std::move(t));
}

}  // namespace fw::tok
