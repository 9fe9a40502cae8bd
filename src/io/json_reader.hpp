#pragma once
// Typed, validated reading of a JSON object, with errors that name the file,
// the full key path, what was expected and what was found. Every value read
// (or defaulted) is copied into resolved(), which becomes the "resolved spec"
// of meta.json. finish() rejects keys that nobody read, listing the valid ones
// and naming a misspelled key first, with the valid key nearest to it.

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace gradflow {

class JsonReader {
 public:
  JsonReader(const nlohmann::json& object, std::string file, std::string path);

  // Whether `key` is present and not null. Asking makes `key` a valid key of
  // this object (listed, and a candidate for "did you mean"), as reading does.
  bool has(const std::string& key) const;

  double number(const std::string& key, std::optional<double> fallback = std::nullopt);
  double positive_number(const std::string& key, std::optional<double> fallback = std::nullopt);
  long integer(const std::string& key, std::optional<long> fallback = std::nullopt);
  long positive_integer(const std::string& key, std::optional<long> fallback = std::nullopt);
  bool boolean(const std::string& key, std::optional<bool> fallback = std::nullopt);
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt);
  // A string that must be one of `choices`.
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     std::optional<std::string> fallback = std::nullopt);
  std::vector<double> numbers(const std::string& key);
  std::vector<long> positive_integers(const std::string& key);
  std::vector<std::string> strings(const std::string& key);

  // The raw value (marked as read; the caller resolves it). Undefined if absent.
  const nlohmann::json& raw(const std::string& key);
  // Marks a key as known without reading it.
  void skip(const std::string& key) { read_.insert(key); }

  // Nested object; an absent optional object reads as {}.
  JsonReader object(const std::string& key, bool required = true);
  std::vector<JsonReader> objects(const std::string& key);
  // Writes a nested reader's resolved values back under `key`.
  void adopt(const std::string& key, const JsonReader& child);
  void adopt(const std::string& key, const std::vector<JsonReader>& children);

  // Throws for any key that was not read: the message names a key that is a
  // near miss of a valid one first ("did you mean ...?", see nearest_key.hpp),
  // then lists the valid keys and the other unknown ones.
  void finish() const;

  // Throws InputError for `key`. A message starting "missing required key"
  // also names a written, unread key that may be its misspelling.
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const nlohmann::json& resolved() const { return resolved_; }
  const std::string& file() const { return file_; }
  std::string key_path(const std::string& key) const;

 private:
  bool present(const std::string& key) const;  // has() without marking the key valid
  const nlohmann::json& require(const std::string& key, const char* expected);
  const nlohmann::json* find(const std::string& key);

  const nlohmann::json& object_;
  std::string file_;
  std::string path_;
  mutable std::set<std::string> read_;  // keys read, defaulted, skipped or asked about
  nlohmann::json resolved_ = nlohmann::json::object();
};

// The JSON type of a value in words ("a string", "an array", ...).
std::string describe_json(const nlohmann::json& value);

}  // namespace gradflow
