#pragma once
// Parsing the text of a spec into a JSON value, refusing what nlohmann::json
// would accept or crash on: nesting deeper than kMaxJsonDepth (copying a value
// nested 1e5 levels deep recurses once per level and overflows the stack), a
// key written twice in one object (the parser keeps the last silently) and a
// number beyond the range of a double (1e999). Errors are InputError naming the
// file and the key path where the parser stood ("data.noise_std").

#include <nlohmann/json.hpp>

#include <string>

namespace gradflow {

// Deeper than any spec needs (docs/spec.md nests objects four levels deep),
// far below what overflows a thread's stack when the value is copied.
inline constexpr int kMaxJsonDepth = 64;

// Comments (// and /* */) are allowed; a UTF-8 byte-order mark is skipped.
nlohmann::json parse_json_text(const std::string& text, const std::string& file);

}  // namespace gradflow
