#include "io/json_text.hpp"

#include "io/errors.hpp"

#include <fmt/format.h>

#include <set>
#include <vector>

namespace gradflow {

using nlohmann::json;

namespace {

// Where the parser stands: one frame per open object or array.
class JsonPathTracker {
 public:
  explicit JsonPathTracker(std::string file) : file_(std::move(file)) {}

  // The parse callback (nlohmann::json::parser_callback_t): keeps every value.
  bool on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (static_cast<int>(frames_.size()) >= kMaxJsonDepth) {
          throw_input_error(file_, path(),
                            fmt::format("nested more than {} levels deep (objects and arrays "
                                        "inside each other); a spec needs "
                                        "a handful",
                                        kMaxJsonDepth));
        }
        frames_.push_back({event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      case json::parse_event_t::key: {
        Frame& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second) {
          throw_input_error(file_, path(),
                            "written twice in the same object (JSON keeps only the last "
                            "silently): remove one");
        }
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        value_done();
        break;
      case json::parse_event_t::value:
        value_done();
        break;
    }
    return true;
  }

  // "model.hidden[0]": the key or array item being read.
  std::string path() const {
    std::string out;
    for (const Frame& f : frames_) {
      if (f.is_object) {
        if (f.keys.empty()) continue;
        out += (out.empty() ? "" : ".") + f.key;
      } else {
        out += fmt::format("[{}]", f.index);
      }
    }
    return out;
  }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string> keys;  // written so far in this object
    std::string key;             // the latest of them
    std::size_t index;           // arrays: the item being read
  };

  void value_done() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  std::string file_;
  std::vector<Frame> frames_;
};

}  // namespace

json parse_json_text(const std::string& text, const std::string& file) {
  JsonPathTracker tracker(file);
  json::parser_callback_t callback = [&tracker](int /*depth*/, json::parse_event_t event,
                                                json& parsed) {
    return tracker.on_event(event, parsed);
  };
  try {
    return json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    throw_input_error(
        file, "",
        fmt::format("not valid JSON: {}{}", e.what(),
                    tracker.path().empty() ? "" : " (inside '" + tracker.path() + "')"));
  } catch (const json::out_of_range& e) {
    // 406: a number beyond ±1.8e308 (the lexer throws before the value exists).
    throw_input_error(
        file, tracker.path(),
        fmt::format("a number out of the range of a double (±1.8e308): {}", e.what()));
  } catch (const json::exception& e) {
    throw_input_error(file, tracker.path(), fmt::format("not valid JSON: {}", e.what()));
  }
}

}  // namespace gradflow
