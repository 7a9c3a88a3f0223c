// Hugging Face tokenizer.json import (the `tokenizers` library's pipeline):
//   added tokens split the input (leftmost-longest) -> each other segment is normalized
//   (NFC, NFD, Lowercase, Prepend, Replace, Strip, StripAccents, BertNormalizer, Sequence)
//   -> pre-tokenized (ByteLevel, Split, Metaspace, Digits, Whitespace, WhitespaceSplit,
//   Punctuation, Sequence) -> BPE model (ranked merges given as "a b" strings or [a, b]
//   pairs, byte_fallback, unk/fuse_unk, ignore_merges) -> post-processor (TemplateProcessing,
//   BertProcessing, RobertaProcessing, ByteLevel, Sequence) when add_special.
// Decoding runs the decoder chain (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace,
// WordPiece, Sequence) over the token strings, as tokenizers' decode does.
//
// Known simplifications: added tokens marked "normalized" are matched in the raw text (not
// the normalized one); ByteFallback keeps invalid byte sequences as raw bytes instead of
// U+FFFD; NFKC/NFKD and the Unigram/WordPiece models are rejected with an error.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw::tok {
namespace {

using json = nlohmann::json;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t next = s.find(from, pos);
    if (next == std::string::npos) break;
    out.append(s, pos, next - pos).append(to);
    pos = next + from.size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string("\\^$.|?*+()[]{}-/").find(c) != std::string::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// A "pattern" object: {"String": "..."} or {"Regex": "..."}; returns a PCRE2 pattern.
Result<std::string> PatternOf(const json& p) {
  if (p.contains("String")) return RegexEscape(p["String"].get<std::string>());
  if (p.contains("Regex")) return p["Regex"].get<std::string>();
  return Status::Error("pattern without String or Regex");
}

// ----------------------------------------------------------------------------- normalizers
class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void Apply(std::string* s) const = 0;
};

class FnNormalizer : public Normalizer {
 public:
  explicit FnNormalizer(std::string (*fn)(std::string_view)) : fn_(fn) {}
  void Apply(std::string* s) const override { *s = fn_(*s); }

 private:
  std::string (*fn_)(std::string_view);
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string p) : p_(std::move(p)) {}
  void Apply(std::string* s) const override {
    if (!s->empty()) *s = p_ + *s;
  }

 private:
  std::string p_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<Regex> re, std::string content)
      : re_(std::move(re)), content_(std::move(content)) {}
  void Apply(std::string* s) const override {
    std::vector<Span> m;
    re_->FindAll(*s, 0, &m);
    if (m.empty()) return;
    std::string out;
    size_t cur = 0;
    for (const Span& sp : m) {
      out.append(*s, cur, sp.first - cur).append(content_);
      cur = sp.second;
    }
    out.append(*s, cur, std::string::npos);
    *s = std::move(out);
  }

 private:
  std::unique_ptr<Regex> re_;
  std::string content_;
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void Apply(std::string* s) const override {
    std::vector<uint32_t> cps = unicode::DecodeUtf8(*s);
    size_t b = 0, e = cps.size();
    if (left_) {
      while (b < e && unicode::IsWhitespace(cps[b])) ++b;
    }
    if (right_) {
      while (e > b && unicode::IsWhitespace(cps[e - 1])) --e;
    }
    *s = unicode::EncodeUtf8(std::vector<uint32_t>(cps.begin() + b, cps.begin() + e));
  }

 private:
  bool left_, right_;
};

std::string StripAccents(std::string_view s) {
  std::vector<uint32_t> out;
  for (uint32_t cp : unicode::DecodeUtf8(s)) {
    if (!(unicode::Category(cp) & unicode::kMark)) out.push_back(cp);
  }
  return unicode::EncodeUtf8(out);
}

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, bool strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip), lower_(lower) {}
  void Apply(std::string* s) const override {
    std::vector<uint32_t> out;
    for (uint32_t cp : unicode::DecodeUtf8(*s)) {
      if (clean_) {
        if (cp == 0 || cp == 0xFFFD) continue;
        if (unicode::IsWhitespace(cp)) {
          out.push_back(' ');
          continue;
        }
        if (unicode::Category(cp) & unicode::kControl) continue;
      }
      const bool cjk = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                       (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
                       (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
                       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
      if (chinese_ && cjk) {
        out.push_back(' ');
        out.push_back(cp);
        out.push_back(' ');
      } else {
        out.push_back(cp);
      }
    }
    std::string r = unicode::EncodeUtf8(out);
    if (strip_) r = StripAccents(unicode::Nfd(r));
    if (lower_) r = unicode::Lowercase(r);
    *s = std::move(r);
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class SequenceNormalizer : public Normalizer {
 public:
  void Apply(std::string* s) const override {
    for (const auto& n : items) n->Apply(s);
  }
  std::vector<std::unique_ptr<Normalizer>> items;
};

Result<std::unique_ptr<Normalizer>> MakeNormalizer(const json& j) {
  const std::string type = j.value("type", "");
  if (type == "NFC") return std::unique_ptr<Normalizer>(new FnNormalizer(&unicode::Nfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(new FnNormalizer(&unicode::Nfd));
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(new FnNormalizer(&unicode::Lowercase));
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(new FnNormalizer(&StripAccents));
  if (type == "Prepend") {
    return std::unique_ptr<Normalizer>(new PrependNormalizer(j.value("prepend", "")));
  }
  if (type == "Replace") {
    FW_ASSIGN_OR_RETURN(std::string pat, PatternOf(j.at("pattern")));
    FW_ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(pat));
    return std::unique_ptr<Normalizer>(new ReplaceNormalizer(std::move(re), j.value("content", "")));
  }
  if (type == "Strip") {
    return std::unique_ptr<Normalizer>(
        new StripNormalizer(j.value("strip_left", true), j.value("strip_right", true)));
  }
  if (type == "BertNormalizer") {
    const bool lower = j.value("lowercase", true);
    const bool strip = j.contains("strip_accents") && !j["strip_accents"].is_null()
                           ? j["strip_accents"].get<bool>()
                           : lower;
    return std::unique_ptr<Normalizer>(new BertNormalizer(
        j.value("clean_text", true), j.value("handle_chinese_chars", true), strip, lower));
  }
  if (type == "Sequence") {
    std::unique_ptr<SequenceNormalizer> seq(new SequenceNormalizer());
    for (const json& item : j.at("normalizers")) {
      FW_ASSIGN_OR_RETURN(std::unique_ptr<Normalizer> n, MakeNormalizer(item));
      seq->items.push_back(std::move(n));
    }
    return std::unique_ptr<Normalizer>(std::move(seq));
  }
  return Status::Error("unsupported normalizer type '" + type + "'");
}

// -------------------------------------------------------------------------- pre-tokenizers
enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };

Result<SplitBehavior> ParseBehavior(const std::string& b) {
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  return Status::Error("unsupported split behavior '" + b + "'");
}

// Splits s by the regex matches with a tokenizers SplitDelimiterBehavior.
std::vector<std::string> SplitBy(const Regex& re, const std::string& s, SplitBehavior behavior,
                                 bool invert) {
  std::vector<Span> m;
  re.FindAll(s, 0, &m);
  // (span, is_match) covering s.
  std::vector<std::pair<Span, bool>> parts;
  size_t cur = 0;
  for (const Span& sp : m) {
    if (sp.first > cur) parts.push_back({{cur, sp.first}, invert});
    parts.push_back({sp, !invert});
    cur = sp.second;
  }
  if (cur < s.size()) parts.push_back({{cur, s.size()}, invert});
  std::vector<std::string> out;
  auto text = [&](const Span& sp) { return s.substr(sp.first, sp.second - sp.first); };
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (auto& p : parts) out.push_back(text(p.first));
      break;
    case SplitBehavior::kRemoved:
      for (auto& p : parts) {
        if (!p.second) out.push_back(text(p.first));
      }
      break;
    case SplitBehavior::kMergedWithPrevious: {
      bool prev_match = false;
      for (auto& p : parts) {
        if (p.second && !out.empty() && !prev_match) {
          out.back() += text(p.first);
        } else {
          out.push_back(text(p.first));
        }
        prev_match = p.second;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      std::string pending;
      for (auto& p : parts) {
        if (p.second) {
          if (!pending.empty()) out.push_back(pending);
          pending = text(p.first);
        } else {
          out.push_back(pending + text(p.first));
          pending.clear();
        }
      }
      if (!pending.empty()) out.push_back(pending);
      break;
    }
    case SplitBehavior::kContiguous: {
      bool prev_match = false;
      for (auto& p : parts) {
        if (p.second && prev_match && !out.empty()) {
          out.back() += text(p.first);
        } else {
          out.push_back(text(p.first));
        }
        prev_match = p.second;
      }
      break;
    }
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const std::string& x) { return x.empty(); }),
            out.end());
  return out;
}

class PreTok {
 public:
  virtual ~PreTok() = default;
  // first: this is the first segment of the input (before any added token).
  virtual void Apply(std::vector<std::string>* pieces, bool first) const = 0;
};

class ByteLevelPreTok : public PreTok {
 public:
  ByteLevelPreTok(bool prefix, std::unique_ptr<Regex> re) : prefix_(prefix), re_(std::move(re)) {}
  void Apply(std::vector<std::string>* pieces, bool) const override {
    std::vector<std::string> out;
    for (std::string& p : *pieces) {
      if (prefix_ && (p.empty() || p[0] != ' ')) p = " " + p;
      if (re_) {
        for (std::string& x : SplitBy(*re_, p, SplitBehavior::kIsolated, false)) {
          out.push_back(ByteLevelEncode(x));
        }
      } else {
        out.push_back(ByteLevelEncode(p));
      }
    }
    *pieces = std::move(out);
  }

 private:
  bool prefix_;
  std::unique_ptr<Regex> re_;
};

class SplitPreTok : public PreTok {
 public:
  SplitPreTok(std::unique_ptr<Regex> re, SplitBehavior b, bool invert)
      : re_(std::move(re)), behavior_(b), invert_(invert) {}
  void Apply(std::vector<std::string>* pieces, bool) const override {
    std::vector<std::string> out;
    for (const std::string& p : *pieces) {
      for (std::string& x : SplitBy(*re_, p, behavior_, invert_)) out.push_back(std::move(x));
    }
    *pieces = std::move(out);
  }

 private:
  std::unique_ptr<Regex> re_;
  SplitBehavior behavior_;
  bool invert_;
};

class MetaspacePreTok : public PreTok {
 public:
  MetaspacePreTok(std::string repl, std::string scheme, bool split, std::unique_ptr<Regex> re)
      : repl_(std::move(repl)), scheme_(std::move(scheme)), split_(split), re_(std::move(re)) {}
  void Apply(std::vector<std::string>* pieces, bool first) const override {
    std::vector<std::string> out;
    for (std::string& p : *pieces) {
      p = ReplaceAll(p, " ", repl_);
      const bool prepend = scheme_ == "always" || (scheme_ == "first" && first);
      if (prepend && p.compare(0, repl_.size(), repl_) != 0) p = repl_ + p;
      if (split_) {
        for (std::string& x : SplitBy(*re_, p, SplitBehavior::kMergedWithNext, false)) {
          out.push_back(std::move(x));
        }
      } else {
        out.push_back(p);
      }
    }
    *pieces = std::move(out);
  }

 private:
  std::string repl_, scheme_;
  bool split_;
  std::unique_ptr<Regex> re_;
};

class SequencePreTok : public PreTok {
 public:
  void Apply(std::vector<std::string>* pieces, bool first) const override {
    for (const auto& p : items) p->Apply(pieces, first);
  }
  std::vector<std::unique_ptr<PreTok>> items;
};

Result<std::unique_ptr<PreTok>> MakeSplitLike(const std::string& pattern, SplitBehavior b, bool invert) {
  FW_ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(pattern, {false, false}));
  return std::unique_ptr<PreTok>(new SplitPreTok(std::move(re), b, invert));
}

Result<std::unique_ptr<PreTok>> MakePreTok(const json& j) {
  const std::string type = j.value("type", "");
  if (type == "ByteLevel") {
    std::unique_ptr<Regex> re;
    if (j.value("use_regex", true)) {
      FW_ASSIGN_OR_RETURN(re, Regex::Compile(kGpt2Regex, {false, false}));
    }
    return std::unique_ptr<PreTok>(new ByteLevelPreTok(j.value("add_prefix_space", true), std::move(re)));
  }
  if (type == "Split") {
    FW_ASSIGN_OR_RETURN(std::string pat, PatternOf(j.at("pattern")));
    FW_ASSIGN_OR_RETURN(SplitBehavior b, ParseBehavior(j.value("behavior", "Isolated")));
    return MakeSplitLike(pat, b, j.value("invert", false));
  }
  if (type == "Metaspace") {
    const std::string repl = j.value("replacement", "\xE2\x96\x81");
    std::string scheme = j.value("prepend_scheme", "");
    if (scheme.empty()) scheme = j.value("add_prefix_space", true) ? "always" : "never";
    FW_ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(RegexEscape(repl)));
    return std::unique_ptr<PreTok>(
        new MetaspacePreTok(repl, scheme, j.value("split", true), std::move(re)));
  }
  if (type == "Digits") {
    return MakeSplitLike(j.value("individual_digits", false) ? "\\p{N}" : "\\p{N}+",
                         SplitBehavior::kIsolated, false);
  }
  if (type == "Whitespace") return MakeSplitLike("\\w+|[^\\w\\s]+", SplitBehavior::kRemoved, true);
  if (type == "WhitespaceSplit") return MakeSplitLike("\\s+", SplitBehavior::kRemoved, false);
  if (type == "Punctuation") {
    FW_ASSIGN_OR_RETURN(SplitBehavior b, ParseBehavior(j.value("behavior", "Isolated")));
    return MakeSplitLike("\\p{P}|[$+<=>^`|~]", b, false);
  }
  if (type == "Sequence") {
    std::unique_ptr<SequencePreTok> seq(new SequencePreTok());
    for (const json& item : j.at("pretokenizers")) {
      FW_ASSIGN_OR_RETURN(std::unique_ptr<PreTok> p, MakePreTok(item));
      seq->items.push_back(std::move(p));
    }
    return std::unique_ptr<PreTok>(std::move(seq));
  }
  return Status::Error("unsupported pre_tokenizer type '" + type + "'");
}

// --------------------------------------------------------------------------------- decoders
struct Decoder {
  enum Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace, kWordPiece };
  Kind kind;
  std::string a, b;  // Replace: from/to; Strip: content; Metaspace: replacement; WordPiece: prefix
  size_t start = 0, stop = 0;
  bool flag = false;  // Metaspace: strip the first token's leading space; WordPiece: cleanup
};

Status AddDecoders(const json& j, std::vector<Decoder>* out) {
  const std::string type = j.value("type", "");
  Decoder d{};
  if (type == "Sequence") {
    for (const json& item : j.at("decoders")) FW_RETURN_IF_ERROR(AddDecoders(item, out));
    return Status::Ok();
  } else if (type == "ByteLevel") {
    d.kind = Decoder::kByteLevel;
  } else if (type == "Replace") {
    d.kind = Decoder::kReplace;
    const json& p = j.at("pattern");
    if (!p.contains("String")) return Status::Error("Replace decoder supports String patterns only");
    d.a = p["String"].get<std::string>();
    d.b = j.value("content", "");
  } else if (type == "ByteFallback") {
    d.kind = Decoder::kByteFallback;
  } else if (type == "Fuse") {
    d.kind = Decoder::kFuse;
  } else if (type == "Strip") {
    d.kind = Decoder::kStrip;
    d.a = j.value("content", " ");
    d.start = j.value("start", 0);
    d.stop = j.value("stop", 0);
  } else if (type == "Metaspace") {
    d.kind = Decoder::kMetaspace;
    d.a = j.value("replacement", "\xE2\x96\x81");
    std::string scheme = j.value("prepend_scheme", "");
    if (scheme.empty()) scheme = j.value("add_prefix_space", true) ? "always" : "never";
    d.flag = scheme != "never";
  } else if (type == "WordPiece") {
    d.kind = Decoder::kWordPiece;
    d.a = j.value("prefix", "##");
    d.flag = j.value("cleanup", true);
  } else {
    return Status::Error("unsupported decoder type '" + type + "'");
  }
  out->push_back(d);
  return Status::Ok();
}

// Runs the decoder chain; piece_mode skips the rules that only make sense for a whole
// sequence (a Strip after Fuse, Metaspace's and WordPiece's first-token rules) so
// TokenToPiece shows the piece as it appears inside a text.
std::string RunDecoders(const std::vector<Decoder>& decs, std::vector<std::string> tokens,
                        bool piece_mode) {
  bool fused = false;
  for (const Decoder& d : decs) {
    switch (d.kind) {
      case Decoder::kByteLevel:
        for (std::string& t : tokens) t = ByteLevelDecode(t);
        break;
      case Decoder::kReplace:
        for (std::string& t : tokens) t = ReplaceAll(t, d.a, d.b);
        break;
      case Decoder::kByteFallback:
        for (std::string& t : tokens) {
          const int b = ParseByteToken(t);
          if (b >= 0) t = std::string(1, static_cast<char>(b));
        }
        break;
      case Decoder::kFuse: {
        std::string all;
        for (const std::string& t : tokens) all += t;
        tokens.assign(1, all);
        fused = true;
        break;
      }
      case Decoder::kStrip:
        if (piece_mode && fused) break;  // a sequence-level strip
        for (std::string& t : tokens) {
          size_t b = 0, e = t.size();
          for (size_t k = 0; k < d.start && t.compare(b, d.a.size(), d.a) == 0 && b < e; ++k) b += d.a.size();
          for (size_t k = 0; k < d.stop && e >= b + d.a.size() && t.compare(e - d.a.size(), d.a.size(), d.a) == 0; ++k) {
            e -= d.a.size();
          }
          t = t.substr(b, e - b);
        }
        break;
      case Decoder::kMetaspace:
        for (size_t i = 0; i < tokens.size(); ++i) {
          tokens[i] = ReplaceAll(tokens[i], d.a, " ");
          if (i == 0 && d.flag && !piece_mode && !tokens[i].empty() && tokens[i][0] == ' ') {
            tokens[i].erase(0, 1);
          }
        }
        break;
      case Decoder::kWordPiece:
        for (size_t i = 0; i < tokens.size(); ++i) {
          std::string& t = tokens[i];
          if (t.compare(0, d.a.size(), d.a) == 0) {
            t.erase(0, d.a.size());
          } else if (i > 0 || piece_mode) {
            t = " " + t;
          }
        }
        break;
    }
  }
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

// ------------------------------------------------------------------------------- tokenizer
struct AddedToken {
  int32_t id;
  std::string content;
  bool special, lstrip, rstrip, single_word;
};

class HfTokenizer : public TokenizerImpl {
 public:
  std::vector<int32_t> Encode(std::string_view text, bool add_special,
                              bool parse_special) const override {
    std::vector<int32_t> seq;
    bool first = true;
    size_t cur = 0;
    Cache cache;
    auto flush = [&](size_t end) {
      if (end > cur) EncodeSegment(text.substr(cur, end - cur), first, &cache, &seq);
      first = false;
    };
    size_t pos = 0;
    while (pos < text.size()) {
      const AddedToken* t = MatchAdded(text, pos, parse_special);
      if (t == nullptr) {
        ++pos;
        continue;
      }
      size_t begin = pos, end = pos + t->content.size();
      if (t->lstrip) {
        while (begin > cur && std::isspace(static_cast<unsigned char>(text[begin - 1]))) --begin;
      }
      if (t->rstrip) {
        while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end]))) ++end;
      }
      flush(begin);
      seq.push_back(t->id);
      cur = pos = end;
    }
    flush(text.size());
    if (!add_special) return seq;
    std::vector<int32_t> out;
    for (const TemplatePiece& p : template_) {
      if (p.sequence) {
        out.insert(out.end(), seq.begin(), seq.end());
      } else {
        out.insert(out.end(), p.ids.begin(), p.ids.end());
      }
    }
    return out;
  }

  std::string TokenToPiece(int32_t id, bool render_special) const override {
    if (!render_special && (vocab.attr[id] & (kAttrControl | kAttrUnknown)) && IsSpecialAdded(id)) return "";
    return RunDecoders(decoders_, {vocab.text[id]}, /*piece_mode=*/true);
  }

  std::string Decode(const std::vector<int32_t>& ids, bool render_special) const override {
    if (!fast_decode_) {
      std::vector<std::string> tokens;
      tokens.reserve(ids.size());
      for (int32_t id : ids) {
        if (!render_special && IsSpecialAdded(id)) continue;
        tokens.push_back(vocab.text[id]);
      }
      return RunDecoders(decoders_, std::move(tokens), /*piece_mode=*/false);
    }
    // Fast path (every step is per token, apart from Strips after the Fuse): the cached
    // pieces concatenated, the first token's rules, then the sequence-level strips.
    std::string out;
    bool first = true;
    for (int32_t id : ids) {
      if (!render_special && IsSpecialAdded(id)) continue;
      const std::string& piece = Piece(id, true);
      if (first) {
        first = false;
        const bool drop = !piece.empty() && piece[0] == ' ' &&
                          (first_strips_space_ ||
                           (!wordpiece_prefix_.empty() && vocab.text[id].compare(0, wordpiece_prefix_.size(), wordpiece_prefix_) != 0));
        out.append(piece, drop ? 1 : 0, std::string::npos);
      } else {
        out += piece;
      }
    }
    for (const Decoder& d : seq_strips_) out = RunDecoders({d}, {out}, /*piece_mode=*/false);
    return out;
  }

  // Leftmost-longest: the longest added token starting at pos (candidates by first byte).
  const AddedToken* MatchAdded(std::string_view text, size_t pos, bool parse_special) const {
    const auto& cands = added_by_byte_[static_cast<uint8_t>(text[pos])];
    for (const AddedToken* t : cands) {  // longest first
      if (!parse_special && t->special) continue;
      if (text.compare(pos, t->content.size(), t->content) != 0) continue;
      if (t->single_word) {
        auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        if (pos > 0 && is_word(text[pos - 1])) continue;
        const size_t e = pos + t->content.size();
        if (e < text.size() && is_word(text[e])) continue;
      }
      return t;
    }
    return nullptr;
  }

  bool IsSpecialAdded(int32_t id) const { return special_ids_.count(id) > 0; }

  // Per-Encode memo: chunk text -> ids.
  using Cache = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;
  static constexpr size_t kMaxCacheEntries = 1 << 16;
  static constexpr size_t kMaxCachedWord = 256;

  void EncodeSegment(std::string_view raw, bool first, Cache* cache, std::vector<int32_t>* out) const {
    std::string s = unicode::SanitizeUtf8(raw);
    if (normalizer_) normalizer_->Apply(&s);
    std::vector<std::string> pieces{s};
    if (pretok_) pretok_->Apply(&pieces, first);
    for (const std::string& w : pieces) EncodeWord(w, cache, out);
  }

  // One pre-tokenized word. When no merge can produce a token with U+2581 after another
  // character (metaspace_independent_), merges never cross the start of a "▁" run, so such a
  // long word (e.g. a whole sentence for Metaspace-normalized vocabs) is merged chunk by
  // chunk, which gives the same result.
  void EncodeWord(const std::string& w, Cache* cache, std::vector<int32_t>* out) const {
    if (w.empty()) return;
    if (ignore_merges_) {
      const int32_t id = model_vocab_find(w);
      if (id >= 0) {
        out->push_back(id);
        return;
      }
    }
    const std::string_view sv(w);
    bool prev_unk = false;
    auto append = [&](std::string_view chunk) {
      const std::vector<int32_t>* ids = nullptr;
      std::vector<int32_t> fresh;
      if (chunk.size() <= kMaxCachedWord) {
        auto it = cache->find(chunk);
        if (it != cache->end()) ids = &it->second;
      }
      if (ids == nullptr) {
        MergeChunk(chunk, &fresh);
        if (chunk.size() <= kMaxCachedWord && cache->size() < kMaxCacheEntries) {
          ids = &cache->emplace(std::string(chunk), std::move(fresh)).first->second;
        } else {
          ids = &fresh;
        }
      }
      size_t k = 0;
      if (fuse_unk_ && prev_unk && !ids->empty() && (*ids)[0] == vocab.unk) k = 1;
      out->insert(out->end(), ids->begin() + k, ids->end());
      if (!ids->empty()) prev_unk = vocab.unk >= 0 && ids->back() == vocab.unk;
    };
    if (!metaspace_independent_) {
      append(sv);
      return;
    }
    size_t begin = 0;
    bool prev_space = false;
    for (size_t off = 0; off < w.size();) {
      const size_t n = std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(w[off])), w.size() - off);
      const bool space = n == 3 && sv.compare(off, 3, "\xE2\x96\x81") == 0;
      if (space && !prev_space && off > 0) {
        append(sv.substr(begin, off - begin));
        begin = off;
      }
      prev_space = space;
      off += n;
    }
    append(sv.substr(begin));
  }

  void MergeChunk(std::string_view w, std::vector<int32_t>* out) const {
    if (id_mode_) {
      // Fast path when every character is a token: merge on ids (same result, see IdMerges).
      std::vector<int32_t> ids;
      ids.reserve(w.size());
      bool all_known = true;
      for (size_t off = 0; off < w.size() && all_known;) {
        const size_t n = std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(w[off])), w.size() - off);
        const int32_t id = model_vocab_find(w.substr(off, n));
        all_known = id >= 0;
        ids.push_back(id);
        off += n;
      }
      if (all_known) {
        BpeMergeIds(&ids, id_merges_);
        out->insert(out->end(), ids.begin(), ids.end());
        return;
      }
    }
    bool prev_unk = false;
    for (const Span& s : BpeMergeWord(w, ranks_)) {
      const std::string_view sym = w.substr(s.first, s.second - s.first);
      const int32_t id = model_vocab_find(sym);
      if (id >= 0) {
        out->push_back(id);
        prev_unk = false;
        continue;
      }
      if (byte_fallback_) {
        std::vector<int32_t> bytes;
        for (char c : sym) {
          const int32_t b = byte_token_[static_cast<uint8_t>(c)];
          if (b < 0) {
            bytes.clear();
            break;
          }
          bytes.push_back(b);
        }
        if (!bytes.empty()) {
          out->insert(out->end(), bytes.begin(), bytes.end());
          prev_unk = false;
          continue;
        }
      }
      if (vocab.unk >= 0 && !(fuse_unk_ && prev_unk)) out->push_back(vocab.unk);
      prev_unk = vocab.unk >= 0;
    }
  }

  int32_t model_vocab_find(std::string_view s) const {
    auto it = model_vocab_.find(s);
    return it == model_vocab_.end() ? -1 : it->second;
  }

  struct TemplatePiece {
    bool sequence = false;
    std::vector<int32_t> ids;
  };

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTok> pretok_;
  std::vector<Decoder> decoders_;
  bool fast_decode_ = false;
  bool first_strips_space_ = false;  // a Metaspace decoder with a prepend scheme
  std::string wordpiece_prefix_;     // a WordPiece decoder's prefix
  std::vector<Decoder> seq_strips_;  // Strip decoders after the Fuse
  MergeRanks ranks_;
  bool id_mode_ = false;  // every merge's parts and result are model tokens
  IdMerges id_merges_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> model_vocab_;
  bool byte_fallback_ = false, fuse_unk_ = false, ignore_merges_ = false;
  bool metaspace_independent_ = false;
  int32_t byte_token_[256];
  std::vector<AddedToken> added_;
  std::vector<const AddedToken*> added_by_byte_[256];
  std::set<int32_t> special_ids_;
  std::vector<TemplatePiece> template_{TemplatePiece{true, {}}};
};

Result<json> ReadJson(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("cannot open file");
  std::stringstream ss;
  ss << f.rdbuf();
  json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("not valid JSON");
  return j;
}

// A tokenizer_config.json token entry: "text" or {"content": "text", ...}.
std::string TokenString(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"];
  return "";
}

Status ParsePostProcessor(const json& pp, HfTokenizer* t) {
  if (pp.is_null()) return Status::Ok();
  const std::string type = pp.value("type", "");
  if (type == "ByteLevel") return Status::Ok();
  if (type == "Sequence") {
    for (const json& item : pp.at("processors")) FW_RETURN_IF_ERROR(ParsePostProcessor(item, t));
    return Status::Ok();
  }
  if (type == "TemplateProcessing") {
    t->template_.clear();
    for (const json& item : pp.at("single")) {
      if (item.contains("Sequence")) {
        t->template_.push_back({true, {}});
      } else if (item.contains("SpecialToken")) {
        const std::string name = item["SpecialToken"].value("id", "");
        const json& sp = pp.at("special_tokens");
        if (!sp.contains(name)) return Status::Error("post_processor: unknown special token '" + name + "'");
        HfTokenizer::TemplatePiece p;
        for (const json& id : sp[name].at("ids")) p.ids.push_back(id.get<int32_t>());
        t->template_.push_back(p);
      }
    }
    return Status::Ok();
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const int32_t cls = pp.at("cls").at(1).get<int32_t>();
    const int32_t sep = pp.at("sep").at(1).get<int32_t>();
    t->template_ = {{false, {cls}}, {true, {}}, {false, {sep}}};
    return Status::Ok();
  }
  return Status::Error("unsupported post_processor type '" + type + "'");
}

Result<std::unique_ptr<TokenizerImpl>> Build(const json& j, const json& config) {
  std::unique_ptr<HfTokenizer> t(new HfTokenizer());
  t->type_name = "hf-bpe";
  t->pre_type = "hf";
  const json& model = j.at("model");
  const std::string mtype = model.value("type", "BPE");
  if (mtype != "BPE") return Status::Error("unsupported model type '" + mtype + "' (only BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty()) {
      return Status::Error(std::string("unsupported BPE option ") + key);
    }
  }
  t->byte_fallback_ = model.value("byte_fallback", false);
  t->fuse_unk_ = model.value("fuse_unk", false);
  t->ignore_merges_ = model.value("ignore_merges", false);

  int32_t n = 0;
  for (auto it = model.at("vocab").begin(); it != model.at("vocab").end(); ++it) {
    const int32_t id = it.value().get<int32_t>();
    if (id < 0) return Status::Error("negative token id for '" + it.key() + "'");
    t->model_vocab_.emplace(it.key(), id);
    n = std::max(n, id + 1);
  }
  for (const json& a : j.value("added_tokens", json::array())) {
    AddedToken at{a.at("id").get<int32_t>(), a.at("content").get<std::string>(),
                  a.value("special", false), a.value("lstrip", false), a.value("rstrip", false),
                  a.value("single_word", false)};
    if (at.id < 0 || at.content.empty()) return Status::Error("bad added token");
    n = std::max(n, at.id + 1);
    t->added_.push_back(at);
  }
  Vocab& v = t->vocab;
  v.text.assign(n, "");
  v.type.assign(n, TokenType::kUndefined);
  for (const auto& [text, id] : t->model_vocab_) {
    v.text[id] = text;
    v.type[id] = (t->byte_fallback_ && ParseByteToken(text) >= 0) ? TokenType::kByte : TokenType::kNormal;
  }
  for (const AddedToken& a : t->added_) {
    v.text[a.id] = a.content;
    v.type[a.id] = a.special ? TokenType::kControl : TokenType::kUserDefined;
    if (a.special) t->special_ids_.insert(a.id);
  }
  for (int32_t i = 0; i < n; ++i) {
    if (v.text[i].empty()) v.text[i] = "[EMPTY_" + std::to_string(i) + "]";
  }
  v.score.assign(n, 0.0f);
  v.attr.resize(n);
  for (int32_t i = 0; i < n; ++i) v.attr[i] = AttrFromType(v.type[i]);
  v.BuildIndex();
  for (const AddedToken& a : t->added_) t->added_by_byte_[static_cast<uint8_t>(a.content[0])].push_back(&a);
  for (auto& bucket : t->added_by_byte_) {
    std::stable_sort(bucket.begin(), bucket.end(), [](const AddedToken* a, const AddedToken* b) {
      return a->content.size() > b->content.size();
    });
  }
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    t->byte_token_[b] = t->model_vocab_find(buf);
  }
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    v.unk = v.Find(model["unk_token"].get<std::string>());
    if (v.unk >= 0) {
      v.type[v.unk] = TokenType::kUnknown;
      v.attr[v.unk] |= kAttrUnknown;
    }
  }

  int32_t rank = 0;
  t->metaspace_independent_ = true;
  t->id_mode_ = true;
  auto check_merge = [&](const std::string& a, const std::string& b) {
    const std::string merged = a + b;
    const int32_t ia = t->model_vocab_find(a), ib = t->model_vocab_find(b);
    const int32_t iab = t->model_vocab_find(merged);
    if (ia < 0 || ib < 0 || iab < 0) {
      t->id_mode_ = false;
    } else if (t->id_mode_) {
      t->id_merges_.Add(ia, ib, rank, iab);
    }
    size_t i = 0;
    while (merged.compare(i, 3, "\xE2\x96\x81") == 0) i += 3;
    if (merged.find("\xE2\x96\x81", i) != std::string::npos) t->metaspace_independent_ = false;
  };
  for (const json& m : model.at("merges")) {
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t pos = s.find(' ');
      if (pos == std::string::npos) return Status::Error("bad merge '" + s + "'");
      t->ranks_.Add(std::string_view(s).substr(0, pos), std::string_view(s).substr(pos + 1), rank);
      check_merge(s.substr(0, pos), s.substr(pos + 1));
    } else if (m.is_array() && m.size() == 2) {
      t->ranks_.Add(m[0].get<std::string>(), m[1].get<std::string>(), rank);
      check_merge(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return Status::Error("bad merge entry at rank " + std::to_string(rank));
    }
    ++rank;
  }

  if (t->id_mode_) t->id_merges_.Build();
  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    FW_ASSIGN_OR_RETURN(t->normalizer_, MakeNormalizer(j["normalizer"]));
  }
  if (j.contains("pre_tokenizer") && !j["pre_tokenizer"].is_null()) {
    FW_ASSIGN_OR_RETURN(t->pretok_, MakePreTok(j["pre_tokenizer"]));
  }
  if (j.contains("decoder") && !j["decoder"].is_null()) {
    FW_RETURN_IF_ERROR(AddDecoders(j["decoder"], &t->decoders_));
  }
  t->fast_decode_ = true;
  bool fused = false;
  for (const Decoder& d : t->decoders_) {
    if (d.kind == Decoder::kFuse) {
      fused = true;
    } else if (fused) {
      if (d.kind == Decoder::kStrip) {
        t->seq_strips_.push_back(d);
      } else {
        t->fast_decode_ = false;  // a per-text step after Fuse: run the whole chain
      }
    }
    if (d.kind == Decoder::kMetaspace && d.flag) t->first_strips_space_ = true;
    if (d.kind == Decoder::kWordPiece) t->wordpiece_prefix_ = d.a;
  }
  FW_RETURN_IF_ERROR(ParsePostProcessor(j.value("post_processor", json()), t.get()));

  // Special ids: tokenizer_config.json names them; else the template's first special token.
  if (config.is_object()) {
    if (config.contains("bos_token")) v.bos = v.Find(TokenString(config["bos_token"]));
    if (config.contains("eos_token")) v.eos = v.Find(TokenString(config["eos_token"]));
    if (config.contains("pad_token")) v.pad = v.Find(TokenString(config["pad_token"]));
    if (config.contains("unk_token") && v.unk < 0) v.unk = v.Find(TokenString(config["unk_token"]));
  }
  if (v.bos < 0 && !t->template_.empty() && !t->template_[0].sequence && !t->template_[0].ids.empty()) {
    v.bos = t->template_[0].ids[0];
  }
  v.add_bos = !t->template_.empty() && !t->template_.front().sequence;
  v.add_eos = !t->template_.empty() && !t->template_.back().sequence;
  v.clean_spaces = false;
  v.FinishSpecials();
  return std::unique_ptr<TokenizerImpl>(std::move(t));
}

}  // namespace

Result<std::unique_ptr<TokenizerImpl>> MakeHf(const std::string& json_path,
                                              const std::string& config_path) {
  auto j = ReadJson(json_path);
  if (!j.ok()) return j.status().With(json_path);
  json config;
  if (!config_path.empty()) {
    auto c = ReadJson(config_path);
    if (!c.ok()) return c.status().With(config_path);
    config = std::move(c).value();
  }
  try {
    auto t = Build(*j, config);
    if (!t.ok()) return t.status().With(json_path);
    return t;
  } catch (const json::exception& e) {
    return Status::Error(json_path + ": malformed tokenizer.json: " + e.what());
  }
}

}  // namespace fw::tok
