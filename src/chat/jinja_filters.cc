// Jinja2's builtin filters (jinja2/filters.py semantics), with tojson replaced by the one
// transformers installs: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False) — no HTML escaping. Filters that return generators in Jinja2 (map,
// select, reverse, ...) return lists here; they iterate, join and print the same way
// except that a bare generator would print as "<generator object>".
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "chat/jinja_builtins.h"
#include "chat/jinja_unicode.h"

namespace fw::jinja {

namespace {

std::string S(const Value& v) { return ToStr(v); }

Value Str(std::string s) { return Value::String(std::move(s)); }

// For attribute="a.b" / map(attribute=...): dotted lookups, integer parts index.
Value AttrPath(Interpreter& in, const Value& item, const std::string& path) {
  Value cur = item;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && part.size() < 10) cur = in.GetItem(cur, Value::Int(std::stoll(part)));
    else cur = in.GetItem(cur, Value::String(part));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

// Sort key helper: case-insensitive strings unless case_sensitive.
Value SortKey(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::String(PyLower(v.str()));
  return v;
}

void StableSort(std::vector<Value>& items, const std::vector<Value>& keys, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return reverse ? ValueLess(keys[b], keys[a]) : ValueLess(keys[a], keys[b]);
  });
  std::vector<Value> sorted;
  for (size_t i : order) sorted.push_back(items[i]);
  items = std::move(sorted);
}

Value FTojson(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "tojson", {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonOptions o;
  o.ensure_ascii = r.GetOr(0, Value::Bool(false)).Truthy();
  if (const Value* indent = r.Get(1); indent && !indent->is_none()) {
    o.pretty = true;
    if (indent->is_string()) o.indent_unit = indent->str();
    else o.indent_unit = std::string(static_cast<size_t>(std::clamp<int64_t>(ToInt(*indent, "indent"), 0, 1024)), ' ');
  }
  if (const Value* sep = r.Get(2); sep && !sep->is_none()) {
    std::vector<Value> parts = Iterate(*sep);
    if (parts.size() != 2 || !parts[0].is_string() || !parts[1].is_string()) {
      throw JinjaError("tojson: separators must be a pair of strings");
    }
    o.custom_separators = true;
    o.item_separator = parts[0].str();
    o.key_separator = parts[1].str();
  }
  o.sort_keys = r.GetOr(3, Value::Bool(false)).Truthy();
  return Str(ToJson(v, o));
}

Value FTrim(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "trim", {"chars"});
  const Value* chars = r.Get(0);
  std::string cs;
  if (chars && !chars->is_none()) cs = S(*chars);
  return Str(PyStrip(S(v), (chars && !chars->is_none()) ? &cs : nullptr, true, true));
}

Value FUpper(Interpreter&, const Value& v, CallArgs& args) { ArgReader(args, "upper", {}); return Str(PyUpper(S(v))); }
Value FLower(Interpreter&, const Value& v, CallArgs& args) { ArgReader(args, "lower", {}); return Str(PyLower(S(v))); }
Value FCapitalize(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "capitalize", {});
  return Str(PyCapitalize(S(v)));
}

// Jinja's title: split on whitespace, '-', '(', '{', '[', '<'; upper the first char of
// each piece and lower the rest.
Value FTitle(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "title", {});
  std::u32string u = DecodeUtf8(S(v));
  auto is_sep = [](char32_t c) { return IsPySpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<'; };
  bool start = true;
  for (auto& c : u) {
    if (is_sep(c)) { start = true; continue; }
    c = start ? ToUpperCp(c) : ToLowerCp(c);
    start = false;
  }
  return Str(EncodeUtf8(u));
}

Value FLength(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "length", {});
  switch (v.kind()) {
    case Value::Kind::kUndefined: return Value::Int(0);
    case Value::Kind::kString: return Value::Int(static_cast<int64_t>(Utf8Length(v.str())));
    case Value::Kind::kList: return Value::Int(static_cast<int64_t>(v.list().size()));
    case Value::Kind::kDict: return Value::Int(static_cast<int64_t>(v.dict().items.size()));
    default: throw JinjaError("object of type '" + v.TypeName() + "' has no len()");
  }
}

Value FJoin(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "join", {"d", "attribute"});
  std::string sep = r.Get(0) ? S(*r.Get(0)) : "";
  const Value* attr = r.Get(1);
  std::string out;
  bool first = true;
  for (const Value& item : Iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += S(attr && !attr->is_none() ? AttrPath(in, item, S(*attr)) : item);
    if (out.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
  }
  return Str(std::move(out));
}

Value FDefault(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "default", {"default_value", "boolean"});
  Value def = r.GetOr(0, Str(""));
  bool boolean = r.GetOr(1, Value::Bool(false)).Truthy();
  if (v.is_undefined() || (boolean && !v.Truthy())) return def;
  return v;
}

Value FItems(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "items", {});
  if (v.is_undefined()) return Value::MakeList({});
  if (!v.is_dict()) throw JinjaError("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict().items) out.push_back(Value::MakeList({k, val}, true));
  return Value::MakeList(std::move(out));
}

// select/reject/selectattr/rejectattr share Jinja's prepare_select_or_reject.
Value SelectOrReject(Interpreter& in, const Value& v, CallArgs& args, bool lookup_attr, bool select) {
  size_t i = 0;
  std::string attr;
  if (lookup_attr) {
    if (args.positional.empty()) throw JinjaError("Missing parameter for attribute name");
    attr = S(args.positional[0]);
    i = 1;
  }
  std::string test;
  CallArgs test_args;
  bool has_test = i < args.positional.size();
  if (has_test) {
    test = S(args.positional[i]);
    test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(i + 1), args.positional.end());
    test_args.keyword = args.keyword;
  }
  std::vector<Value> out;
  for (const Value& item : Iterate(v)) {
    in.CountIteration();
    Value subject = lookup_attr ? AttrPath(in, item, attr) : item;
    bool ok;
    if (has_test) {
      CallArgs a = test_args;
      ok = in.ApplyTest(test, subject, a);
    } else {
      ok = subject.Truthy();
    }
    if (ok == select) out.push_back(item);
  }
  return Value::MakeList(std::move(out));
}

Value FSelect(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, false, true); }
Value FReject(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, false, false); }
Value FSelectAttr(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, true, true); }
Value FRejectAttr(Interpreter& in, const Value& v, CallArgs& a) { return SelectOrReject(in, v, a, true, false); }

Value FMap(Interpreter& in, const Value& v, CallArgs& args) {
  std::vector<Value> out;
  const Value* attr = args.Kw("attribute");
  if (attr) {
    const Value* def = args.Kw("default");
    for (const auto& [k, val] : args.keyword) {
      if (k != "attribute" && k != "default") throw JinjaError("Unexpected keyword argument '" + k + "'");
    }
    for (const Value& item : Iterate(v)) {
      in.CountIteration();
      Value x = AttrPath(in, item, S(*attr));
      out.push_back(x.is_undefined() && def ? *def : x);
    }
    return Value::MakeList(std::move(out));
  }
  if (args.positional.empty()) throw JinjaError("map requires a filter argument");
  std::string filter = S(args.positional[0]);
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const Value& item : Iterate(v)) {
    in.CountIteration();
    CallArgs a = rest;
    out.push_back(in.ApplyFilter(filter, item, a));
  }
  return Value::MakeList(std::move(out));
}

Value FFirst(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "first", {});
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

Value FLast(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "last", {});
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return Value::Undefined("No last item, sequence was empty.");
  return items.back();
}

Value FReplace(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "replace", {"old", "new", "count"});
  CallArgs m;
  m.positional = {Str(S(r.Require(0))), Str(S(r.Require(1)))};
  if (r.Get(2) && !r.Get(2)->is_none()) m.positional.push_back(*r.Get(2));
  Value method = GetMethod(Str(S(v)), "replace");
  return in.Call(method, m);
}

Value FString(Interpreter&, const Value& v, CallArgs& args) { ArgReader(args, "string", {}); return Str(S(v)); }

// Python int(str, base) for the strings int() accepts; false when it does not parse.
bool ParsePyInt(std::string s, int base, int64_t* out) {
  s = PyStrip(s, nullptr, true, true);
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i > 0 && i + 1 < s.size() && std::isalnum(static_cast<unsigned char>(s[i - 1])) &&
        std::isalnum(static_cast<unsigned char>(s[i + 1]))) continue;
    t += s[i];
  }
  if (t.empty()) return false;
  size_t p = 0;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') { neg = t[0] == '-'; p = 1; }
  if (base == 16 || base == 8 || base == 2 || base == 0) {
    if (t.size() > p + 1 && t[p] == '0') {
      char x = static_cast<char>(std::tolower(static_cast<unsigned char>(t[p + 1])));
      int prefixed = x == 'x' ? 16 : x == 'o' ? 8 : x == 'b' ? 2 : 0;
      if (prefixed && (base == 0 || base == prefixed)) { base = prefixed; p += 2; }
    }
    if (base == 0) base = 10;
  }
  if (p >= t.size() || base < 2 || base > 36) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str() + p, &end, base);
  if (*end != '\0' || errno == ERANGE || t[p] == '-' || t[p] == '+' || std::isspace(static_cast<unsigned char>(t[p]))) return false;
  *out = neg ? -v : v;
  return true;
}

bool ParsePyFloat(const std::string& raw, double* out) {
  std::string s = PyStrip(raw, nullptr, true, true);
  if (s.empty()) return false;
  std::string lower = PyLower(s);
  std::string body = (lower[0] == '+' || lower[0] == '-') ? lower.substr(1) : lower;
  if (body == "inf" || body == "infinity" || body == "nan") {
    double v = body == "nan" ? NAN : INFINITY;
    *out = lower[0] == '-' ? -v : v;
    return true;
  }
  for (char c : body) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' || c == '-' || c == '_')) return false;
  }
  std::string t;
  for (char c : s) if (c != '_') t += c;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

Value FInt(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "int", {"default", "base"});
  Value def = r.GetOr(0, Value::Int(0));
  int base = static_cast<int>(r.Get(1) ? ToInt(*r.Get(1), "base") : 10);
  if (v.is_undefined()) ThrowUndefined(v);
  if (v.is_string()) {
    int64_t i;
    if (ParsePyInt(v.str(), base, &i)) return Value::Int(i);
    double d;
    if (ParsePyFloat(v.str(), &d) && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value::Int(static_cast<int64_t>(d));
    return def;
  }
  if (v.is_int() || v.is_bool()) return Value::Int(v.int_value());
  if (v.is_float()) {
    double d = v.float_value();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return def;
    return Value::Int(static_cast<int64_t>(d));
  }
  return def;
}

Value FFloat(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "float", {"default"});
  Value def = r.GetOr(0, Value::Float(0.0));
  if (v.is_undefined()) ThrowUndefined(v);
  if (v.is_number()) return Value::Float(v.AsDouble());
  if (v.is_string()) {
    double d;
    if (ParsePyFloat(v.str(), &d)) return Value::Float(d);
  }
  return def;
}

Value FList(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "list", {});
  return Value::MakeList(Iterate(v));
}

Value FUnique(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "unique", {"case_sensitive", "attribute"});
  bool cs = r.GetOr(0, Value::Bool(false)).Truthy();
  const Value* attr = r.Get(1);
  std::vector<Value> out, seen;
  for (const Value& item : Iterate(v)) {
    in.CountIteration();
    Value key = SortKey(attr && !attr->is_none() ? AttrPath(in, item, S(*attr)) : item, cs);
    bool dup = false;
    for (const Value& s : seen) if (ValuesEqual(s, key)) { dup = true; break; }
    if (!dup) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::MakeList(std::move(out));
}

// Jinja's indent(s, width=4, first=False, blank=False).
Value FIndent(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "indent", {"width", "first", "blank"});
  Value width = r.GetOr(0, Value::Int(4));
  std::string ind = width.is_string() ? width.str()
                                      : std::string(static_cast<size_t>(std::clamp<int64_t>(ToInt(width, "indent"), 0, 1 << 16)), ' ');
  bool first = r.GetOr(1, Value::Bool(false)).Truthy();
  bool blank = r.GetOr(2, Value::Bool(false)).Truthy();
  if (v.is_undefined()) ThrowUndefined(v);  // Jinja2 appends "\n" to the raw value
  if (!v.is_string()) throw JinjaError("indent: '" + v.TypeName() + "' object has no attribute 'splitlines'");
  std::string s = v.str() + "\n";
  std::vector<std::string> lines = SplitLines(s);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + ind;
      rv += lines[i];
      if (rv.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    }
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      rv += "\n";
      if (!lines[i].empty()) rv += ind;
      rv += lines[i];
      if (rv.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    }
  }
  if (first) rv = ind + rv;
  return Str(std::move(rv));
}

Value FSafe(Interpreter&, const Value& v, CallArgs& args) { ArgReader(args, "safe", {}); return Str(S(v)); }

Value FEscape(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "escape", {});
  std::string out;
  for (char c : S(v)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Str(std::move(out));
}

Value FAbs(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "abs", {});
  if (v.is_float()) return Value::Float(std::fabs(v.float_value()));
  if (v.is_int() || v.is_bool()) {
    if (v.int_value() == INT64_MIN) return Value::Float(-v.AsDouble());
    return Value::Int(v.int_value() < 0 ? -v.int_value() : v.int_value());
  }
  if (v.is_undefined()) ThrowUndefined(v);
  throw JinjaError("bad operand type for abs(): '" + v.TypeName() + "'");
}

// Python's round(x, n): correctly rounded, ties to even (glibc printf rounds exactly).
double PyRound(double x, int64_t precision) {
  if (!std::isfinite(x)) return x;
  if (precision > 300) return x;
  if (precision < 0) {
    double p = std::pow(10.0, static_cast<double>(-precision));
    return std::nearbyint(x / p) * p;
  }
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(precision), x);
  return std::strtod(buf, nullptr);
}

Value FRound(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "round", {"precision", "method"});
  int64_t precision = r.Get(0) ? ToInt(*r.Get(0), "round") : 0;
  std::string method = r.Get(1) ? S(*r.Get(1)) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    throw JinjaError("method must be common, ceil or floor");
  }
  if (!v.is_number()) {
    if (v.is_undefined()) ThrowUndefined(v);
    throw JinjaError("type " + v.TypeName() + " doesn't define __round__ method");
  }
  if (method == "common") {
    if (!v.is_float()) {
      if (precision >= 0) return Value::Int(v.int_value());
      if (precision < -18) return Value::Int(0);
      int64_t unit = 1;
      for (int64_t i = 0; i < -precision; ++i) unit *= 10;
      int64_t x = v.int_value();
      int64_t q = x / unit, r = x % unit;
      if (r < 0) { r += unit; --q; }  // floor division
      if (2 * r > unit || (2 * r == unit && (q & 1))) ++q;  // ties to even
      int64_t out;
      if (__builtin_mul_overflow(q, unit, &out)) return Value::Float(static_cast<double>(q) * static_cast<double>(unit));
      return Value::Int(out);
    }
    return Value::Float(PyRound(v.float_value(), precision));
  }
  double p = std::pow(10.0, static_cast<double>(precision));
  double x = v.AsDouble() * p;
  return Value::Float((method == "ceil" ? std::ceil(x) : std::floor(x)) / p);
}

Value FSort(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "sort", {"reverse", "case_sensitive", "attribute"});
  bool reverse = r.GetOr(0, Value::Bool(false)).Truthy();
  bool cs = r.GetOr(1, Value::Bool(false)).Truthy();
  const Value* attr = r.Get(2);
  std::vector<Value> items = Iterate(v);
  std::vector<Value> keys;
  for (const auto& item : items) {
    in.CountIteration();
    keys.push_back(SortKey(attr && !attr->is_none() ? AttrPath(in, item, S(*attr)) : item, cs));
  }
  StableSort(items, keys, reverse);
  return Value::MakeList(std::move(items));
}

Value FDictsort(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "dictsort", {"case_sensitive", "by", "reverse"});
  bool cs = r.GetOr(0, Value::Bool(false)).Truthy();
  std::string by = r.Get(1) ? S(*r.Get(1)) : "key";
  bool reverse = r.GetOr(2, Value::Bool(false)).Truthy();
  if (!v.is_dict()) throw JinjaError("dictsort: expected a mapping");
  if (by != "key" && by != "value") throw JinjaError("You can only sort by either \"key\" or \"value\"");
  std::vector<Value> items, keys;
  for (const auto& [k, val] : v.dict().items) {
    in.CountIteration();
    items.push_back(Value::MakeList({k, val}, true));
    keys.push_back(SortKey(by == "key" ? k : val, cs));
  }
  StableSort(items, keys, reverse);
  return Value::MakeList(std::move(items));
}

Value FReverse(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "reverse", {});
  if (v.is_string()) {
    std::u32string u = DecodeUtf8(v.str());
    std::reverse(u.begin(), u.end());
    return Str(EncodeUtf8(u));
  }
  std::vector<Value> items = Iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::MakeList(std::move(items));
}

Value FWordcount(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader(args, "wordcount", {});
  // re.findall(r"\w+"): runs of letters, digits and underscore.
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : DecodeUtf8(S(v))) {
    bool w = (c >= '0' && c <= '9') || c == '_' || IsCased(c) || (c > 0x7F && !IsPySpace(c) && c != 0xA0 &&
                                                                  !(c >= 0x2000 && c <= 0x206F) && !(c >= 0x3000 && c <= 0x303F));
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::Int(n);
}

Value FCenter(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "center", {"width"});
  CallArgs m;
  m.positional = {r.GetOr(0, Value::Int(80))};
  return in.Call(GetMethod(Str(S(v)), "center"), m);
}

Value FBatch(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "batch", {"linecount", "fill_with"});
  int64_t n = ToInt(r.Require(0), "batch");
  if (n <= 0) throw JinjaError("batch: linecount must be positive");
  const Value* fill = r.Get(1);
  std::vector<Value> out, cur;
  for (const Value& item : Iterate(v)) {
    cur.push_back(item);
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value::MakeList(std::move(cur)));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    if (fill && !fill->is_none()) while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*fill);
    out.push_back(Value::MakeList(std::move(cur)));
  }
  return Value::MakeList(std::move(out));
}

Value FSum(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "sum", {"attribute", "start"});
  const Value* attr = r.Get(0);
  Value total = r.GetOr(1, Value::Int(0));
  for (const Value& item : Iterate(v)) {
    Value x = attr && !attr->is_none() ? AttrPath(in, item, S(*attr)) : item;
    if (!total.is_number() || !x.is_number()) throw JinjaError("sum: unsupported operand types");
    if (total.is_float() || x.is_float()) total = Value::Float(total.AsDouble() + x.AsDouble());
    else total = Value::Int(total.int_value() + x.int_value());
  }
  return total;
}

Value MinMax(Interpreter& in, const Value& v, CallArgs& args, bool want_max) {
  ArgReader r(args, want_max ? "max" : "min", {"case_sensitive", "attribute"});
  bool cs = r.GetOr(0, Value::Bool(false)).Truthy();
  const Value* attr = r.Get(1);
  std::vector<Value> items = Iterate(v);
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  Value best_key;
  for (size_t i = 0; i < items.size(); ++i) {
    Value key = SortKey(attr && !attr->is_none() ? AttrPath(in, items[i], S(*attr)) : items[i], cs);
    if (i == 0 || (want_max ? ValueLess(best_key, key) : ValueLess(key, best_key))) {
      best = i;
      best_key = key;
    }
  }
  return items[best];
}
Value FMin(Interpreter& in, const Value& v, CallArgs& a) { return MinMax(in, v, a, false); }
Value FMax(Interpreter& in, const Value& v, CallArgs& a) { return MinMax(in, v, a, true); }

Value FAttr(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "attr", {"name"});
  std::string name = S(r.Require(0));
  if (v.is_dict()) {
    Value m = GetMethod(v, name);
    return m.is_undefined() ? Value::Undefined("'dict object' has no attribute '" + name + "'") : m;
  }
  return in.GetAttr(v, name);
}

Value FFormat(Interpreter&, const Value& v, CallArgs& args) {
  if (!args.keyword.empty() && !args.positional.empty()) {
    throw JinjaError("can't handle positional and keyword arguments at the same time");
  }
  if (!args.keyword.empty()) {
    auto d = std::make_shared<Dict>();
    for (auto& [k, x] : args.keyword) d->Set(Value::String(k), x);
    return Str(PercentFormat(S(v), Value::MakeDict(d)));
  }
  return Str(PercentFormat(S(v), Value::MakeList(args.positional, true)));
}

Value FTruncate(Interpreter&, const Value& v, CallArgs& args) {
  ArgReader r(args, "truncate", {"length", "killwords", "end", "leeway"});
  int64_t length = r.Get(0) ? ToInt(*r.Get(0), "truncate") : 255;
  bool killwords = r.GetOr(1, Value::Bool(false)).Truthy();
  std::string end = r.Get(2) ? S(*r.Get(2)) : "...";
  int64_t leeway = r.Get(3) && !r.Get(3)->is_none() ? ToInt(*r.Get(3), "truncate") : 5;
  if (v.is_undefined()) return v;
  if (!v.is_string()) throw JinjaError("object of type '" + v.TypeName() + "' has no len()");
  std::u32string s = DecodeUtf8(S(v));
  std::u32string e = DecodeUtf8(end);
  if (length < static_cast<int64_t>(e.size())) throw JinjaError("expected length >= " + std::to_string(e.size()));
  if (leeway < 0) throw JinjaError("expected leeway >= 0");
  if (static_cast<int64_t>(s.size()) <= length + leeway) return Str(S(v));
  size_t keep = static_cast<size_t>(length) - e.size();
  if (killwords) return Str(EncodeUtf8(s.substr(0, keep)) + end);
  std::u32string cut = s.substr(0, keep);
  size_t sp = cut.rfind(U' ');
  if (sp != std::u32string::npos) cut = cut.substr(0, sp);
  return Str(EncodeUtf8(cut) + end);
}

// groupby(attribute, default=None, case_sensitive=False): sorted (grouper, items) tuples.
Value FGroupby(Interpreter& in, const Value& v, CallArgs& args) {
  ArgReader r(args, "groupby", {"attribute", "default", "case_sensitive"});
  std::string attr = S(r.Require(0));
  const Value* def = r.Get(1);
  bool cs = r.GetOr(2, Value::Bool(false)).Truthy();
  std::vector<Value> items = Iterate(v);
  std::vector<Value> keys, sort_keys;
  for (const auto& item : items) {
    in.CountIteration();
    Value k = AttrPath(in, item, attr);
    if (k.is_undefined() && def) k = *def;
    keys.push_back(k);
    sort_keys.push_back(SortKey(k, cs));
  }
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ValueLess(sort_keys[a], sort_keys[b]); });
  std::vector<Value> groups;
  std::vector<Value> cur;
  for (size_t n = 0; n < order.size(); ++n) {
    size_t i = order[n];
    cur.push_back(items[i]);
    bool last = n + 1 == order.size() || !ValuesEqual(sort_keys[order[n + 1]], sort_keys[i]);
    if (last) {
      groups.push_back(Value::MakeList({cs ? keys[i] : keys[order[n + 1 - cur.size()]], Value::MakeList(std::move(cur))}, true));
      cur.clear();
    }
  }
  return Value::MakeList(std::move(groups));
}

const std::unordered_map<std::string, FilterFn>& Filters() {
  static const auto* table = new std::unordered_map<std::string, FilterFn>{
      {"tojson", FTojson},       {"trim", FTrim},         {"upper", FUpper},
      {"lower", FLower},         {"capitalize", FCapitalize}, {"title", FTitle},
      {"length", FLength},       {"count", FLength},      {"join", FJoin},
      {"default", FDefault},     {"d", FDefault},         {"items", FItems},
      {"select", FSelect},       {"reject", FReject},     {"selectattr", FSelectAttr},
      {"rejectattr", FRejectAttr}, {"map", FMap},         {"first", FFirst},
      {"last", FLast},           {"replace", FReplace},   {"string", FString},
      {"int", FInt},             {"float", FFloat},       {"list", FList},
      {"unique", FUnique},       {"indent", FIndent},     {"safe", FSafe},
      {"e", FEscape},            {"escape", FEscape},     {"forceescape", FEscape},
      {"abs", FAbs},             {"round", FRound},       {"sort", FSort},
      {"dictsort", FDictsort},   {"reverse", FReverse},   {"wordcount", FWordcount},
      {"center", FCenter},       {"batch", FBatch},       {"sum", FSum},
      {"min", FMin},             {"max", FMax},           {"attr", FAttr},
      {"format", FFormat},       {"truncate", FTruncate},   {"groupby", FGroupby},
  };
  return *table;
}

}  // namespace

FilterFn FindFilter(const std::string& name) {
  const auto& t = Filters();
  auto it = t.find(name);
  return it == t.end() ? nullptr : it->second;
}

}  // namespace fw::jinja
