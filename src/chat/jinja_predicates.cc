// Jinja2's builtin tests (`x is defined`, `n is divisibleby 3`, ...), jinja2/tests.py
// semantics: bool counts as a number but not as an integer, `sameas` is identity.
#include <cmath>
#include <unordered_map>

#include "chat/jinja_builtins.h"
#include "chat/jinja_unicode.h"

namespace fw::jinja {

namespace {

const Value& Other(CallArgs& args, const char* name) {
  if (args.positional.empty()) {
    if (!args.keyword.empty()) return args.keyword[0].second;
    throw JinjaError(std::string("test '") + name + "' needs an argument");
  }
  return args.positional[0];
}

bool TDefined(Interpreter&, const Value& v, CallArgs&) { return !v.is_undefined(); }
bool TUndefined(Interpreter&, const Value& v, CallArgs&) { return v.is_undefined(); }
bool TNone(Interpreter&, const Value& v, CallArgs&) { return v.is_none(); }
bool TString(Interpreter&, const Value& v, CallArgs&) { return v.is_string(); }
bool TMapping(Interpreter&, const Value& v, CallArgs&) { return v.is_dict(); }
bool TIterable(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool TSequence(Interpreter&, const Value& v, CallArgs&) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}
bool TNumber(Interpreter&, const Value& v, CallArgs&) { return v.is_number(); }
bool TInteger(Interpreter&, const Value& v, CallArgs&) { return v.is_int(); }
bool TFloat(Interpreter&, const Value& v, CallArgs&) { return v.is_float(); }
bool TBoolean(Interpreter&, const Value& v, CallArgs&) { return v.is_bool(); }
bool TTrue(Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && v.bool_value(); }
bool TFalse(Interpreter&, const Value& v, CallArgs&) { return v.is_bool() && !v.bool_value(); }
bool TCallable(Interpreter&, const Value& v, CallArgs&) { return v.is_callable(); }
bool TEscaped(Interpreter&, const Value&, CallArgs&) { return false; }
bool TEq(Interpreter&, const Value& v, CallArgs& a) { return ValuesEqual(v, Other(a, "eq")); }
bool TNe(Interpreter&, const Value& v, CallArgs& a) { return !ValuesEqual(v, Other(a, "ne")); }
bool TLt(Interpreter&, const Value& v, CallArgs& a) { return ValueLess(v, Other(a, "lt")); }
bool TGt(Interpreter&, const Value& v, CallArgs& a) { return ValueLess(Other(a, "gt"), v); }
bool TLe(Interpreter&, const Value& v, CallArgs& a) {
  const Value& o = Other(a, "le");
  return ValueLess(v, o) || ValuesEqual(v, o);
}
bool TGe(Interpreter&, const Value& v, CallArgs& a) {
  const Value& o = Other(a, "ge");
  return ValueLess(o, v) || ValuesEqual(v, o);
}
bool TIn(Interpreter&, const Value& v, CallArgs& a) { return Contains(Other(a, "in"), v); }

bool TSameas(Interpreter&, const Value& v, CallArgs& a) {
  const Value& o = Other(a, "sameas");
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case Value::Kind::kNone: case Value::Kind::kUndefined: return true;
    case Value::Kind::kBool: case Value::Kind::kInt: return v.int_value() == o.int_value();
    case Value::Kind::kFloat: return false;  // distinct float objects
    case Value::Kind::kString: return v.str() == o.str();
    case Value::Kind::kList: return &v.list_data() == &o.list_data();
    case Value::Kind::kDict: return &v.dict() == &o.dict();
    case Value::Kind::kObject: return &v.object() == &o.object();
    case Value::Kind::kCallable: return &v.callable() == &o.callable();
  }
  return false;
}

Value Mod(const Value& v, const Value& n) {
  if (v.is_undefined()) ThrowUndefined(v);
  if (!v.is_number() || !n.is_number()) throw JinjaError("unsupported operand type(s) for %");
  if (n.AsDouble() == 0) throw JinjaError("integer division or modulo by zero");
  if (v.is_float() || n.is_float()) return Value::Float(std::fmod(v.AsDouble(), n.AsDouble()));
  if (n.int_value() == -1) return Value::Int(0);
  return Value::Int(v.int_value() % n.int_value());
}
bool TOdd(Interpreter&, const Value& v, CallArgs&) { return Mod(v, Value::Int(2)).AsDouble() != 0; }
bool TEven(Interpreter&, const Value& v, CallArgs&) { return Mod(v, Value::Int(2)).AsDouble() == 0; }
bool TDivisibleby(Interpreter&, const Value& v, CallArgs& a) {
  return Mod(v, Other(a, "divisibleby")).AsDouble() == 0;
}

bool TLower(Interpreter&, const Value& v, CallArgs&) {
  bool any = false;
  for (char32_t c : DecodeUtf8(ToStr(v))) {
    if (!IsCased(c)) continue;
    any = true;
    if (IsUpperCp(c)) return false;
  }
  return any;
}
bool TUpper(Interpreter&, const Value& v, CallArgs&) {
  bool any = false;
  for (char32_t c : DecodeUtf8(ToStr(v))) {
    if (!IsCased(c)) continue;
    any = true;
    if (IsLowerCp(c)) return false;
  }
  return any;
}
bool TFilter(Interpreter&, const Value& v, CallArgs&) { return v.is_string() && FindFilter(v.str()) != nullptr; }
bool TTest(Interpreter&, const Value& v, CallArgs&) { return v.is_string() && FindTest(v.str()) != nullptr; }

const std::unordered_map<std::string, TestFn>& Tests() {
  static const auto* table = new std::unordered_map<std::string, TestFn>{
      {"defined", TDefined},   {"undefined", TUndefined}, {"none", TNone},
      {"string", TString},     {"mapping", TMapping},     {"iterable", TIterable},
      {"sequence", TSequence}, {"number", TNumber},       {"integer", TInteger},
      {"float", TFloat},       {"boolean", TBoolean},     {"true", TTrue},
      {"false", TFalse},       {"callable", TCallable},   {"escaped", TEscaped},
      {"eq", TEq},             {"equalto", TEq},          {"==", TEq},
      {"ne", TNe},             {"!=", TNe},               {"lt", TLt},
      {"lessthan", TLt},       {"<", TLt},                {"gt", TGt},
      {"greaterthan", TGt},    {">", TGt},                {"le", TLe},
      {"<=", TLe},             {"ge", TGe},               {">=", TGe},
      {"in", TIn},             {"sameas", TSameas},       {"odd", TOdd},
      {"even", TEven},         {"divisibleby", TDivisibleby}, {"lower", TLower},
      {"upper", TUpper},       {"filter", TFilter},       {"test", TTest},
  };
  return *table;
}

}  // namespace

TestFn FindTest(const std::string& name) {
  const auto& t = Tests();
  auto it = t.find(name);
  return it == t.end() ? nullptr : it->second;
}

}  // namespace fw::jinja
