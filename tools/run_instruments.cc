// RunInstruments (run_instruments.h).
#include "tools/run_instruments.h"

#include <chrono>
#include <cstdio>

#include "tools/logging.h"

namespace lh::tools {
namespace {
MetricsOptions metrics_options(const MetricsArgs& a) {
  MetricsOptions o;
  o.top_vendors = a.top_vendors;
  o.max_lag_seconds = a.max_lag_seconds;
  o.max_lag_events = a.max_lag_events;
  return o;
}
}  // namespace

void add_metrics_options(CLI::App* cmd, MetricsArgs& a) {
  cmd->add_option("--metrics", a.addr,
                  "Serve /metrics (Prometheus) and /healthz on HOST:PORT, :PORT (all interfaces) or "
                  "[IPv6]:PORT; port 0 picks a free port (printed on stdout)");
  cmd->add_option("--healthz-max-lag-seconds", a.max_lag_seconds,
                  "/healthz is 503 while the oldest unapplied event is older than this")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--healthz-max-lag-events", a.max_lag_events,
                  "/healthz is 503 while more events than this wait to be applied (0 = no bound)");
  cmd->add_option("--metrics-top-vendors", a.top_vendors,
                  "Vendors with their own ledgerhouse_vendor_events_total series; the rest is \"other\"")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--history-interval", a.history_interval_s,
                  "Seconds between samples appended to <data-dir>/run-history.ndjson (for `report`); 0 = none")
      ->check(CLI::Range(0.0, 86400.0));
}

RunInstruments::RunInstruments(const MetricsArgs& args) : args_(args), metrics_(metrics_options(args)) {}

void RunInstruments::stop() {
  server_.reset();
  monitor_.reset();
}

void RunInstruments::serve() {
  if (args_.addr.empty()) return;
  auto addr = parse_listen_address(args_.addr);
  if (!addr.ok()) throw CommandError(addr.error().message, 2);
  auto s = MetricsServer::start(*addr, metrics_);
  if (!s.ok()) throw CommandError(s.error().message);
  server_ = std::move(*s);
  std::string host = addr->host.find(':') != std::string::npos ? "[" + addr->host + "]" : addr->host;
  std::printf("metrics: listening on http://%s:%d/metrics\n", host.c_str(), server_->port());
  std::fflush(stdout);
}

void RunInstruments::monitor(const storage::EventLog& log, const GlobalOptions& g) {
  MonitorOptions mo;
  mo.pg_dsn = g.pg_dsn;
  mo.data_dir = g.data_dir;
  mo.history_interval_s = args_.history_interval_s;
  mo.on_warning = [](const std::string& w) { log_message(LogLevel::warn, w); };
  monitor_ = std::make_unique<RunMonitor>(log, metrics_, std::move(mo));
}

void RunInstruments::wire(actors::RunnerOptions& ro) {
  auto prev = std::move(ro.on_progress);
  ro.on_progress = [this, prev](const actors::RunProgress& p) {
    metrics_.on_progress(p);
    if (prev) prev(p);
  };
  ro.on_batch = [this](const projections::EventBatch& b) { metrics_.on_batch(b); };
}

actors::ProjectionSink RunInstruments::wrap(actors::ProjectionSink sink) {
  auto apply = std::move(sink.apply);
  sink.apply = [this, apply](const std::vector<const projections::RowBatch*>& batches) {
    auto t0 = std::chrono::steady_clock::now();
    Status s = apply(batches);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    metrics_.on_apply(batches, secs, s.ok());
    if (!s.ok()) metrics_.on_pg(false);
    return s;
  };
  return sink;
}

}  // namespace lh::tools
