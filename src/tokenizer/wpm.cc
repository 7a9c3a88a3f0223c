// WordPiece ("bert" vocab): llama.cpp's llm_tokenizer_wpm.
//
// Preprocessing per codepoint: each one is replaced by the first codepoint of its NFD form
// (this strips precomposed accents; separate combining marks are kept, as llama.cpp build 4748
// does) and lowercased; whitespace ends a word; NUL, U+FFFD and control/format characters are
// dropped; punctuation, ASCII symbols and
// CJK ideographs become one-character words. Each word gets the phantom-space prefix U+2581
// (the GGUF stores word-initial pieces as "▁word" and continuations without "##") and is
// split greedily into the longest vocab tokens; a word with no full split becomes [UNK].
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw::tok {
namespace {

bool IsChineseChar(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

class WpmTokenizer : public TokenizerImpl {
 public:
  std::vector<int32_t> Encode(std::string_view text, bool add_special,
                              bool parse_special) const override {
    std::vector<int32_t> out;
    if (add_special && vocab.bos >= 0) out.push_back(vocab.bos);
    for (const Fragment& f : PartitionSpecial(vocab, text, parse_special)) {
      if (f.token >= 0) {
        out.push_back(f.token);
      } else {
        TokenizeText(text.substr(f.offset, f.length), &out);
      }
    }
    if (add_special && vocab.sep >= 0) out.push_back(vocab.sep);
    return out;
  }

  std::string TokenToPiece(int32_t id, bool render_special) const override {
    const uint32_t attr = vocab.attr[id];
    if (!render_special && (attr & (kAttrUnknown | kAttrControl))) return "";
    const std::string& t = vocab.text[id];
    if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return t;
    if (attr & kAttrNormal) {
      std::string out;
      for (size_t i = 0; i < t.size();) {
        if (t.compare(i, 3, "\xE2\x96\x81") == 0) {
          out.push_back(' ');
          i += 3;
        } else {
          out.push_back(t[i++]);
        }
      }
      return out;
    }
    return "";
  }

  static std::vector<std::string> Preprocess(std::string_view text) {
    std::vector<std::string> words(1);
    for (uint32_t cp : unicode::DecodeUtf8(text)) {
      cp = unicode::NfdFirst(cp);
      const uint8_t cat = unicode::Category(cp);
      if (unicode::IsWhitespace(cp)) {
        if (!words.back().empty()) words.emplace_back();
        continue;
      }
      if (cp == 0 || cp == 0xFFFD || (cat & unicode::kControl)) continue;
      const std::string s = unicode::ToUtf8(unicode::ToLower(cp));
      if ((cat & unicode::kPunctuation) || (cp < 0x7F && (cat & unicode::kSymbol)) ||
          IsChineseChar(cp)) {
        if (!words.back().empty()) words.emplace_back();
        words.back() = s;
        words.emplace_back();
      } else {
        words.back() += s;
      }
    }
    if (words.back().empty()) words.pop_back();
    return words;
  }

  void TokenizeText(std::string_view text, std::vector<int32_t>* out) const {
    for (const std::string& w : Preprocess(text)) {
      if (w.empty()) continue;
      const std::string word = "\xE2\x96\x81" + w;
      const size_t n = word.size();
      const size_t start = out->size();
      for (size_t i = 0; i < n; ++i) {
        bool match = false;
        for (size_t j = std::min(n, i + vocab.max_token_len + 1); j > i; --j) {
          const int32_t id = vocab.Find(std::string_view(word).substr(i, j - i));
          if (id >= 0) {
            out->push_back(id);
            match = true;
            i = j - 1;
            break;
          }
        }
        if (!match) {
          out->resize(start);
          break;
        }
      }
      if (out->size() == start && vocab.unk >= 0) out->push_back(vocab.unk);
    }
  }
};

}  // namespace

Result<std::unique_ptr<TokenizerImpl>> MakeWpm(Vocab vocab) {
  std::unique_ptr<WpmTokenizer> t(new WpmTokenizer());
  t->vocab = std::move(vocab);
  t->type_name = "bert";
  t->pre_type = "default";
  return std::unique_ptr<TokenizerImpl>(std::move(t));
}

}  // namespace fw::tok
