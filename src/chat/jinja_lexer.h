// Jinja2 lexer with the settings Hugging Face uses (trim_blocks, lstrip_blocks, default
// delimiters, keep_trailing_newline off). Whitespace control is resolved here, exactly as
// Jinja2's lexer does it, so the parser only sees final text:
//   - "\r\n" and "\r" become "\n"; one trailing newline of the source is dropped;
//   - "{%-" / "{{-" / "{#-" strip all whitespace before the tag, "-%}" / "-}}" / "-#}" all
//     whitespace after it;
//   - trim_blocks: the first newline after "%}" or "#}" is dropped ("+%}" keeps it);
//   - lstrip_blocks: spaces and tabs between a line start and "{%" or "{#" are dropped
//     ("{%+" keeps them); never for "{{".
// Comments vanish; {% raw %}...{% endraw %} becomes one data token.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace fw::jinja {

enum class TokenType {
  kData,        // literal template text
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,      // value holds the unescaped text
  kInteger,
  kFloat,
  kOperator,    // value holds the operator spelling: "+", "//", "==", "(", ...
  kEof,
};

struct Token {
  TokenType type;
  std::string value;
  int line = 1;
  int column = 1;
};

// Errors read "line L, column C: <problem>".
Result<std::vector<Token>> Tokenize(const std::string& source);

}  // namespace fw::jinja
