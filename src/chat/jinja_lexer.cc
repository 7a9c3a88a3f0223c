#include "chat/jinja_lexer.h"

#include <cctype>
#include <cstring>

#include "chat/jinja_unicode.h"

namespace fw::jinja {

namespace {

// Python's re "\s" at byte position i of s; returns the byte length of the whitespace
// character there, or 0.
size_t SpaceLen(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return IsPySpace(c) ? 1 : 0;
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  std::u32string u = DecodeUtf8(s.substr(i, len));
  return (u.size() == 1 && IsPySpace(u[0])) ? len : 0;
}

// Python str.rstrip(): drops trailing Unicode whitespace.
void RStrip(std::string& s) {
  std::u32string u = DecodeUtf8(s);
  size_t e = u.size();
  while (e > 0 && IsPySpace(u[e - 1])) --e;
  if (e != u.size()) s = EncodeUtf8(u.substr(0, e));
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  Result<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      if (!LexData()) return Status::Error(error_);
    }
    Push(TokenType::kEof, "", pos_);
    return std::move(tokens_);
  }

 private:
  std::string src_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
  std::string error_;

  // Line/column of a byte offset; offsets mostly grow, so the scan resumes from the last one.
  mutable size_t where_pos_ = 0;
  mutable int where_line_ = 1, where_column_ = 1;
  void Where(size_t at, int& line, int& column) const {
    if (at < where_pos_) { where_pos_ = 0; where_line_ = 1; where_column_ = 1; }
    for (; where_pos_ < at && where_pos_ < src_.size(); ++where_pos_) {
      if (src_[where_pos_] == '\n') { ++where_line_; where_column_ = 1; }
      else if ((static_cast<unsigned char>(src_[where_pos_]) & 0xC0) != 0x80) ++where_column_;
    }
    line = where_line_;
    column = where_column_;
  }
  void Push(TokenType type, std::string value, size_t at) {
    Token t{type, std::move(value), 1, 1};
    Where(at, t.line, t.column);
    tokens_.push_back(std::move(t));
  }
  bool Fail(size_t at, const std::string& message) {
    int line, column;
    Where(at, line, column);
    error_ = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
    return false;
  }
  bool StartsWith(size_t at, const char* s) const { return src_.compare(at, std::strlen(s), s) == 0; }
  size_t SkipSpaces(size_t at) const {
    while (at < src_.size()) {
      size_t n = SpaceLen(src_, at);
      if (!n) break;
      at += n;
    }
    return at;
  }

  // Applies "-" / lstrip_blocks to the text in front of a tag.
  void StripBefore(std::string& text, char sign, bool is_variable) const {
    if (sign == '-') {
      RStrip(text);
    } else if (sign != '+' && !is_variable) {
      size_t l_pos = text.rfind('\n');
      l_pos = (l_pos == std::string::npos) ? 0 : l_pos + 1;
      if (l_pos > 0 || line_starting_) {
        bool only_space = l_pos < text.size();
        for (size_t i = l_pos; i < text.size() && only_space;) {
          size_t n = SpaceLen(text, i);
          if (!n) only_space = false;
          i += n ? n : 1;
        }
        if (only_space) text.resize(l_pos);
      }
    }
  }

  // Matches a closing delimiter (e.g. "%}") at pos with its -, + and trim_blocks rules;
  // returns the end position or npos.
  size_t MatchEnd(size_t at, const char* delim, bool trim_newline) const {
    size_t n = std::strlen(delim);
    if (src_[at] == '-' && src_.compare(at + 1, n, delim) == 0) return SkipSpaces(at + 1 + n);
    if (src_[at] == '+' && trim_newline && src_.compare(at + 1, n, delim) == 0) return at + 1 + n;
    if (src_.compare(at, n, delim) == 0) {
      size_t end = at + n;
      if (trim_newline && end < src_.size() && src_[end] == '\n') ++end;
      return end;
    }
    return std::string::npos;
  }

  void EndMatch(size_t end) {
    line_starting_ = end > 0 && src_[end - 1] == '\n';
    pos_ = end;
  }

  bool LexData() {
    size_t tag = src_.find('{', pos_);
    while (tag != std::string::npos && tag + 1 < src_.size() && src_[tag + 1] != '{' &&
           src_[tag + 1] != '%' && src_[tag + 1] != '#') {
      tag = src_.find('{', tag + 1);
    }
    if (tag == std::string::npos || tag + 1 >= src_.size()) {
      Push(TokenType::kData, src_.substr(pos_), pos_);
      pos_ = src_.size();
      return true;
    }
    std::string text = src_.substr(pos_, tag - pos_);
    char kind = src_[tag + 1];
    size_t after = tag + 2;
    char sign = (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) ? src_[after] : 0;
    if (sign) ++after;
    StripBefore(text, sign, kind == '{');
    if (!text.empty()) Push(TokenType::kData, std::move(text), pos_);

    if (kind == '#') return LexComment(tag, after);
    if (kind == '%') {
      // {% raw %}: everything up to {% endraw %} is data.
      size_t p = SkipSpaces(after);
      if (StartsWith(p, "raw")) {
        size_t q = SkipSpaces(p + 3);
        if (q < src_.size() && (src_[q] == '-' || src_[q] == '%')) {
          size_t end = MatchEnd(q, "%}", false);  // Jinja2 keeps the newline after {% raw %}
          if (end != std::string::npos) return LexRaw(tag, end);
        }
      }
      Push(TokenType::kBlockBegin, "", tag);
      pos_ = after;
      return LexTag("%}", TokenType::kBlockEnd, true);
    }
    Push(TokenType::kVarBegin, "", tag);
    pos_ = after;
    return LexTag("}}", TokenType::kVarEnd, false);
  }

  bool LexComment(size_t tag, size_t after) {
    size_t close = src_.find("#}", after);
    if (close == std::string::npos) return Fail(tag, "missing end of comment tag");
    size_t start = close;
    if (close > after && (src_[close - 1] == '-' || src_[close - 1] == '+')) start = close - 1;
    EndMatch(MatchEnd(start, "#}", true));
    return true;
  }

  bool LexRaw(size_t tag, size_t body_start) {
    size_t p = body_start;
    while (true) {
      size_t open = src_.find("{%", p);
      if (open == std::string::npos) return Fail(tag, "missing {% endraw %} for {% raw %}");
      size_t q = open + 2;
      char sign = (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) ? src_[q] : 0;
      if (sign) ++q;
      q = SkipSpaces(q);
      if (StartsWith(q, "endraw")) {
        size_t r = SkipSpaces(q + 6);
        size_t end = r < src_.size() ? MatchEnd(r, "%}", true) : std::string::npos;
        if (end != std::string::npos) {
          std::string text = src_.substr(body_start, open - body_start);
          bool saved = line_starting_;
          line_starting_ = body_start > 0 && src_[body_start - 1] == '\n';
          StripBefore(text, sign, false);
          line_starting_ = saved;
          if (!text.empty()) Push(TokenType::kData, std::move(text), body_start);
          EndMatch(end);
          return true;
        }
      }
      p = open + 2;
    }
  }

  bool LexTag(const char* close, TokenType end_type, bool trim_newline) {
    int depth = 0;  // open brackets: a closing delimiter inside them is not the end
    size_t begin = pos_;
    while (true) {
      pos_ = SkipSpaces(pos_);
      if (pos_ >= src_.size()) {
        return Fail(begin, std::string("unexpected end of template, expected '") + close + "'");
      }
      if (depth == 0) {
        size_t end = MatchEnd(pos_, close, trim_newline);
        if (end != std::string::npos) {
          Push(end_type, "", pos_);
          EndMatch(end);
          return true;
        }
      }
      char c = src_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        LexNumber();
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t s = pos_;
        while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
        Push(TokenType::kName, src_.substr(s, pos_ - s), s);
      } else if (c == '\'' || c == '"') {
        if (!LexString()) return false;
      } else {
        static const char* kOps[] = {"**", "//", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~",
                                     "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"};
        const char* found = nullptr;
        for (const char* op : kOps) {
          if (StartsWith(pos_, op)) { found = op; break; }
        }
        if (!found) return Fail(pos_, std::string("unexpected char '") + c + "'");
        if (*found == '(' || *found == '[' || *found == '{') ++depth;
        if ((*found == ')' || *found == ']' || *found == '}') && depth > 0) --depth;
        Push(TokenType::kOperator, found, pos_);
        pos_ += std::strlen(found);
      }
    }
  }

  // Integer "\d+(_\d+)*", float with a fraction and/or exponent.
  void LexNumber() {
    size_t s = pos_;
    auto digits = [&](size_t p) {
      size_t q = p;
      while (q < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[q])) ||
                                 (src_[q] == '_' && q > p && q + 1 < src_.size() &&
                                  std::isdigit(static_cast<unsigned char>(src_[q + 1]))))) ++q;
      return q;
    };
    size_t p = digits(pos_);
    bool is_float = false;
    if (p + 1 < src_.size() && src_[p] == '.' && std::isdigit(static_cast<unsigned char>(src_[p + 1]))) {
      p = digits(p + 1);
      is_float = true;
    }
    if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
      size_t q = p + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && std::isdigit(static_cast<unsigned char>(src_[q]))) {
        p = digits(q);
        is_float = true;
      }
    }
    std::string text;
    for (size_t i = s; i < p; ++i) if (src_[i] != '_') text += src_[i];
    Push(is_float ? TokenType::kFloat : TokenType::kInteger, text, s);
    pos_ = p;
  }

  // Python "unicode-escape" decoding of the literal's body (unknown escapes stay as is).
  bool LexString() {
    char quote = src_[pos_];
    size_t s = pos_;
    std::string out;
    size_t p = pos_ + 1;
    while (true) {
      if (p >= src_.size()) return Fail(s, "unterminated string literal");
      char c = src_[p];
      if (c == quote) { ++p; break; }
      if (c != '\\') { out += c; ++p; continue; }
      if (p + 1 >= src_.size()) return Fail(s, "unterminated string literal");
      char e = src_[p + 1];
      p += 2;
      switch (e) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x': case 'u': case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (p + n > src_.size()) return Fail(s, "truncated \\" + std::string(1, e) + " escape");
          char32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            char h = src_[p + k];
            int d = std::isdigit(static_cast<unsigned char>(h)) ? h - '0'
                    : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
            if (d < 0) return Fail(s, "truncated \\" + std::string(1, e) + " escape");
            cp = cp * 16 + static_cast<char32_t>(d);
          }
          if (cp > 0x10FFFF) return Fail(s, "illegal Unicode character in escape");
          p += n;
          AppendUtf8(cp, out);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++k, ++p) {
              cp = cp * 8 + static_cast<char32_t>(src_[p] - '0');
            }
            AppendUtf8(cp, out);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    Push(TokenType::kString, std::move(out), s);
    pos_ = p;
    return true;
  }
};

std::string NormalizeNewlines(const std::string& source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

}  // namespace

Result<std::vector<Token>> Tokenize(const std::string& source) {
  Lexer lexer(NormalizeNewlines(source));
  return lexer.Run();
}

}  // namespace fw::jinja
