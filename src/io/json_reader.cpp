#include "io/json_reader.hpp"

#include "io/errors.hpp"
#include "io/nearest_key.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace gradflow {

using nlohmann::json;

std::string describe_json(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return fmt::format("the boolean {}", v.get<bool>());
    case json::value_t::string:
      return fmt::format("the string \"{}\"", v.get<std::string>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return fmt::format("the number {}", v.dump());
    case json::value_t::array:
      return fmt::format("an array of {} item(s)", v.size());
    case json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

JsonReader::JsonReader(const json& object, std::string file, std::string path)
    : object_(object), file_(std::move(file)), path_(std::move(path)) {
  if (!object_.is_object()) {
    throw_input_error(file_, path_, "expected an object, got " + describe_json(object_));
  }
}

std::string JsonReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void JsonReader::fail(const std::string& key, const std::string& what) const {
  // A required key is often missing because it was misspelled: point at the
  // written key that is nearest to it, if any.
  if (what.rfind("missing required key", 0) == 0) {
    for (const auto& [written, value] : object_.items()) {
      if (read_.count(written) == 0 && nearest_key(written, {key})) {
        throw_input_error(
            file_, key_path(key),
            fmt::format("{}; is \"{}\" (written here) a misspelling of it?", what, written));
      }
    }
  }
  throw_input_error(file_, key_path(key), what);
}

bool JsonReader::has(const std::string& key) const {
  read_.insert(key);
  return present(key);
}

bool JsonReader::present(const std::string& key) const {
  return object_.contains(key) && !object_.at(key).is_null();
}

const json* JsonReader::find(const std::string& key) {
  read_.insert(key);
  return present(key) ? &object_.at(key) : nullptr;
}

const json& JsonReader::require(const std::string& key, const char* expected) {
  const json* v = find(key);
  if (v == nullptr) fail(key, fmt::format("missing required key (expected {})", expected));
  return *v;
}

const json& JsonReader::raw(const std::string& key) { return require(key, "a value"); }

double JsonReader::number(const std::string& key, std::optional<double> fallback) {
  const json* v = find(key);
  double value = 0.0;
  if (v == nullptr) {
    if (!fallback) fail(key, "missing required key (expected a number)");
    value = *fallback;
  } else {
    if (!v->is_number()) fail(key, "expected a number, got " + describe_json(*v));
    value = v->get<double>();
    if (!std::isfinite(value)) fail(key, "expected a finite number");
  }
  resolved_[key] = value;
  return value;
}

double JsonReader::positive_number(const std::string& key, std::optional<double> fallback) {
  const double value = number(key, fallback);
  if (!(value > 0.0)) fail(key, fmt::format("expected a positive number, got {}", value));
  return value;
}

long JsonReader::integer(const std::string& key, std::optional<long> fallback) {
  const json* v = find(key);
  long value = 0;
  if (v == nullptr) {
    if (!fallback) fail(key, "missing required key (expected an integer)");
    value = *fallback;
  } else {
    // 1e7 written as a float is accepted when it is a whole number.
    if (!v->is_number() || std::floor(v->get<double>()) != v->get<double>() ||
        std::abs(v->get<double>()) > 9.0e15) {
      fail(key, "expected an integer, got " + describe_json(*v));
    }
    value = static_cast<long>(v->get<double>());
  }
  resolved_[key] = value;
  return value;
}

long JsonReader::positive_integer(const std::string& key, std::optional<long> fallback) {
  const long value = integer(key, fallback);
  if (value <= 0) fail(key, fmt::format("expected a positive integer, got {}", value));
  return value;
}

bool JsonReader::boolean(const std::string& key, std::optional<bool> fallback) {
  const json* v = find(key);
  bool value = false;
  if (v == nullptr) {
    if (!fallback) fail(key, "missing required key (expected true or false)");
    value = *fallback;
  } else {
    if (!v->is_boolean()) fail(key, "expected true or false, got " + describe_json(*v));
    value = v->get<bool>();
  }
  resolved_[key] = value;
  return value;
}

std::string JsonReader::string(const std::string& key, std::optional<std::string> fallback) {
  const json* v = find(key);
  std::string value;
  if (v == nullptr) {
    if (!fallback) fail(key, "missing required key (expected a string)");
    value = *fallback;
  } else {
    if (!v->is_string()) fail(key, "expected a string, got " + describe_json(*v));
    value = v->get<std::string>();
  }
  resolved_[key] = value;
  return value;
}

std::string JsonReader::choice(const std::string& key, const std::vector<std::string>& choices,
                               std::optional<std::string> fallback) {
  std::string value = string(key, std::move(fallback));  // not const: returned by move
  for (const auto& c : choices) {
    if (c == value) return value;
  }
  fail(key, fmt::format("unknown value \"{}\" (valid: {})", value, fmt::join(choices, ", ")));
}

std::vector<double> JsonReader::numbers(const std::string& key) {
  const json& v = require(key, "an array of numbers");
  if (!v.is_array()) fail(key, "expected an array of numbers, got " + describe_json(v));
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number()) {
      fail(fmt::format("{}[{}]", key, i), "expected a number, got " + describe_json(v[i]));
    }
    out.push_back(v[i].get<double>());
  }
  resolved_[key] = out;
  return out;
}

std::vector<long> JsonReader::positive_integers(const std::string& key) {
  const json& v = require(key, "an array of positive integers");
  if (!v.is_array()) fail(key, "expected an array of positive integers, got " + describe_json(v));
  std::vector<long> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_integer() || v[i].get<long>() <= 0) {
      fail(fmt::format("{}[{}]", key, i),
           "expected a positive integer, got " + describe_json(v[i]));
    }
    out.push_back(v[i].get<long>());
  }
  resolved_[key] = out;
  return out;
}

std::vector<std::string> JsonReader::strings(const std::string& key) {
  const json& v = require(key, "an array of strings");
  if (!v.is_array()) fail(key, "expected an array of strings, got " + describe_json(v));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      fail(fmt::format("{}[{}]", key, i), "expected a string, got " + describe_json(v[i]));
    }
    out.push_back(v[i].get<std::string>());
  }
  resolved_[key] = out;
  return out;
}

JsonReader JsonReader::object(const std::string& key, bool required) {
  static const json empty = json::object();
  const json* v = find(key);
  if (v == nullptr) {
    if (required) fail(key, "missing required key (expected an object)");
    return JsonReader(empty, file_, key_path(key));
  }
  if (!v->is_object()) fail(key, "expected an object, got " + describe_json(*v));
  return JsonReader(*v, file_, key_path(key));
}

std::vector<JsonReader> JsonReader::objects(const std::string& key) {
  const json& v = require(key, "an array of objects");
  if (!v.is_array()) fail(key, "expected an array of objects, got " + describe_json(v));
  std::vector<JsonReader> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(v[i], file_, fmt::format("{}[{}]", key_path(key), i));
  }
  return out;
}

void JsonReader::adopt(const std::string& key, const JsonReader& child) {
  resolved_[key] = child.resolved();
}

void JsonReader::adopt(const std::string& key, const std::vector<JsonReader>& children) {
  json arr = json::array();
  for (const auto& c : children) arr.push_back(c.resolved());
  resolved_[key] = arr;
}

void JsonReader::finish() const {
  // Every key that was read, defaulted or skipped is valid here.
  const std::vector<std::string> valid(read_.begin(), read_.end());
  struct Unknown {
    std::string key;
    std::optional<std::string> suggestion;
    int rank;  // 0: near a valid key left out (its default taken), 1: near a written one, 2: near
               // none
  };
  std::vector<Unknown> unknown;
  for (const auto& [key, value] : object_.items()) {
    if (read_.count(key) != 0) continue;
    Unknown u{key, nearest_key(key, valid), 2};
    if (u.suggestion) u.rank = present(*u.suggestion) ? 1 : 0;
    unknown.push_back(std::move(u));
  }
  if (unknown.empty()) return;
  // A misspelled key is named first: the other unknown keys are often only a
  // consequence of it ("integrater": "euler" leaves the integrator at its
  // default, for which "eta" means nothing).
  std::stable_sort(unknown.begin(), unknown.end(),
                   [](const Unknown& a, const Unknown& b) { return a.rank < b.rank; });
  const Unknown& first = unknown.front();
  std::string what = "unknown key";
  if (first.suggestion) what += fmt::format(", did you mean \"{}\"?", *first.suggestion);
  what += fmt::format(" (valid keys here: {}", fmt::join(valid, ", "));
  if (unknown.size() > 1) {
    std::vector<std::string> others;
    for (std::size_t k = 1; k < unknown.size(); ++k) others.push_back(unknown[k].key);
    what += fmt::format("; also unknown: {}", fmt::join(others, ", "));
  }
  fail(first.key, what + ")");
}

}  // namespace gradflow
