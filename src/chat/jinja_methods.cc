// Python's str / dict / list methods as templates call them (message.content.strip(),
// tool.items(), ...), plus the argument helpers the builtins share.
#include <algorithm>
#include <cstdio>

#include "chat/jinja_builtins.h"
#include "chat/jinja_unicode.h"

namespace fw::jinja {

ArgReader::ArgReader(const CallArgs& args, const std::string& fn, std::initializer_list<const char*> names)
    : fn_(fn) {
  for (const char* n : names) names_.emplace_back(n);
  bound_.assign(names_.size(), nullptr);
  if (args.positional.size() > names_.size()) {
    throw JinjaError(fn_ + "() takes at most " + std::to_string(names_.size()) + " arguments (" +
                     std::to_string(args.positional.size()) + " given)");
  }
  for (size_t i = 0; i < args.positional.size(); ++i) bound_[i] = &args.positional[i];
  for (const auto& [k, v] : args.keyword) {
    auto it = std::find(names_.begin(), names_.end(), k);
    if (it == names_.end()) throw JinjaError(fn_ + "() got an unexpected keyword argument '" + k + "'");
    size_t i = static_cast<size_t>(it - names_.begin());
    if (bound_[i]) throw JinjaError(fn_ + "() got multiple values for argument '" + k + "'");
    bound_[i] = &v;
  }
}

const Value& ArgReader::Require(size_t i) const {
  const Value* v = Get(i);
  if (!v) throw JinjaError(fn_ + "() missing required argument '" + names_[i] + "'");
  return *v;
}

int64_t ToInt(const Value& v, const char* what) {
  if (v.is_int() || v.is_bool()) return v.int_value();
  if (v.is_undefined()) ThrowUndefined(v);
  throw JinjaError(std::string(what) + ": '" + v.TypeName() + "' object cannot be interpreted as an integer");
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::u32string u = DecodeUtf8(s);
  std::u32string cur;
  for (size_t i = 0; i < u.size(); ++i) {
    char32_t c = u[i];
    bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
               c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) { cur += c; continue; }
    if (c == '\r' && i + 1 < u.size() && u[i + 1] == '\n') ++i;
    lines.push_back(EncodeUtf8(cur));
    cur.clear();
  }
  if (!cur.empty()) lines.push_back(EncodeUtf8(cur));
  return lines;
}

std::string PercentFormat(const std::string& fmt, const Value& args) {
  std::vector<Value> values;
  const Value* mapping = nullptr;
  if (args.is_tuple()) values = args.list();
  else if (args.is_dict()) mapping = &args;
  else values.push_back(args);
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') { out += fmt[i]; continue; }
    if (++i >= fmt.size()) throw JinjaError("incomplete format");
    if (fmt[i] == '%') { out += '%'; continue; }
    const Value* arg = nullptr;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos || !mapping) throw JinjaError("format requires a mapping");
      arg = mapping->dict().Find(Value::String(fmt.substr(i + 1, close - i - 1)));
      if (!arg) throw JinjaError("KeyError in format: " + fmt.substr(i + 1, close - i - 1));
      i = close + 1;
      if (i >= fmt.size()) throw JinjaError("incomplete format");
    }
    std::string spec = "%";
    while (i < fmt.size() && std::string("-+ #0123456789.").find(fmt[i]) != std::string::npos) {
      spec += fmt[i++];
    }
    if (i >= fmt.size() || spec.size() > 20) throw JinjaError("incomplete format");
    char conv = fmt[i];
    if (!arg) {
      if (mapping) arg = mapping;
      else if (next < values.size()) arg = &values[next++];
      else throw JinjaError("not enough arguments for format string");
    }
    char buf[512];
    switch (conv) {
      case 's': case 'r': case 'a': {
        std::string text = conv == 's' ? ToStr(*arg) : Repr(*arg);
        if (spec == "%") { out += text; break; }
        std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), text.c_str());
        out += buf;
        break;
      }
      case 'd': case 'i': case 'u': {
        if (!arg->is_number()) throw JinjaError("%d format: a real number is required, not " + arg->TypeName());
        long long v = arg->is_float() ? static_cast<long long>(arg->float_value()) : arg->int_value();
        std::snprintf(buf, sizeof(buf), (spec + "lld").c_str(), v);
        out += buf;
        break;
      }
      case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
        if (!arg->is_number()) throw JinjaError("must be real number, not " + arg->TypeName());
        std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), arg->AsDouble());
        out += buf;
        break;
      }
      case 'x': case 'X': case 'o': {
        if (!arg->is_int() && !arg->is_bool()) throw JinjaError("%x format: an integer is required");
        std::snprintf(buf, sizeof(buf), (spec + "ll" + conv).c_str(), static_cast<long long>(arg->int_value()));
        out += buf;
        break;
      }
      default: throw JinjaError(std::string("unsupported format character '") + conv + "'");
    }
    if (out.size() > kMaxStringBytes) throw JinjaError("formatted string longer than the limit");
  }
  if (!mapping && next < values.size()) throw JinjaError("not all arguments converted during string formatting");
  return out;
}

namespace {

const std::string& StrArg(const Value& v, const char* fn) {
  if (!v.is_string()) throw JinjaError(std::string(fn) + "() argument must be str, not " + v.TypeName());
  return v.str();
}

// str.split / str.rsplit with Python's whitespace and separator rules.
Value Split(const std::string& s, const Value* sep_v, int64_t maxsplit, bool from_right) {
  std::vector<std::string> parts;
  if (!sep_v || sep_v->is_none()) {
    std::u32string u = DecodeUtf8(s);
    std::vector<std::u32string> words;
    if (!from_right) {
      size_t i = 0;
      while (i < u.size()) {
        while (i < u.size() && IsPySpace(u[i])) ++i;
        if (i >= u.size()) break;
        if (maxsplit >= 0 && static_cast<int64_t>(words.size()) >= maxsplit) {
          size_t e = u.size();
          while (e > i && IsPySpace(u[e - 1])) --e;
          words.push_back(u.substr(i, e - i));
          break;
        }
        size_t j = i;
        while (j < u.size() && !IsPySpace(u[j])) ++j;
        words.push_back(u.substr(i, j - i));
        i = j;
      }
    } else {
      size_t e = u.size();
      while (e > 0) {
        while (e > 0 && IsPySpace(u[e - 1])) --e;
        if (e == 0) break;
        if (maxsplit >= 0 && static_cast<int64_t>(words.size()) >= maxsplit) {
          size_t b = 0;
          while (b < e && IsPySpace(u[b])) ++b;
          words.push_back(u.substr(b, e - b));
          break;
        }
        size_t j = e;
        while (j > 0 && !IsPySpace(u[j - 1])) --j;
        words.push_back(u.substr(j, e - j));
        e = j;
      }
      std::reverse(words.begin(), words.end());
    }
    for (auto& w : words) parts.push_back(EncodeUtf8(w));
  } else {
    const std::string& sep = StrArg(*sep_v, "split");
    if (sep.empty()) throw JinjaError("empty separator");
    if (!from_right) {
      size_t start = 0;
      while (true) {
        if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) break;
        size_t at = s.find(sep, start);
        if (at == std::string::npos) break;
        parts.push_back(s.substr(start, at - start));
        start = at + sep.size();
      }
      parts.push_back(s.substr(start));
    } else {
      size_t end = s.size();
      while (true) {
        if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) break;
        if (end < sep.size()) break;
        size_t at = s.rfind(sep, end - sep.size());
        if (at == std::string::npos) break;
        parts.push_back(s.substr(at + sep.size(), end - at - sep.size()));
        end = at;
      }
      parts.push_back(s.substr(0, end));
      std::reverse(parts.begin(), parts.end());
    }
  }
  std::vector<Value> out;
  for (auto& p : parts) out.push_back(Value::String(std::move(p)));
  return Value::MakeList(std::move(out));
}

std::string Replace(const std::string& s, const std::string& old, const std::string& rep, int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts rep before every code point and at the end.
    std::u32string u = DecodeUtf8(s);
    int64_t done = 0;
    for (char32_t c : u) {
      if (count < 0 || done < count) { out += rep; ++done; }
      AppendUtf8(c, out);
      if (out.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    }
    if (count < 0 || done < count) out += rep;
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t at = s.find(old, start);
    if (at == std::string::npos) break;
    out.append(s, start, at - start);
    out += rep;
    if (out.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    start = at + old.size();
    ++done;
  }
  out.append(s, start, std::string::npos);
  return out;
}

bool AffixMatch(const std::string& s, const Value& affix, bool prefix) {
  auto one = [&](const Value& a) {
    const std::string& x = StrArg(a, prefix ? "startswith" : "endswith");
    if (x.size() > s.size()) return false;
    return prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (affix.is_tuple()) {
    for (const auto& a : affix.list()) if (one(a)) return true;
    return false;
  }
  return one(affix);
}

// str.format with {} / {0} / {name} fields (no format specs beyond plain conversion).
std::string StrFormat(const std::string& fmt, CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') { out += '{'; ++i; continue; }
    if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') { out += '}'; ++i; continue; }
    if (c == '}') throw JinjaError("Single '}' encountered in format string");
    if (c != '{') { out += c; continue; }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) throw JinjaError("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    std::string spec;
    size_t colon = field.find(':');
    if (colon != std::string::npos) { spec = field.substr(colon + 1); field = field.substr(0, colon); }
    const Value* v = nullptr;
    if (field.empty()) {
      if (auto_index >= args.positional.size()) throw JinjaError("Replacement index out of range");
      v = &args.positional[auto_index++];
    } else if (std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      size_t k = field.size() > 6 ? SIZE_MAX : std::stoul(field);
      if (k >= args.positional.size()) throw JinjaError("Replacement index out of range");
      v = &args.positional[k];
    } else {
      v = args.Kw(field);
      if (!v) throw JinjaError("KeyError: '" + field + "'");
    }
    if (!spec.empty()) throw JinjaError("format specs in str.format are not supported");
    out += ToStr(*v);
    if (out.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    i = close;
  }
  return out;
}

std::string Pad(const std::string& s, int64_t width, const std::string& fill, int where) {
  // where: -1 ljust, 0 center, 1 rjust (Python's centering puts the extra space right
  // when the padding is odd and the string length is even... as str.center does).
  int64_t n = static_cast<int64_t>(Utf8Length(s));
  if (width <= n) return s;
  if (width > static_cast<int64_t>(kMaxStringBytes)) throw JinjaError("string longer than the limit");
  int64_t pad = width - n;
  int64_t left = where < 0 ? 0 : where > 0 ? pad : pad / 2 + (pad & width & 1);
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < pad - left; ++i) out += fill;
  return out;
}

Value StrMethod(const std::string& s, const std::string& name, CallArgs& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ArgReader r(args, name, {"chars"});
    const Value* chars = r.Get(0);
    const std::string* cs = (chars && !chars->is_none()) ? &StrArg(*chars, name.c_str()) : nullptr;
    return Value::String(PyStrip(s, cs, name != "rstrip", name != "lstrip"));
  }
  if (name == "upper") return Value::String(PyUpper(s));
  if (name == "lower") return Value::String(PyLower(s));
  if (name == "title") return Value::String(PyTitle(s));
  if (name == "capitalize") return Value::String(PyCapitalize(s));
  if (name == "swapcase") {
    std::u32string u = DecodeUtf8(s);
    for (auto& c : u) c = IsUpperCp(c) ? ToLowerCp(c) : ToUpperCp(c);
    return Value::String(EncodeUtf8(u));
  }
  if (name == "startswith" || name == "endswith") {
    ArgReader r(args, name, {"prefix"});
    return Value::Bool(AffixMatch(s, r.Require(0), name == "startswith"));
  }
  if (name == "split" || name == "rsplit") {
    ArgReader r(args, name, {"sep", "maxsplit"});
    int64_t maxsplit = r.Get(1) ? ToInt(*r.Get(1), "maxsplit") : -1;
    return Split(s, r.Get(0), maxsplit, name == "rsplit");
  }
  if (name == "splitlines") {
    std::vector<Value> out;
    for (auto& l : SplitLines(s)) out.push_back(Value::String(std::move(l)));
    return Value::MakeList(std::move(out));
  }
  if (name == "join") {
    ArgReader r(args, name, {"iterable"});
    std::string out;
    bool first = true;
    for (const Value& item : Iterate(r.Require(0))) {
      if (!item.is_string()) throw JinjaError("sequence item: expected str instance, " + item.TypeName() + " found");
      if (!first) out += s;
      first = false;
      out += item.str();
      if (out.size() > kMaxStringBytes) throw JinjaError("string longer than the limit");
    }
    return Value::String(std::move(out));
  }
  if (name == "replace") {
    ArgReader r(args, name, {"old", "new", "count"});
    int64_t count = r.Get(2) ? ToInt(*r.Get(2), "count") : -1;
    return Value::String(Replace(s, StrArg(r.Require(0), "replace"), StrArg(r.Require(1), "replace"), count));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    ArgReader r(args, name, {"sub"});
    const std::string& sub = StrArg(r.Require(0), name.c_str());
    if (name == "count") {
      if (sub.empty()) return Value::Int(static_cast<int64_t>(Utf8Length(s)) + 1);
      int64_t n = 0;
      for (size_t at = s.find(sub); at != std::string::npos; at = s.find(sub, at + sub.size())) ++n;
      return Value::Int(n);
    }
    size_t at = (name == "find" || name == "index") ? s.find(sub) : s.rfind(sub);
    if (at == std::string::npos) {
      if (name == "index" || name == "rindex") throw JinjaError("substring not found");
      return Value::Int(-1);
    }
    return Value::Int(static_cast<int64_t>(Utf8Length(s.substr(0, at))));
  }
  if (name == "format") return Value::String(StrFormat(s, args));
  if (name == "ljust" || name == "rjust" || name == "center") {
    ArgReader r(args, name, {"width", "fillchar"});
    std::string fill = r.Get(1) ? StrArg(*r.Get(1), name.c_str()) : " ";
    if (Utf8Length(fill) != 1) throw JinjaError("The fill character must be exactly one character long");
    return Value::String(Pad(s, ToInt(r.Require(0), name.c_str()), fill, name == "ljust" ? -1 : name == "rjust" ? 1 : 0));
  }
  if (name == "zfill") {
    ArgReader r(args, name, {"width"});
    int64_t width = ToInt(r.Require(0), "zfill");
    int64_t n = static_cast<int64_t>(Utf8Length(s));
    if (width <= n) return Value::String(s);
    if (width > static_cast<int64_t>(kMaxStringBytes)) throw JinjaError("string longer than the limit");
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return Value::String(s.substr(0, sign) + std::string(static_cast<size_t>(width - n), '0') + s.substr(sign));
  }
  auto all_of = [&](auto pred) {
    std::u32string u = DecodeUtf8(s);
    if (u.empty()) return false;
    for (char32_t c : u) if (!pred(c)) return false;
    return true;
  };
  if (name == "isspace") return Value::Bool(all_of([](char32_t c) { return IsPySpace(c); }));
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
    return Value::Bool(all_of([](char32_t c) { return c >= '0' && c <= '9'; }));
  }
  if (name == "isalpha") return Value::Bool(all_of([](char32_t c) { return IsCased(c) || c > 0x2E7F; }));
  if (name == "isalnum") {
    return Value::Bool(all_of([](char32_t c) { return IsCased(c) || (c >= '0' && c <= '9') || c > 0x2E7F; }));
  }
  if (name == "isupper" || name == "islower") {
    std::u32string u = DecodeUtf8(s);
    bool any_cased = false;
    for (char32_t c : u) {
      if (!IsCased(c)) continue;
      any_cased = true;
      if (name == "isupper" ? IsLowerCp(c) : IsUpperCp(c)) return Value::Bool(false);
    }
    return Value::Bool(any_cased);
  }
  throw JinjaError("'str' object has no attribute '" + name + "'");
}

bool IsStrMethod(const std::string& n) {
  static const char* kNames[] = {"strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "swapcase",
                                 "startswith", "endswith", "split", "rsplit", "splitlines", "join", "replace",
                                 "find", "rfind", "index", "rindex", "count", "format", "ljust", "rjust",
                                 "center", "zfill", "isspace", "isdigit", "isnumeric", "isdecimal", "isalpha",
                                 "isalnum", "isupper", "islower"};
  for (const char* k : kNames) if (n == k) return true;
  return false;
}

Value ItemsList(const Dict& d) {
  std::vector<Value> out;
  for (const auto& [k, v] : d.items) out.push_back(Value::MakeList({k, v}, true));
  return Value::MakeList(std::move(out));
}

[[noreturn]] void ThrowUnsafe(const std::string& name, const char* type) {
  throw JinjaError("access to attribute '" + name + "' of '" + type + "' object is unsafe.");
}

}  // namespace

Value GetMethod(const Value& obj, const std::string& name) {
  if (obj.is_string()) {
    if (!IsStrMethod(name)) return Value::Undefined();
    std::string s = obj.str();
    return Value::MakeCallable(name, [s, name](Interpreter&, CallArgs& args) { return StrMethod(s, name, args); });
  }
  if (obj.is_dict()) {
    auto d = obj.dict_ptr();
    if (name == "items" || name == "keys" || name == "values" || name == "get" || name == "copy") {
      return Value::MakeCallable(name, [d, name](Interpreter&, CallArgs& args) -> Value {
        if (name == "get") {
          ArgReader r(args, "get", {"key", "default"});
          const Value* v = d->Find(r.Require(0));
          return v ? *v : r.GetOr(1, Value::None());
        }
        ArgReader r(args, name, {});
        if (name == "items") return ItemsList(*d);
        if (name == "copy") return Value::MakeDict(std::make_shared<Dict>(*d));
        std::vector<Value> out;
        for (const auto& [k, v] : d->items) out.push_back(name == "keys" ? k : v);
        return Value::MakeList(std::move(out));
      });
    }
    static const char* kMutators[] = {"clear", "pop", "popitem", "setdefault", "update"};
    for (const char* m : kMutators) {
      if (name == m) {
        return Value::MakeCallable(name, [name](Interpreter&, CallArgs&) -> Value { ThrowUnsafe(name, "dict"); });
      }
    }
    return Value::Undefined();
  }
  if (obj.is_list()) {
    const char* type = obj.is_tuple() ? "tuple" : "list";
    Value self = obj;
    if (name == "index" || name == "count") {
      return Value::MakeCallable(name, [self, name](Interpreter&, CallArgs& args) -> Value {
        ArgReader r(args, name, {"value"});
        const Value& x = r.Require(0);
        int64_t n = 0;
        for (size_t i = 0; i < self.list().size(); ++i) {
          if (ValuesEqual(self.list()[i], x)) {
            if (name == "index") return Value::Int(static_cast<int64_t>(i));
            ++n;
          }
        }
        if (name == "index") throw JinjaError(Repr(x) + " is not in list");
        return Value::Int(n);
      });
    }
    if (!obj.is_tuple()) {
      static const char* kMutators[] = {"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"};
      for (const char* m : kMutators) {
        if (name == m) {
          return Value::MakeCallable(name, [name, type](Interpreter&, CallArgs&) -> Value { ThrowUnsafe(name, type); });
        }
      }
    }
    return Value::Undefined();
  }
  return Value::Undefined();
}

}  // namespace fw::jinja
