// Jinja2's builtin filters and tests, Python's str/dict/list methods, and the argument
// binding they share. Filters and methods return new values; none mutates its input (the
// immutable sandbox HF renders with rejects list.append, dict.update, ...).
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "chat/jinja_interpreter.h"
#include "chat/jinja_value.h"

namespace fw::jinja {

using FilterFn = Value (*)(Interpreter&, const Value& input, CallArgs& args);
using TestFn = bool (*)(Interpreter&, const Value& input, CallArgs& args);

FilterFn FindFilter(const std::string& name);  // nullptr when unknown
TestFn FindTest(const std::string& name);      // nullptr when unknown

// The bound method obj.name (a callable Value), or an Undefined when the type has none.
Value GetMethod(const Value& obj, const std::string& name);

// Binds CallArgs to a Python-style signature: parameter i is positional i or keyword
// names[i]. Throws for surplus positional or unknown keyword arguments.
class ArgReader {
 public:
  ArgReader(const CallArgs& args, const std::string& fn, std::initializer_list<const char*> names);
  const Value* Get(size_t i) const { return i < bound_.size() ? bound_[i] : nullptr; }
  Value GetOr(size_t i, Value def) const { const Value* v = Get(i); return v ? *v : def; }
  const Value& Require(size_t i) const;

 private:
  std::string fn_;
  std::vector<std::string> names_;
  std::vector<const Value*> bound_;
};

int64_t ToInt(const Value& v, const char* what);  // int or bool, else throws
// str.splitlines() (keepends=False).
std::vector<std::string> SplitLines(const std::string& s);
// printf-style "%s %d" % args, as Python's str % operator.
std::string PercentFormat(const std::string& fmt, const Value& args);

}  // namespace fw::jinja
