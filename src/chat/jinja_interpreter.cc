#include "chat/jinja_interpreter.h"

#include <climits>
#include <cmath>
#include <ctime>

#include "chat/jinja_builtins.h"
#include "chat/jinja_unicode.h"

namespace fw::jinja {

[[noreturn]] void ThrowUndefined(const Value& v) {
  throw JinjaError(v.str().empty() ? std::string("undefined value") : v.str());
}

namespace {

std::string TypeLabel(const Value& v) { return "'" + v.TypeName() + " object'"; }

// The for-loop's `loop` variable. Its fields change as the loop advances.
class LoopObject : public Object {
 public:
  const char* type_name() const override { return "LoopContext"; }
  std::shared_ptr<const std::vector<Value>> items;
  int64_t index0 = 0;

  Value GetAttr(const std::string& name) const override {
    int64_t n = static_cast<int64_t>(items->size());
    if (name == "index") return Value::Int(index0 + 1);
    if (name == "index0") return Value::Int(index0);
    if (name == "revindex") return Value::Int(n - index0);
    if (name == "revindex0") return Value::Int(n - index0 - 1);
    if (name == "first") return Value::Bool(index0 == 0);
    if (name == "last") return Value::Bool(index0 == n - 1);
    if (name == "length") return Value::Int(n);
    if (name == "depth") return Value::Int(1);
    if (name == "depth0") return Value::Int(0);
    if (name == "previtem") {
      return index0 > 0 ? (*items)[static_cast<size_t>(index0 - 1)]
                        : Value::Undefined("there is no previous item");
    }
    if (name == "nextitem") {
      return index0 + 1 < n ? (*items)[static_cast<size_t>(index0 + 1)]
                            : Value::Undefined("there is no next item");
    }
    if (name == "cycle") {
      int64_t i = index0;
      return Value::MakeCallable("cycle", [i](Interpreter&, CallArgs& args) {
        if (args.positional.empty()) throw JinjaError("no items for cycling given");
        return args.positional[static_cast<size_t>(i) % args.positional.size()];
      });
    }
    return Value::Undefined("'LoopContext object' has no attribute '" + name + "'");
  }
  std::string Repr() const override {
    return "<LoopContext " + std::to_string(index0 + 1) + "/" + std::to_string(items->size()) + ">";
  }
};

bool AddOverflows(int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool SubOverflows(int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool MulOverflows(int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); }

[[noreturn]] void ThrowOperand(const char* op, const Value& a, const Value& b) {
  throw JinjaError(std::string("unsupported operand type(s) for ") + op + ": '" + a.TypeName() +
                   "' and '" + b.TypeName() + "'");
}

Value Repeat(const Value& seq, int64_t n) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    if (n > 0 && seq.str().size() > kMaxStringBytes / static_cast<size_t>(n)) {
      throw JinjaError("string repetition larger than the limit");
    }
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value::String(std::move(out));
  }
  const auto& items = seq.list();
  if (n > 0 && items.size() > kMaxListItems / static_cast<size_t>(n)) {
    throw JinjaError("list repetition larger than the limit");
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return Value::MakeList(std::move(out), seq.is_tuple());
}

double PyFloorMod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

Value Arith(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined()) ThrowUndefined(a);
  if (b.is_undefined()) ThrowUndefined(b);
  bool nums = a.is_number() && b.is_number();
  bool floats = nums && (a.is_float() || b.is_float());
  if (op == "+") {
    if (nums) {
      if (floats) return Value::Float(a.AsDouble() + b.AsDouble());
      int64_t r;
      if (AddOverflows(a.int_value(), b.int_value(), &r)) return Value::Float(a.AsDouble() + b.AsDouble());
      return Value::Int(r);
    }
    if (a.is_string() && b.is_string()) {
      if (a.str().size() + b.str().size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
      return Value::String(a.str() + b.str());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      std::vector<Value> items = a.list();
      items.insert(items.end(), b.list().begin(), b.list().end());
      return Value::MakeList(std::move(items), a.is_tuple());
    }
    if (a.is_string()) throw JinjaError("can only concatenate str (not \"" + b.TypeName() + "\") to str");
    ThrowOperand("+", a, b);
  }
  if (op == "-") {
    if (!nums) ThrowOperand("-", a, b);
    if (floats) return Value::Float(a.AsDouble() - b.AsDouble());
    int64_t r;
    if (SubOverflows(a.int_value(), b.int_value(), &r)) return Value::Float(a.AsDouble() - b.AsDouble());
    return Value::Int(r);
  }
  if (op == "*") {
    if (nums) {
      if (floats) return Value::Float(a.AsDouble() * b.AsDouble());
      int64_t r;
      if (MulOverflows(a.int_value(), b.int_value(), &r)) return Value::Float(a.AsDouble() * b.AsDouble());
      return Value::Int(r);
    }
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return Repeat(a, b.int_value());
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return Repeat(b, a.int_value());
    ThrowOperand("*", a, b);
  }
  if (op == "/") {
    if (!nums) ThrowOperand("/", a, b);
    if (b.AsDouble() == 0) throw JinjaError("division by zero");
    return Value::Float(a.AsDouble() / b.AsDouble());
  }
  if (op == "//") {
    if (!nums) ThrowOperand("//", a, b);
    if (b.AsDouble() == 0) throw JinjaError("integer division or modulo by zero");
    if (floats) return Value::Float(std::floor(a.AsDouble() / b.AsDouble()));
    int64_t x = a.int_value(), y = b.int_value();
    if (x == INT64_MIN && y == -1) return Value::Float(-static_cast<double>(x));
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
    return Value::Int(q);
  }
  if (op == "%") {
    if (a.is_string()) return Value::String(PercentFormat(a.str(), b));
    if (!nums) ThrowOperand("%", a, b);
    if (b.AsDouble() == 0) throw JinjaError("integer division or modulo by zero");
    if (floats) return Value::Float(PyFloorMod(a.AsDouble(), b.AsDouble()));
    int64_t x = a.int_value(), y = b.int_value();
    if (y == -1) return Value::Int(0);
    int64_t m = x % y;
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    return Value::Int(m);
  }
  if (op == "**") {
    if (!nums) ThrowOperand("** or pow()", a, b);
    if (!floats && b.int_value() >= 0) {
      int64_t base = a.int_value(), e = b.int_value(), r = 1;
      bool overflow = false;
      while (e > 0 && !overflow) {
        if (e & 1) overflow |= MulOverflows(r, base, &r);
        e >>= 1;
        if (e > 0) overflow |= MulOverflows(base, base, &base);
      }
      if (!overflow) return Value::Int(r);
      return Value::Float(std::pow(a.AsDouble(), b.AsDouble()));
    }
    if (a.AsDouble() == 0 && b.AsDouble() < 0) throw JinjaError("0.0 cannot be raised to a negative power");
    return Value::Float(std::pow(a.AsDouble(), b.AsDouble()));
  }
  throw JinjaError("unknown operator " + op);
}

// Python slice semantics on n elements.
std::vector<size_t> SliceIndices(int64_t n, const Value* start, const Value* stop, const Value* step) {
  int64_t st = 1;
  if (step && !step->is_none()) st = ToInt(*step, "slice step");
  if (st == 0) throw JinjaError("slice step cannot be zero");
  auto clamp = [&](const Value* v, int64_t def) -> int64_t {
    if (!v || v->is_none()) return def;
    int64_t i = ToInt(*v, "slice index");
    if (i < 0) i += n;
    if (st > 0) return std::max<int64_t>(0, std::min(i, n));
    return std::max<int64_t>(-1, std::min(i, n - 1));
  };
  int64_t b = clamp(start, st > 0 ? 0 : n - 1);
  int64_t e = clamp(stop, st > 0 ? n : -1);
  std::vector<size_t> out;
  if (st > 0) {
    for (int64_t i = b; i < e; i += st) out.push_back(static_cast<size_t>(i));
  } else {
    for (int64_t i = b; i > e; i += st) out.push_back(static_cast<size_t>(i));
  }
  return out;
}

Value SliceValue(const Value& obj, const Value* start, const Value* stop, const Value* step) {
  if (obj.is_undefined()) ThrowUndefined(obj);
  if (obj.is_string()) {
    std::u32string u = DecodeUtf8(obj.str());
    std::u32string r;
    for (size_t i : SliceIndices(static_cast<int64_t>(u.size()), start, stop, step)) r += u[i];
    return Value::String(EncodeUtf8(r));
  }
  if (obj.is_list()) {
    std::vector<Value> r;
    for (size_t i : SliceIndices(static_cast<int64_t>(obj.list().size()), start, stop, step)) {
      r.push_back(obj.list()[i]);
    }
    return Value::MakeList(std::move(r), obj.is_tuple());
  }
  throw JinjaError("'" + obj.TypeName() + "' object is not subscriptable");  // slices are plain Python subscripts
}

std::string StrftimeNow(const std::string& fmt, std::optional<int64_t> now_unix) {
  std::time_t t = now_unix ? static_cast<std::time_t>(*now_unix) : std::time(nullptr);
  std::tm tm{};
  if (now_unix) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  if (fmt.size() > 4096) throw JinjaError("strftime format too long");
  std::string buf(fmt.size() * 8 + 64, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
  if (n == 0 && !fmt.empty()) return "";
  buf.resize(n);
  return buf;
}

Value MakeDictFromArgs(CallArgs& args, const char* fn) {
  auto d = std::make_shared<Dict>();
  if (args.positional.size() > 1) throw JinjaError(std::string(fn) + " expected at most 1 argument");
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is_dict()) {
      for (const auto& [k, v] : src.dict().items) d->Set(k, v);
    } else {
      for (const Value& pair : Iterate(src)) {
        std::vector<Value> kv = Iterate(pair);
        if (kv.size() != 2) throw JinjaError(std::string(fn) + ": sequence element has wrong length");
        d->Set(kv[0], kv[1]);
      }
    }
  }
  for (auto& [k, v] : args.keyword) d->Set(Value::String(k), v);
  return Value::MakeDict(std::move(d));
}

}  // namespace

struct DepthScope {
  Interpreter* in;
  explicit DepthScope(Interpreter* interp) : in(interp) {
    if (++in->depth_ > in->limits_.max_depth) {
      throw JinjaError("template recursion deeper than " + std::to_string(in->limits_.max_depth));
    }
  }
  ~DepthScope() { --in->depth_; }
};

std::vector<Value> Iterate(const Value& v) {
  if (v.is_list()) ChargeWork(static_cast<int64_t>(v.list().size() / 8) + 1);
  switch (v.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList: return v.list();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& [k, val] : v.dict().items) keys.push_back(k);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      std::string one;
      for (char32_t c : DecodeUtf8(v.str())) {
        one.clear();
        AppendUtf8(c, one);
        chars.push_back(Value::String(one));
      }
      return chars;
    }
    default: throw JinjaError("'" + v.TypeName() + "' object is not iterable");
  }
}

bool Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined: return false;
    case Value::Kind::kString:
      if (!item.is_string()) {
        throw JinjaError("'in <string>' requires string as left operand, not " + item.TypeName());
      }
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::kList:
      for (const auto& x : container.list()) {
        if (ValuesEqual(x, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      HashKey(item);  // throws for unhashable items, as Python does
      return container.dict().Find(item) != nullptr;
    default:
      throw JinjaError("argument of type '" + container.TypeName() + "' is not iterable");
  }
}

Interpreter::Interpreter(const Template& tmpl, RenderLimits limits, std::optional<int64_t> now_unix)
    : tmpl_(tmpl), limits_(limits), now_unix_(now_unix) {
  globals_["range"] = Value::MakeCallable("range", [](Interpreter&, CallArgs& args) {
    if (!args.keyword.empty()) throw JinjaError("range() takes no keyword arguments");
    if (args.positional.empty() || args.positional.size() > 3) {
      throw JinjaError("range expected 1 to 3 arguments, got " + std::to_string(args.positional.size()));
    }
    int64_t start = 0, stop, step = 1;
    if (args.positional.size() == 1) {
      stop = ToInt(args.positional[0], "range()");
    } else {
      start = ToInt(args.positional[0], "range()");
      stop = ToInt(args.positional[1], "range()");
      if (args.positional.size() == 3) step = ToInt(args.positional[2], "range()");
    }
    if (step == 0) throw JinjaError("range() arg 3 must not be zero");
    double count = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
    if (count > 100000) {
      throw JinjaError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    }
    std::vector<Value> items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value::Int(i));
    return Value::MakeList(std::move(items));
  });
  globals_["namespace"] = Value::MakeCallable("namespace", [](Interpreter& in, CallArgs& args) {
    Value d = MakeDictFromArgs(args, "namespace");
    auto ns = std::make_shared<Namespace>();
    ns->attrs = d.dict();
    in.Track(ns);
    return Value::MakeObject(ns);
  });
  globals_["joiner"] = Value::MakeCallable("joiner", [](Interpreter&, CallArgs& args) {
    ArgReader r(args, "joiner", {"sep"});
    std::string sep = r.Get(0) ? ToStr(*r.Get(0)) : ", ";
    auto used = std::make_shared<bool>(false);
    return Value::MakeCallable("joiner", [sep, used](Interpreter&, CallArgs&) {
      if (!*used) { *used = true; return Value::String(""); }
      return Value::String(sep);
    });
  });
  globals_["dict"] = Value::MakeCallable("dict", [](Interpreter&, CallArgs& args) {
    return MakeDictFromArgs(args, "dict");
  });
  globals_["raise_exception"] = Value::MakeCallable("raise_exception", [](Interpreter&, CallArgs& args) -> Value {
    std::string msg = args.positional.empty() ? std::string() : ToStr(args.positional[0]);
    throw RaisedError(msg);
  });
  globals_["strftime_now"] = Value::MakeCallable("strftime_now", [](Interpreter& in, CallArgs& args) {
    ArgReader r(args, "strftime_now", {"format"});
    const Value& fmt = r.Require(0);
    if (!fmt.is_string()) throw JinjaError("strftime_now() argument must be str");
    return Value::String(StrftimeNow(fmt.str(), in.now_unix()));
  });
}

Interpreter::~Interpreter() {
  // Empty every namespace first, then drop the contents: this breaks reference cycles and
  // keeps destruction shallow whatever the template linked together.
  std::vector<Dict> contents;
  for (auto& ns : namespaces_) {
    Dict empty;
    std::swap(empty, ns->attrs);
    contents.push_back(std::move(empty));
  }
  contents.clear();
}

std::string Interpreter::Render(const Value& context) {
  WorkBudgetScope budget(limits_.max_work);
  Scope root;
  root_ = &root;
  if (context.is_dict()) {
    for (const auto& [k, v] : context.dict().items) {
      if (k.is_string()) root.Set(k.str(), v);
    }
  }
  std::string out;
  ExecBody(tmpl_.body, root, out);
  root_ = nullptr;
  return out;
}

void Interpreter::CountIteration() {
  if (++iterations_ > limits_.max_loop_iterations) {
    throw JinjaError("more than " + std::to_string(limits_.max_loop_iterations) + " loop iterations");
  }
}

void Interpreter::Emit(std::string& out, const std::string& text) {
  total_output_ += text.size();
  if (total_output_ > limits_.max_output_bytes || out.size() + text.size() > kMaxStringBytes * 4) {
    throw JinjaError("output larger than " + std::to_string(limits_.max_output_bytes) + " bytes");
  }
  out += text;
}

Interpreter::Flow Interpreter::ExecBody(const Body& body, Scope& scope, std::string& out) {
  for (const auto& s : body) {
    Flow f = Exec(*s, scope, out);
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Value Interpreter::Lookup(const std::string& name, Scope& scope) {
  for (Scope* s = &scope; s; s = s->parent) {
    if (Value* v = s->Find(name)) return *v;
  }
  auto g = globals_.find(name);
  if (g != globals_.end()) return g->second;
  return Value::Undefined("'" + name + "' is undefined");
}

void Interpreter::Assign(Scope& scope, const std::vector<std::string>& names, bool unpack, const Value& value) {
  if (!unpack) {
    scope.Set(names[0], value);
    return;
  }
  std::vector<Value> items = Iterate(value);
  if (items.size() != names.size()) {
    throw JinjaError(items.size() < names.size()
                         ? "not enough values to unpack (expected " + std::to_string(names.size()) + ", got " + std::to_string(items.size()) + ")"
                         : "too many values to unpack (expected " + std::to_string(names.size()) + ")");
  }
  for (size_t i = 0; i < names.size(); ++i) scope.Set(names[i], items[i]);
}

void Interpreter::ExecSet(const Stmt& s, Scope& scope, const Value& value) {
  if (!s.ns_name.empty()) {
    Value ns = Lookup(s.ns_name, scope);
    if (!ns.is_object() || !ns.object().IsNamespace()) {
      throw JinjaError("cannot assign attribute on non-namespace object");
    }
    static_cast<Namespace&>(ns.object()).attrs.Set(Value::String(s.ns_attr), value);
    return;
  }
  Assign(scope, s.targets, s.tuple_target, value);
}

Interpreter::Flow Interpreter::Exec(const Stmt& s, Scope& scope, std::string& out) {
  DepthScope guard(this);
  line_ = s.line;
  switch (s.kind) {
    case StmtKind::kText: Emit(out, s.text); return Flow::kNormal;
    case StmtKind::kPrint: {
      Value v = Eval(*s.expr, scope);
      line_ = s.line;
      Emit(out, ToStr(v));
      return Flow::kNormal;
    }
    case StmtKind::kIf:
      for (size_t i = 0; i < s.conds.size(); ++i) {
        if (Eval(*s.conds[i], scope).Truthy()) return ExecBody(s.bodies[i], scope, out);
      }
      return ExecBody(s.else_body, scope, out);
    case StmtKind::kFor: ExecFor(s, scope, out); return Flow::kNormal;
    case StmtKind::kSet: ExecSet(s, scope, Eval(*s.expr, scope)); return Flow::kNormal;
    case StmtKind::kSetBlock: {
      std::string text;
      Scope inner{{}, &scope};
      ExecBody(s.body, inner, text);
      Value v = Value::String(std::move(text));
      if (s.expr) {  // filter chain with a null innermost input
        std::vector<const Expr*> chain;
        for (const Expr* f = s.expr.get(); f; f = f->a.get()) chain.push_back(f);
        for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
          CallArgs args;
          EvalCallArgs(**it, scope, args);
          v = ApplyFilter((*it)->name, v, args);
        }
      }
      ExecSet(s, scope, v);
      return Flow::kNormal;
    }
    case StmtKind::kFilterBlock: {
      std::string text;
      ExecBody(s.body, scope, text);
      Value v = Value::String(std::move(text));
      std::vector<const Expr*> chain;
      for (const Expr* f = s.expr.get(); f; f = f->a.get()) chain.push_back(f);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        CallArgs args;
        EvalCallArgs(**it, scope, args);
        v = ApplyFilter((*it)->name, v, args);
      }
      Emit(out, ToStr(v));
      return Flow::kNormal;
    }
    case StmtKind::kMacro: {
      const Stmt* macro = &s;
      scope.Set(s.name, Value::MakeCallable(s.name, [macro](Interpreter& in, CallArgs& args) {
        return in.CallMacro(*macro, args);
      }));
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      Scope inner{{}, &scope};
      for (size_t i = 0; i < s.targets.size(); ++i) inner.Set(s.targets[i], Eval(*s.values[i], scope));
      return ExecBody(s.body, inner, out);
    }
    case StmtKind::kBreak: return Flow::kBreak;
    case StmtKind::kContinue: return Flow::kContinue;
  }
  return Flow::kNormal;
}

void Interpreter::ExecFor(const Stmt& s, Scope& scope, std::string& out) {
  Value iterable = Eval(*s.expr, scope);
  std::vector<Value> items = Iterate(iterable);
  if (s.cond) {
    std::vector<Value> kept;
    for (auto& item : items) {
      CountIteration();
      Scope probe{{}, &scope};
      Assign(probe, s.targets, s.tuple_target, item);
      if (Eval(*s.cond, probe).Truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    ExecBody(s.else_body, scope, out);
    return;
  }
  auto loop = std::make_shared<LoopObject>();
  loop->items = std::make_shared<const std::vector<Value>>(std::move(items));
  Value loop_value = Value::MakeObject(loop);
  for (size_t i = 0; i < loop->items->size(); ++i) {
    CountIteration();
    loop->index0 = static_cast<int64_t>(i);
    Scope iter{{}, &scope};
    iter.Set("loop", loop_value);
    Assign(iter, s.targets, s.tuple_target, (*loop->items)[i]);
    if (ExecBody(s.body, iter, out) == Flow::kBreak) break;
  }
}

Value Interpreter::CallMacro(const Stmt& macro, CallArgs& args) {
  DepthScope guard(this);
  Scope scope{{}, root_};
  size_t n = macro.params.size();
  std::vector<bool> bound(n, false);
  std::vector<Value> varargs;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < n) {
      scope.Set(macro.params[i].name, args.positional[i]);
      bound[i] = true;
    } else {
      varargs.push_back(args.positional[i]);
    }
  }
  auto kwargs = std::make_shared<Dict>();
  for (auto& [k, v] : args.keyword) {
    bool found = false;
    for (size_t i = 0; i < n; ++i) {
      if (macro.params[i].name == k) {
        if (bound[i]) throw JinjaError("macro '" + macro.name + "' got multiple values for argument '" + k + "'");
        scope.Set(k, v);
        bound[i] = true;
        found = true;
      }
    }
    if (!found) kwargs->Set(Value::String(k), v);
  }
  for (size_t i = 0; i < n; ++i) {
    if (bound[i]) continue;
    if (macro.params[i].default_value) {
      scope.Set(macro.params[i].name, Eval(*macro.params[i].default_value, scope));
    } else {
      scope.Set(macro.params[i].name, Value::Undefined("parameter '" + macro.params[i].name + "' was not provided"));
    }
  }
  scope.Set("varargs", Value::MakeList(std::move(varargs), true));
  scope.Set("kwargs", Value::MakeDict(kwargs));
  std::string out;
  ExecBody(macro.body, scope, out);
  return Value::String(std::move(out));
}

Value Interpreter::Call(const Value& callee, CallArgs& args) {
  if (callee.is_callable()) {
    DepthScope guard(this);
    return callee.callable().fn(*this, args);
  }
  if (callee.is_undefined()) ThrowUndefined(callee);
  throw JinjaError("'" + callee.TypeName() + "' object is not callable");
}

Value Interpreter::ApplyFilter(const std::string& name, const Value& input, CallArgs& args) {
  FilterFn f = FindFilter(name);
  if (!f) throw JinjaError("no filter named '" + name + "'");
  DepthScope guard(this);
  return f(*this, input, args);
}

bool Interpreter::ApplyTest(const std::string& name, const Value& input, CallArgs& args) {
  TestFn t = FindTest(name);
  if (!t) throw JinjaError("no test named '" + name + "'");
  return t(*this, input, args);
}

Value Interpreter::GetAttr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined: ThrowUndefined(obj);
    case Value::Kind::kObject: return obj.object().GetAttr(name);
    case Value::Kind::kDict: {
      Value m = GetMethod(obj, name);
      if (!m.is_undefined()) return m;
      const Value* v = obj.dict().Find(Value::String(name));
      if (v) return *v;
      return Value::Undefined("'dict object' has no attribute '" + name + "'");
    }
    case Value::Kind::kNone: return Value::Undefined("'None' has no attribute '" + name + "'");
    default: {
      Value m = GetMethod(obj, name);
      if (!m.is_undefined()) return m;
      return Value::Undefined(TypeLabel(obj) + " has no attribute '" + name + "'");
    }
  }
}

Value Interpreter::GetItem(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined: ThrowUndefined(obj);
    case Value::Kind::kList:
      if (key.is_int() || key.is_bool()) {
        int64_t n = static_cast<int64_t>(obj.list().size());
        int64_t i = key.int_value();
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::Undefined(TypeLabel(obj) + " has no element " + ToStr(key));
        return obj.list()[static_cast<size_t>(i)];
      }
      break;
    case Value::Kind::kString:
      if (key.is_int() || key.is_bool()) {
        std::u32string u = DecodeUtf8(obj.str());
        int64_t n = static_cast<int64_t>(u.size());
        int64_t i = key.int_value();
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::Undefined("'str object' has no element " + ToStr(key));
        std::string one;
        AppendUtf8(u[static_cast<size_t>(i)], one);
        return Value::String(one);
      }
      break;
    case Value::Kind::kDict: {
      const Value* v = obj.dict().Find(key);
      if (v) return *v;
      if (!key.is_string()) return Value::Undefined("'dict object' has no element " + Repr(key));
      break;
    }
    default: break;
  }
  if (key.is_string()) {
    Value v = GetAttr(obj, key.str());
    if (v.is_undefined() && obj.is_dict()) {
      return Value::Undefined("'dict object' has no attribute '" + key.str() + "'");
    }
    return v;
  }
  return Value::Undefined(TypeLabel(obj) + " has no element " + Repr(key));
}

void Interpreter::EvalCallArgs(const Expr& e, Scope& scope, CallArgs& args) {
  for (const auto& item : e.items) args.positional.push_back(Eval(*item, scope));
  for (const auto& [k, v] : e.keywords) args.keyword.emplace_back(k, Eval(*v, scope));
}

Value Interpreter::EvalBinary(const Expr& e, Scope& scope) {
  const std::string& op = e.name;
  if (op == "and") {
    Value l = Eval(*e.a, scope);
    return l.Truthy() ? Eval(*e.b, scope) : l;
  }
  if (op == "or") {
    Value l = Eval(*e.a, scope);
    return l.Truthy() ? l : Eval(*e.b, scope);
  }
  Value l = Eval(*e.a, scope);
  Value r = Eval(*e.b, scope);
  line_ = e.line;
  if (op == "~") {
    std::string ls = ToStr(l), rs = ToStr(r);
    if (ls.size() + rs.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    return Value::String(ls + rs);
  }
  return Arith(op, l, r);
}

Value Interpreter::EvalCompare(const Expr& e, Scope& scope) {
  Value left = Eval(*e.a, scope);
  for (size_t i = 0; i < e.ops.size(); ++i) {
    Value right = Eval(*e.items[i], scope);
    line_ = e.line;
    const std::string& op = e.ops[i];
    bool r;
    if (op == "==") r = ValuesEqual(left, right);
    else if (op == "!=") r = !ValuesEqual(left, right);
    else if (op == "<") r = ValueLess(left, right);
    else if (op == ">") r = ValueLess(right, left);
    else if (op == "<=") r = ValueLess(left, right) || ValuesEqual(left, right);
    else if (op == ">=") r = ValueLess(right, left) || ValuesEqual(left, right);
    else if (op == "in") r = Contains(right, left);
    else r = !Contains(right, left);  // notin
    if (!r) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

Value Interpreter::Eval(const Expr& e, Scope& scope) {
  DepthScope guard(this);
  line_ = e.line;
  switch (e.kind) {
    case ExprKind::kLiteral: return e.value;
    case ExprKind::kName: return Lookup(e.name, scope);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      for (const auto& item : e.items) items.push_back(Eval(*item, scope));
      return Value::MakeList(std::move(items), e.kind == ExprKind::kTuple);
    }
    case ExprKind::kDict: {
      auto d = std::make_shared<Dict>();
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        Value k = Eval(*e.items[i], scope);
        d->Set(k, Eval(*e.items[i + 1], scope));
      }
      return Value::MakeDict(std::move(d));
    }
    case ExprKind::kGetAttr: {
      Value obj = Eval(*e.a, scope);
      line_ = e.line;
      return GetAttr(obj, e.name);
    }
    case ExprKind::kGetItem: {
      Value obj = Eval(*e.a, scope);
      Value key = Eval(*e.b, scope);
      line_ = e.line;
      return GetItem(obj, key);
    }
    case ExprKind::kSlice: {
      Value obj = Eval(*e.a, scope);
      Value b, c, d;
      if (e.b) b = Eval(*e.b, scope);
      if (e.c) c = Eval(*e.c, scope);
      if (e.d) d = Eval(*e.d, scope);
      line_ = e.line;
      return SliceValue(obj, e.b ? &b : nullptr, e.c ? &c : nullptr, e.d ? &d : nullptr);
    }
    case ExprKind::kCall: {
      Value callee = Eval(*e.a, scope);
      CallArgs args;
      EvalCallArgs(e, scope, args);
      line_ = e.line;
      return Call(callee, args);
    }
    case ExprKind::kFilter: {
      Value input = e.a ? Eval(*e.a, scope) : Value::String("");
      CallArgs args;
      EvalCallArgs(e, scope, args);
      line_ = e.line;
      return ApplyFilter(e.name, input, args);
    }
    case ExprKind::kTest: {
      Value input = Eval(*e.a, scope);
      CallArgs args;
      EvalCallArgs(e, scope, args);
      line_ = e.line;
      bool r = ApplyTest(e.name, input, args);
      return Value::Bool(e.negated ? !r : r);
    }
    case ExprKind::kNot: return Value::Bool(!Eval(*e.a, scope).Truthy());
    case ExprKind::kNeg:
    case ExprKind::kPos: {
      Value v = Eval(*e.a, scope);
      if (v.is_undefined()) ThrowUndefined(v);
      if (!v.is_number()) {
        throw JinjaError(std::string("bad operand type for unary ") + (e.kind == ExprKind::kNeg ? "-" : "+") +
                         ": '" + v.TypeName() + "'");
      }
      if (e.kind == ExprKind::kPos) return v.is_bool() ? Value::Int(v.int_value()) : v;
      if (v.is_float()) return Value::Float(-v.float_value());
      if (v.int_value() == INT64_MIN) return Value::Float(-v.AsDouble());
      return Value::Int(-v.int_value());
    }
    case ExprKind::kBinary: return EvalBinary(e, scope);
    case ExprKind::kCompare: return EvalCompare(e, scope);
    case ExprKind::kCond:
      if (Eval(*e.a, scope).Truthy()) return Eval(*e.b, scope);
      return e.c ? Eval(*e.c, scope) : Value::Undefined("the inline if-expression evaluated to false and no else section was defined");
  }
  return Value();
}

}  // namespace fw::jinja
