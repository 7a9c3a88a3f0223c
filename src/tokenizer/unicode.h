// Unicode helpers for the tokenizers: UTF-8 coding, general-category flags, lowercase,
// normalization (exact NFC/NFD from generated tables, plus llama.cpp's "first codepoint of
// NFD" accent stripping). All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fw::unicode {

// General-category flags (one per codepoint, from the generated tables).
enum CategoryFlag : uint8_t {
  kUndefined = 0x01,
  kNumber = 0x02,       // \p{N}
  kLetter = 0x04,       // \p{L}
  kSeparator = 0x08,    // \p{Z}
  kMark = 0x10,         // \p{M}
  kPunctuation = 0x20,  // \p{P}
  kSymbol = 0x40,       // \p{S}
  kControl = 0x80,      // \p{C} except unassigned
};

uint8_t Category(uint32_t cp);
// The Unicode White_Space property (\t..\r, space, U+0085, U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000).
bool IsWhitespace(uint32_t cp);
// First codepoint of the full lowercase mapping; cp itself when there is none.
uint32_t ToLower(uint32_t cp);
// First codepoint of the NFD decomposition; cp itself when there is none.
uint32_t NfdFirst(uint32_t cp);
uint8_t CombiningClass(uint32_t cp);

// Length of the UTF-8 sequence a lead byte announces (1 for continuation/invalid bytes), as
// llama.cpp's tokenizers count it.
inline size_t Utf8SeqLen(uint8_t lead) {
  static constexpr uint8_t kLookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLookup[lead >> 4];
}

void AppendUtf8(uint32_t cp, std::string* out);
std::string ToUtf8(uint32_t cp);
// Decodes UTF-8; every invalid or truncated sequence becomes U+FFFD and consumes one byte.
std::vector<uint32_t> DecodeUtf8(std::string_view s);
std::string EncodeUtf8(const std::vector<uint32_t>& cps);
// Rewrites s so it is valid UTF-8 (what DecodeUtf8 + EncodeUtf8 produces; surrogates and
// overlong forms also become U+FFFD). Returns s unchanged when it is already valid.
std::string SanitizeUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);
// Number of bytes at the end of s that form an incomplete (but so far valid) UTF-8 sequence.
size_t IncompleteUtf8Tail(std::string_view s);

// Exact canonical normalization forms (Unicode version of the generated tables).
std::vector<uint32_t> NfdCodepoints(const std::vector<uint32_t>& cps);
std::vector<uint32_t> NfcCodepoints(const std::vector<uint32_t>& cps);
std::string Nfd(std::string_view s);
std::string Nfc(std::string_view s);
std::string Lowercase(std::string_view s);

const char* TablesVersion();

}  // namespace fw::unicode
