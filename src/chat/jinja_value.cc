#include "chat/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "chat/jinja_unicode.h"

namespace fw::jinja {

namespace {

thread_local int64_t* g_work_remaining = nullptr;

}  // namespace

void ChargeWork(int64_t units) {
  if (!g_work_remaining) return;
  *g_work_remaining -= units;
  if (*g_work_remaining < 0) {
    *g_work_remaining = 0;
    throw JinjaError("template needs too much work (value or string operations over the limit)");
  }
}

WorkBudgetScope::WorkBudgetScope(int64_t units) : remaining_(units), previous_(g_work_remaining) {
  g_work_remaining = &remaining_;
}
WorkBudgetScope::~WorkBudgetScope() { g_work_remaining = previous_; }

namespace {

void CheckDepth(int depth) {
  if (depth > kMaxValueDepth) {
    throw JinjaError("value nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
  }
}

}  // namespace

Value Object::GetAttr(const std::string& name) const { return Value::Undefined(name); }
std::string Object::Repr() const { return std::string("<") + type_name() + " object>"; }

Value Namespace::GetAttr(const std::string& name) const {
  const Value* v = attrs.Find(Value::String(name));
  return v ? *v : Value::Undefined(name);
}

Value Value::String(std::string s) {
  ChargeWork(static_cast<int64_t>(s.size() / 16) + 1);
  if (s.size() > kMaxStringBytes) {
    throw JinjaError("string longer than " + std::to_string(kMaxStringBytes) + " bytes");
  }
  Value v;
  v.kind_ = Kind::kString;
  v.ptr_ = std::make_shared<std::string>(std::move(s));
  return v;
}

Value Value::Undefined(std::string hint) {
  Value v;
  if (!hint.empty()) v.ptr_ = std::make_shared<std::string>(std::move(hint));
  return v;
}

const std::string& Value::str() const {
  static const std::string* empty = new std::string();
  if ((kind_ == Kind::kString || kind_ == Kind::kUndefined) && ptr_) {
    return *static_cast<const std::string*>(ptr_.get());
  }
  return *empty;
}

Value Value::MakeList(std::vector<Value> items, bool is_tuple) {
  if (items.size() > kMaxListItems) {
    throw JinjaError("list longer than " + std::to_string(kMaxListItems) + " items");
  }
  ChargeWork(static_cast<int64_t>(items.size() / 8) + 1);
  auto list = std::make_shared<List>();
  int depth = 0;
  for (const auto& item : items) depth = std::max(depth, item.depth());
  list->depth = depth + 1;
  CheckDepth(list->depth);
  list->items = std::move(items);
  list->is_tuple = is_tuple;
  Value v;
  v.kind_ = Kind::kList;
  v.ptr_ = std::move(list);
  return v;
}

Value Value::MakeDict(std::shared_ptr<Dict> dict) {
  int depth = 0;
  for (const auto& [k, item] : dict->items) depth = std::max({depth, item.depth(), k.depth()});
  dict->depth = depth + 1;
  CheckDepth(dict->depth);
  Value v;
  v.kind_ = Kind::kDict;
  v.ptr_ = std::move(dict);
  return v;
}

Value Value::MakeObject(std::shared_ptr<Object> object) {
  Value v;
  v.kind_ = Kind::kObject;
  v.ptr_ = std::move(object);
  return v;
}

Value Value::MakeCallable(std::string name, NativeFn fn) {
  Value v;
  v.kind_ = Kind::kCallable;
  v.ptr_ = std::make_shared<Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

int Value::depth() const {
  switch (kind_) {
    case Kind::kList: return list_data().depth;
    case Kind::kDict: return dict().depth;
    case Kind::kObject: return 1;  // namespaces are flattened at render end (see Interpreter)
    default: return 0;
  }
}

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined: case Kind::kNone: return false;
    case Kind::kBool: case Kind::kInt: return int_ != 0;
    case Kind::kFloat: return float_ != 0.0;
    case Kind::kString: return !str().empty();
    case Kind::kList: return !list_data().items.empty();
    case Kind::kDict: return !dict().items.empty();
    default: return true;
  }
}

std::string Value::TypeName() const {
  switch (kind_) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return list_data().is_tuple ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kObject: return object().type_name();
    case Kind::kCallable: return "function";
  }
  return "object";
}

const Value* CallArgs::Kw(const std::string& name) const {
  for (const auto& [k, v] : keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

// ---- hashing and comparison ----

namespace {

void HashKeyInto(const Value& v, std::string& out, int depth) {
  if (depth > kMaxValueDepth) throw JinjaError("value nested too deeply");
  ChargeWork(1);
  switch (v.kind()) {
    case Value::Kind::kNone: out += "n"; return;
    case Value::Kind::kBool: case Value::Kind::kInt: out += "i" + std::to_string(v.int_value()) + ";"; return;
    case Value::Kind::kFloat: {
      double d = v.float_value();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        out += "i" + std::to_string(static_cast<int64_t>(d)) + ";";
      } else {
        out += "f" + PyFloatRepr(d) + ";";
      }
      return;
    }
    case Value::Kind::kString: out += "s" + std::to_string(v.str().size()) + ":" + v.str(); return;
    case Value::Kind::kList:
      if (v.is_tuple()) {
        out += "t(";
        for (const auto& item : v.list()) HashKeyInto(item, out, depth + 1);
        out += ")";
        return;
      }
      break;
    default: break;
  }
  throw JinjaError("unhashable type: '" + v.TypeName() + "'");
}

bool EqualAt(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) throw JinjaError("value nested too deeply to compare");
  ChargeWork(1);
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    return a.int_value() == b.int_value();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kUndefined: case K::kNone: return true;
    case K::kString: return a.str() == b.str();
    case K::kList: {
      if (a.is_tuple() != b.is_tuple()) return false;
      const auto& x = a.list();
      const auto& y = b.list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!EqualAt(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case K::kDict: {
      const auto& x = a.dict();
      const auto& y = b.dict();
      if (x.items.size() != y.items.size()) return false;
      for (const auto& [k, val] : x.items) {
        const Value* other = y.Find(k);
        if (!other || !EqualAt(val, *other, depth + 1)) return false;
      }
      return true;
    }
    case K::kObject: return &a.object() == &b.object();
    case K::kCallable: return &a.callable() == &b.callable();
    default: return false;
  }
}

[[noreturn]] void ThrowUnorderable(const Value& a, const Value& b) {
  throw JinjaError("'<' not supported between instances of '" + a.TypeName() + "' and '" +
                   b.TypeName() + "'");
}

bool LessAt(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) throw JinjaError("value nested too deeply to compare");
  ChargeWork(1);
  if (a.is_undefined() || b.is_undefined()) {
    throw JinjaError((a.is_undefined() ? a : b).str());
  }
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() < b.AsDouble();
    return a.int_value() < b.int_value();
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();  // UTF-8 byte order = code point order
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.list();
    const auto& y = b.list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!EqualAt(x[i], y[i], depth + 1)) return LessAt(x[i], y[i], depth + 1);
    }
    return x.size() < y.size();
  }
  ThrowUnorderable(a, b);
}

}  // namespace

std::string HashKey(const Value& v) {
  std::string out;
  HashKeyInto(v, out, 0);
  return out;
}

const Value* Dict::Find(const Value& key) const {
  std::string h;
  try {
    h = HashKey(key);
  } catch (const JinjaError&) {
    return nullptr;
  }
  auto it = index.find(h);
  return it == index.end() ? nullptr : &items[it->second].second;
}

void Dict::Set(const Value& key, Value value) {
  std::string h = HashKey(key);
  auto it = index.find(h);
  if (it != index.end()) {
    items[it->second].second = std::move(value);
    return;
  }
  if (items.size() >= kMaxListItems) throw JinjaError("dict larger than the item limit");
  index.emplace(std::move(h), items.size());
  items.emplace_back(key, std::move(value));
}

bool ValuesEqual(const Value& a, const Value& b) { return EqualAt(a, b, 0); }
bool ValueLess(const Value& a, const Value& b) { return LessAt(a, b, 0); }

// ---- printing ----

std::string PyFloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout: exponent form when exp < -4 or >= 16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += ebuf;
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    size_t int_len = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return negative ? "-" + out : out;
}

std::string PyStringRepr(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == static_cast<unsigned char>(quote)) { out += '\\'; out += quote; }
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

namespace {

void ReprInto(const Value& v, std::string& out, int depth);

void CheckOut(const std::string& out) {
  if (out.size() > kMaxStringBytes) throw JinjaError("printed value larger than the output limit");
}

void ReprInto(const Value& v, std::string& out, int depth) {
  if (depth > kMaxValueDepth) throw JinjaError("value nested too deeply to print");
  ChargeWork(1);
  CheckOut(out);
  switch (v.kind()) {
    case Value::Kind::kString: out += PyStringRepr(v.str()); return;
    case Value::Kind::kUndefined: out += "Undefined"; return;
    case Value::Kind::kList: {
      bool tuple = v.is_tuple();
      out += tuple ? '(' : '[';
      const auto& items = v.list();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        ReprInto(items[i], out, depth + 1);
      }
      if (tuple && items.size() == 1) out += ',';
      out += tuple ? ')' : ']';
      return;
    }
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.dict().items) {
        if (!first) out += ", ";
        first = false;
        ReprInto(k, out, depth + 1);
        out += ": ";
        ReprInto(val, out, depth + 1);
      }
      out += '}';
      return;
    }
    case Value::Kind::kObject:
      if (v.object().IsNamespace()) {
        out += "<Namespace {";
        bool first = true;
        for (const auto& [k, val] : static_cast<const Namespace&>(v.object()).attrs.items) {
          if (!first) out += ", ";
          first = false;
          ReprInto(k, out, depth + 1);
          out += ": ";
          ReprInto(val, out, depth + 1);
        }
        out += "}>";
        return;
      }
      out += v.object().Repr();
      return;
    default: out += ToStr(v); return;
  }
}

}  // namespace

std::string Repr(const Value& v) {
  std::string out;
  ReprInto(v, out, 0);
  return out;
}

std::string ToStr(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return "";
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return v.bool_value() ? "True" : "False";
    case Value::Kind::kInt: return std::to_string(v.int_value());
    case Value::Kind::kFloat: return PyFloatRepr(v.float_value());
    case Value::Kind::kString: return v.str();
    case Value::Kind::kList: case Value::Kind::kDict: case Value::Kind::kObject: return Repr(v);
    case Value::Kind::kCallable: return "<function " + v.callable().name + ">";
  }
  return "";
}

// ---- JSON ----

namespace {

void JsonString(const std::string& s, std::string& out, bool ensure_ascii);

void JsonStringAscii(const std::string& s, std::string& out) {
  for (char32_t cp : DecodeUtf8(s)) {
    if (cp < 0x80) {
      std::string one(1, static_cast<char>(cp));
      std::string quoted;
      JsonString(one, quoted, false);
      out += quoted.substr(1, quoted.size() - 2);
      continue;
    }
    char buf[16];
    if (cp >= 0x10000) {
      char32_t v = cp - 0x10000;
      std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
    } else {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
    }
    out += buf;
  }
}

void JsonString(const std::string& s, std::string& out, bool ensure_ascii) {
  if (ensure_ascii && !IsAscii(s)) {
    out += '"';
    JsonStringAscii(s, out);
    out += '"';
    return;
  }
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string JsonKey(const Value& k) {
  // json.dumps converts keys: str as is, numbers/bools/None to their JSON spelling.
  switch (k.kind()) {
    case Value::Kind::kString: return k.str();
    case Value::Kind::kBool: return k.bool_value() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(k.int_value());
    case Value::Kind::kFloat: return PyFloatRepr(k.float_value());
    case Value::Kind::kNone: return "null";
    default: throw JinjaError("keys must be str, int, float, bool or None, not " + k.TypeName());
  }
}

struct JsonWriter {
  const JsonOptions& opt;
  std::string out;

  bool pretty() const { return opt.pretty; }
  std::string item_sep() const {
    if (opt.custom_separators) return opt.item_separator;
    return pretty() ? "," : ", ";
  }
  void Newline(int level) {
    out += '\n';
    for (int i = 0; i < level; ++i) out += opt.indent_unit;
    if (out.size() > kMaxStringBytes) throw JinjaError("tojson output larger than the limit");
  }

  void Write(const Value& v, int level) {
    if (level > kMaxValueDepth) throw JinjaError("value nested too deeply for tojson");
    ChargeWork(1);
    if (out.size() > kMaxStringBytes) throw JinjaError("tojson output larger than the limit");
    switch (v.kind()) {
      case Value::Kind::kNone: out += "null"; return;
      case Value::Kind::kBool: out += v.bool_value() ? "true" : "false"; return;
      case Value::Kind::kInt: out += std::to_string(v.int_value()); return;
      case Value::Kind::kFloat: {
        double d = v.float_value();
        if (std::isnan(d)) out += "NaN";
        else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
        else out += PyFloatRepr(d);
        return;
      }
      case Value::Kind::kString: JsonString(v.str(), out, opt.ensure_ascii); return;
      case Value::Kind::kList: {
        const auto& items = v.list();
        if (items.empty()) { out += "[]"; return; }
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) out += item_sep();
          if (pretty()) Newline(level + 1);
          Write(items[i], level + 1);
        }
        if (pretty()) Newline(level);
        out += ']';
        return;
      }
      case Value::Kind::kDict: {
        const auto& d = v.dict();
        if (d.items.empty()) { out += "{}"; return; }
        std::vector<std::pair<std::string, const Value*>> entries;
        for (const auto& [k, val] : d.items) entries.emplace_back(JsonKey(k), &val);
        if (opt.sort_keys) {
          std::stable_sort(entries.begin(), entries.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
        }
        out += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i) out += item_sep();
          if (pretty()) Newline(level + 1);
          JsonString(entries[i].first, out, opt.ensure_ascii);
          out += opt.key_separator;
          Write(*entries[i].second, level + 1);
        }
        if (pretty()) Newline(level);
        out += '}';
        return;
      }
      default:
        throw JinjaError("Object of type " + v.TypeName() + " is not JSON serializable");
    }
  }
};

}  // namespace

std::string ToJson(const Value& v, const JsonOptions& options) {
  JsonWriter w{options, {}};
  w.Write(v, 0);
  return std::move(w.out);
}

}  // namespace fw::jinja
