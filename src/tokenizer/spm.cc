// SentencePiece-style tokenizer ("llama" vocab): llama.cpp's llm_tokenizer_spm.
//
// The text (spaces escaped as U+2581, a space prefixed after BOS / special tokens) starts as
// one symbol per UTF-8 character; the adjacent pair whose concatenation is a vocab token with
// the highest score merges first (ties: leftmost), until no pair forms a token. Symbols that
// are not tokens fall back to <0xXX> byte tokens.
//
// Speed: when no vocab token has U+2581 after a non-U+2581 character (true for llama, phi-3,
// baichuan), no merge can cross the start of a "▁" run, so the text is cut there into words
// that are merged independently (same result: the merge order inside a word is unchanged)
// and memoized per Encode call.
#include <queue>
#include <unordered_map>

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
    words_independent_ = true;
    for (const std::string& t : vocab.text) {
      size_t i = 0;
      while (t.compare(i, 3, kEscapedSpace) == 0) i += 3;
      if (t.find(kEscapedSpace, i) != std::string::npos) {
        words_independent_ = false;
        break;
      }
    }
  }

  std::vector<int32_t> Encode(std::string_view text, bool add_special,
                              bool parse_special) const override {
    std::vector<int32_t> out;
    bool prev_special = true;  // the first fragment gets the space prefix
    if (add_special && vocab.add_bos) out.push_back(vocab.bos);
    std::string buf;
    Cache cache;
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
      TokenizeByWords(buf, &cache, &out);
      prev_special = false;
    }
    if (add_special && vocab.add_eos) out.push_back(vocab.eos);
    return out;
  }

  std::string TokenToPiece(int32_t id, bool render_special) const override {
    return PieceByAttr(vocab, id, render_special, [](const std::string& t) { return Unescape(t); });
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

  using Cache = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;
  static constexpr size_t kMaxCacheEntries = 1 << 16;
  static constexpr size_t kMaxCachedWord = 256;

  // Cuts the escaped text before every "▁" symbol that follows a non-"▁" symbol (symbols as
  // TokenizeEscaped forms them) and tokenizes the pieces, memoized.
  void TokenizeByWords(const std::string& text, Cache* cache, std::vector<int32_t>* out) const {
    if (!words_independent_) {
      TokenizeEscaped(text, out);
      return;
    }
    const std::string_view sv(text);
    size_t word_begin = 0;
    bool prev_is_space = false;
    auto emit = [&](size_t end) {
      if (end <= word_begin) return;
      const std::string_view w = sv.substr(word_begin, end - word_begin);
      if (w.size() <= kMaxCachedWord) {
        auto it = cache->find(w);
        if (it != cache->end()) {
          out->insert(out->end(), it->second.begin(), it->second.end());
          return;
        }
      }
      const size_t before = out->size();
      TokenizeEscaped(std::string(w), out);
      if (w.size() <= kMaxCachedWord && cache->size() < kMaxCacheEntries) {
        cache->emplace(std::string(w), std::vector<int32_t>(out->begin() + before, out->end()));
      }
    };
    for (size_t off = 0; off < text.size();) {
      const size_t n = std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(text[off])), text.size() - off);
      const bool is_space = n == 3 && sv.compare(off, 3, kEscapedSpace) == 0;
      if (is_space && !prev_is_space && off > 0) {
        emit(off);
        word_begin = off;
      }
      prev_is_space = is_space;
      off += n;
    }
    emit(text.size());
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
  bool words_independent_ = false;
};

}  // namespace

Result<std::unique_ptr<TokenizerImpl>> MakeSpm(Vocab vocab) {
  return std::unique_ptr<TokenizerImpl>(new SpmTokenizer(std::move(vocab)));
}

}  // namespace fw::tok
