#pragma once
// `gradflow report DIR` and `gradflow run --report`: the HTML report of a
// result folder, drawn by the Python package (gradflow.report, matplotlib).
// The command runs Debian's /usr/bin/python3 -m gradflow.report DIR, with the
// build tree's python/ folder (beside the executable: build/<preset>/python)
// first on PYTHONPATH when it exists; an installed package (cmake --install
// --component python) is found on the interpreter's own path. GRADFLOW_PYTHON
// names another interpreter.

#include <iosfwd>
#include <string>

namespace gradflow {

// Exit status: 0 written, 2 not a gradflow result folder (Python says why),
// 1 Python, the package or matplotlib missing, or the report failed.
int write_html_report(const std::string& dir, bool quiet, std::ostream& out, std::ostream& err);

}  // namespace gradflow
