// UTF-8 helpers for Python str semantics (length, indexing and slicing by code point,
// isspace, upper/lower). Decoding is lossless: a byte that is not valid UTF-8 becomes
// U+DC80..U+DCFF (Python's surrogateescape) and encodes back to the same byte.
// Case mapping covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
#pragma once

#include <string>
#include <vector>

namespace fw::jinja {

std::u32string DecodeUtf8(const std::string& s);
std::string EncodeUtf8(const std::u32string& s);
void AppendUtf8(char32_t cp, std::string& out);
size_t Utf8Length(const std::string& s);
bool IsAscii(const std::string& s);

bool IsPySpace(char32_t c);
char32_t ToUpperCp(char32_t c);
char32_t ToLowerCp(char32_t c);
bool IsCased(char32_t c);  // has an upper or lower case form
bool IsUpperCp(char32_t c);
bool IsLowerCp(char32_t c);

std::string PyUpper(const std::string& s);
std::string PyLower(const std::string& s);
std::string PyCapitalize(const std::string& s);  // str.capitalize()
std::string PyTitle(const std::string& s);       // str.title()
// str.strip/lstrip/rstrip: chars == nullptr strips whitespace.
std::string PyStrip(const std::string& s, const std::string* chars, bool left, bool right);

}  // namespace fw::jinja
