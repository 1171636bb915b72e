// `ledgerhouse replay --into SCHEMA [--until-time T | --until-seq N]`: the
// warehouse rebuilt from the event log into a fresh schema (tools/replay.h).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>

#include "tools/command.h"
#include "tools/replay.h"

namespace lh::tools {
namespace {

std::atomic<bool> g_replay_stop{false};

// First SIGINT/SIGTERM: finish the batch in hand, exit "interrupted".
// Second: leave at once (the target is consistent at every checkpoint).
extern "C" void on_replay_stop_signal(int) {
  if (g_replay_stop.exchange(true)) _exit(130);
}

struct ReplayArgs {
  std::string into;
  std::string until_time;
  uint64_t until_seq = 0;
  size_t batch_events = replay_runner_defaults().batch_events;
  size_t apply_events = replay_runner_defaults().max_events_per_apply;
  size_t max_in_flight = 16;
  size_t threads = 0;
  bool index_first = false;
};

std::string eta(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--";
  int s = static_cast<int>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}h{:02d}m", s / 3600, s / 60 % 60) : fmt::format("{}m{:02d}s", s / 60, s % 60);
}

void replay_command(const ReplayArgs& a, GlobalOptions& g) {
  std::signal(SIGINT, on_replay_stop_signal);
  std::signal(SIGTERM, on_replay_stop_signal);
  ReplayRequest req;
  req.dsn = g.pg_dsn;
  req.target.schema = a.into;
  if (auto s = projections::Schema::make(req.target); !s.ok())
    throw CommandError("--into: " + s.error().message, 2);
  if (a.until_seq > 0) req.until_seq = a.until_seq;
  if (!a.until_time.empty()) {
    auto t = parse_until_time(a.until_time);
    if (!t.ok()) throw CommandError(t.error().message, 2);
    req.until_time_us = *t;
  }
  req.defer_indexes = !a.index_first;
  req.runner.batch_events = a.batch_events;
  req.runner.max_events_per_apply = a.apply_events;
  req.runner.max_batches_in_flight = a.max_in_flight;
  req.runner.threads = a.threads;
  req.runner.stop = &g_replay_stop;
  auto log = open_log(g, /*read_only=*/true);

  const bool progress = progress_enabled(g);
  const char* clear = progress ? "\r\033[K" : "";
  uint64_t total = 0, resume_after = 0;
  auto last_print = std::chrono::steady_clock::now();
  req.on_start = [&](const storage::ReplayBound& b, uint64_t after) {
    total = b.until_seq;
    resume_after = after;
    if (!g.quiet)
      std::fprintf(stderr, "replaying %s into schema %s up to %s (seq %llu)%s\n", g.data_dir.c_str(),
                   a.into.c_str(), b.requested.c_str(), static_cast<unsigned long long>(b.until_seq),
                   after ? fmt::format(", resuming after seq {}", after).c_str() : "");
  };
  req.on_finishing = [&] {
    if (!g.quiet) std::fprintf(stderr, "%sbuilding indexes and marking the replay complete\n", clear);
  };
  req.runner.on_progress = [&](const actors::RunProgress& p) {
    auto now = std::chrono::steady_clock::now();
    if (!progress || now - last_print < std::chrono::milliseconds(250)) return;
    last_print = now;
    // Rate over this run's projected events (warm-up events are cheaper).
    uint64_t done = p.applied_seq;
    double rate = p.seconds > 0 ? (p.dispatched_seq - std::min(p.dispatched_seq, resume_after)) / p.seconds : 0;
    if (p.phase == actors::RunProgress::Phase::warmup) {
      rate = p.seconds > 0 ? p.dispatched_seq / p.seconds : 0;
      std::fprintf(stderr, "\r\033[K  warm-up: %s/%s events replayed into the owners  %s/s",
                   human_count(p.dispatched_seq).c_str(), human_count(resume_after).c_str(),
                   human_count(rate).c_str());
    } else {
      std::fprintf(stderr, "\r\033[K  %s/%s events (%.1f%%)  %s events/s  ETA %s", human_count(done).c_str(),
                   human_count(total).c_str(), total ? 100.0 * done / total : 100.0, human_count(rate).c_str(),
                   eta(rate > 0 ? (total - std::min(total, done)) / rate : -1).c_str());
    }
    std::fflush(stderr);
  };
  req.runner.on_notice = [&](const std::string& what) { std::fprintf(stderr, "%s%s\n", clear, what.c_str()); };

  auto r = replay_into(*log, req);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!r.ok()) throw CommandError(r.error().message);
  const auto& s = *r;
  using Outcome = ReplaySummary::Outcome;
  if (s.outcome == Outcome::already_complete) {
    std::printf("schema %s already holds a complete replay to %s (seq %llu): nothing changed\n", a.into.c_str(),
                s.bound.requested.c_str(), static_cast<unsigned long long>(s.bound.until_seq));
    return;
  }
  if (s.outcome == Outcome::interrupted)
    throw CommandError(fmt::format("interrupted at seq {}; run the same command again to resume", s.applied_seq),
                       130);
  std::printf("replayed into schema %s up to %s: seq %llu, %llu events in %.2f s (%s events/s; load %.2f s, "
              "%llu deferred repoints + indexes %.2f s), %llu transactions%s\n",
              a.into.c_str(), s.bound.requested.c_str(), static_cast<unsigned long long>(s.applied_seq),
              static_cast<unsigned long long>(s.events), s.total_s,
              human_count(s.total_s > 0 ? s.events / s.total_s : 0).c_str(), s.load_s,
              static_cast<unsigned long long>(s.deferred_repoints), s.index_s,
              static_cast<unsigned long long>(s.applies),
              s.resumed_after ? fmt::format(", resumed after seq {}", s.resumed_after).c_str() : "");
}

}  // namespace

void register_replay(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand(
      "replay",
      "Rebuild every projection from seq 1 of the event log into a fresh schema (--into), up to\n"
      "--until-seq N or --until-time T (every event ingested at or before T: the warehouse as it\n"
      "was at T), or the log head. Runs beside `run` without blocking it. SIGINT/SIGTERM: finish\n"
      "the batch in hand and exit 130; the same command again resumes where it stopped.");
  cmd->add_option("--into", a->into, "Target schema (created; must not exist unless made by replay)")->required();
  auto* t = cmd->add_option("--until-time", a->until_time,
                            "Last ingest time included: RFC 3339 or psql's 'YYYY-MM-DD HH:MM:SS[.ffffff]+00'");
  auto* s = cmd->add_option("--until-seq", a->until_seq, "Last seq included (0 = no seq bound: the log head)")
                ->check(CLI::NonNegativeNumber);
  t->excludes(s);
  cmd->add_option("--batch-events", a->batch_events, "Events per dispatcher batch")->check(CLI::Range(1, 1000000));
  cmd->add_option("--apply-events", a->apply_events, "Events merged into one PostgreSQL transaction")
      ->check(CLI::Range(1, 10000000));
  cmd->add_option("--max-in-flight", a->max_in_flight, "Batches between the actors and PostgreSQL")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--threads", a->threads, "CAF scheduler threads (0 = one per core)")->check(CLI::Range(0, 256));
  cmd->add_flag("--index-first", a->index_first,
                "Create the secondary indexes before loading (default: build them at the end)");
  cmd->callback([a, &g] { replay_command(*a, g); });
}

}  // namespace lh::tools
