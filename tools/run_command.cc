// `ledgerhouse run [--until-caught-up] [--batch-events N] [--ingest FILE... | --kafka BROKERS ...]`
#include "tools/run_command.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "actors/projection_runner.h"
#include "storage/ingest_pipeline.h"
#include "storage/kafka_source.h"
#include "tools/logging.h"
#include "tools/projection_versions.h"

namespace lh::tools {
namespace {

std::atomic<bool> g_stop{false};
// True until the warehouse is connected and its checkpoint read: nothing is
// in hand yet, so a signal ends the process at once (connecting retries for
// up to PgOptions::retry_for_s and would otherwise hold the signal for long).
std::atomic<bool> g_connecting{true};

// First SIGINT/SIGTERM: finish the batch in hand, apply it, exit 0.
// Second: leave at once (the warehouse is consistent at every checkpoint).
extern "C" void on_run_stop_signal(int) {
  if (g_connecting.load()) _exit(0);
  if (g_stop.exchange(true)) _exit(130);
}

// Ingests `files` into `log` in order (resumable, as `ingest`); the first
// failure is returned. Runs in its own thread next to the projection.
std::string ingest_files(storage::EventLog& log, const std::vector<std::string>& files,
                         const GlobalOptions& g) {
  storage::IngestOptions opts;
  opts.stop = &g_stop;
  opts.on_warning = [](const std::string& w) { log_message(LogLevel::warn, w); };
  for (const auto& f : files) {
    auto r = storage::ingest_ndjson(log, f, opts);
    if (!r.ok()) return "ingesting " + f + ": " + r.error().message;
    if (!g.quiet)
      std::fprintf(stderr, "%s%s: %llu appended, %llu duplicates, %llu quarantined\n",
                   progress_enabled(g) ? "\r\033[K" : "", f.c_str(),
                   static_cast<unsigned long long>(r->totals.appended),
                   static_cast<unsigned long long>(r->totals.duplicates),
                   static_cast<unsigned long long>(r->totals.quarantined));
    if (r->stopped) break;
  }
  return "";
}

// Consumes Kafka into `log` (as `ingest --kafka`; with --until-caught-up,
// every assigned partition to its end); the failure is returned. SIGINT and
// SIGTERM: the batch in hand is committed, the group left.
std::string ingest_kafka_topics(storage::EventLog& log, const RunArgs& a, const GlobalOptions& g) {
  KafkaSourceArgs k = a.kafka;
  k.exit_at_end = a.until_caught_up;
  storage::KafkaIngestOptions opts = kafka_ingest_options(k, size_t{1} << 20);
  opts.stop = &g_stop;
  const char* clear = progress_enabled(g) ? "\r\033[K" : "";
  opts.on_warning = [](const std::string& w) { log_message(LogLevel::warn, w); };
  auto r = storage::ingest_kafka(log, opts);
  if (!r.ok()) return "kafka: " + r.error().message;
  if (!g.quiet) std::fprintf(stderr, "%s%s\n", clear, kafka_summary_line(opts, *r).c_str());
  return "";
}

void print_progress(const actors::RunProgress& p, double rate) {
  using Phase = actors::RunProgress::Phase;
  if (p.phase == Phase::warmup) {
    std::fprintf(stderr, "\r\033[K  warm-up: %s/%s events replayed into the owners  %s/s",
                 human_count(p.dispatched_seq).c_str(), human_count(p.start_seq).c_str(),
                 human_count(rate).c_str());
  } else {
    uint64_t lag = p.head_seq > p.applied_seq ? p.head_seq - p.applied_seq : 0;
    std::fprintf(stderr, "\r\033[K  %s: applied seq %llu of %llu  lag %s events  %s events/s  %zu owners",
                 p.phase == Phase::tail ? "tailing" : "catching up",
                 static_cast<unsigned long long>(p.applied_seq),
                 static_cast<unsigned long long>(p.head_seq), human_count(lag).c_str(),
                 human_count(rate).c_str(), p.owners);
  }
  std::fflush(stderr);
}

}  // namespace

std::unique_ptr<storage::PgWriter> connect_warehouse(const GlobalOptions& g,
                                                     const projections::Schema& schema,
                                                     std::function<void()> on_retry) {
  storage::PgOptions po;
  po.dsn = g.pg_dsn;
  po.on_retry = [on_retry](const std::string& what, int attempt, int64_t delay_ms) {
    if (on_retry) on_retry();
    log_message(LogLevel::warn, fmt::format("PostgreSQL: {}; retrying in {} ms", what, delay_ms),
        {{"attempt", std::to_string(attempt)}, {"retry_in_ms", std::to_string(delay_ms)}});
  };
  auto w = storage::PgWriter::connect(po, schema);
  if (!w.ok()) throw CommandError("connecting to PostgreSQL: " + w.error().message);
  return std::move(*w);
}

void run_projection_command(const RunArgs& a, GlobalOptions& g) {
  check_kafka_args(a.kafka, "run");
  if (a.kafka.enabled() && !a.ingest.empty())
    throw CommandError("run: give either --ingest FILE or --kafka, not both", 2);
  projections::Schema schema = warehouse_schema(g);
  std::signal(SIGINT, on_run_stop_signal);  // at once: see g_connecting
  std::signal(SIGTERM, on_run_stop_signal);
  RunInstruments instruments(a.metrics);  // metrics, /healthz, run history
  instruments.serve();
  auto pg_failed = [&instruments] { instruments.metrics().on_pg(false); };
  auto writer = connect_warehouse(g, schema, pg_failed);
  auto cp0 = writer->checkpoint();
  if (!cp0.ok()) throw CommandError("reading the checkpoint: " + cp0.error().message);
  if (!cp0->initialized)
    throw CommandError("schema '" + g.schema + "' is not initialized: run `ledgerhouse init-db` first");

  g_connecting = false;  // from here a signal stops after the batch in hand
  // With --ingest or --kafka the source appends from a thread of this
  // process while the projection follows the log; --until-caught-up waits
  // for the source to end (files: their end; Kafka: every partition's end).
  const bool source = !a.ingest.empty() || a.kafka.enabled();
  auto log = open_log(g, /*read_only=*/!source);
  instruments.monitor(*log, g);
  struct StopInstruments {  // before the log goes: the monitor reads it
    RunInstruments& i;
    ~StopInstruments() { i.stop(); }
  } stop_instruments{instruments};
  std::atomic<bool> appending{source};
  std::string ingest_error;
  std::thread ingester;
  if (source)
    ingester = std::thread([&] {
      ingest_error = a.kafka.enabled() ? ingest_kafka_topics(*log, a, g) : ingest_files(*log, a.ingest, g);
      if (!ingest_error.empty()) {
        log_message(LogLevel::error, ingest_error + "; stopping the run after the batch in hand");
        g_stop = true;  // a following run would never notice otherwise
      }
      appending = false;
    });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) {
        g_stop = true;  // the run failed: stop the ingest after its batch in hand
        t.join();
      }
    }
  } join{ingester};

  actors::RunnerOptions ro;
  ro.batch_events = a.batch_events;
  ro.max_batches_in_flight = a.max_in_flight;
  ro.until_caught_up = a.until_caught_up;
  ro.poll_ms = a.poll_ms;
  ro.threads = a.threads;
  std::atomic<bool> run_stop{false};  // g_stop, or a swap seen by the watcher
  ro.stop = &run_stop;
  ro.appending = &appending;
  bool progress = progress_enabled(g);
  auto started = std::chrono::steady_clock::now();
  auto last_print = started - std::chrono::seconds(1);
  uint64_t last_events = 0;
  auto last_rate_at = started;
  double rate = 0;
  ro.on_progress = [&](const actors::RunProgress& p) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_print < std::chrono::milliseconds(250)) return;
    double dt = std::chrono::duration<double>(now - last_rate_at).count();
    if (dt > 0) rate = (p.events - last_events) / dt;
    last_events = p.events;
    last_rate_at = now;
    last_print = now;
    if (progress) print_progress(p, rate);
  };
  ro.on_notice = [](const std::string& what) { log_message(LogLevel::info, what); };
  instruments.wire(ro);
  // Projects while the warehouse has this code's projection versions; a
  // swap by `rebuild` (or --rollback) ends the run's applies (PgWriter::
  // expect_schema) and it starts again from the new schema's checkpoint.
  Result<actors::RunSummary> r = Error{"not run"};
  for (;;) {
    auto cp = await_matching_versions(*writer, schema, g, g_stop, a.poll_ms);
    if (!cp) {
      if (!g.quiet) std::fprintf(stderr, "stopped while waiting for matching projection versions\n");
      if (ingester.joinable()) ingester.join();
      return;
    }
    writer->expect_schema(cp->schema_oid);
    ro.start_seq = cp->last_seq;
    ro.skips = cp->skips;
    if (!g.quiet)
      std::fprintf(stderr, "projecting %s into schema %s from seq %llu (log head %llu)\n",
                   g.data_dir.c_str(), g.schema.c_str(), static_cast<unsigned long long>(cp->last_seq + 1),
                   static_cast<unsigned long long>(log->last_seq()));
    actors::ProjectionSink sink;
    storage::PgWriter* w = writer.get();
    sink.apply = [w](const std::vector<const projections::RowBatch*>& batches) { return w->apply(batches); };
    sink.paused = [w]() -> Result<bool> {
      auto c = w->checkpoint();
      if (!c.ok()) return c.error();
      for (const auto& p : c->projections)
        if (p.paused) return true;
      return false;
    };
    run_stop = false;
    SchemaWatch watch(g, schema, cp->schema_oid, g_stop, run_stop);
    r = actors::run_projection(*log, schema, instruments.wrap(std::move(sink)), ro);
    bool swapped = watch.end() || writer->schema_swapped();
    if (g_stop || !swapped || (r.ok() && !r->stopped)) break;
    if (progress) std::fprintf(stderr, "\r\033[K");
    log_message(LogLevel::info, fmt::format("schema {} was swapped by `ledgerhouse rebuild` (or --rollback): "
                                            "starting again from its checkpoint", g.schema));
    writer = connect_warehouse(g, schema, pg_failed);  // fresh session: staging tables of the new tables
  }
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!r.ok()) throw CommandError(r.error().message);
  if (ingester.joinable()) ingester.join();
  if (!ingest_error.empty()) throw CommandError(ingest_error);
  const auto& s = r->last;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  uint64_t projected = s.applied_seq - s.start_seq;
  if (!g.quiet)
    std::fprintf(stderr,
                 "%s at seq %llu: %llu events projected (%llu replayed for warm-up) in %.2f s "
                 "(%s events/s), %llu transactions%s\n",
                 r->stopped ? "stopped" : "caught up", static_cast<unsigned long long>(s.applied_seq),
                 static_cast<unsigned long long>(projected),
                 static_cast<unsigned long long>(std::min(s.start_seq, s.events)), secs,
                 human_count(secs > 0 ? projected / secs : 0).c_str(),
                 static_cast<unsigned long long>(s.applies),
                 s.anomalies ? fmt::format(", {} seq gaps in the log", s.anomalies).c_str() : "");
}

void register_run(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "run",
      "Project the event log into the PostgreSQL warehouse (--pg, --schema), exactly once:\n"
      "each transaction carries the checkpoint. Resumes after the stored checkpoint (the\n"
      "entity actors first replay the log up to it to rebuild their state), then follows the\n"
      "log. SIGINT/SIGTERM: finish the batch in hand and exit 0; a second signal exits at once.\n"
      "Projection versions of the warehouse other than this code's: waits, writing nothing,\n"
      "until `ledgerhouse rebuild` swaps in this version (docs/rebuild.md).");
  cmd->add_flag("--until-caught-up", a->until_caught_up,
                "Exit 0 once every event in the log is projected, instead of following the log");
  cmd->add_option("--batch-events", a->batch_events, "Events per dispatcher batch")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-in-flight", a->max_in_flight,
                  "Batches handed to the projector and not yet applied (backpressure)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--threads", a->threads, "CAF scheduler threads (0 = one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--poll-ms", a->poll_ms, "How often to look for new events when caught up")
      ->check(CLI::Range(1, 60000));
  cmd->add_option("--ingest", a->ingest,
                  "NDJSON files to ingest into the log (resumable, as `ingest`) while projecting");
  add_kafka_options(cmd, a->kafka, /*exit_at_end_flag=*/false);
  add_metrics_options(cmd, a->metrics);
  cmd->callback([a, &g] { run_projection_command(*a, g); });
}

}  // namespace lh::tools
