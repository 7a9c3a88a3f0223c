// Walks a parsed Template against a context and produces the rendered text, with Jinja2
// semantics (scoping: a for-loop iteration, macro call and {% with %} each get a scope,
// {% if %} does not; macros see the template's top-level variables at call time).
//
// One Interpreter renders once; it is not thread-safe, but many may share one Template.
// Limits (RenderLimits) turn runaway templates into errors: total output bytes, total loop
// iterations, evaluation depth (macro recursion included).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat/jinja_ast.h"
#include "chat/jinja_value.h"

namespace fw::jinja {

struct RenderLimits {
  size_t max_output_bytes = 64u << 20;
  int64_t max_loop_iterations = 1 << 20;  // all loops of one render together
  int64_t max_work = 16 << 20;             // ChargeWork units (chat/jinja_value.h)
  int max_depth = 1000;                   // nested expression/statement/macro evaluation
};

// raise_exception(msg): the message is reported verbatim.
class RaisedError : public JinjaError {
 public:
  using JinjaError::JinjaError;
};

class Interpreter {
 public:
  // now_unix: the clock behind strftime_now() (seconds, UTC); nullopt = the system clock.
  Interpreter(const Template& tmpl, RenderLimits limits, std::optional<int64_t> now_unix);
  ~Interpreter();

  // context must be a dict; its keys become top-level variables. Throws JinjaError.
  std::string Render(const Value& context);

  // Services for filters, tests and methods (chat/jinja_builtins.h).
  Value Call(const Value& callee, CallArgs& args);
  Value ApplyFilter(const std::string& name, const Value& input, CallArgs& args);
  bool ApplyTest(const std::string& name, const Value& input, CallArgs& args);
  Value GetAttr(const Value& obj, const std::string& name);
  Value GetItem(const Value& obj, const Value& key);
  void CountIteration();
  std::optional<int64_t> now_unix() const { return now_unix_; }
  // Namespaces are the only mutable values, so the only way to build reference cycles;
  // every one is registered here and emptied when the interpreter dies.
  void Track(std::shared_ptr<Namespace> ns) { namespaces_.push_back(std::move(ns)); }
  int line() const { return line_; }

 private:
  // Scopes hold a handful of names (loop variables, a few sets), so a flat list beats a
  // hash map; a for-loop makes one per iteration.
  struct Scope {
    std::vector<std::pair<std::string, Value>> vars;
    Scope* parent = nullptr;
    Value* Find(const std::string& name) {
      for (auto& [k, v] : vars) if (k == name) return &v;
      return nullptr;
    }
    void Set(const std::string& name, Value value) {
      if (Value* v = Find(name)) *v = std::move(value);
      else vars.emplace_back(name, std::move(value));
    }
  };
  enum class Flow { kNormal, kBreak, kContinue };

  Flow ExecBody(const Body& body, Scope& scope, std::string& out);
  Flow Exec(const Stmt& s, Scope& scope, std::string& out);
  void ExecFor(const Stmt& s, Scope& scope, std::string& out);
  void ExecSet(const Stmt& s, Scope& scope, const Value& value);
  Value Eval(const Expr& e, Scope& scope);
  Value EvalBinary(const Expr& e, Scope& scope);
  Value EvalCompare(const Expr& e, Scope& scope);
  void EvalCallArgs(const Expr& e, Scope& scope, CallArgs& args);
  Value CallMacro(const Stmt& macro, CallArgs& args);
  Value Lookup(const std::string& name, Scope& scope);
  void Emit(std::string& out, const std::string& text);
  void Assign(Scope& scope, const std::vector<std::string>& names, bool unpack, const Value& value);

  const Template& tmpl_;
  RenderLimits limits_;
  std::optional<int64_t> now_unix_;
  std::unordered_map<std::string, Value> globals_;
  Scope* root_ = nullptr;
  int depth_ = 0;
  int64_t iterations_ = 0;
  size_t total_output_ = 0;
  int line_ = 0;
  std::vector<std::shared_ptr<Namespace>> namespaces_;
  friend struct DepthScope;
};

// Python's `a in b` with Jinja's Undefined.
bool Contains(const Value& container, const Value& item);
// Python iteration: list/tuple items, dict keys, string code points; Undefined is empty.
std::vector<Value> Iterate(const Value& v);
[[noreturn]] void ThrowUndefined(const Value& v);

}  // namespace fw::jinja
