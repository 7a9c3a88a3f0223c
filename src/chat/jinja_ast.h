// The AST the Jinja parser builds and the interpreter walks. Plain data: each node owns its
// children through unique_ptr; a parsed Template is immutable and shared by ChatTemplate
// copies (so Render may run concurrently on one Template).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.h"

namespace fw::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  kLiteral,   // value
  kName,      // name
  kList,      // items
  kTuple,     // items
  kDict,      // items as key, value, key, value, ...
  kGetAttr,   // a . name
  kGetItem,   // a [ b ]
  kSlice,     // a [ b? : c? : d? ]   (b, c, d may be null)
  kCall,      // a ( items, keywords )
  kFilter,    // a | name ( items, keywords )   (a is null inside {% filter %})
  kTest,      // a is [not] name ( items )
  kNot,       // not a
  kNeg,       // -a
  kPos,       // +a
  kBinary,    // a op b: + - * / // % ** ~ and or
  kCompare,   // a ops[0] items[0] ops[1] items[1] ...: == != < <= > >= in notin
  kCond,      // b if a else c   (c may be null)
};

struct Expr {
  ExprKind kind;
  int line = 0;
  Value value;                 // kLiteral
  std::string name;            // kName, kGetAttr, kFilter, kTest; operator for kBinary
  ExprPtr a, b, c, d;
  std::vector<ExprPtr> items;  // list/tuple/dict items, call/filter/test positional args, compare operands
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  std::vector<std::string> ops;  // kCompare
  bool negated = false;          // kTest
  int height = 1;                // longest path to a leaf (bounded by the parser)
};

enum class StmtKind {
  kText,      // text
  kPrint,     // expr
  kIf,        // conds[i] -> bodies[i]; else_body
  kFor,       // targets in expr [if cond] body else else_body
  kSet,       // targets (or ns_name.ns_attr) = expr
  kSetBlock,  // targets = body rendered, then filter (may be null, input placeholder)
  kMacro,     // name(params with defaults) body
  kFilterBlock,  // filter applied to body
  kWith,      // targets[i] = values[i]; body
  kBreak,
  kContinue,
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  StmtKind kind;
  int line = 0;
  std::string text;                  // kText
  ExprPtr expr;                      // kPrint, kFor iterable, kSet value, filter chains
  ExprPtr cond;                      // kFor filter
  std::vector<std::string> targets;  // kFor / kSet / kSetBlock / kWith names
  bool tuple_target = false;         // "for a, b in" / "set a, b =" unpack even one name
  std::string ns_name, ns_attr;      // kSet on "ns.attr"
  std::vector<ExprPtr> conds;        // kIf
  std::vector<Body> bodies;          // kIf
  std::vector<ExprPtr> values;       // kWith
  Body body;
  Body else_body;
  std::string name;                  // kMacro
  std::vector<MacroParam> params;    // kMacro
  bool recursive = false;            // kFor (not supported: parse error)
};

struct Template {
  Body body;
};

}  // namespace fw::jinja
