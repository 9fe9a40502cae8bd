#include "cli/mpi_sweep.hpp"

#include "cli/ordered_pool.hpp"
#include "cli/sweep.hpp"
#include "io/errors.hpp"
#include "io/output_lock.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <mpi.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

namespace gradflow {

using nlohmann::json;

namespace {

constexpr int kToRoot = 1;    // worker → rank 0: {"hello": slots} or {"unit", "report"}
constexpr int kToWorker = 2;  // rank 0 → worker: the next experiment's index, or -1
constexpr auto kPoll = std::chrono::milliseconds(1);

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

void send_text(const std::string& text, int to, int tag) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

std::string receive_text(const MPI_Status& probed) {
  int length = 0;
  MPI_Get_count(&probed, MPI_CHAR, &length);
  std::string text(static_cast<std::size_t>(length), '\0');
  MPI_Recv(text.data(), length, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return text;
}

std::optional<MPI_Status> probe(int source, int tag) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &status);
  if (flag == 0) return std::nullopt;
  return status;
}

// Rank 0: hands out the pending experiments to its own threads and to the
// other ranks' requests, prints logs in spec order, returns the reports.
class Coordinator {
 public:
  Coordinator(const std::vector<PreparedExperiment>& prepared, OutputDirectory& out,
              std::vector<UnitReport> reports, std::vector<std::size_t> pending, std::ostream& log)
      : prepared_(prepared),
        out_(out),
        reports_(std::move(reports)),
        pending_(std::move(pending)),
        finished_(reports_.size(), 1),
        log_(log) {
    for (std::size_t e : pending_) finished_[e] = 0;
    done_ = reports_.size() - pending_.size();
  }

  std::vector<UnitReport> run(unsigned jobs, int ranks) {
    std::vector<std::jthread> local;
    for (unsigned t = 0; t < jobs; ++t) {
      local.emplace_back([this] {
        while (const auto e = take()) finish(*e, run_unit(prepared_[*e], out_));
      });
    }
    int hellos = 0;
    long remote_slots = 0, stops = 0;
    while (true) {
      const auto message = probe(MPI_ANY_SOURCE, kToRoot);
      if (!message) {
        if (hellos == ranks - 1 && stops == remote_slots && all_finished()) break;
        std::this_thread::sleep_for(kPoll);
        continue;
      }
      const auto served = std::chrono::steady_clock::now();
      const json m = json::parse(receive_text(*message));
      long requests = 1;
      if (m.contains("hello")) {
        ++hellos;
        requests = m.at("hello").get<long>();
        remote_slots += requests;
      } else {
        finish(m.at("unit").get<std::size_t>(), UnitReport::from_json(m.at("report")));
        waits_ += m.at("waited_seconds").get<double>();
        ++remote_units_;
      }
      for (long r = 0; r < requests; ++r) {
        const auto e = take();
        long index = e ? static_cast<long>(*e) : -1;
        stops += e ? 0 : 1;
        MPI_Send(&index, 1, MPI_LONG, message->MPI_SOURCE, kToWorker, MPI_COMM_WORLD);
      }
      service_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - served).count();
      ++messages_;
    }
    local.clear();  // joins
    print_ready();
    return std::move(reports_);
  }

  // What a hand-out costs (docs/spec.md, Sweeps): rank 0's time per message
  // served (receive, parse, record the report, answer), and how long a rank
  // waited on average between sending a report and receiving its next unit.
  std::string hand_out_line() const {
    return fmt::format(
        "MPI hand-outs: {} message(s) served by rank 0, {:.1f} us each; {} unit(s) run on "
        "other ranks, each waiting {:.2f} ms for its next unit\n",
        messages_, messages_ > 0 ? 1e6 * service_ / static_cast<double>(messages_) : 0.0,
        remote_units_, remote_units_ > 0 ? 1e3 * waits_ / static_cast<double>(remote_units_) : 0.0);
  }

 private:
  std::optional<std::size_t> take() {
    const std::lock_guard lock(mutex_);
    if (next_ >= pending_.size()) return std::nullopt;
    return pending_[next_++];
  }

  bool all_finished() {
    const std::lock_guard lock(mutex_);
    return done_ == reports_.size();
  }

  void finish(std::size_t e, UnitReport report) {
    const std::lock_guard lock(mutex_);
    reports_[e] = std::move(report);
    finished_[e] = 1;
    ++done_;
    // Logs in spec order: this one's when every experiment before it is done.
    while (printed_ < reports_.size() && finished_[printed_] != 0) {
      fmt::print(log_, "{}", reports_[printed_].log);
      if (reports_[printed_].state != UnitReport::State::skipped) {
        fmt::print(log_, "  [{} of {} experiments done]\n", done_, reports_.size());
      }
      ++printed_;
    }
  }

  void print_ready() {
    const std::lock_guard lock(mutex_);
    for (; printed_ < reports_.size(); ++printed_) fmt::print(log_, "{}", reports_[printed_].log);
  }

  const std::vector<PreparedExperiment>& prepared_;
  OutputDirectory& out_;
  std::vector<UnitReport> reports_;
  std::vector<std::size_t> pending_;
  std::vector<char> finished_;
  std::ostream& log_;
  std::mutex mutex_;
  std::size_t next_ = 0, done_ = 0, printed_ = 0;
  double service_ = 0.0, waits_ = 0.0;  // seconds
  long messages_ = 0, remote_units_ = 0;
};

// A rank other than 0: asks for experiments for each of its threads, runs
// them, sends back each report with the next request, until told there is
// none left.
void work(const std::string& spec_path, const std::string& out_dir, unsigned jobs) {
  std::vector<ExperimentSpec> specs;
  std::string spec_error;
  try {
    specs = read_spec_file(spec_path);
  } catch (const std::exception& e) {
    spec_error = e.what();  // rank 0 read it: a file system that differs here
  }
  OutputDirectory out(out_dir);
  std::mutex mutex;
  std::deque<std::pair<std::size_t, UnitReport>> done;
  auto run_one = [&](std::size_t e) {
    UnitReport report;
    if (e >= specs.size()) {
      ExperimentSpec unknown;
      unknown.name = fmt::format("experiments[{}]", e);
      report = failed_unit(unknown, "this rank cannot read the spec: " + spec_error, false);
    } else {
      try {
        const PreparedExperiment p = prepare_one(specs[e]);
        report = run_unit(p, out);
      } catch (const InputError& error) {
        report = failed_unit(specs[e], error.what(), true);
      } catch (const std::exception& error) {
        report = failed_unit(specs[e], error.what(), false);
      }
    }
    const std::lock_guard lock(mutex);
    done.emplace_back(e, std::move(report));
  };

  send_text(json{{"hello", jobs}}.dump(), 0, kToRoot);
  long outstanding = jobs, running = 0;
  // When each outstanding request was sent; a reply answers the oldest.
  std::deque<std::chrono::steady_clock::time_point> asked(jobs, std::chrono::steady_clock::now());
  double waited = 0.0;  // since the last report sent
  std::vector<std::jthread> threads;
  while (outstanding > 0 || running > 0) {
    bool idle = true;
    if (const auto message = probe(0, kToWorker)) {
      long index = -1;
      MPI_Recv(&index, 1, MPI_LONG, 0, kToWorker, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      --outstanding;
      if (index >= 0) {
        waited +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - asked.front()).count();
      }
      asked.pop_front();
      if (index >= 0) {
        ++running;
        threads.emplace_back(run_one, static_cast<std::size_t>(index));
      }
      idle = false;
    }
    std::deque<std::pair<std::size_t, UnitReport>> finished;
    {
      const std::lock_guard lock(mutex);
      finished.swap(done);
    }
    for (auto& [e, report] : finished) {
      --running;
      ++outstanding;  // the report asks for the next experiment
      send_text(json{{"unit", e}, {"report", report.to_json()}, {"waited_seconds", waited}}.dump(),
                0, kToRoot);
      asked.push_back(std::chrono::steady_clock::now());
      waited = 0.0;
      idle = false;
    }
    if (idle) std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (initialised_) MPI_Finalize();
}

std::string MpiSession::describe() const {
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string text(version, static_cast<std::size_t>(length));
  text = text.substr(0, text.find_first_of(",\n"));
  return fmt::format("(with MPI: {})", text);
}

int MpiSession::run(const std::string& spec_path, const std::string& out_dir, bool quiet,
                    const SweepOptions& options, std::ostream& out, std::ostream& err) {
  const unsigned jobs = options.jobs == 0 ? default_jobs() : options.jobs;
  // Rank 0 prepares everything first: bad input stops every rank before any
  // work, with rank 0's message and its exit status.
  std::vector<PreparedExperiment> prepared;
  std::unique_ptr<OutputDirectory> dir;
  std::unique_ptr<OutputLock> lock;  // rank 0 holds it for every rank
  std::exception_ptr failure;
  int status = 0;
  if (rank_ == 0) {
    try {
      prepared = prepare_spec(spec_path);
      dir = std::make_unique<OutputDirectory>(out_dir);
      lock = std::make_unique<OutputLock>(dir->target());
    } catch (const InputError&) {
      failure = std::current_exception();
      status = 2;
    } catch (const std::exception&) {
      failure = std::current_exception();
      status = 1;
    }
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (status != 0) {
    if (failure) std::rethrow_exception(failure);
    return status;
  }
  if (rank_ != 0) {
    try {
      work(spec_path, out_dir, jobs);
    } catch (const std::exception& e) {
      fmt::print(err, "gradflow: rank {}: internal error: {}\n", rank_, e.what());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return 0;
  }
  try {
    std::ostringstream discard;
    std::ostream& log = quiet ? discard : out;
    std::vector<UnitReport> reports(prepared.size());
    std::vector<std::size_t> pending;
    for (std::size_t e = 0; e < prepared.size(); ++e) {
      std::optional<UnitReport> complete;
      if (options.resume) complete = completed_unit(dir->target(), prepared[e]);
      if (complete) {
        reports[e] = std::move(*complete);
      } else {
        pending.push_back(e);
      }
    }
    fmt::print(log, "{} experiment(s) on {} MPI ranks, {} thread(s) each\n", pending.size(), size_,
               jobs);
    Coordinator coordinator(prepared, *dir, std::move(reports), std::move(pending), log);
    std::vector<UnitReport> done = coordinator.run(jobs, size_);
    fmt::print(log, "{}", coordinator.hand_out_line());
    return finish_sweep(prepared, done, *dir, out, err);
  } catch (const std::exception& e) {
    fmt::print(err, "gradflow: rank 0: internal error: {}\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
}

}  // namespace gradflow
