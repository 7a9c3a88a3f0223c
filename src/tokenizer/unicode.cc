#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <memory>

#include "tokenizer/unicode_tables.h"

namespace fw::unicode {
namespace {

namespace t = ::fw::unicode_tables;

constexpr uint32_t kMaxCodepoint = 0x10FFFF;
constexpr uint32_t kReplacement = 0xFFFD;

// Dense per-codepoint category array, built once (1.1 MB) so the WordPiece and SPM hot paths
// do not binary-search.
const std::vector<uint8_t>& CategoryArray() {
  static const std::vector<uint8_t> flags = [] {
    std::vector<uint8_t> v(kMaxCodepoint + 1, kUndefined);
    for (size_t i = 0; i < t::kCategoryRunsSize; ++i) {
      const uint32_t begin = t::kCategoryRuns[i].first;
      const uint32_t end = i + 1 < t::kCategoryRunsSize ? t::kCategoryRuns[i + 1].first
                                                        : kMaxCodepoint + 1;
      std::fill(v.begin() + begin, v.begin() + end, t::kCategoryRuns[i].flags);
    }
    return v;
  }();
  return flags;
}

uint32_t LookupPair(const t::CodepointPair* table, size_t n, uint32_t cp, uint32_t def) {
  const t::CodepointPair* end = table + n;
  const t::CodepointPair* it = std::lower_bound(
      table, end, cp, [](const t::CodepointPair& p, uint32_t v) { return p.cp < v; });
  return (it != end && it->cp == cp) ? it->value : def;
}

// Hangul syllable algorithm constants (Unicode chapter 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr uint32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void DecomposeOne(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const uint32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  const t::DecompEntry* end = t::kDecomp + t::kDecompSize;
  const t::DecompEntry* it = std::lower_bound(
      t::kDecomp, end, cp, [](const t::DecompEntry& e, uint32_t v) { return e.cp < v; });
  if (it != end && it->cp == cp) {
    out->insert(out->end(), t::kDecompData + it->offset, t::kDecompData + it->offset + it->length);
  } else {
    out->push_back(cp);
  }
}

uint32_t Compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const t::Composition* end = t::kCompositions + t::kCompositionsSize;
  const t::Composition* it = std::lower_bound(
      t::kCompositions, end, std::make_pair(a, b), [](const t::Composition& c, std::pair<uint32_t, uint32_t> v) {
        return c.first < v.first || (c.first == v.first && c.second < v.second);
      });
  if (it != end && it->first == a && it->second == b) return it->composite;
  return 0;
}

}  // namespace

uint8_t Category(uint32_t cp) { return cp <= kMaxCodepoint ? CategoryArray()[cp] : static_cast<uint8_t>(kUndefined); }

bool IsWhitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

uint32_t ToLower(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  return LookupPair(t::kLowercase, t::kLowercaseSize, cp, cp);
}

uint32_t NfdFirst(uint32_t cp) {
  if (cp < 0xC0) return cp;
  return LookupPair(t::kNfdFirst, t::kNfdFirstSize, cp, cp);
}

uint8_t CombiningClass(uint32_t cp) {
  if (cp < 0x300) return 0;
  return static_cast<uint8_t>(LookupPair(t::kCombiningClass, t::kCombiningClassSize, cp, 0));
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp <= 0x7F) {
    out->push_back(static_cast<char>(cp));
  } else if (cp <= 0x7FF) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0xFFFF) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= kMaxCodepoint) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    AppendUtf8(kReplacement, out);
  }
}

std::string ToUtf8(uint32_t cp) {
  std::string s;
  AppendUtf8(cp, &s);
  return s;
}

namespace {
// Decodes one strictly valid sequence at s[i]; returns its length or 0 when invalid.
size_t DecodeStrict(std::string_view s, size_t i, uint32_t* cp) {
  const uint8_t b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t n;
  uint32_t v, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, v = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, v = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, v = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const uint8_t b = static_cast<uint8_t>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b & 0x3F);
  }
  if (v < min || v > kMaxCodepoint || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}
}  // namespace

std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = DecodeStrict(s, i, &cp);
    if (n == 0) {
      out.push_back(kReplacement);
      ++i;
    } else {
      out.push_back(cp);
      i += n;
    }
  }
  return out;
}

std::string EncodeUtf8(const std::vector<uint32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (uint32_t cp : cps) AppendUtf8(cp, &out);
  return out;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = DecodeStrict(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  return EncodeUtf8(DecodeUtf8(s));
}

size_t IncompleteUtf8Tail(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(s[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = 0;
    if ((b & 0xE0) == 0xC0) need = 2;
    else if ((b & 0xF0) == 0xE0) need = 3;
    else if ((b & 0xF8) == 0xF0) need = 4;
    if (need > back) return back;
    return 0;
  }
  return 0;
}

std::vector<uint32_t> NfdCodepoints(const std::vector<uint32_t>& cps) {
  std::vector<uint32_t> out;
  out.reserve(cps.size());
  for (uint32_t cp : cps) DecomposeOne(cp, &out);
  // Canonical ordering: stable-sort each run of non-starters by combining class.
  size_t i = 0;
  while (i < out.size()) {
    if (CombiningClass(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && CombiningClass(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + i, out.begin() + j,
                     [](uint32_t a, uint32_t b) { return CombiningClass(a) < CombiningClass(b); });
    i = j;
  }
  return out;
}

std::vector<uint32_t> NfcCodepoints(const std::vector<uint32_t>& cps) {
  std::vector<uint32_t> d = NfdCodepoints(cps);
  if (d.empty()) return d;
  // Canonical composition (Unicode 3.11): a character C combines with the last starter S when
  // C is not blocked from S (no character in between has ccc 0 or ccc >= ccc(C)).
  std::vector<uint32_t> out;
  out.reserve(d.size());
  size_t starter = SIZE_MAX;
  uint8_t last_ccc = 0;
  for (uint32_t cp : d) {
    const uint8_t ccc = CombiningClass(cp);
    if (starter != SIZE_MAX) {
      const bool blocked = out.size() - 1 != starter && (last_ccc == 0 || last_ccc >= ccc);
      if (!blocked) {
        const uint32_t c = Compose(out[starter], cp);
        if (c != 0) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (ccc == 0) {
      starter = out.size();
      last_ccc = 0;
    } else {
      last_ccc = ccc;
    }
    out.push_back(cp);
  }
  return out;
}

std::string Nfd(std::string_view s) { return EncodeUtf8(NfdCodepoints(DecodeUtf8(s))); }

namespace {
// Codepoints that NFC may change or that may combine with the character before them: those
// with a canonical decomposition, a non-zero combining class, or that occur as the second
// half of a composition (incl. Hangul vowel / trailing jamo). A string without any is NFC.
const std::vector<bool>& MaybeNotNfc() {
  static const std::vector<bool> v = [] {
    std::vector<bool> m(kMaxCodepoint + 1, false);
    for (size_t i = 0; i < t::kDecompSize; ++i) m[t::kDecomp[i].cp] = true;
    for (size_t i = 0; i < t::kCombiningClassSize; ++i) m[t::kCombiningClass[i].cp] = true;
    for (size_t i = 0; i < t::kCompositionsSize; ++i) m[t::kCompositions[i].second] = true;
    for (uint32_t cp = kVBase; cp < kVBase + kVCount; ++cp) m[cp] = true;
    for (uint32_t cp = kTBase + 1; cp < kTBase + kTCount; ++cp) m[cp] = true;
    return m;
  }();
  return v;
}
}  // namespace

std::string Nfc(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii &= static_cast<uint8_t>(c) < 0x80;
  if (ascii) return std::string(s);
  // Only the stretches around "maybe not NFC" codepoints need the full algorithm: a clean
  // codepoint is a starter that nothing before it can combine with, so NFC splits there.
  const std::vector<bool>& dirty = MaybeNotNfc();
  const std::vector<uint32_t> cps = DecodeUtf8(s);
  std::vector<uint32_t> out;
  out.reserve(cps.size());
  std::vector<uint32_t> region;
  for (size_t i = 0; i < cps.size();) {
    if (!dirty[cps[i]]) {
      out.push_back(cps[i++]);
      continue;
    }
    region.clear();
    if (!out.empty()) {  // the clean starter before may compose with what follows
      region.push_back(out.back());
      out.pop_back();
    }
    while (i < cps.size() && dirty[cps[i]]) region.push_back(cps[i++]);
    const std::vector<uint32_t> r = NfcCodepoints(region);
    out.insert(out.end(), r.begin(), r.end());
  }
  return EncodeUtf8(out);
}

std::string Lowercase(std::string_view s) {
  std::vector<uint32_t> cps = DecodeUtf8(s);
  for (uint32_t& cp : cps) cp = ToLower(cp);
  return EncodeUtf8(cps);
}

const char* TablesVersion() { return t::kUnicodeVersion; }

}  // namespace fw::unicode
