// How `run` wires its metrics in: the --metrics options, the RunMetrics the
// pipeline records into, the monitor thread and the HTTP server. Kept out of
// run_command.cc so that `run` only has to hook three callbacks.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "actors/projection_runner.h"
#include "storage/event_log.h"
#include "tools/command.h"
#include "tools/metrics_server.h"
#include "tools/run_metrics.h"
#include "tools/run_monitor.h"

namespace lh::tools {

struct MetricsArgs {
  std::string addr;                 // --metrics; empty = no HTTP endpoint
  double max_lag_seconds = 30;      // --healthz-max-lag-seconds
  uint64_t max_lag_events = 0;      // --healthz-max-lag-events (0 = none)
  size_t top_vendors = 20;          // --metrics-top-vendors
  double history_interval_s = 5;    // --history-interval (0 = no run history)
};

void add_metrics_options(CLI::App* cmd, MetricsArgs& a);

class RunInstruments {
 public:
  explicit RunInstruments(const MetricsArgs& args);
  ~RunInstruments() { stop(); }
  // Stops the server, then the monitor (last history sample). Idempotent;
  // must run before the log given to start() is closed.
  void stop();

  RunMetrics& metrics() { return metrics_; }
  // With --metrics, starts the server and prints its address on stdout
  // ("metrics: listening on http://HOST:PORT/metrics"); throws CommandError
  // when the address is bad or taken. Called before connecting to
  // PostgreSQL, so a run stuck retrying the connection is visible.
  void serve();
  // Starts the monitor thread on the log.
  void monitor(const storage::EventLog& log, const GlobalOptions& g);
  // Chains the metrics into the runner's callbacks and times the sink.
  void wire(actors::RunnerOptions& ro);
  actors::ProjectionSink wrap(actors::ProjectionSink sink);

 private:
  MetricsArgs args_;
  RunMetrics metrics_;
  std::unique_ptr<RunMonitor> monitor_;
  std::unique_ptr<MetricsServer> server_;
};

}  // namespace lh::tools
