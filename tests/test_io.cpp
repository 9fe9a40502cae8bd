#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "io/errors.hpp"
#include "io/npy.hpp"

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace gradflow;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("gradflow_test_io_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A hand-built .npy (NEP 1 layout), independent of our writer.
std::string npy_file(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}

template <class T>
std::string raw(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return out;
}

std::string run_python(const std::string& code) {
  const std::string cmd = "/usr/bin/python3 -c \"" + code + "\" 2>&1";
  std::FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  pclose(pipe);
  return out;
}

}  // namespace

TEST_CASE("npy files round-trip exactly through our reader") {
  const fs::path dir = temp_dir("roundtrip");
  Eigen::MatrixXd m(3, 2);
  m << 1.5, -2.0, 1e-300, 3.0, 0.1, 7.0;
  write_file(dir / "m.npy", npy_bytes(m));
  const NpyArray back = read_npy((dir / "m.npy").string());
  CHECK(back.values == m);
  CHECK_FALSE(back.one_dimensional);
  const Eigen::VectorXd v = Eigen::Vector3d(1.0, 2.0, 3.0);
  write_file(dir / "v.npy", npy_bytes(v));
  const NpyArray vb = read_npy((dir / "v.npy").string());
  CHECK(vb.one_dimensional);
  CHECK(vb.values == Eigen::MatrixXd(v));
}

TEST_CASE("numpy reads our npy and csv files with the intended shapes and values") {
  const fs::path dir = temp_dir("numpy");
  Eigen::MatrixXd m(2, 3);
  m << 1, 2, 3, 4, 5, 6.25;
  write_file(dir / "m.npy", npy_bytes(m));
  Table t{{"t", "loss"}, {{0.0, 0.1}, {0.5, 1.0 / 3.0}}};
  write_file(dir / "s.csv", csv_text(t));
  const std::string out =
      run_python("import numpy as np; a = np.load('" + (dir / "m.npy").string() +
                 "'); "
                 "print(a.dtype, a.shape, a[1, 2], a[0, 1]); "
                 "c = np.genfromtxt('" +
                 (dir / "s.csv").string() +
                 "', delimiter=',', names=True); "
                 "print(c['loss'][1] == 1/3)");
  INFO(out);
  CHECK_THAT(out, Catch::Contains("float64 (2, 3) 6.25 2.0"));
  CHECK_THAT(out, Catch::Contains("True"));  // 17 significant digits round-trip
}

TEST_CASE("npy files of other dtypes and orders are read or refused clearly") {
  const fs::path dir = temp_dir("dtypes");
  // Fortran order float32, shape (2, 2): column-major data 1, 2, 3, 4.
  write_file(dir / "f4.npy", npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                                      raw<float>({1, 2, 3, 4})));
  const Eigen::MatrixXd f4 = read_npy((dir / "f4.npy").string()).values;
  CHECK(f4(1, 0) == 2.0);
  CHECK(f4(0, 1) == 3.0);
  write_file(dir / "i8.npy", npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                      raw<std::int64_t>({-1, 0, 5})));
  CHECK(read_npy((dir / "i8.npy").string()).values(2, 0) == 5.0);

  write_file(dir / "c16.npy", npy_file("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
                                       raw<double>({1, 2})));
  CHECK_THROWS_WITH(read_npy((dir / "c16.npy").string()),
                    Catch::Contains("c16.npy") && Catch::Contains("unsupported dtype '<c16'"));
  write_file(
      dir / "3d.npy",
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", raw<double>({1})));
  CHECK_THROWS_WITH(read_npy((dir / "3d.npy").string()), Catch::Contains("got 3 dimensions"));
  write_file(
      dir / "short.npy",
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", raw<double>({1, 2})));
  CHECK_THROWS_WITH(read_npy((dir / "short.npy").string()), Catch::Contains("expected 32 bytes"));
  write_file(dir / "junk.npy", "hello");
  CHECK_THROWS_WITH(read_npy((dir / "junk.npy").string()), Catch::Contains("magic"));
  CHECK_THROWS_WITH(read_npy((dir / "absent.npy").string()), Catch::Contains("cannot open"));
}

// Format 2.0 (a 4-byte header length), for headers beyond 64 KiB.
std::string npy2_file(const std::string& dict, const std::string& data) {
  const std::string header = dict + "\n";
  std::string out("\x93NUMPY\x02\x00", 8);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

TEST_CASE("hostile npy headers are refused with a reason, never crash or overflow") {
  const fs::path dir = temp_dir("hostile");
  auto refused = [&dir](const std::string& name, const std::string& bytes) {
    write_file(dir / name, bytes);
    try {
      read_npy((dir / name).string());
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  // A 200 KB descr overflowed the stack of the regular-expression parser.
  const std::string huge =
      "{'descr': '" + std::string(200'000, 'f') + "', 'fortran_order': False, 'shape': (1,), }";
  CHECK_THAT(refused("huge.npy", npy2_file(huge, raw<double>({1}))),
             Catch::Contains("longer than 10000"));
  const std::string huge_shape =
      "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::string(9'000, ' ') + "1,), }";
  CHECK(read_npy([&] {
          write_file(dir / "spaces.npy", npy2_file(huge_shape, raw<double>({7})));
          return (dir / "spaces.npy").string();
        }())
            .values(0, 0) == 7.0);
  CHECK_THAT(refused("letters.npy",
                     npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (a, 3), }", "")),
             Catch::Contains("tuple of integers"));
  CHECK_THAT(refused("negative.npy",
                     npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }", "")),
             Catch::Contains("negative dimension"));
  // rows·cols·8 overflowed a signed product (undefined behaviour) before.
  CHECK_THAT(
      refused(
          "overflow.npy",
          npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                   "")),
      Catch::Contains("too large"));
  CHECK_THAT(
      refused(
          "toolong.npy",
          npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 4), }",
                   "")),
      Catch::Contains("too large"));
  CHECK_THAT(
      refused("twice.npy",
              npy_file("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                       raw<double>({1}))),
      Catch::Contains("'descr' appears twice"));
  CHECK_THAT(refused("noshape.npy",
                     npy_file("{'descr': '<f8', 'fortran_order': False, }", raw<double>({1}))),
             Catch::Contains("no 'shape'"));
  CHECK_THAT(
      refused("open.npy", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,", "")),
      Catch::Contains("'shape' is not closed"));
  CHECK_THAT(refused("nocomma.npy",
                     npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1 2), }", "")),
             Catch::Contains("to close 'shape'"));
  // numpy's own spellings: double quotes, no trailing comma, a 1-tuple.
  write_file(
      dir / "quotes.npy",
      npy_file(R"({"descr": "<f8", "fortran_order": True, "shape": (2,)})", raw<double>({3, 4})));
  CHECK(read_npy((dir / "quotes.npy").string()).values(1, 0) == 4.0);
}

TEST_CASE("csv matrices are read with an optional header, and bad cells are named") {
  const fs::path dir = temp_dir("csv");
  write_file(dir / "ok.csv", "a,b\n1,2\n3, 4.5\n");
  const Eigen::MatrixXd ok = read_csv_matrix((dir / "ok.csv").string());
  REQUIRE(ok.rows() == 2);
  CHECK(ok(1, 1) == 4.5);
  write_file(dir / "nan.csv", "1,2\n3,nan\n");
  CHECK_THROWS_WITH(read_csv_matrix((dir / "nan.csv").string()),
                    Catch::Contains("line 2, column 2") && Catch::Contains("not finite"));
  write_file(dir / "ragged.csv", "1,2\n3\n");
  CHECK_THROWS_WITH(read_csv_matrix((dir / "ragged.csv").string()),
                    Catch::Contains("line 2 has 1 columns but earlier lines have 2"));
  write_file(dir / "word.csv", "1,2\n3,x\n");
  CHECK_THROWS_WITH(read_csv_matrix((dir / "word.csv").string()),
                    Catch::Contains("'x' is not a number"));
}

TEST_CASE("staged output appears only on commit, and vanishes if never committed") {
  const fs::path dir = temp_dir("staging");
  {
    OutputDirectory out(dir / "run");
    out.write("a/x.csv", "1\n");
    CHECK_FALSE(fs::exists(dir / "run" / "a" / "x.csv"));
  }
  // Destroyed without commit: nothing is left but the (empty) directory.
  CHECK(fs::is_empty(dir / "run"));
  {
    OutputDirectory out(dir / "run");
    out.write("meta.json", "{}");
    out.write("a/x.csv", "1\n");
    out.commit();
  }
  CHECK(fs::exists(dir / "run" / "a" / "x.csv"));
  CHECK(fs::exists(dir / "run" / "meta.json"));
  CHECK(std::distance(fs::directory_iterator(dir / "run"), fs::directory_iterator{}) == 2);
}

namespace {
std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("one experiment's folder is committed alone, an older meta.json gone before its files") {
  const fs::path dir = temp_dir("commit_prefix");
  // An earlier run's complete folder for "a", whose files are about to be replaced.
  fs::create_directories(dir / "run" / "a");
  std::ofstream(dir / "run" / "a" / "meta.json") << "old";
  std::ofstream(dir / "run" / "a" / "x.csv") << "old";
  OutputDirectory out(dir / "run");
  out.write("a/meta.json", "{}");
  out.write("a/x.csv", "1\n");
  out.write("ab/x.csv", "2\n");  // shares a's name as a prefix, not its folder
  out.write("b/x.csv", "3\n");
  CHECK(out.commit("a") == 2);
  CHECK(read_text(dir / "run" / "a" / "x.csv") == "1\n");
  CHECK(read_text(dir / "run" / "a" / "meta.json") == "{}");
  CHECK_FALSE(fs::exists(dir / "run" / "ab"));
  CHECK(out.staged() == std::vector<std::string>{"ab/x.csv", "b/x.csv"});
  out.discard("b");
  CHECK(out.staged() == std::vector<std::string>{"ab/x.csv"});
  CHECK(out.commit() == 1);
  CHECK(out.committed() == 3);
  CHECK(fs::exists(dir / "run" / "ab" / "x.csv"));
  CHECK_FALSE(fs::exists(dir / "run" / "b"));
}

TEST_CASE("staging left by a killed run is removed by the next run, a live one is kept") {
  const fs::path dir = temp_dir("abandoned");
  // No process has pid 2^22 + 1 (above Linux's pid_max default of 2^22).
  fs::create_directories(dir / ".gradflow-staging-4194305" / "half");
  std::ofstream(dir / ".gradflow-staging-4194305" / "half" / "x.csv") << "1,";
  fs::create_directories(dir / ".gradflow-staging-1");  // pid 1 is alive
  { OutputDirectory out(dir); }
  CHECK_FALSE(fs::exists(dir / ".gradflow-staging-4194305"));
  CHECK(fs::exists(dir / ".gradflow-staging-1"));
}

TEST_CASE("an output directory that cannot be created is refused before any work") {
  const fs::path dir = temp_dir("blocked");
  write_file(dir / "file", "x");
  CHECK_THROWS_AS(OutputDirectory(dir / "file" / "sub"), InputError);
  CHECK_THROWS_WITH(OutputDirectory(dir / "file"),
                    Catch::Contains("cannot create the output directory"));
}
