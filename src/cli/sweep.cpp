#include "cli/sweep.hpp"

#include "cli/ordered_pool.hpp"
#include "cli/progress_line.hpp"
#include "cli/report.hpp"
#include "cli/thread_budget.hpp"
#include "io/errors.hpp"
#include "io/spec.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <ostream>

namespace gradflow {

PreparedExperiment prepare_one(const ExperimentSpec& spec) {
  // Everything prepared here derives from the spec, so a failure is the
  // input's: sizes beyond memory (model.hidden [4000000000]), a library's
  // refusal of a value. Name the file and the experiment, exit 2.
  try {
    return prepare_experiment(spec);
  } catch (const InputError& e) {
    throw in_experiment(e, spec);  // a key of experiments[i] is named there
  } catch (const std::bad_alloc&) {
    throw_input_error(spec.file, "",
                      fmt::format("experiment \"{}\": its data or model does not fit in memory "
                                  "(a width, size, sample or "
                                  "measurement count too large?)",
                                  spec.name));
  } catch (const std::length_error& e) {
    throw_input_error(
        spec.file, "",
        fmt::format("experiment \"{}\": its data or model is too large ({})", spec.name, e.what()));
  } catch (const std::invalid_argument& e) {
    throw_input_error(spec.file, "", fmt::format("experiment \"{}\": {}", spec.name, e.what()));
  }
}

std::vector<PreparedExperiment> prepare_spec(const std::string& spec_path) {
  std::vector<PreparedExperiment> prepared;
  for (const ExperimentSpec& spec : read_spec_file(spec_path))
    prepared.push_back(prepare_one(spec));
  return prepared;
}

std::vector<UnitReport> run_sweep(const std::vector<PreparedExperiment>& prepared,
                                  OutputDirectory& out, const SweepOptions& options,
                                  std::ostream& log) {
  std::vector<UnitReport> reports(prepared.size());
  std::vector<std::size_t> pending;
  for (std::size_t e = 0; e < prepared.size(); ++e) {
    std::optional<UnitReport> complete;
    if (options.resume) complete = completed_unit(out.target(), prepared[e]);
    if (complete) {
      reports[e] = std::move(*complete);
    } else {
      pending.push_back(e);
    }
  }
  std::size_t done = prepared.size() - pending.size();
  std::size_t printed = 0;  // reports printed so far, in spec order
  auto print_ready = [&](std::size_t upto) {
    for (; printed < upto; ++printed) fmt::print(log, "{}", reports[printed].log);
  };
  // One budget of `threads` tokens (cli/thread_budget.hpp): a token for each
  // thread of the pool over experiments, given back when it finds no
  // experiment left; the experiments' runs and members take the rest.
  const unsigned threads = options.jobs == 0 ? default_jobs() : options.jobs;
  ThreadBudget budget(threads);
  const std::size_t pool = pool_threads(pending.size(), threads);
  for (std::size_t t = 0; t < pool; ++t) budget.try_take();
  // One experiment at a time: its runs show the progress line on stderr (on
  // several threads, it counts the runs and members done). With several
  // experiments at once a terminal line rewritten by each would be
  // unreadable: there the log's count of experiments done tells the
  // progress; into a file or pipe each experiment prints its own plain lines
  // (each line one fwrite, so lines do not interleave).
  const bool one_at_a_time = threads == 1 || pending.size() <= 1;
  ProgressLine::Mode mode = ProgressLine::mode_for(stderr, !options.progress);
  if (!one_at_a_time && mode == ProgressLine::Mode::terminal) mode = ProgressLine::Mode::off;
  ProgressLine shared(one_at_a_time ? mode : ProgressLine::Mode::off, stderr);
  run_in_order(
      pending.size(), threads,
      [&](std::size_t i) {
        const ThreadBudget::Busy busy(budget);
        ProgressLine own(one_at_a_time ? ProgressLine::Mode::off : mode, stderr);
        ProgressLine* progress = one_at_a_time ? &shared : &own;
        reports[pending[i]] =
            run_unit(prepared[pending[i]], out, progress->enabled() ? progress : nullptr, &budget);
      },
      [&](std::size_t i) {
        // Skipped experiments before this one print with it; then the count.
        print_ready(pending[i] + 1);
        ++done;
        fmt::print(log, "  [{} of {} experiments done]\n", done, prepared.size());
      },
      [&] { budget.give_back(); });
  if (options.counters != nullptr) {
    options.counters->most_busy_threads = budget.most_busy();
    for (const UnitReport& r : reports) {
      options.counters->most_runs_at_once =
          std::max(options.counters->most_runs_at_once, r.most_runs_at_once);
    }
  }
  print_ready(prepared.size());
  return reports;
}

int finish_sweep(const std::vector<PreparedExperiment>& prepared,
                 const std::vector<UnitReport>& reports, OutputDirectory& out, std::ostream& os,
                 std::ostream& err) {
  std::string runs;
  std::vector<MetricCells> metrics;
  std::string comparisons = comparisons_summary_header();
  for (const UnitReport& r : reports) {
    runs += r.runs_rows;
    metrics.insert(metrics.end(), r.runs_metrics.begin(), r.runs_metrics.end());
    comparisons += r.comparisons_rows;
  }
  std::vector<std::string> names;
  names.reserve(prepared.size());
  for (const PreparedExperiment& p : prepared) names.push_back(p.spec.name);
  const std::vector<std::string> removed = out.remove_folders_except(names);
  out.write("summary_runs.csv", runs_summary_csv(prepared.empty() ? std::vector<GridValue>{}
                                                                  : prepared.front().spec.grid,
                                                 runs, metrics));
  out.write("summary_comparisons.csv", comparisons);
  out.commit();

  std::size_t files = 0, skipped = 0, failed = 0;
  long not_completed = 0;
  bool input_error = false;
  for (const UnitReport& r : reports) {
    fmt::print(os, "{}", r.table);
    files += r.state == UnitReport::State::done ? r.files : 0;
    skipped += r.state == UnitReport::State::skipped;
    not_completed += r.not_completed;
    if (r.state == UnitReport::State::failed) {
      ++failed;
      input_error = input_error || r.input_error;
      fmt::print(err, "gradflow: error: {}\n", r.error);
    }
  }
  fmt::print(os,
             "\nwrote {} files to {}/ (one folder per experiment with meta.json, "
             "<run>.csv and compare_*.csv; summary_runs.csv and summary_comparisons.csv on top)\n",
             files + 2, std::filesystem::absolute(out.target()).lexically_normal().string());
  if (!removed.empty()) {
    fmt::print(os,
               "removed {} experiment folder(s) of an earlier run that this spec does not "
               "produce: {}\n",
               removed.size(), fmt::join(removed, ", "));
  }
  if (skipped > 0) {
    fmt::print(os, "resumed: {} experiment(s) complete from an earlier run were not run again\n",
               skipped);
  }
  if (not_completed > 0) {
    fmt::print(os,
               "note: {} run(s) stopped before t_end; see the status column above and meta.json\n",
               not_completed);
  }
  // A run out of its step budget stopped short of t_end and its files end
  // there: said loudly at the very end, where it cannot scroll away.
  std::string budget;
  std::size_t budget_runs = 0;
  for (const UnitReport& r : reports) {
    budget += r.step_budget;
    budget_runs +=
        static_cast<std::size_t>(std::count(r.step_budget.begin(), r.step_budget.end(), '\n'));
  }
  if (budget_runs > 0) {
    fmt::print(os,
               "\nWARNING: {} run(s) ran out of their step budget (stop.max_steps) before t_end:\n",
               budget_runs);
    std::size_t start = 0;
    while (start < budget.size()) {
      const std::size_t end = budget.find('\n', start);
      fmt::print(os, "WARNING:   {}\n", budget.substr(start, end - start));
      start = end + 1;
    }
    fmt::print(os,
               "WARNING: their files end there. Raise \"stop.max_steps\", or for a stiff flow use "
               "\"integrator\": \"auto\" (the default) or \"bdf\".\n");
  }
  if (failed == 0) return 0;
  fmt::print(err,
             "gradflow: {} of {} experiment(s) failed (status \"failed\" in summary_runs.csv); the "
             "others are complete\n",
             failed, reports.size());
  return input_error ? 2 : 1;
}

}  // namespace gradflow
