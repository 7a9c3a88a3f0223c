// SentencePiece-style tokenizer ("llama" vocab): llama.cpp's llm_tokenizer_spm.
//
// The text (spaces escaped as U+2581, a space prefixed after BOS / special tokens) starts as
// one symbol per UTF-8 character; the adjacent pair whose concatenation is a vocab token with
// the highest score merges first (ties: leftmost), until no pair forms a token. Symbols that
// are not tokens fall back to <0xXX> byte tokens.
#include <queue>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw::tok {
namespace {

const char kEscapedSpace[] = "\xE2\x96\x81";  // U+2581

class SpmTokenizer : public TokenizerImpl {
 public:
  explicit SpmTokenizer(Vocab v) {
    vocab = std::move(v);
    type_name = "llama";
    pre_type = "default";
    for (int b = 0; b < 256; ++b) {
      static const char* hex = "0123456789ABCDEF";
      const char buf[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
      int32_t id = vocab.Find(buf);
      if (id < 0) id = vocab.Find(std::string(1, static_cast<char>(b)));
      byte_token_[b] = id >= 0 ? id : vocab.unk;
    }
  }

  std::vector<int32_t> Encode(std::string_view text, bool add_special,
                              bool parse_special) const override {
    std::vector<int32_t> out;
    bool prev_special = true;  // the first fragment gets the space prefix
    if (add_special && vocab.add_bos) out.push_back(vocab.bos);
    std::string buf;
    for (const Fragment& f : PartitionSpecial(vocab, text, parse_special)) {
      if (f.token >= 0) {
        out.push_back(f.token);
        prev_special = true;
        continue;
      }
      buf.clear();
      if (vocab.add_space_prefix && prev_special) buf += kEscapedSpace;
      for (char c : text.substr(f.offset, f.length)) {
        if (c == ' ') {
          buf += kEscapedSpace;
        } else {
          buf.push_back(c);
        }
      }
      TokenizeEscaped(buf, &out);
      prev_special = false;
    }
    if (add_special && vocab.add_eos) out.push_back(vocab.eos);
    return out;
  }

  std::string TokenToPiece(int32_t id, bool render_special) const override {
    const uint32_t attr = vocab.attr[id];
    if (!render_special && (attr & (kAttrUnknown | kAttrControl))) return "";
    const std::string& t = vocab.text[id];
    if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return t;
    if (attr & kAttrNormal) return Unescape(t);
    if (attr & kAttrByte) {
      const int b = ParseByteToken(t);
      return b >= 0 ? std::string(1, static_cast<char>(b)) : std::string();
    }
    return "";
  }

 private:
  static std::string Unescape(const std::string& t) {
    std::string out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size();) {
      if (t.compare(i, 3, kEscapedSpace) == 0) {
        out.push_back(' ');
        i += 3;
      } else {
        out.push_back(t[i++]);
      }
    }
    return out;
  }

  void TokenizeEscaped(const std::string& text, std::vector<int32_t>* out) const {
    struct Sym {
      size_t begin, len;
      int prev, next;
    };
    std::vector<Sym> sym;
    for (size_t off = 0; off < text.size();) {
      const size_t n = std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(text[off])), text.size() - off);
      sym.push_back({off, n, static_cast<int>(sym.size()) - 1, static_cast<int>(sym.size()) + 1});
      off += n;
    }
    if (sym.empty()) return;
    sym.back().next = -1;
    struct Bigram {
      int left, right;
      float score;
      size_t size;
    };
    auto less = [](const Bigram& a, const Bigram& b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(less)> queue(less);
    const std::string_view sv(text);
    auto try_add = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      const size_t size = sym[left].len + sym[right].len;
      const int32_t id = vocab.Find(sv.substr(sym[left].begin, size));
      if (id < 0) return;
      queue.push({left, right, vocab.score[id], size});
    };
    for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));
    while (!queue.empty()) {
      const Bigram b = queue.top();
      queue.pop();
      Sym& l = sym[b.left];
      Sym& r = sym[b.right];
      if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;
      l.len += r.len;
      r.len = 0;
      l.next = r.next;
      if (r.next >= 0) sym[r.next].prev = b.left;
      try_add(l.prev, b.left);
      try_add(b.left, l.next);
    }
    for (int i = 0; i >= 0; i = sym[i].next) {
      const std::string_view piece = sv.substr(sym[i].begin, sym[i].len);
      const int32_t id = vocab.Find(piece);
      if (id >= 0) {
        out->push_back(id);
        continue;
      }
      for (char c : piece) {
        const int32_t bid = byte_token_[static_cast<uint8_t>(c)];
        if (bid >= 0) out->push_back(bid);
      }
    }
  }

  int32_t byte_token_[256];
};

}  // namespace

Result<std::unique_ptr<TokenizerImpl>> MakeSpm(Vocab vocab) {
  return std::unique_ptr<TokenizerImpl>(new SpmTokenizer(std::move(vocab)));
}

}  // namespace fw::tok
