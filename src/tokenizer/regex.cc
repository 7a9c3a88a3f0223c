#include "tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/unicode.h"

namespace fw::tok {

Result<std::unique_ptr<Regex>> Regex::Compile(std::string_view pattern, Options options) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK;
  if (options.dollar_end_only) flags |= PCRE2_DOLLAR_ENDONLY;
  if (options.caseless) flags |= PCRE2_CASELESS;
  if (!unicode::IsValidUtf8(pattern)) return Status::Error("regex pattern is not valid UTF-8");
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   flags, &error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error, buf, sizeof(buf));
    return Status::Error("bad regex '" + std::string(pattern) + "' at offset " +
                         std::to_string(error_offset) + ": " + reinterpret_cast<char*>(buf));
  }
  std::unique_ptr<Regex> re(new Regex());
  re->pattern_ = std::string(pattern);
  re->code_ = code;
  re->jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return re;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

void Regex::FindAll(std::string_view subject, size_t base, std::vector<Span>* matches) const {
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  if (md == nullptr) return;
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  size_t pos = 0;
  while (pos < subject.size()) {
    int rc = jit_ ? pcre2_jit_match(code, s, subject.size(), pos, 0, md, nullptr)
                  : pcre2_match(code, s, subject.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(code, s, subject.size(), pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
    }
    if (rc < 0) break;  // no match (or a resource limit): the rest stays unmatched
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t begin = ov[0], end = ov[1];
    if (end > begin) {
      matches->emplace_back(base + begin, base + end);
      pos = end;
    } else {
      // Empty match: step over one character so the scan always advances.
      pos = begin + 1;
      while (pos < subject.size() && (static_cast<uint8_t>(subject[pos]) & 0xC0) == 0x80) ++pos;
    }
  }
  pcre2_match_data_free(md);
}

std::vector<Span> SplitIsolated(const Regex& re, std::string_view text,
                                const std::vector<Span>& pieces) {
  std::vector<Span> out;
  out.reserve(pieces.size() * 2);
  std::vector<Span> matches;
  for (const Span& piece : pieces) {
    matches.clear();
    re.FindAll(text.substr(piece.first, piece.second - piece.first), piece.first, &matches);
    size_t cur = piece.first;
    for (const Span& m : matches) {
      if (m.first > cur) out.emplace_back(cur, m.first);
      out.push_back(m);
      cur = m.second;
    }
    if (cur < piece.second) out.emplace_back(cur, piece.second);
  }
  return out;
}

}  // namespace fw::tok
