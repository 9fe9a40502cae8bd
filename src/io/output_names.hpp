#pragma once
// Names that become files and folders of a run's output (experiment and run
// names, compare_<a>_vs_<b>.csv): checked before any work, so that a clash or
// an unsafe character cannot stop a run at the end, while its files are moved
// into place, and a comma or newline cannot break summary_runs.csv.

#include <string>

namespace gradflow {

// A user-given name: at most this many bytes (file names end at 255 bytes on
// common file systems, and a comparison's file holds two names).
inline constexpr std::size_t kMaxNameBytes = 200;
inline constexpr std::size_t kMaxFileNameBytes = 255;

// Empty if `name` is safe as (part of) a file name: only letters, digits and
// _ - . +, not empty, at most kMaxNameBytes, not "." or "..". Otherwise why not.
std::string unsafe_name_reason(const std::string& name);

// A name derived rather than given (an experiment named after its spec file,
// "my run.json" → "my_run"): every unsafe character becomes '_', a leading
// '.' too, cut to kMaxNameBytes; "experiment" if nothing is left.
std::string safe_name(const std::string& name);

// `name` fit for a message: bytes outside printable ASCII as \xNN (a NUL would
// end the message), cut after 60 characters.
std::string printable_name(const std::string& name);

}  // namespace gradflow
