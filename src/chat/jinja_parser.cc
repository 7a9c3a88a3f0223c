#include "chat/jinja_parser.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "chat/jinja_builtins.h"
#include "chat/jinja_lexer.h"

namespace fw::jinja {

namespace {

constexpr int kMaxExprHeight = 300;

struct ParseError {
  int line, column;
  std::string message;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Body ParseAll() {
    Body body = Subparse({});
    if (Cur().type != TokenType::kEof) Fail("unexpected '" + Describe(Cur()) + "'");
    return body;
  }

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  int if_depth_ = 0;  // Jinja2 checks filter/test names at compile time, except inside {% if %}

  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* parser) : p(parser) {
      if (++p->depth_ > kMaxParseDepth) p->Fail("template nested too deeply");
    }
    ~DepthGuard() { --p->depth_; }
  };

  const Token& Cur() const { return toks_[pos_]; }
  const Token& Look() const { return toks_[pos_ + 1 < toks_.size() ? pos_ + 1 : pos_]; }
  void Next() { if (pos_ + 1 < toks_.size()) ++pos_; }

  [[noreturn]] void Fail(const std::string& message) const {
    throw ParseError{Cur().line, Cur().column, message};
  }
  static std::string Describe(const Token& t) {
    switch (t.type) {
      case TokenType::kData: return "template data";
      case TokenType::kVarBegin: return "{{";
      case TokenType::kVarEnd: return "end of print statement";
      case TokenType::kBlockBegin: return "{%";
      case TokenType::kBlockEnd: return "end of statement block";
      case TokenType::kEof: return "end of template";
      default: return t.value;
    }
  }

  bool IsOp(const char* op) const { return Cur().type == TokenType::kOperator && Cur().value == op; }
  bool IsName(const char* name) const { return Cur().type == TokenType::kName && Cur().value == name; }
  bool IsNameIn(const std::vector<std::string>& names) const {
    if (Cur().type != TokenType::kName) return false;
    for (const auto& n : names) if (Cur().value == n) return true;
    return false;
  }
  bool SkipOp(const char* op) { if (IsOp(op)) { Next(); return true; } return false; }
  bool SkipName(const char* name) { if (IsName(name)) { Next(); return true; } return false; }
  void ExpectOp(const char* op) {
    if (!SkipOp(op)) Fail(std::string("expected '") + op + "', got '" + Describe(Cur()) + "'");
  }
  void ExpectType(TokenType type, const char* what) {
    if (Cur().type != type) Fail(std::string("expected ") + what + ", got '" + Describe(Cur()) + "'");
    Next();
  }
  std::string ExpectName() {
    if (Cur().type != TokenType::kName) Fail("expected a name, got '" + Describe(Cur()) + "'");
    std::string n = Cur().value;
    Next();
    return n;
  }

  ExprPtr Make(ExprKind kind) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = Cur().line;
    return e;
  }
  // Records the node's height once its children are attached; left-leaning chains such as
  // a+a+a+... or x|f|f|f... are bounded here, since they do not recurse in the parser.
  ExprPtr Seal(ExprPtr e) {
    int h = 0;
    for (const Expr* child : {e->a.get(), e->b.get(), e->c.get(), e->d.get()}) {
      if (child) h = std::max(h, child->height);
    }
    for (const auto& item : e->items) if (item) h = std::max(h, item->height);
    for (const auto& kw : e->keywords) if (kw.second) h = std::max(h, kw.second->height);
    e->height = h + 1;
    if (e->height > kMaxExprHeight) Fail("expression nested too deeply");
    return e;
  }
  StmtPtr MakeStmt(StmtKind kind, int line) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = line;
    return s;
  }

  // ---- statements ----

  // Parses until a {% name %} whose name is in end_names (left as the current token).
  Body Subparse(const std::vector<std::string>& end_names) {
    DepthGuard guard(this);
    Body body;
    while (true) {
      const Token& t = Cur();
      if (t.type == TokenType::kEof) return body;
      if (t.type == TokenType::kData) {
        auto s = MakeStmt(StmtKind::kText, t.line);
        s->text = t.value;
        body.push_back(std::move(s));
        Next();
      } else if (t.type == TokenType::kVarBegin) {
        int line = t.line;
        Next();
        auto s = MakeStmt(StmtKind::kPrint, line);
        s->expr = ParseTuple(false, true, {}, false);
        ExpectType(TokenType::kVarEnd, "end of print statement");
        body.push_back(std::move(s));
      } else if (t.type == TokenType::kBlockBegin) {
        Next();
        if (!end_names.empty() && IsNameIn(end_names)) return body;
        ParseStatement(body);
        ExpectType(TokenType::kBlockEnd, "end of statement block");
      } else {
        Fail("unexpected '" + Describe(t) + "'");
      }
    }
  }

  Body ParseStatements(const std::vector<std::string>& end_names, bool drop_needle) {
    SkipOp(":");
    ExpectType(TokenType::kBlockEnd, "end of statement block");
    Body body = Subparse(end_names);
    if (Cur().type == TokenType::kEof) {
      std::string expected;
      for (const auto& n : end_names) expected += (expected.empty() ? "'" : " or '") + n + "'";
      Fail("unexpected end of template; expected " + expected);
    }
    if (drop_needle) Next();
    return body;
  }

  void ParseStatement(Body& out) {
    if (Cur().type != TokenType::kName) Fail("tag name expected");
    std::string tag = Cur().value;
    int line = Cur().line;
    if (tag == "if") return out.push_back(ParseIf());
    if (tag == "for") return out.push_back(ParseFor());
    if (tag == "set") return out.push_back(ParseSet());
    if (tag == "macro") return out.push_back(ParseMacro());
    if (tag == "filter") {
      Next();
      auto s = MakeStmt(StmtKind::kFilterBlock, line);
      s->expr = ParseFilter(nullptr, true);
      s->body = ParseStatements({"endfilter"}, true);
      return out.push_back(std::move(s));
    }
    if (tag == "with") return out.push_back(ParseWith());
    if (tag == "print") {
      Next();
      bool first = true;
      while (Cur().type != TokenType::kBlockEnd) {
        if (!first) ExpectOp(",");
        first = false;
        auto s = MakeStmt(StmtKind::kPrint, line);
        s->expr = ParseExpression(true);
        out.push_back(std::move(s));
      }
      return;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) Fail("'" + tag + "' outside of a loop");
      Next();
      return out.push_back(MakeStmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue, line));
    }
    if (tag == "generation") {  // transformers' AssistantTracker: renders its body, own scope
      Next();
      auto s = MakeStmt(StmtKind::kWith, line);
      s->body = ParseStatements({"endgeneration"}, true);
      return out.push_back(std::move(s));
    }
    Fail("encountered unknown or unsupported tag '" + tag + "'");
  }

  StmtPtr ParseIf() {
    auto s = MakeStmt(StmtKind::kIf, Cur().line);
    Next();  // if
    ++if_depth_;
    while (true) {
      s->conds.push_back(ParseTuple(false, false, {}, false));
      s->bodies.push_back(ParseStatements({"elif", "else", "endif"}, false));
      std::string needle = Cur().value;
      Next();
      if (needle == "elif") continue;
      if (needle == "else") s->else_body = ParseStatements({"endif"}, true);
      break;
    }
    --if_depth_;
    return s;
  }

  // Assignment targets: "x", "a, b", "(a, b)"; with_namespace also "ns.attr".
  void ParseTargets(Stmt& s, bool with_namespace, const std::vector<std::string>& extra_end) {
    if (with_namespace && Cur().type == TokenType::kName && Look().type == TokenType::kOperator &&
        Look().value == ".") {
      s.ns_name = ExpectName();
      Next();  // .
      s.ns_attr = ExpectName();
      return;
    }
    bool paren = SkipOp("(");
    while (true) {
      if (!s.targets.empty()) {
        if (!SkipOp(",")) break;
        s.tuple_target = true;
        if (Cur().type != TokenType::kName) break;  // trailing comma
      }
      if (Cur().type != TokenType::kName || IsNameIn(extra_end)) {
        Fail("can't assign to '" + Describe(Cur()) + "'");
      }
      s.targets.push_back(ExpectName());
    }
    if (paren) {
      ExpectOp(")");
      s.tuple_target = true;
    }
  }

  StmtPtr ParseFor() {
    auto s = MakeStmt(StmtKind::kFor, Cur().line);
    Next();  // for
    ParseTargets(*s, false, {"in"});
    if (!SkipName("in")) Fail("expected 'in', got '" + Describe(Cur()) + "'");
    s->expr = ParseTuple(false, false, {"recursive"}, false);
    if (SkipName("if")) s->cond = ParseExpression(true);
    if (IsName("recursive")) Fail("recursive loops are not supported");
    ++loop_depth_;
    s->body = ParseStatements({"endfor", "else"}, false);
    --loop_depth_;
    std::string needle = Cur().value;
    Next();
    if (needle == "else") s->else_body = ParseStatements({"endfor"}, true);
    return s;
  }

  StmtPtr ParseSet() {
    int line = Cur().line;
    Next();  // set
    auto s = MakeStmt(StmtKind::kSet, line);
    ParseTargets(*s, true, {});
    if (SkipOp("=")) {
      s->expr = ParseTuple(false, true, {}, false);
      return s;
    }
    s->kind = StmtKind::kSetBlock;
    if (IsOp("|")) s->expr = ParseFilter(nullptr, false);
    s->body = ParseStatements({"endset"}, true);
    return s;
  }

  StmtPtr ParseMacro() {
    auto s = MakeStmt(StmtKind::kMacro, Cur().line);
    Next();  // macro
    s->name = ExpectName();
    ExpectOp("(");
    while (!IsOp(")")) {
      if (!s->params.empty()) ExpectOp(",");
      if (IsOp(")")) break;
      MacroParam p;
      p.name = ExpectName();
      if (SkipOp("=")) p.default_value = ParseExpression(true);
      else if (!s->params.empty() && s->params.back().default_value) Fail("non-default argument follows default argument");
      s->params.push_back(std::move(p));
    }
    ExpectOp(")");
    int saved_loops = loop_depth_;
    loop_depth_ = 0;
    s->body = ParseStatements({"endmacro"}, true);
    loop_depth_ = saved_loops;
    return s;
  }

  StmtPtr ParseWith() {
    auto s = MakeStmt(StmtKind::kWith, Cur().line);
    Next();  // with
    while (Cur().type != TokenType::kBlockEnd) {
      if (!s->targets.empty()) ExpectOp(",");
      s->targets.push_back(ExpectName());
      ExpectOp("=");
      s->values.push_back(ParseExpression(true));
    }
    s->body = ParseStatements({"endwith"}, true);
    return s;
  }

  // ---- expressions ----

  bool IsTupleEnd(const std::vector<std::string>& extra_end) const {
    const Token& t = Cur();
    if (t.type == TokenType::kVarEnd || t.type == TokenType::kBlockEnd || t.type == TokenType::kEof) return true;
    if (t.type == TokenType::kOperator && t.value == ")") return true;
    return IsNameIn(extra_end);
  }

  ExprPtr ParseTuple(bool simplified, bool with_condexpr, const std::vector<std::string>& extra_end,
                     bool explicit_parentheses) {
    DepthGuard guard(this);
    auto tuple = Make(ExprKind::kTuple);
    bool is_tuple = false;
    while (true) {
      if (!tuple->items.empty()) ExpectOp(",");
      if (IsTupleEnd(extra_end)) break;
      tuple->items.push_back(simplified ? ParsePrimary() : ParseExpression(with_condexpr));
      if (IsOp(",")) is_tuple = true;
      else break;
    }
    if (!is_tuple) {
      if (!tuple->items.empty()) return std::move(tuple->items[0]);
      if (!explicit_parentheses) Fail("expected an expression, got '" + Describe(Cur()) + "'");
    }
    return Seal(std::move(tuple));
  }

  ExprPtr ParseExpression(bool with_condexpr) {
    DepthGuard guard(this);
    return with_condexpr ? ParseCondExpr() : ParseOr();
  }

  ExprPtr ParseCondExpr() {
    ExprPtr expr = ParseOr();
    while (IsName("if")) {
      Next();
      auto cond = Make(ExprKind::kCond);
      cond->a = ParseOr();
      cond->b = std::move(expr);
      if (SkipName("else")) {
        DepthGuard guard(this);
        cond->c = ParseCondExpr();
      }
      expr = Seal(std::move(cond));
    }
    return expr;
  }

  ExprPtr Binary(const std::string& op, ExprPtr l, ExprPtr r) {
    auto e = Make(ExprKind::kBinary);
    e->name = op;
    e->a = std::move(l);
    e->b = std::move(r);
    return Seal(std::move(e));
  }

  ExprPtr ParseOr() {
    ExprPtr left = ParseAnd();
    while (SkipName("or")) left = Binary("or", std::move(left), ParseAnd());
    return left;
  }
  ExprPtr ParseAnd() {
    ExprPtr left = ParseNot();
    while (SkipName("and")) left = Binary("and", std::move(left), ParseNot());
    return left;
  }
  ExprPtr ParseNot() {
    if (IsName("not")) {
      DepthGuard guard(this);
      auto e = Make(ExprKind::kNot);
      Next();
      e->a = ParseNot();
      return Seal(std::move(e));
    }
    return ParseCompare();
  }
  ExprPtr ParseCompare() {
    ExprPtr first = ParseMath1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (Cur().type == TokenType::kOperator &&
          (Cur().value == "==" || Cur().value == "!=" || Cur().value == "<" || Cur().value == "<=" ||
           Cur().value == ">" || Cur().value == ">=")) {
        op = Cur().value;
        Next();
      } else if (IsName("in")) {
        op = "in";
        Next();
      } else if (IsName("not") && Look().type == TokenType::kName && Look().value == "in") {
        op = "notin";
        Next();
        Next();
      } else {
        break;
      }
      if (!cmp) {
        cmp = Make(ExprKind::kCompare);
        cmp->a = std::move(first);
      }
      cmp->ops.push_back(op);
      cmp->items.push_back(ParseMath1());
    }
    return cmp ? Seal(std::move(cmp)) : std::move(first);
  }
  ExprPtr ParseMath1() {
    ExprPtr left = ParseConcat();
    while (IsOp("+") || IsOp("-")) {
      std::string op = Cur().value;
      Next();
      left = Binary(op, std::move(left), ParseConcat());
    }
    return left;
  }
  ExprPtr ParseConcat() {
    ExprPtr left = ParseMath2();
    while (SkipOp("~")) left = Binary("~", std::move(left), ParseMath2());
    return left;
  }
  ExprPtr ParseMath2() {
    ExprPtr left = ParsePow();
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      std::string op = Cur().value;
      Next();
      left = Binary(op, std::move(left), ParsePow());
    }
    return left;
  }
  ExprPtr ParsePow() {
    ExprPtr left = ParseUnary(true);
    while (SkipOp("**")) left = Binary("**", std::move(left), ParseUnary(true));
    return left;
  }
  ExprPtr ParseUnary(bool with_filter) {
    DepthGuard guard(this);
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      node = Make(IsOp("-") ? ExprKind::kNeg : ExprKind::kPos);
      Next();
      node->a = ParseUnary(false);
      node = Seal(std::move(node));
    } else {
      node = ParsePrimary();
    }
    node = ParsePostfix(std::move(node));
    if (with_filter) node = ParseFilterExpr(std::move(node));
    return node;
  }

  ExprPtr ParsePrimary() {
    DepthGuard guard(this);
    const Token& t = Cur();
    if (t.type == TokenType::kName) {
      auto e = Make(ExprKind::kLiteral);
      if (t.value == "true" || t.value == "True") e->value = Value::Bool(true);
      else if (t.value == "false" || t.value == "False") e->value = Value::Bool(false);
      else if (t.value == "none" || t.value == "None") e->value = Value::None();
      else { e->kind = ExprKind::kName; e->name = t.value; }
      Next();
      return e;
    }
    if (t.type == TokenType::kString) {
      std::string s;
      auto e = Make(ExprKind::kLiteral);
      while (Cur().type == TokenType::kString) {
        s += Cur().value;
        Next();
      }
      e->value = Value::String(std::move(s));
      return e;
    }
    if (t.type == TokenType::kInteger) {
      auto e = Make(ExprKind::kLiteral);
      errno = 0;
      const char* text = t.value.c_str();
      char* end = nullptr;
      long long v = std::strtoll(text, &end, 10);
      if (errno == ERANGE) e->value = Value::Float(std::strtod(text, nullptr));  // Python: big int
      else e->value = Value::Int(v);
      Next();
      return e;
    }
    if (t.type == TokenType::kFloat) {
      auto e = Make(ExprKind::kLiteral);
      e->value = Value::Float(std::strtod(t.value.c_str(), nullptr));
      Next();
      return e;
    }
    if (IsOp("(")) {
      Next();
      ExprPtr e = ParseTuple(false, true, {}, true);
      ExpectOp(")");
      return e;
    }
    if (IsOp("[")) {
      auto e = Make(ExprKind::kList);
      Next();
      while (!IsOp("]")) {
        if (!e->items.empty()) ExpectOp(",");
        if (IsOp("]")) break;
        e->items.push_back(ParseExpression(true));
      }
      ExpectOp("]");
      return Seal(std::move(e));
    }
    if (IsOp("{")) {
      auto e = Make(ExprKind::kDict);
      Next();
      while (!IsOp("}")) {
        if (!e->items.empty()) ExpectOp(",");
        if (IsOp("}")) break;
        e->items.push_back(ParseExpression(true));
        ExpectOp(":");
        e->items.push_back(ParseExpression(true));
      }
      ExpectOp("}");
      return Seal(std::move(e));
    }
    Fail("unexpected '" + Describe(t) + "'");
  }

  ExprPtr ParsePostfix(ExprPtr node) {
    int guard_count = 0;
    while (true) {
      if (++guard_count > 10000) Fail("expression too long");
      if (IsOp(".")) {
        Next();
        if (Cur().type == TokenType::kName) {
          auto e = Make(ExprKind::kGetAttr);
          e->name = Cur().value;
          e->a = std::move(node);
          Next();
          node = Seal(std::move(e));
        } else if (Cur().type == TokenType::kInteger) {
          auto e = Make(ExprKind::kGetItem);
          e->a = std::move(node);
          e->b = Make(ExprKind::kLiteral);
          e->b->value = Value::Int(std::strtoll(Cur().value.c_str(), nullptr, 10));
          Next();
          node = Seal(std::move(e));
        } else {
          Fail("expected name or number after '.'");
        }
      } else if (IsOp("[")) {
        node = ParseSubscript(std::move(node));
      } else if (IsOp("(")) {
        node = ParseCall(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr ParseSubscript(ExprPtr node) {
    DepthGuard guard(this);
    Next();  // [
    std::vector<ExprPtr> args;
    while (!IsOp("]")) {
      if (!args.empty()) ExpectOp(",");
      if (IsOp("]")) break;
      args.push_back(ParseSubscribed());
    }
    ExpectOp("]");
    if (args.empty()) Fail("expected a subscript");
    ExprPtr index;
    if (args.size() == 1) {
      index = std::move(args[0]);
    } else {
      for (const auto& a : args) {
        if (a->kind == ExprKind::kSlice) Fail("slices inside a tuple subscript are not supported");
      }
      index = Make(ExprKind::kTuple);
      index->items = std::move(args);
      index = Seal(std::move(index));
    }
    if (index->kind == ExprKind::kSlice && !index->a) {  // marker built by ParseSubscribed
      index->a = std::move(node);
      return Seal(std::move(index));
    }
    auto e = Make(ExprKind::kGetItem);
    e->a = std::move(node);
    e->b = std::move(index);
    return Seal(std::move(e));
  }

  // One subscript: an expression, or a slice start?:stop?(:step?)? (returned as kSlice
  // with a == null; ParseSubscript fills in the sliced object).
  ExprPtr ParseSubscribed() {
    ExprPtr start;
    if (!IsOp(":")) {
      start = ParseExpression(true);
      if (!IsOp(":")) return start;
    }
    Next();  // :
    auto slice = Make(ExprKind::kSlice);
    slice->b = std::move(start);
    if (!IsOp("]") && !IsOp(",") && !IsOp(":")) slice->c = ParseExpression(true);
    if (SkipOp(":")) {
      if (!IsOp("]") && !IsOp(",")) slice->d = ParseExpression(true);
    }
    return Seal(std::move(slice));
  }

  void ParseCallArgs(Expr& e) {
    ExpectOp("(");
    while (!IsOp(")")) {
      if (!e.items.empty() || !e.keywords.empty()) ExpectOp(",");
      if (IsOp(")")) break;
      if (IsOp("*") || IsOp("**")) Fail("*args and **kwargs in calls are not supported");
      if (Cur().type == TokenType::kName && Look().type == TokenType::kOperator && Look().value == "=") {
        std::string key = Cur().value;
        Next();
        Next();
        e.keywords.emplace_back(key, ParseExpression(true));
      } else {
        if (!e.keywords.empty()) Fail("invalid syntax for function call expression");
        e.items.push_back(ParseExpression(true));
      }
    }
    ExpectOp(")");
  }

  ExprPtr ParseCall(ExprPtr node) {
    DepthGuard guard(this);
    auto e = Make(ExprKind::kCall);
    e->a = std::move(node);
    ParseCallArgs(*e);
    return Seal(std::move(e));
  }

  ExprPtr ParseFilterExpr(ExprPtr node) {
    int guard_count = 0;
    while (true) {
      if (++guard_count > 10000) Fail("expression too long");
      if (IsOp("|")) node = ParseFilter(std::move(node), false);
      else if (IsName("is")) node = ParseTest(std::move(node));
      else if (IsOp("(")) node = ParseCall(std::move(node));
      else return node;
    }
  }

  // "| name(args) | name ..." (start_inline: the first filter has no leading '|').
  ExprPtr ParseFilter(ExprPtr node, bool start_inline) {
    DepthGuard guard(this);
    while (IsOp("|") || start_inline) {
      if (!start_inline) Next();
      start_inline = false;
      auto e = Make(ExprKind::kFilter);
      e->name = ExpectName();
      while (IsOp(".")) {
        Next();
        e->name += "." + ExpectName();
      }
      if (if_depth_ == 0 && !FindFilter(e->name)) Fail("No filter named '" + e->name + "'.");
      if (IsOp("(")) ParseCallArgs(*e);
      e->a = std::move(node);
      node = Seal(std::move(e));
    }
    return node;
  }

  ExprPtr ParseTest(ExprPtr node) {
    DepthGuard guard(this);
    Next();  // is
    auto e = Make(ExprKind::kTest);
    e->negated = SkipName("not");
    e->name = ExpectName();
    while (IsOp(".")) {
      Next();
      e->name += "." + ExpectName();
    }
    if (if_depth_ == 0 && !FindTest(e->name)) Fail("No test named '" + e->name + "'.");
    if (IsOp("(")) {
      ParseCallArgs(*e);
    } else if ((Cur().type == TokenType::kName || Cur().type == TokenType::kString ||
                Cur().type == TokenType::kInteger || Cur().type == TokenType::kFloat || IsOp("(") ||
                IsOp("[") || IsOp("{")) &&
               !IsName("else") && !IsName("or") && !IsName("and")) {
      if (IsName("is")) Fail("You cannot chain multiple tests with is");
      e->items.push_back(ParsePostfix(ParsePrimary()));
    }
    e->a = std::move(node);
    return Seal(std::move(e));
  }
};

}  // namespace

Result<std::shared_ptr<const Template>> ParseTemplate(const std::string& source) {
  auto tokens = Tokenize(source);
  if (!tokens.ok()) return tokens.status();
  try {
    Parser parser(std::move(tokens).value());
    auto tmpl = std::make_shared<Template>();
    tmpl->body = parser.ParseAll();
    return std::shared_ptr<const Template>(std::move(tmpl));
  } catch (const ParseError& e) {
    return Status::Error("line " + std::to_string(e.line) + ", column " + std::to_string(e.column) +
                         ": " + e.message);
  } catch (const JinjaError& e) {
    return Status::Error(e.what());
  }
}

}  // namespace fw::jinja
