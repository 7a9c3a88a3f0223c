// ChatTemplate: parse once, render per request (see chat_template.h).
#include "chat/chat_template.h"

#include <cmath>

#include "chat/jinja_interpreter.h"
#include "chat/jinja_parser.h"

namespace fw {

namespace {

// The context key that pins strftime_now()'s clock (Unix seconds, UTC); not a variable.
constexpr const char* kClockKey = "strftime_now_time";

template <typename Json>
jinja::Value ToValue(const Json& j, int depth) {
  using jinja::Value;
  if (depth > jinja::kMaxValueDepth) throw jinja::JinjaError("context JSON nested too deeply");
  switch (j.type()) {
    case Json::value_t::null: return Value::None();
    case Json::value_t::boolean: return Value::Bool(j.template get<bool>());
    case Json::value_t::number_integer: return Value::Int(j.template get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value::Float(static_cast<double>(u));
      return Value::Int(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float: return Value::Float(j.template get<double>());
    case Json::value_t::string: return Value::String(j.template get<std::string>());
    case Json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& x : j) items.push_back(ToValue(x, depth + 1));
      return Value::MakeList(std::move(items));
    }
    case Json::value_t::object: {
      auto d = std::make_shared<jinja::Dict>();
      for (auto it = j.begin(); it != j.end(); ++it) {
        d->Set(Value::String(it.key()), ToValue(it.value(), depth + 1));
      }
      return Value::MakeDict(std::move(d));
    }
    default: return Value::None();  // binary / discarded: not produced by JSON text
  }
}

template <typename Json>
Result<std::string> RenderJson(const jinja::Template& ast, const Json& context) {
  if (!context.is_object()) return Status::Error("chat template context must be a JSON object");
  jinja::RenderLimits limits;
  std::optional<int64_t> now;
  int line = 0;
  try {
    Json vars = context;
    if (auto it = vars.find(kClockKey); it != vars.end()) {
      if (!it->is_number()) return Status::Error(std::string(kClockKey) + " must be a number");
      now = static_cast<int64_t>(std::floor(it->template get<double>()));
      vars.erase(it);
    }
    jinja::Value ctx = ToValue(vars, 0);
    jinja::Interpreter interp(ast, limits, now);
    try {
      return interp.Render(ctx);
    } catch (const jinja::RaisedError&) {
      throw;
    } catch (const jinja::JinjaError&) {
      line = interp.line();
      throw;
    }
  } catch (const jinja::RaisedError& e) {
    return Status::Error(e.what());
  } catch (const jinja::JinjaError& e) {
    if (line > 0) return Status::Error("line " + std::to_string(line) + ": " + e.what());
    return Status::Error(e.what());
  } catch (const std::bad_alloc&) {
    return Status::Error("out of memory while rendering the chat template");
  }
}

}  // namespace

Result<ChatTemplate> ChatTemplate::Parse(const std::string& source) {
  auto ast = jinja::ParseTemplate(source);
  if (!ast.ok()) return ast.status();
  return ChatTemplate(std::move(ast).value());
}

Result<std::string> ChatTemplate::Render(const nlohmann::json& context) const {
  return RenderJson(*ast_, context);
}

Result<std::string> ChatTemplate::RenderOrdered(const nlohmann::ordered_json& context) const {
  return RenderJson(*ast_, context);
}

}  // namespace fw
