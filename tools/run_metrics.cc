// RunMetrics: recording (pipeline threads) and the Prometheus text format.
#include "tools/run_metrics.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace lh::tools {
namespace {

// Writes one metric family at a time in the text exposition format:
// "# HELP name text", "# TYPE name type", then its samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (char c : help) {  // HELP text escapes backslash and newline only
      if (c == '\\') out_ += "\\\\";
      else if (c == '\n') out_ += "\\n";
      else out_ += c;
    }
    fmt::format_to(std::back_inserter(out_), "\n# TYPE {} {}\n", name, type);
  }
  // labels: name, value pairs; values are escaped (\\, \", \n).
  void sample(std::string_view name, const std::vector<std::pair<std::string_view, std::string_view>>& labels,
              double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        for (char c : v) {
          if (c == '\\') out_ += "\\\\";
          else if (c == '"') out_ += "\\\"";
          else if (c == '\n') out_ += "\\n";
          else out_ += c;
        }
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  std::string take() { return std::move(out_); }

  static std::string number(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
    return fmt::format("{}", v);
  }

 private:
  std::string out_;
};

std::string_view phase_name(actors::RunProgress::Phase p) {
  switch (p) {
    case actors::RunProgress::Phase::warmup: return "warmup";
    case actors::RunProgress::Phase::project: return "project";
    case actors::RunProgress::Phase::tail: return "tail";
  }
  return "unknown";
}

}  // namespace

uint64_t lag_events(const RunSnapshot& s) {
  uint64_t head = s.have_log ? std::max(s.log.stats.last_seq, s.progress.head_seq) : s.progress.head_seq;
  return head > s.progress.applied_seq ? head - s.progress.applied_seq : 0;
}

double lag_seconds(const RunSnapshot& s, int64_t now) {
  if (lag_events(s) == 0) return 0;
  // Events the last sample did not see were appended after it: bounded by its age.
  int64_t since = s.log.oldest_unapplied_seq != 0 ? s.log.oldest_unapplied_ingest_us : s.log.at_us;
  return std::max(0.0, (now - since) / 1e6);
}

int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

const std::vector<double>& apply_duration_buckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,      2.5,   5,    10,    30,   60};
  return b;
}

std::vector<const std::string*> vendors_of(const events::Event& e) {
  std::vector<const std::string*> out;
  auto add = [&](const std::string& v) {
    if (v.empty()) return;
    for (const std::string* s : out)
      if (*s == v) return;
    out.push_back(&v);
  };
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, events::VendorData> || std::is_same_v<T, events::ReviewSubmitted> ||
                      std::is_same_v<T, events::StockChanged>) {
          add(d.vendor_id);
        } else if constexpr (std::is_same_v<T, events::ProductData> ||
                             std::is_same_v<T, events::OrderStatusChanged> ||
                             std::is_same_v<T, events::PageViewed>) {
          if (d.vendor_id) add(*d.vendor_id);
        } else if constexpr (std::is_same_v<T, events::OrderPlaced>) {
          for (const auto& l : d.lines) add(l.vendor_id);
        }
      },
      e.data);
  return out;
}

RunMetrics::RunMetrics(MetricsOptions options) : opt_(options), started_us_(now_us()) {
  apply_.counts.assign(apply_duration_buckets().size(), 0);
}

void RunMetrics::on_progress(const actors::RunProgress& p) {
  std::lock_guard<std::mutex> l(mu_);
  snap_.progress = p;
  snap_.have_progress = true;
}

void RunMetrics::on_batch(const projections::EventBatch& batch) {
  // Counted outside the lock into a small local map: a batch has few vendors.
  std::unordered_map<std::string_view, uint64_t> local;
  uint64_t n = 0;
  for (const auto& le : batch)
    for (const std::string* v : vendors_of(le.event)) {
      ++local[*v];
      ++n;
    }
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [v, c] : local) vendor_events_[std::string(v)] += c;
  vendor_events_total_ += n;
}

void RunMetrics::on_apply(const std::vector<const projections::RowBatch*>& batches, double seconds, bool ok) {
  std::lock_guard<std::mutex> l(mu_);
  if (!ok) {
    ++apply_failures_;
    return;
  }
  const auto& bounds = apply_duration_buckets();
  size_t i = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
  if (i < apply_.counts.size()) ++apply_.counts[i];
  ++apply_.count;
  apply_.sum += seconds;
  for (const projections::RowBatch* b : batches) {
    for (int t = 0; t < projections::kTableCount; ++t) {
      rows_upserted_[t] += b->upserts[t].rows;
      rows_inserted_[t] += b->inserts[t].rows;
      rows_deleted_[t] += b->deletes[t].rows;
    }
    repoints_ += b->repoints.size();
    projected_ += b->last_seq - b->after_seq;
    projection_errors_ += b->errors.size();
  }
  snap_.pg_up = true;
  snap_.pg_seen_us = now_us();
}

void RunMetrics::on_pg(bool up) {
  std::lock_guard<std::mutex> l(mu_);
  snap_.pg_up = up;
  if (up) snap_.pg_seen_us = now_us();
  else ++pg_errors_;
}

void RunMetrics::on_log_sample(const LogSample& s) {
  std::lock_guard<std::mutex> l(mu_);
  snap_.log = s;
  snap_.have_log = true;
}

RunSnapshot RunMetrics::snapshot() const {
  std::lock_guard<std::mutex> l(mu_);
  return snap_;
}

Health RunMetrics::health(int64_t now) const {
  std::lock_guard<std::mutex> l(mu_);
  return health_locked(now);
}

Health RunMetrics::health_locked(int64_t now) const {
  const RunSnapshot& s = snap_;
  if (!s.have_progress || !s.have_log)
    return {false, pg_errors_ > 0 && !s.pg_up ? "starting: PostgreSQL unreachable at the last attempt"
                                              : "starting: no progress sampled yet"};
  if (!s.pg_up) return {false, "PostgreSQL unreachable at the last attempt"};
  double pg_age = (now - s.pg_seen_us) / 1e6;
  if (pg_age > opt_.pg_stale_seconds)
    return {false, fmt::format("PostgreSQL not heard from for {:.1f} s (bound {} s)", pg_age,
                               opt_.pg_stale_seconds)};
  if (s.progress.phase == actors::RunProgress::Phase::warmup)
    return {false, fmt::format("warming up: {} of {} events replayed into the owners",
                               s.progress.dispatched_seq, s.progress.start_seq)};
  if (double lag = lag_seconds(s, now); lag > opt_.max_lag_seconds)
    return {false, fmt::format("lagging: {:.1f} s behind the log (bound {} s), {} events", lag,
                               opt_.max_lag_seconds, lag_events(s))};
  if (opt_.max_lag_events > 0 && lag_events(s) > opt_.max_lag_events)
    return {false, fmt::format("lagging: {} events behind the log (bound {})", lag_events(s),
                               opt_.max_lag_events)};
  return {true, "ok"};
}

std::string RunMetrics::render(int64_t now) const {
  Exposition x;
  std::lock_guard<std::mutex> l(mu_);
  const RunSnapshot& s = snap_;
  const auto& st = s.log.stats;

  x.family("ledgerhouse_events_appended_total", "counter", "Events in the event log (appended, duplicates excluded).");
  x.sample("ledgerhouse_events_appended_total", double(st.events));
  x.family("ledgerhouse_events_appended_by_type_total", "counter", "Events in the event log per event type.");
  for (events::EventType t : events::kAllEventTypes)
    x.sample("ledgerhouse_events_appended_by_type_total", {{"type", events::to_string(t)}},
             double(st.per_type[static_cast<size_t>(t)]));
  x.family("ledgerhouse_duplicates_total", "counter", "Records skipped because their event_id was already in the log.");
  x.sample("ledgerhouse_duplicates_total", double(st.duplicates));
  x.family("ledgerhouse_quarantined_total", "counter",
           "Records put in the quarantine, per reason (RejectCode); \"uncounted\" = quarantined before per-reason counters existed.");
  for (size_t c = 1; c < storage::kRejectCodeSlots; ++c)
    x.sample("ledgerhouse_quarantined_total",
             {{"reason", events::to_string(static_cast<events::RejectCode>(c))}}, double(st.quarantined_by_code[c]));
  if (st.quarantined_by_code[0] > 0)
    x.sample("ledgerhouse_quarantined_total", {{"reason", "uncounted"}}, double(st.quarantined_by_code[0]));
  x.family("ledgerhouse_log_file_bytes", "gauge", "Size of the event log's data.mdb on disk.");
  x.sample("ledgerhouse_log_file_bytes", double(st.file_bytes));
  x.family("ledgerhouse_log_map_bytes", "gauge", "The event log's current LMDB map size.");
  x.sample("ledgerhouse_log_map_bytes", double(st.map_bytes));
  x.family("ledgerhouse_log_head_seq", "gauge", "Last seq in the event log.");
  x.sample("ledgerhouse_log_head_seq", double(std::max(st.last_seq, s.progress.head_seq)));

  x.family("ledgerhouse_applied_seq", "gauge", "Last seq applied to PostgreSQL (the checkpoint).");
  x.sample("ledgerhouse_applied_seq", double(s.progress.applied_seq));
  x.family("ledgerhouse_projection_lag_events", "gauge", "Events in the log not yet applied to PostgreSQL.");
  x.sample("ledgerhouse_projection_lag_events", double(lag_events(s)));
  x.family("ledgerhouse_projection_lag_seconds", "gauge",
           "Now minus the ingest time of the oldest unapplied event; 0 when caught up.");
  x.sample("ledgerhouse_projection_lag_seconds", lag_seconds(s, now));
  x.family("ledgerhouse_events_projected_total", "counter", "Events applied to PostgreSQL by this process.");
  x.sample("ledgerhouse_events_projected_total", double(projected_));
  x.family("ledgerhouse_run_phase", "gauge", "1 for the phase the run is in (warmup, project, tail).");
  for (auto p : {actors::RunProgress::Phase::warmup, actors::RunProgress::Phase::project,
                 actors::RunProgress::Phase::tail})
    x.sample("ledgerhouse_run_phase", {{"phase", phase_name(p)}},
             s.have_progress && s.progress.phase == p ? 1 : 0);
  x.family("ledgerhouse_owner_actors", "gauge", "Owner actors alive (one per vendor, plus shards).");
  x.sample("ledgerhouse_owner_actors", double(s.progress.owners));
  x.family("ledgerhouse_log_seq_gaps_total", "counter", "Seq gaps met while reading the log.");
  x.sample("ledgerhouse_log_seq_gaps_total", double(s.progress.anomalies));

  x.family("ledgerhouse_apply_duration_seconds", "histogram",
           "Time of one PostgreSQL apply (a transaction of merged batches and the checkpoint).");
  const auto& bounds = apply_duration_buckets();
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cum += apply_.counts[i];
    x.sample("ledgerhouse_apply_duration_seconds_bucket", {{"le", Exposition::number(bounds[i])}}, double(cum));
  }
  x.sample("ledgerhouse_apply_duration_seconds_bucket", {{"le", "+Inf"}}, double(apply_.count));
  x.sample("ledgerhouse_apply_duration_seconds_sum", apply_.sum);
  x.sample("ledgerhouse_apply_duration_seconds_count", double(apply_.count));
  x.family("ledgerhouse_apply_failures_total", "counter", "PostgreSQL applies that failed (the run ends).");
  x.sample("ledgerhouse_apply_failures_total", double(apply_failures_));

  x.family("ledgerhouse_rows_written_total", "counter",
           "Row changes handed to PostgreSQL per table (op=insert|upsert|delete; insert = a row new to the table), "
           "before per-key folding within a transaction.");
  for (int t = 0; t < projections::kTableCount; ++t) {
    std::string_view name = projections::to_string(static_cast<projections::Table>(t));
    x.sample("ledgerhouse_rows_written_total", {{"table", name}, {"op", "insert"}}, double(rows_inserted_[t]));
    x.sample("ledgerhouse_rows_written_total", {{"table", name}, {"op", "upsert"}}, double(rows_upserted_[t]));
    x.sample("ledgerhouse_rows_written_total", {{"table", name}, {"op", "delete"}}, double(rows_deleted_[t]));
  }
  x.family("ledgerhouse_repoints_total", "counter", "Fact re-pointings to a late dimension version written.");
  x.sample("ledgerhouse_repoints_total", double(repoints_));
  x.family("ledgerhouse_projection_errors_total", "counter", "Poison events recorded in projection_errors.");
  x.sample("ledgerhouse_projection_errors_total", double(projection_errors_));

  x.family("ledgerhouse_postgres_up", "gauge", "1 if PostgreSQL answered the last apply or probe.");
  x.sample("ledgerhouse_postgres_up", s.pg_up ? 1 : 0);
  x.family("ledgerhouse_postgres_errors_total", "counter", "Failed PostgreSQL attempts (connects, applies, probes).");
  x.sample("ledgerhouse_postgres_errors_total", double(pg_errors_));

  // Top vendors: sticky series (see exposed_vendors_), filled by count.
  if (exposed_vendors_.size() < opt_.top_vendors && vendor_events_.size() > exposed_vendors_.size()) {
    std::vector<std::pair<uint64_t, const std::string*>> rest;
    for (const auto& [v, c] : vendor_events_)
      if (std::find(exposed_vendors_.begin(), exposed_vendors_.end(), v) == exposed_vendors_.end())
        rest.emplace_back(c, &v);
    size_t take = std::min(rest.size(), opt_.top_vendors - exposed_vendors_.size());
    std::partial_sort(rest.begin(), rest.begin() + take, rest.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : *a.second < *b.second;
    });
    for (size_t i = 0; i < take; ++i) exposed_vendors_.push_back(*rest[i].second);
  }
  x.family("ledgerhouse_vendor_events_total", "counter",
           "Events projected per vendor: the first vendors seen at the top get their own series (at most "
           "--metrics-top-vendors), the rest is vendor_id=\"other\". An order counts once per vendor it has lines with.");
  uint64_t shown = 0;
  for (const std::string& v : exposed_vendors_) {
    uint64_t c = vendor_events_.at(v);
    shown += c;
    x.sample("ledgerhouse_vendor_events_total", {{"vendor_id", v}}, double(c));
  }
  x.sample("ledgerhouse_vendor_events_total", {{"vendor_id", "other"}}, double(vendor_events_total_ - shown));

  Health h = health_locked(now);
  x.family("ledgerhouse_ready", "gauge", "1 when /healthz answers 200.");
  x.sample("ledgerhouse_ready", h.ready ? 1 : 0);
  x.family("ledgerhouse_start_time_seconds", "gauge", "When this run started (Unix time).");
  x.sample("ledgerhouse_start_time_seconds", double(started_us_ / 1000000));
  return x.take();
}

}  // namespace lh::tools
