// fw::Tokenizer: the facade, GGUF loading and the helpers shared by the algorithms.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <queue>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace fw {

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------
namespace tok {

std::string CleanSpaces(std::string text) {
  // Three passes over bytes, exactly as llama_detokenize runs them.
  auto pass = [](std::string& s, auto&& body) {
    const size_t n = s.size();
    if (n == 0) return;
    size_t total = 1;
    body(s, n, total);
    s.resize(total);
  };
  pass(text, [](std::string& s, size_t n, size_t& total) {
    for (size_t i = 1; i < n; ++i) {
      const char x = s[i];
      if (s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
      s[total++] = x;
    }
  });
  pass(text, [](std::string& s, size_t n, size_t& total) {
    for (size_t i = 1; i < n; ++i) {
      const char x = s[i];
      if (x == '\'' && i + 1 < n && s[i - 1] == ' ' && s[i + 1] == ' ') {
        --total;       // drop the space before
        s[++i] = '\0';  // and skip the one after (llama.cpp blanks it, which the next
                       // iteration sees as "not a space")
      }
      s[total++] = x;
    }
  });
  pass(text, [](std::string& s, size_t n, size_t& total) {
    for (size_t i = 1; i < n; ++i) {
      const char x = s[i];
      if (s[i - 1] == ' ' && x == '\'' && i + 1 < n) {
        const char x1 = s[i + 1];
        if (x1 == 's' || x1 == 'm') {
          --total;
        } else if (i + 2 < n) {
          const char x2 = s[i + 2];
          if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
        }
      }
      s[total++] = x;
    }
  });
  return text;
}

namespace {
struct ByteTables {
  std::string to_unicode[256];
  int from_cp[512];
};
const ByteTables& Bytes() {
  static const ByteTables t = [] {
    ByteTables b;
    std::fill(std::begin(b.from_cp), std::end(b.from_cp), -1);
    int n = 0;
    for (int ch = 0; ch < 256; ++ch) {
      const bool printable = (ch >= 0x21 && ch <= 0x7E) || (ch >= 0xA1 && ch <= 0xAC) ||
                             (ch >= 0xAE && ch <= 0xFF);
      const uint32_t cp = printable ? static_cast<uint32_t>(ch) : 256u + n++;
      b.to_unicode[ch] = unicode::ToUtf8(cp);
      b.from_cp[cp] = ch;
    }
    return b;
  }();
  return t;
}
}  // namespace

const std::string& ByteToUnicode(uint8_t byte) { return Bytes().to_unicode[byte]; }
int UnicodeToByte(uint32_t cp) { return cp < 512 ? Bytes().from_cp[cp] : -1; }

std::string ByteLevelEncode(std::string_view s) {
  const ByteTables& t = Bytes();
  std::string out;
  out.reserve(s.size() * 2);
  for (char c : s) out += t.to_unicode[static_cast<uint8_t>(c)];
  return out;
}

std::string ByteLevelDecode(std::string_view s, bool* ok) {
  std::string out;
  out.reserve(s.size());
  bool all = true;
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b0 = static_cast<uint8_t>(s[i]);
    size_t n = std::min(unicode::Utf8SeqLen(b0), s.size() - i);
    uint32_t cp = b0;
    if (n == 2) cp = ((b0 & 0x1F) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3F);
    const int byte = (n <= 2) ? UnicodeToByte(cp) : -1;
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.append(s.substr(i, n));
      all = false;
    }
    i += n;
  }
  if (ok) *ok = all;
  return out;
}

int ParseByteToken(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

// Merge keys are "left\xFFright": 0xFF never occurs in UTF-8, so keys are unambiguous.
void MergeRanks::Add(std::string_view left, std::string_view right, int32_t rank) {
  std::string key;
  key.reserve(left.size() + right.size() + 1);
  key.append(left).push_back('\xFF');
  key.append(right);
  ranks_.emplace(std::move(key), rank);  // the first (lowest) rank of a duplicate wins
}

int32_t MergeRanks::Find(std::string_view left, std::string_view right, std::string* key) const {
  key->clear();
  key->append(left).push_back('\xFF');
  key->append(right);
  auto it = ranks_.find(std::string_view(*key));
  return it == ranks_.end() ? -1 : it->second;
}

std::vector<Span> BpeMergeWord(std::string_view word, const MergeRanks& ranks,
                               std::vector<Span> initial) {
  struct Sym {
    size_t begin, len;
    int prev, next;
  };
  std::vector<Sym> sym;
  if (initial.empty()) {
    for (size_t off = 0; off < word.size();) {
      const size_t n = std::min(unicode::Utf8SeqLen(static_cast<uint8_t>(word[off])), word.size() - off);
      sym.push_back({off, n, static_cast<int>(sym.size()) - 1, static_cast<int>(sym.size()) + 1});
      off += n;
    }
  } else {
    for (const Span& s : initial) {
      sym.push_back({s.first, s.second - s.first, static_cast<int>(sym.size()) - 1,
                     static_cast<int>(sym.size()) + 1});
    }
  }
  if (sym.empty()) return {};
  sym.back().next = -1;

  struct Bigram {
    int left, right;
    int32_t rank;
    size_t size;  // bytes of left+right when queued; a mismatch later means it is stale
  };
  auto cmp = [](const Bigram& a, const Bigram& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(cmp)> queue(cmp);
  std::string scratch;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const int32_t rank = ranks.Find(word.substr(sym[left].begin, sym[left].len),
                                    word.substr(sym[right].begin, sym[right].len), &scratch);
    if (rank < 0) return;
    queue.push({left, right, rank, sym[left].len + sym[right].len});
  };
  for (size_t i = 1; i < sym.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Sym& l = sym[b.left];
    Sym& r = sym[b.right];
    // Stale: one side already merged away or grown since the pair was queued.
    if (l.len == 0 || r.len == 0 || l.next != b.right || l.len + r.len != b.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  std::vector<Span> out;
  for (int i = 0; i >= 0; i = sym[i].next) out.emplace_back(sym[i].begin, sym[i].begin + sym[i].len);
  return out;
}

namespace {
constexpr uint64_t kEmptyKey = ~uint64_t{0};
uint64_t PairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
uint64_t Mix(uint64_t k) { return (k * 0x9E3779B97F4A7C15ull) ^ (k >> 29); }
}  // namespace

void IdMerges::Add(int32_t left, int32_t right, int32_t rank, int32_t merged) {
  entries_.push_back({PairKey(left, right), rank, merged});
}

void IdMerges::Build() {
  size_t cap = 16;
  while (cap < entries_.size() * 2) cap <<= 1;
  table_.assign(cap, Entry{kEmptyKey, 0, 0});
  mask_ = cap - 1;
  for (const Entry& e : entries_) {
    for (uint64_t i = Mix(e.key) & mask_;; i = (i + 1) & mask_) {
      if (table_[i].key == kEmptyKey) {
        table_[i] = e;
        break;
      }
      if (table_[i].key == e.key) break;  // duplicate pair: keep the earlier rank
    }
  }
}

bool IdMerges::Find(int32_t left, int32_t right, int32_t* rank, int32_t* merged) const {
  if (table_.empty()) return false;
  const uint64_t key = PairKey(left, right);
  for (uint64_t i = Mix(key) & mask_;; i = (i + 1) & mask_) {
    const Entry& e = table_[i];
    if (e.key == key) {
      *rank = e.rank;
      *merged = e.merged;
      return true;
    }
    if (e.key == kEmptyKey) return false;
  }
}

void BpeMergeIds(std::vector<int32_t>* ids, const IdMerges& merges) {
  const int n = static_cast<int>(ids->size());
  if (n < 2) return;
  std::vector<int32_t>& id = *ids;
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;
  struct Bigram {
    int32_t rank;
    int left, right;
    int32_t left_id, right_id, merged;
  };
  auto cmp = [](const Bigram& a, const Bigram& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(cmp)> queue(cmp);
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    int32_t rank, merged;
    if (merges.Find(id[left], id[right], &rank, &merged)) {
      queue.push({rank, left, right, id[left], id[right], merged});
    }
  };
  for (int i = 1; i < n; ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    // Stale: either side merged away or changed since the pair was queued.
    if (id[b.left] != b.left_id || id[b.right] != b.right_id || next[b.left] != b.right) continue;
    id[b.left] = b.merged;
    id[b.right] = -1;
    next[b.left] = next[b.right];
    if (next[b.right] >= 0) prev[next[b.right]] = b.left;
    try_add(prev[b.left], b.left);
    try_add(b.left, next[b.left]);
  }
  size_t w = 0;
  for (int i = 0; i >= 0; i = next[i]) id[w++] = id[i];
  id.resize(w);
}

}  // namespace tok

// ---------------------------------------------------------------------------------------
// TokenizerImpl default detokenizer
// ---------------------------------------------------------------------------------------
void TokenizerImpl::BuildPieceCache() {
  pieces_.resize(vocab.size());
  hidden_.assign(vocab.size(), false);
  for (int32_t id = 0; id < vocab.size(); ++id) {
    pieces_[id] = TokenToPiece(id, true);
    hidden_[id] = !pieces_[id].empty() && TokenToPiece(id, false).empty();
  }
}

std::string TokenizerImpl::Decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::string out;
  bool remove_space = vocab.add_space_prefix;
  for (int32_t id : ids) {
    const std::string& piece = Piece(id, render_special);
    if (remove_space && !piece.empty() && piece[0] == ' ') {
      out.append(piece, 1, std::string::npos);
    } else {
      out += piece;
    }
    remove_space = false;
  }
  if (vocab.clean_spaces) out = tok::CleanSpaces(std::move(out));
  return out;
}

// ---------------------------------------------------------------------------------------
// GGUF loading
// ---------------------------------------------------------------------------------------
namespace {

Result<bool> OptBool(const GgufFile& f, const std::string& key, bool* out) {
  if (!f.Has(key)) return false;
  FW_ASSIGN_OR_RETURN(*out, f.GetBool(key));
  return true;
}

// Reads an optional token id; out-of-range ids keep the default (as llama.cpp does).
Status OptId(const GgufFile& f, const std::string& key, int32_t n_vocab, int32_t* id) {
  if (!f.Has(key)) return Status::Ok();
  FW_ASSIGN_OR_RETURN(uint32_t v, f.GetU32(key));
  if (v < static_cast<uint32_t>(n_vocab)) *id = static_cast<int32_t>(v);
  return Status::Ok();
}

Result<std::unique_ptr<TokenizerImpl>> LoadGgufImpl(const GgufFile& f) {
  FW_ASSIGN_OR_RETURN(std::string model, f.GetString("tokenizer.ggml.model"));
  FW_ASSIGN_OR_RETURN(std::string pre, f.GetStringOr("tokenizer.ggml.pre", ""));
  tok::Vocab v;
  FW_ASSIGN_OR_RETURN(v.text, f.GetStringArray("tokenizer.ggml.tokens"));
  const int32_t n = v.size();
  if (n == 0) return Status::Error("tokenizer.ggml.tokens is empty");
  for (int32_t i = 0; i < n; ++i) {
    if (v.text[i].empty()) v.text[i] = "[EMPTY_" + std::to_string(i) + "]";
  }
  v.score.assign(n, 0.0f);
  if (f.Has("tokenizer.ggml.scores")) {
    auto scores = f.GetF32Array("tokenizer.ggml.scores");
    if (!scores.ok()) {
      FW_ASSIGN_OR_RETURN(std::vector<int32_t> iscores, f.GetI32Array("tokenizer.ggml.scores"));
      scores = std::vector<float>(iscores.begin(), iscores.end());
    }
    if (static_cast<int32_t>(scores->size()) < n) {
      return Status::Error("tokenizer.ggml.scores has " + std::to_string(scores->size()) +
                           " entries for " + std::to_string(n) + " tokens");
    }
    std::copy(scores->begin(), scores->begin() + n, v.score.begin());
  }
  v.type.assign(n, TokenType::kNormal);
  if (f.Has("tokenizer.ggml.token_type")) {
    FW_ASSIGN_OR_RETURN(std::vector<int32_t> types, f.GetI32Array("tokenizer.ggml.token_type"));
    if (static_cast<int32_t>(types.size()) < n) {
      return Status::Error("tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                           " entries for " + std::to_string(n) + " tokens");
    }
    for (int32_t i = 0; i < n; ++i) {
      v.type[i] = (types[i] >= 0 && types[i] <= 6) ? static_cast<TokenType>(types[i])
                                                   : TokenType::kUndefined;
    }
  }
  v.attr.resize(n);
  for (int32_t i = 0; i < n; ++i) v.attr[i] = tok::AttrFromType(v.type[i]);
  v.BuildIndex();

  // Per-model defaults (llama.cpp llama_vocab::impl::load).
  std::vector<std::string> merges;
  if (model == "llama") {
    v.bos = 1, v.eos = 2, v.unk = 0;
    v.add_space_prefix = true, v.add_bos = true;
  } else if (model == "bert") {
    v.bos = 101, v.unk = 100, v.sep = 102, v.pad = 0, v.mask = 103;
    v.add_bos = true, v.add_sep = true, v.clean_spaces = true;
  } else if (model == "gpt2") {
    FW_ASSIGN_OR_RETURN(merges, f.GetStringArray("tokenizer.ggml.merges"));
    v.bos = 11, v.eos = 11;
    v.clean_spaces = true;
  } else {
    return Status::Error("unsupported tokenizer.ggml.model '" + model + "'");
  }
  for (int32_t* id : {&v.bos, &v.eos, &v.unk, &v.sep, &v.pad, &v.mask}) {
    if (*id >= n) *id = -1;
  }
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.bos_token_id", n, &v.bos));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.eos_token_id", n, &v.eos));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.eot_token_id", n, &v.eot));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.eom_token_id", n, &v.eom));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.unknown_token_id", n, &v.unk));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.seperator_token_id", n, &v.sep));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.padding_token_id", n, &v.pad));
  FW_RETURN_IF_ERROR(OptId(f, "tokenizer.ggml.mask_token_id", n, &v.mask));

  std::unique_ptr<TokenizerImpl> impl;
  if (model == "llama") {
    FW_ASSIGN_OR_RETURN(impl, tok::MakeSpm(std::move(v)));
  } else if (model == "bert") {
    FW_ASSIGN_OR_RETURN(impl, tok::MakeWpm(std::move(v)));
  } else {
    FW_ASSIGN_OR_RETURN(impl, tok::MakeBpe(std::move(v), merges, pre));
  }
  tok::Vocab& vv = impl->vocab;
  bool b = false;
  FW_ASSIGN_OR_RETURN(bool has, OptBool(f, "tokenizer.ggml.add_space_prefix", &b));
  if (has) vv.add_space_prefix = b;
  FW_ASSIGN_OR_RETURN(has, OptBool(f, "tokenizer.ggml.add_bos_token", &b));
  if (has) vv.add_bos = b;
  FW_ASSIGN_OR_RETURN(has, OptBool(f, "tokenizer.ggml.add_eos_token", &b));
  if (has) vv.add_eos = b;
  FW_ASSIGN_OR_RETURN(has, OptBool(f, "tokenizer.ggml.add_sep_token", &b));
  if (has) vv.add_sep = b;
  if (vv.add_bos && vv.bos < 0) {
    return Status::Error("tokenizer.ggml.add_bos_token is true, but there is no BOS token");
  }
  if (vv.add_eos && vv.eos < 0) {
    return Status::Error("tokenizer.ggml.add_eos_token is true, but there is no EOS token");
  }

  // Per-model attribute fixes llama.cpp applies by model name (phi-3: special tokens eat the
  // whitespace after them).
  std::string name = f.GetStringOr("general.name", "").ok() ? *f.GetStringOr("general.name", "")
                                                            : std::string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  vv.FinishSpecials();
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : vv.special_cache) vv.attr[id] |= tok::kAttrRstrip;
    auto set = [&](const char* t, bool on) {
      const int32_t id = vv.Find(t);
      if (id < 0) return;
      vv.attr[id] = on ? (vv.attr[id] | tok::kAttrRstrip) : (vv.attr[id] & ~tok::kAttrRstrip);
    };
    set("</s>", true);
    set("<unk>", false);
    set("<s>", false);
    set("<|endoftext|>", false);
  }
  return impl;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Facade
// ---------------------------------------------------------------------------------------
Tokenizer::Tokenizer(std::unique_ptr<TokenizerImpl> impl) : impl_(std::move(impl)) {
  impl_->BuildPieceCache();
}
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file) {
  auto impl = LoadGgufImpl(file);
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl).value()));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromHfJson(const std::string& json_path,
                                                         const std::string& config_path) {
  auto impl = tok::MakeHf(json_path, config_path);
  if (!impl.ok()) return impl.status();
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl).value()));
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  return impl_->Encode(text, add_special, parse_special);
}
std::string Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  if (!impl_->vocab.valid(id)) return "";
  return impl_->Piece(id, render_special);
}
std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::vector<int32_t> valid;
  valid.reserve(ids.size());
  for (int32_t id : ids) {
    if (impl_->vocab.valid(id)) valid.push_back(id);
  }
  return impl_->Decode(valid, render_special);
}
int32_t Tokenizer::n_vocab() const { return impl_->vocab.size(); }
int32_t Tokenizer::bos_id() const { return impl_->vocab.bos; }
int32_t Tokenizer::eos_id() const { return impl_->vocab.eos; }
int32_t Tokenizer::eot_id() const { return impl_->vocab.eot; }
int32_t Tokenizer::unk_id() const { return impl_->vocab.unk; }
int32_t Tokenizer::pad_id() const { return impl_->vocab.pad; }
bool Tokenizer::add_bos() const { return impl_->vocab.add_bos; }
bool Tokenizer::add_eos() const { return impl_->vocab.add_eos; }
bool Tokenizer::IsEndOfGeneration(int32_t id) const { return impl_->vocab.eog.count(id) > 0; }
std::string Tokenizer::token_text(int32_t id) const {
  return impl_->vocab.valid(id) ? impl_->vocab.text[id] : std::string();
}
TokenType Tokenizer::token_type(int32_t id) const {
  return impl_->vocab.valid(id) ? impl_->vocab.type[id] : TokenType::kUndefined;
}
float Tokenizer::token_score(int32_t id) const {
  return impl_->vocab.valid(id) ? impl_->vocab.score[id] : 0.0f;
}
int32_t Tokenizer::FindToken(std::string_view text) const { return impl_->vocab.Find(text); }
std::string_view Tokenizer::type_name() const { return impl_->type_name; }
std::string_view Tokenizer::pre_type() const { return impl_->pre_type; }

}  // namespace fw
