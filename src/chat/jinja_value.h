// The value type of the Jinja interpreter, with Python/Jinja2 semantics: int and float are
// distinct (1.0 prints "1.0"), bool is an int for arithmetic, str is UTF-8 indexed by code
// point, lists and dicts are shared by reference (dicts keep insertion order), and the
// default Undefined renders empty, is falsy and fails on arithmetic.
//
// Ownership: string/List/Dict/Object/Callable payloads are shared_ptr; copying a Value is
// cheap (one reference count).
// Values are immutable once built, except Namespace attributes (`{% set ns.x = ... %}`).
// Nesting depth is recorded at construction and capped (kMaxValueDepth) so that printing,
// comparing and destroying a value can never exhaust the stack. Not thread-safe: one
// render owns its values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fw::jinja {

// Every template failure inside the interpreter is thrown as this and caught at the
// ChatTemplate API edge, which turns it into a failed Result.
class JinjaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kMaxValueDepth = 256;
inline constexpr size_t kMaxStringBytes = 16u << 20;   // any string one operation builds
inline constexpr size_t kMaxListItems = 1u << 18;       // any list one operation builds

// Work budget of the render running on this thread: every element visited while comparing,
// hashing, printing or serialising, and every 16 bytes of string built, costs one unit, so
// that quadratic string building or exponential walks over shared sub-lists end in an
// error instead of a hang. Without an active WorkBudgetScope nothing is counted.
void ChargeWork(int64_t units);  // throws JinjaError when the budget is spent
class WorkBudgetScope {
 public:
  explicit WorkBudgetScope(int64_t units);
  ~WorkBudgetScope();
  WorkBudgetScope(const WorkBudgetScope&) = delete;
  WorkBudgetScope& operator=(const WorkBudgetScope&) = delete;

 private:
  int64_t remaining_;
  int64_t* previous_;
};

class Value;
class Interpreter;
struct CallArgs;

struct List {
  std::vector<Value> items;
  bool is_tuple = false;
  int depth = 1;
};

struct Dict {
  std::vector<std::pair<Value, Value>> items;  // insertion order
  std::unordered_map<std::string, size_t> index;  // HashKey(key) -> position in items
  int depth = 1;
  const Value* Find(const Value& key) const;
  void Set(const Value& key, Value value);  // throws for unhashable keys
};

// An object with attributes but no items: namespace(), loop, ... Only Namespace is mutable.
class Object {
 public:
  virtual ~Object() = default;
  virtual const char* type_name() const = 0;
  // Returns an Undefined when the attribute does not exist.
  virtual Value GetAttr(const std::string& name) const;
  virtual std::string Repr() const;
  virtual bool IsNamespace() const { return false; }
};

// namespace(): the one mutable object; `{% set ns.attr = v %}` writes attrs.
class Namespace : public Object {
 public:
  const char* type_name() const override { return "Namespace"; }
  Value GetAttr(const std::string& name) const override;
  bool IsNamespace() const override { return true; }
  Dict attrs;
};

using NativeFn = std::function<Value(Interpreter&, CallArgs&)>;
struct Callable {
  std::string name;
  NativeFn fn;
};

class Value {
 public:
  enum class Kind : uint8_t { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kObject, kCallable };

  Value() = default;  // Undefined
  // hint: the error message using the value raises, e.g. "'foo' is undefined".
  static Value Undefined(std::string hint = "");
  static Value None() { Value v; v.kind_ = Kind::kNone; return v; }
  static Value Bool(bool b) { Value v; v.kind_ = Kind::kBool; v.int_ = b; return v; }
  static Value Int(int64_t i) { Value v; v.kind_ = Kind::kInt; v.int_ = i; return v; }
  static Value Float(double d) { Value v; v.kind_ = Kind::kFloat; v.float_ = d; return v; }
  static Value String(std::string s);
  static Value MakeList(std::vector<Value> items, bool is_tuple = false);  // throws if too deep/long
  static Value MakeDict(std::shared_ptr<Dict> dict);                      // recomputes depth
  static Value MakeObject(std::shared_ptr<Object> object);
  static Value MakeCallable(std::string name, NativeFn fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kList && list_data().is_tuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool bool_value() const { return int_ != 0; }
  int64_t int_value() const { return int_; }      // also for bool
  double float_value() const { return float_; }
  double AsDouble() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  // The string payload, or the Undefined's hint ("" for other kinds).
  const std::string& str() const;
  const std::vector<Value>& list() const { return list_data().items; }
  const List& list_data() const { return *static_cast<const List*>(ptr_.get()); }
  const Dict& dict() const { return *static_cast<const Dict*>(ptr_.get()); }
  std::shared_ptr<Dict> dict_ptr() const { return std::static_pointer_cast<Dict>(ptr_); }
  Object& object() const { return *static_cast<Object*>(ptr_.get()); }
  std::shared_ptr<Object> object_ptr() const { return std::static_pointer_cast<Object>(ptr_); }
  const Callable& callable() const { return *static_cast<const Callable*>(ptr_.get()); }
  int depth() const;

  // Python truthiness (Undefined is false).
  bool Truthy() const;
  // Python type name: 'int', 'str', 'dict', ... (used in error messages).
  std::string TypeName() const;

 private:
  Kind kind_ = Kind::kUndefined;
  union {
    int64_t int_ = 0;  // kBool, kInt
    double float_;     // kFloat
  };
  // By kind_: const std::string (kString, kUndefined's message), List, Dict, Object or
  // Callable. Strings are shared too, so copying a Value never copies text.
  std::shared_ptr<void> ptr_;
};

struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
  // Keyword lookup that removes the argument; nullptr when absent.
  const Value* Kw(const std::string& name) const;
};

// A key of a dict: str, int, float, bool, None and tuples of those (Python's hashables);
// numbers that compare equal hash equal (1 == 1.0 == True). Throws for unhashable values.
std::string HashKey(const Value& v);

// Python's == (with Jinja's Undefined == Undefined), depth-limited.
bool ValuesEqual(const Value& a, const Value& b);
// Python's <: numbers, strings (by code point), lists/tuples lexicographically; throws
// TypeError-style JinjaError for other combinations.
bool ValueLess(const Value& a, const Value& b);

// str(v) as Jinja prints it: Undefined -> "", None -> "None", True -> "True", floats like
// Python repr, containers as Python repr (single-quoted strings).
std::string ToStr(const Value& v);
// repr(v): strings quoted as Python does.
std::string Repr(const Value& v);
std::string PyFloatRepr(double d);
std::string PyStringRepr(const std::string& s);

// json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=...).
// Throws for values JSON cannot hold (Undefined, callables).
struct JsonOptions {
  bool pretty = false;              // indent is not None: newline + indent_unit per level
  std::string indent_unit;
  std::string item_separator;       // defaults: ", " without indent, "," with indent
  std::string key_separator = ": ";
  bool custom_separators = false;
  bool sort_keys = false;
  bool ensure_ascii = false;        // escape non-ASCII as \uXXXX (surrogate pairs)
};
std::string ToJson(const Value& v, const JsonOptions& options);

}  // namespace fw::jinja
