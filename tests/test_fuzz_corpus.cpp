// The fuzz targets' seed corpus (tests/fuzz/corpus), replayed through the
// normal build's readers on every test run: each input, the audit's crash
// inputs among them (a 200 KB .npy descr, 1e5-deep JSON nesting, negative and
// overflowing shapes, a GD horizon past any step count), must give a result
// or a clear input error — never a crash, another exception or status 1.

#include "cli/command.hpp"
#include "io/csv.hpp"
#include "io/errors.hpp"
#include "io/npy.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;
using namespace gradflow;

namespace {

std::vector<fs::path> corpus(const char* target) {
  const char* source = std::getenv("GRADFLOW_SOURCE_DIR");
  const fs::path dir =
      fs::path(source != nullptr ? source : ".") / "tests" / "fuzz" / "corpus" / target;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// "value" when read, "input error" when refused clearly, else what escaped.
template <class Read>
std::string outcome(const Read& read) {
  try {
    read();
    return "value";
  } catch (const InputError&) {
    return "input error";
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
}

}  // namespace

TEST_CASE("every npy input of the fuzz corpus is read or refused with an input error") {
  const auto files = corpus("npy");
  REQUIRE(files.size() >= 8);
  for (const fs::path& f : files) {
    INFO(f.filename().string());
    const std::string got = outcome([&] { read_npy(f.string()); });
    CHECK((got == "value" || got == "input error"));
    // The regression inputs are all malformed.
    if (f.filename().string().rfind("regression_", 0) == 0) CHECK(got == "input error");
  }
}

TEST_CASE("every csv input of the fuzz corpus is read or refused with an input error") {
  const auto files = corpus("csv");
  REQUIRE(files.size() >= 4);
  for (const fs::path& f : files) {
    INFO(f.filename().string());
    const std::string got = outcome([&] { read_csv_matrix(f.string()); });
    CHECK((got == "value" || got == "input error"));
  }
}

TEST_CASE("every spec of the fuzz corpus is valid or refused by check with status 2") {
  const auto files = corpus("spec");
  REQUIRE(files.size() >= 10);
  for (const fs::path& f : files) {
    INFO(f.filename().string());
    std::ostringstream out, err;
    const int status = run_command({"gradflow", "check", f.string()}, out, err);
    INFO(err.str());
    CHECK((status == 0 || status == 2));
    if (f.filename().string().rfind("regression_", 0) == 0) {
      CHECK(status == 2);
      CHECK_THAT(err.str(), Catch::Contains(f.filename().string()));
    }
  }
}
