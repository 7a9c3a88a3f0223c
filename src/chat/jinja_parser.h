// Jinja2 parser: tokens (chat/jinja_lexer.h) -> AST (chat/jinja_ast.h), following the
// grammar and operator precedence of Jinja2's own parser:
//   cond-expr  <  or  <  and  <  not  <  comparisons (chained; in, not in)  <  + -  <  ~
//   <  * / // %  <  **  <  unary - +  <  primary with . [] () postfixes, then | filters
//   and `is` tests.
// Statements: if/elif/else, for (tuple targets, `if` filter, else), set (incl. ns.attr and
// block set), macro, filter, with, print, break/continue (loopcontrols), generation (HF's
// AssistantTracker). Other tags (extends, include, import, block, call, ...) are errors.
// Nesting is capped (kMaxParseDepth) so hostile input cannot exhaust the stack.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "chat/jinja_ast.h"

namespace fw::jinja {

inline constexpr int kMaxParseDepth = 200;

// Errors read "line L, column C: <problem>".
Result<std::shared_ptr<const Template>> ParseTemplate(const std::string& source);

}  // namespace fw::jinja
