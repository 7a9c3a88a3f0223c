// Byte-level BPE ("gpt2" vocab): llama.cpp's llm_tokenizer_bpe.
//
// Each raw-text fragment is made valid UTF-8 (invalid bytes become U+FFFD, as llama.cpp's
// decoder does), split by the pre-tokenizer regexes of tokenizer.ggml.pre, byte-level
// encoded (every byte -> a printable stand-in character), and merged by rank. A final symbol
// that is not a token is emitted byte by byte where single-byte tokens exist.
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
    for (const Fragment& f : PartitionSpecial(vocab, text, parse_special)) {
      if (f.token >= 0) {
        out.push_back(f.token);
      } else {
        TokenizeText(text.substr(f.offset, f.length), &out);
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

  void TokenizeText(std::string_view raw, std::vector<int32_t>* out) const {
    const std::string text = unicode::SanitizeUtf8(raw);
    std::string word;
    for (const Span& piece : pre_->Split(text)) {
      word = ByteLevelEncode(std::string_view(text).substr(piece.first, piece.second - piece.first));
      if (vocab.ignore_merges) {
        const int32_t id = vocab.Find(word);
        if (id >= 0) {
          out->push_back(id);
          continue;
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
