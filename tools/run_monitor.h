// The monitor thread of `ledgerhouse run`: once a second it samples the log
// (stats, the ingest time of the oldest unapplied event -> lag in seconds)
// into RunMetrics, probes PostgreSQL when no apply has talked to it lately,
// and every history_interval appends a sample to the run history. It only
// reads the log (LMDB readers never block the writer) and uses its own
// PostgreSQL connection, so it never slows the pipeline.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "storage/event_log.h"
#include "tools/run_history.h"
#include "tools/run_metrics.h"

namespace lh::tools {

struct MonitorOptions {
  std::string pg_dsn;               // for the probe
  double sample_interval_s = 1;     // log sampling
  double probe_interval_s = 5;      // PostgreSQL probe when no apply answered for this long
  double history_interval_s = 5;    // 0 = no history
  std::string data_dir;             // where run-history.ndjson lives
  std::function<void(const std::string&)> on_warning;
};

class RunMonitor {
 public:
  RunMonitor(const storage::EventLog& log, RunMetrics& metrics, MonitorOptions options);
  ~RunMonitor();  // stops and joins; writes a last history sample
  void stop();

 private:
  void loop();
  void sample_log();
  void probe_pg();
  void write_history();

  const storage::EventLog& log_;
  RunMetrics& metrics_;
  MonitorOptions opt_;
  HistoryWriter history_;
  int64_t run_id_;
  uint64_t last_applied_ = 0;
  double last_t_ = 0;
  bool history_failed_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// `dsn` with connect_timeout=<seconds> added (key=value or URI form).
std::string with_connect_timeout(const std::string& dsn, int seconds);

}  // namespace lh::tools
