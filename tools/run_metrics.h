// What `ledgerhouse run` knows about itself, as Prometheus metrics and a
// health verdict. The pipeline's threads record into a RunMetrics (a short
// mutex-protected update per batch or apply, never per event); the monitor
// thread (run_monitor.h) adds what it samples from the log and PostgreSQL;
// the HTTP handlers (metrics_server.h) only copy and format. A scrape never
// waits on the log, PostgreSQL or the actors.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/projection_runner.h"
#include "projections/rows.h"
#include "storage/event_log.h"

namespace lh::tools {

struct MetricsOptions {
  size_t top_vendors = 20;          // vendor_id label values exposed; the rest is "other"
  double max_lag_seconds = 30;      // /healthz: ready only when the lag is within this...
  uint64_t max_lag_events = 0;      // ...and within this many events (0 = no bound)
  double pg_stale_seconds = 15;     // /healthz: PostgreSQL not heard of for longer = not ready
};

// What the monitor samples from the log (and the lag it derives).
struct LogSample {
  storage::LogStats stats;
  // The oldest event not applied when sampled (0 = none) and its ingest time.
  uint64_t oldest_unapplied_seq = 0;
  int64_t oldest_unapplied_ingest_us = 0;
  int64_t at_us = 0;  // when sampled (wall clock)
};

// A copy of the run's state, for the history file and the monitor.
struct RunSnapshot {
  actors::RunProgress progress;
  bool have_progress = false;
  LogSample log;
  bool have_log = false;
  bool pg_up = false;
  int64_t pg_seen_us = 0;  // last time PostgreSQL answered (apply or probe)
};

// Events waiting to be applied, by the freshest head seq known.
uint64_t lag_events(const RunSnapshot& s);
// now - ingest time of the oldest unapplied event; 0 when caught up. Between
// samples the oldest event may have been applied already: the figure is then
// an overestimate by at most the sampling interval, never an underestimate.
double lag_seconds(const RunSnapshot& s, int64_t now_us);

struct Health {
  bool ready = false;
  std::string reason;  // "ok", or why not
};

// Histogram bucket bounds (seconds) of ledgerhouse_apply_duration_seconds.
const std::vector<double>& apply_duration_buckets();

// The vendors an event concerns (deduplicated, in first-seen order): an order
// counts once for each vendor it has lines with. Empty for customer events and
// for events whose vendor is not in the event itself.
std::vector<const std::string*> vendors_of(const events::Event& e);

class RunMetrics {
 public:
  explicit RunMetrics(MetricsOptions options);

  // Dispatcher thread (RunnerOptions::on_progress / on_batch).
  void on_progress(const actors::RunProgress& p);
  void on_batch(const projections::EventBatch& batch);
  // Projector thread: one sink apply of `batches`, `seconds` long.
  void on_apply(const std::vector<const projections::RowBatch*>& batches, double seconds, bool ok);
  // PostgreSQL answered (true) or an attempt failed (false), from any thread.
  void on_pg(bool up);
  // Monitor thread.
  void on_log_sample(const LogSample& s);

  RunSnapshot snapshot() const;
  Health health(int64_t now_us) const;
  // The Prometheus text exposition format (version 0.0.4) of everything.
  std::string render(int64_t now_us) const;

  const MetricsOptions& options() const { return opt_; }

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  Health health_locked(int64_t now_us) const;

  MetricsOptions opt_;
  int64_t started_us_;
  mutable std::mutex mu_;
  RunSnapshot snap_;
  uint64_t pg_errors_ = 0;
  Histogram apply_;
  uint64_t apply_failures_ = 0;
  uint64_t rows_upserted_[projections::kTableCount] = {};
  uint64_t rows_inserted_[projections::kTableCount] = {};
  uint64_t rows_deleted_[projections::kTableCount] = {};
  uint64_t repoints_ = 0, projection_errors_ = 0;
  uint64_t projected_ = 0;  // events of applied batches: survives the runner's restarts
  std::unordered_map<std::string, uint64_t> vendor_events_;
  uint64_t vendor_events_total_ = 0;
  // Vendors given their own series: sticky once chosen, so that every series,
  // "other" included, only ever grows (a counter must not go down).
  mutable std::vector<std::string> exposed_vendors_;
};

// Wall clock in microseconds since the epoch.
int64_t now_us();

}  // namespace lh::tools
