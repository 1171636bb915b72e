// `ledgerhouse rebuild [--projection NAME] [--force]` and `rebuild --rollback`:
// a new projection version built from the log in <schema>_shadow while live
// ingestion and `run` go on, then swapped in with one transaction; the
// replaced schema stays as <schema>_prev. Design: docs/rebuild.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "actors/projection_runner.h"
#include "storage/pg_swap.h"
#include "tools/command.h"
#include "tools/projection_versions.h"
#include "tools/run_command.h"

namespace lh::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct RebuildArgs {
  std::string projection;
  bool force = false;
  bool rollback = false;
  size_t batch_events = 4096;
  size_t threads = 0;
  int swap_timeout_ms = 5000;
};

std::atomic<bool> g_rebuild_stop{false};
extern "C" void on_rebuild_stop_signal(int) {
  if (g_rebuild_stop.exchange(true)) _exit(130);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The schema `name` as this code describes it (same options, other name).
projections::Schema schema_named(const GlobalOptions& g, const std::string& name) {
  GlobalOptions other = g;
  other.schema = name;
  return warehouse_schema(other);
}

// Admin connections fail at once (a person is waiting); the shadow's writer
// retries like `run`'s.
std::unique_ptr<storage::PgWriter> connect_now(const GlobalOptions& g, const projections::Schema& s) {
  storage::PgOptions o;
  o.dsn = g.pg_dsn;
  o.retry_for_s = 0;
  auto w = storage::PgWriter::connect(o, s);
  if (!w.ok()) throw CommandError("connecting to PostgreSQL: " + w.error().message);
  return std::move(w.value());
}

storage::Checkpoint live_checkpoint(storage::PgWriter& w, const GlobalOptions& g) {
  auto cp = w.checkpoint();
  if (!cp.ok()) throw CommandError("reading the checkpoint: " + cp.error().message);
  if (!cp->initialized)
    throw CommandError(fmt::format("no warehouse in schema {} ({}): nothing to rebuild (`ledgerhouse init-db` "
                                   "then `ledgerhouse run` builds one)",
                                   g.schema, storage::describe_dsn(g.pg_dsn)));
  if (cp->ddl_version != projections::Schema::kDdlVersion)
    throw CommandError(fmt::format("schema {} has DDL version {}, this ledgerhouse writes {}: rebuild cannot swap "
                                   "across DDL versions; replay into a new schema instead",
                                   g.schema, cp->ddl_version, projections::Schema::kDdlVersion));
  return cp.value();
}

std::string name_or_throw(const Result<std::string>& r) {
  if (!r.ok()) throw CommandError(r.error().message, 2);
  return r.value();
}

std::string versions_of(const storage::Checkpoint& cp) {
  std::string out;
  for (const auto& p : cp.projections) out += fmt::format("{}{} v{}", out.empty() ? "" : ", ", p.name, p.version);
  return out;
}

std::unique_ptr<storage::RebuildLock> rebuild_lock(const GlobalOptions& g) {
  storage::PgOptions o;
  o.dsn = g.pg_dsn;
  auto l = storage::RebuildLock::take(o, g.schema);
  if (!l.ok()) throw CommandError(l.error().message);
  return std::move(l.value());
}

void run_rollback(const GlobalOptions& g) {
  auto schema = warehouse_schema(g);
  const std::string prev = name_or_throw(storage::prev_schema_name(g.schema));
  auto live = connect_now(g, schema);
  auto lock = rebuild_lock(g);
  storage::Checkpoint cp = live_checkpoint(*live, g);
  auto prev_schema = schema_named(g, prev);
  auto old = connect_now(g, prev_schema)->checkpoint();
  if (!old.ok()) throw CommandError("reading the checkpoint of " + prev + ": " + old.error().message);
  if (!old->initialized)
    throw CommandError(fmt::format("nothing to roll back to: schema {} does not exist (or is not a warehouse); "
                                   "`ledgerhouse rebuild` keeps the replaced version there after a swap",
                                   prev));
  storage::PgOptions o;
  o.dsn = g.pg_dsn;
  storage::SwapRequest req{g.schema, prev, prev, &prev_schema, -1};
  auto r = storage::swap_schemas(o, req);
  if (!r.ok()) throw CommandError("rollback: " + r.error().message);
  std::printf("rolled back schema %s to the previous warehouse (%s; checkpoint seq %llu, the replaced one was at "
              "seq %llu) in %.1f ms (live applies blocked that long)\n"
              "the replaced warehouse (%s) is now %s: `ledgerhouse rebuild --rollback` swaps it back\n"
              "a `ledgerhouse run` of the matching version catches %s up from seq %llu\n",
              g.schema.c_str(), versions_of(*old).c_str(), static_cast<unsigned long long>(r->incoming_seq),
              static_cast<unsigned long long>(r->live_seq), r->swap_ms, versions_of(cp).c_str(), prev.c_str(),
              g.schema.c_str(), static_cast<unsigned long long>(r->incoming_seq + 1));
}

// Whether to rebuild at all; says why not on stdout.
bool rebuild_needed(const RebuildArgs& a, const projections::Schema& code, const storage::Checkpoint& cp,
                    const GlobalOptions& g) {
  if (!a.projection.empty()) {
    const auto& ps = code.projections();
    if (std::none_of(ps.begin(), ps.end(), [&](const auto& p) { return p.name == a.projection; })) {
      std::string known;
      for (const auto& p : ps) known += (known.empty() ? "" : ", ") + p.name;
      throw CommandError(fmt::format("--projection: no projection named '{}' (known: {})", a.projection, known), 2);
    }
  }
  auto diffs = version_diffs(code, cp);
  if (!a.projection.empty())
    diffs.erase(std::remove_if(diffs.begin(), diffs.end(),
                               [&](const VersionDiff& d) { return d.projection != a.projection; }),
                diffs.end());
  for (const auto& d : diffs)
    if (d.warehouse > d.code && !a.force)
      throw CommandError(fmt::format("schema {} is newer than this ledgerhouse ({}): rebuilding would go back a "
                                     "version; use `ledgerhouse rebuild --rollback` (or --force)",
                                     g.schema, describe(diffs)));
  if (diffs.empty() && !a.force) {
    std::printf("schema %s already has this ledgerhouse's version of %s (%s): nothing to rebuild (--force rebuilds "
                "anyway)\n",
                g.schema.c_str(), a.projection.empty() ? "every projection" : a.projection.c_str(),
                versions_of(cp).c_str());
    return false;
  }
  if (!a.projection.empty())
    std::fprintf(stderr, "projections share one pipeline and one checkpoint: rebuilding all of them (%s)\n",
                 diffs.empty() ? "--force" : describe(diffs).c_str());
  else if (!diffs.empty() && !g.quiet)
    std::fprintf(stderr, "rebuilding schema %s: %s\n", g.schema.c_str(), describe(diffs).c_str());
  return true;
}

// The shadow schema to project into: one left by an interrupted rebuild of
// the same versions is resumed from its checkpoint; any other is replaced.
std::unique_ptr<storage::PgWriter> prepare_shadow(const GlobalOptions& g, const projections::Schema& shadow,
                                                  storage::Checkpoint* cp) {
  const std::string& name = shadow.options().schema;
  storage::PgOptions o;
  o.dsn = g.pg_dsn;
  o.on_retry = [](const std::string& what, int attempt, int64_t delay_ms) {
    std::fprintf(stderr, "PostgreSQL: %s (attempt %d, retrying in %lld ms)\n", what.c_str(), attempt,
                 static_cast<long long>(delay_ms));
  };
  auto w = storage::PgWriter::connect(o, shadow);
  if (!w.ok()) throw CommandError("connecting to PostgreSQL: " + w.error().message);
  auto old = (*w)->checkpoint();
  if (!old.ok()) throw CommandError("reading the checkpoint of " + name + ": " + old.error().message);
  bool resume = old->initialized && old->ddl_version == projections::Schema::kDdlVersion &&
                version_diffs(shadow, *old).empty();
  if (resume) {
    std::fprintf(stderr, "resuming shadow schema %s left at seq %llu by an earlier rebuild\n", name.c_str(),
                 static_cast<unsigned long long>(old->last_seq));
  } else {
    auto exists = storage::schema_exists(o, name);
    if (!exists.ok()) throw CommandError(exists.error().message);
    if (*exists) {
      std::fprintf(stderr, "replacing schema %s left by an earlier rebuild (%s)\n", name.c_str(),
                   old->initialized ? describe(version_diffs(shadow, *old)).c_str() : "not a complete warehouse");
      if (Status s = storage::drop_schema(o, name); !s.ok()) throw CommandError(s.error().message);
    }
    if (Status s = (*w)->init_db(); !s.ok()) throw CommandError("creating the shadow schema: " + s.error().message);
  }
  auto now = (*w)->checkpoint();
  if (!now.ok()) throw CommandError("reading the checkpoint of " + name + ": " + now.error().message);
  (*w)->expect_schema(now->schema_oid);
  *cp = now.value();
  return std::move(w.value());
}

void print_progress(const actors::RunProgress& p, double rate, const std::string& shadow) {
  if (p.phase == actors::RunProgress::Phase::warmup) {
    std::fprintf(stderr, "\r\033[K  %s warm-up: %s/%s events  %s/s", shadow.c_str(),
                 human_count(p.dispatched_seq).c_str(), human_count(p.start_seq).c_str(), human_count(rate).c_str());
  } else {
    uint64_t lag = p.head_seq > p.applied_seq ? p.head_seq - p.applied_seq : 0;
    std::fprintf(stderr, "\r\033[K  %s: seq %llu of %llu  %s events/s  ETA %s", shadow.c_str(),
                 static_cast<unsigned long long>(p.applied_seq), static_cast<unsigned long long>(p.head_seq),
                 human_count(rate).c_str(), rate > 0 ? fmt::format("{:.0f} s", lag / rate).c_str() : "-");
  }
  std::fflush(stderr);
}

void run_rebuild(const RebuildArgs& a, const GlobalOptions& g) {
  std::signal(SIGINT, on_rebuild_stop_signal);
  std::signal(SIGTERM, on_rebuild_stop_signal);
  const auto started = Clock::now();
  auto code = warehouse_schema(g);
  const std::string shadow_name = name_or_throw(storage::shadow_schema_name(g.schema));
  const std::string prev_name = name_or_throw(storage::prev_schema_name(g.schema));
  auto live = connect_now(g, code);
  storage::Checkpoint cp = live_checkpoint(*live, g);
  if (!rebuild_needed(a, code, cp, g)) return;
  auto lock = rebuild_lock(g);

  auto shadow = schema_named(g, shadow_name);
  storage::Checkpoint scp;
  auto writer = prepare_shadow(g, shadow, &scp);
  auto log = open_log(g, /*read_only=*/true);

  actors::RunnerOptions ro;
  ro.batch_events = a.batch_events;
  ro.threads = a.threads;
  ro.poll_ms = 100;
  ro.start_seq = scp.last_seq;
  ro.skips = cp.skips;  // the live schema's skips (copied into it at the swap)
  ro.skips.insert(ro.skips.end(), scp.skips.begin(), scp.skips.end());
  std::sort(ro.skips.begin(), ro.skips.end());
  ro.skips.erase(std::unique(ro.skips.begin(), ro.skips.end()), ro.skips.end());
  std::atomic<bool> stop{false};
  ro.stop = &stop;
  std::atomic<uint64_t> shadow_seq{scp.last_seq};
  std::atomic<bool> warm{scp.last_seq == 0};
  const bool progress = progress_enabled(g);
  auto last_print = started;
  uint64_t last_events = 0;
  double rate = 0;
  ro.on_progress = [&](const actors::RunProgress& p) {
    shadow_seq = p.applied_seq;
    warm = p.phase != actors::RunProgress::Phase::warmup;
    if (g_rebuild_stop) stop = true;
    auto now = Clock::now();
    if (now - last_print < std::chrono::milliseconds(250)) return;
    double dt = std::chrono::duration<double>(now - last_print).count();
    rate = (p.events - last_events) / dt;
    last_events = p.events;
    last_print = now;
    if (progress) print_progress(p, rate, shadow_name);
  };
  ro.on_notice = [&](const std::string& what) { std::fprintf(stderr, "%s%s\n", progress ? "\r\033[K" : "", what.c_str()); };
  if (!g.quiet)
    std::fprintf(stderr, "building %s from seq %llu (log head %llu, live schema %s at seq %llu)\n",
                 shadow_name.c_str(), static_cast<unsigned long long>(scp.last_seq + 1),
                 static_cast<unsigned long long>(log->last_seq()), g.schema.c_str(),
                 static_cast<unsigned long long>(cp.last_seq));

  // The swap controller: once the shadow is near the log head, swap under
  // the apply lock (storage/pg_swap.h); until then, or if the shadow does
  // not reach the live checkpoint in time, try again.
  std::optional<storage::SwapResult> swapped;
  std::string swap_error;
  int attempts = 0;
  std::thread controller([&] {
    storage::PgOptions o;
    o.dsn = g.pg_dsn;
    const uint64_t near = std::max<uint64_t>(4 * a.batch_events, 10000);
    storage::SwapRequest req{g.schema, shadow_name, prev_name, &shadow, a.swap_timeout_ms};
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (g_rebuild_stop) stop = true;
      uint64_t head = log->last_seq(), at = shadow_seq;
      if (stop || !warm || at + near < head) continue;
      ++attempts;
      auto r = storage::swap_schemas(o, req);
      if (!r.ok()) {
        swap_error = r.error().message;
        stop = true;
      } else if (r->swapped) {
        swapped = *r;
        stop = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    }
  });
  actors::ProjectionSink sink;
  storage::PgWriter* w = writer.get();
  sink.apply = [w](const std::vector<const projections::RowBatch*>& batches) { return w->apply(batches); };
  auto r = actors::run_projection(*log, shadow, std::move(sink), ro);
  stop = true;
  controller.join();
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!swap_error.empty()) throw CommandError("swapping " + shadow_name + " in: " + swap_error);
  if (!swapped) {
    if (!r.ok()) throw CommandError("building " + shadow_name + ": " + r.error().message);
    throw CommandError(fmt::format("interrupted: {} stays at seq {}; `ledgerhouse rebuild` resumes it, "
                                   "schema {} is unchanged",
                                   shadow_name, static_cast<unsigned long long>(shadow_seq.load()), g.schema),
                       130);
  }
  // After the swap the runner's next apply finds the shadow renamed
  // (schema_swapped): expected, nothing was written by it.
  if (!r.ok() && !writer->schema_swapped()) throw CommandError("building " + shadow_name + ": " + r.error().message);
  double secs = seconds_since(started);
  uint64_t built = swapped->incoming_seq - scp.last_seq;
  std::printf("rebuilt schema %s: %llu events projected into %s in %.2f s (%s events/s); swapped in at seq %llu "
              "(live was at seq %llu) after %d attempt%s: live applies blocked %.1f ms (waited %.1f ms for the "
              "lock)\n"
              "the previous version is kept as %s (`ledgerhouse rebuild --rollback` swaps it back); a "
              "`ledgerhouse run` of this version continues from seq %llu, one of the old version waits\n",
              g.schema.c_str(), static_cast<unsigned long long>(built), shadow_name.c_str(), secs,
              human_count(secs > 0 ? built / secs : 0).c_str(), static_cast<unsigned long long>(swapped->incoming_seq),
              static_cast<unsigned long long>(swapped->live_seq), attempts, attempts == 1 ? "" : "s",
              swapped->swap_ms, swapped->lock_wait_ms, prev_name.c_str(),
              static_cast<unsigned long long>(swapped->incoming_seq + 1));
}

}  // namespace

void register_rebuild(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<RebuildArgs>();
  auto* cmd = app.add_subcommand(
      "rebuild",
      "Build this ledgerhouse's projection versions from the event log in <schema>_shadow while\n"
      "ingestion and `run` go on, catch up, then swap it in with one transaction (readers see the\n"
      "old or the new warehouse, never half of one). The replaced schema stays as <schema>_prev.\n"
      "An interrupted rebuild resumes its shadow. --rollback swaps <schema>_prev back in.");
  cmd->add_option("--projection", a->projection,
                  "Rebuild because this projection changed (all projections share one pipeline: all are "
                  "rebuilt)");
  cmd->add_flag("--force", a->force, "Rebuild even when the versions already match");
  cmd->add_flag("--rollback", a->rollback, "Swap <schema>_prev back in (the current schema becomes _prev)");
  cmd->add_option("--batch-events", a->batch_events, "Events per dispatcher batch")->check(CLI::Range(1, 1000000));
  cmd->add_option("--threads", a->threads, "CAF scheduler threads (0 = one per core)")->check(CLI::Range(0, 256));
  cmd->add_option("--swap-timeout-ms", a->swap_timeout_ms,
                  "Longest time live applies wait, per swap attempt, for the shadow to reach their checkpoint")
      ->check(CLI::Range(0, 600000));
  cmd->callback([a, &g] {
    if (a->rollback && (a->force || !a->projection.empty()))
      throw CommandError("--rollback takes no --force or --projection: it swaps the whole previous schema back", 2);
    if (a->rollback)
      run_rollback(g);
    else
      run_rebuild(*a, g);
  });
}

}  // namespace lh::tools
