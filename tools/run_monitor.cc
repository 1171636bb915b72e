// RunMonitor (run_monitor.h).
#include "tools/run_monitor.h"

#include <chrono>

#include <pqxx/pqxx>

namespace lh::tools {

std::string with_connect_timeout(const std::string& dsn, int seconds) {
  bool uri = dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0;
  std::string kv = "connect_timeout=" + std::to_string(seconds);
  if (!uri) return dsn.empty() ? kv : dsn + " " + kv;
  return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + kv;
}

RunMonitor::RunMonitor(const storage::EventLog& log, RunMetrics& metrics, MonitorOptions options)
    : log_(log), metrics_(metrics), opt_(std::move(options)), history_(opt_.data_dir),
      run_id_(now_us() / 1000000) {
  sample_log();  // /metrics has log figures from the first scrape on
  thread_ = std::thread([this] { loop(); });
}

RunMonitor::~RunMonitor() { stop(); }

void RunMonitor::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  sample_log();
  if (opt_.history_interval_s > 0) write_history();  // the run's last state
}

void RunMonitor::loop() {
  using Clock = std::chrono::steady_clock;
  auto next_history = Clock::now();
  auto last_probe = Clock::now();
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    sample_log();
    auto now = Clock::now();
    RunSnapshot s = metrics_.snapshot();
    double pg_age = (now_us() - s.pg_seen_us) / 1e6;
    if (pg_age >= opt_.probe_interval_s &&
        now - last_probe >= std::chrono::duration<double>(opt_.probe_interval_s)) {
      probe_pg();
      last_probe = Clock::now();
    }
    if (opt_.history_interval_s > 0 && now >= next_history) {
      write_history();
      next_history = now + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(opt_.history_interval_s));
    }
    l.lock();
    cv_.wait_for(l, std::chrono::duration<double>(opt_.sample_interval_s), [&] { return stopping_; });
  }
}

void RunMonitor::sample_log() {
  auto st = log_.stats();
  if (!st.ok()) {
    if (opt_.on_warning) opt_.on_warning("metrics: reading the log's stats: " + st.error().message);
    return;
  }
  LogSample s;
  s.stats = *st;
  s.at_us = now_us();
  uint64_t applied = metrics_.snapshot().progress.applied_seq;
  if (applied < st->last_seq) {
    auto reader = log_.reader(applied + 1);
    auto e = reader->next();
    if (e.ok() && e->has_value()) {
      s.oldest_unapplied_seq = (*e)->seq;
      s.oldest_unapplied_ingest_us = (*e)->ingest_time_us;
    }
  }
  metrics_.on_log_sample(s);
}

void RunMonitor::probe_pg() {
  try {
    pqxx::connection c(with_connect_timeout(opt_.pg_dsn, 3));
    pqxx::nontransaction tx(c);
    tx.exec1("SELECT 1");
    metrics_.on_pg(true);
  } catch (const std::exception&) {
    metrics_.on_pg(false);
  }
}

void RunMonitor::write_history() {
  RunSnapshot s = metrics_.snapshot();
  HistorySample h;
  h.run = run_id_;
  h.t = now_us() / 1e6;
  h.applied_seq = s.progress.applied_seq;
  h.head_seq = std::max(s.progress.head_seq, s.log.stats.last_seq);
  h.lag_events = h.head_seq > h.applied_seq ? h.head_seq - h.applied_seq : 0;
  h.lag_seconds = lag_seconds(s, now_us());
  h.pg_up = s.pg_up;
  if (last_t_ > 0 && h.t > last_t_ && h.applied_seq >= last_applied_)
    h.events_per_s = (h.applied_seq - last_applied_) / (h.t - last_t_);
  if (last_t_ == 0) last_applied_ = h.applied_seq;  // the first sample has no rate
  last_applied_ = h.applied_seq;
  last_t_ = h.t;
  if (Status st = history_.append(h); !st.ok() && !history_failed_) {
    history_failed_ = true;  // said once; the run goes on without history
    if (opt_.on_warning) opt_.on_warning("run history: " + st.error().message);
  }
}

}  // namespace lh::tools
