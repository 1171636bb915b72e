// `ledgerhouse status [--json]`: is the pipeline healthy? Reads the event
// log (read-only) and the warehouse's bookkeeping tables; exit 0 healthy,
// 1 unhealthy, for scripts and probes. Never writes, never waits long
// (PostgreSQL: one attempt, connect timeout 5 s unless the DSN sets one).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "storage/kafka_common.h"
#include "storage/pg_status.h"
#include "storage/pg_writer.h"
#include "tools/command.h"

namespace lh::tools {
namespace {

struct StatusArgs {
  bool json = false;
  uint64_t max_lag_events = 0;   // 0 = no limit
  double max_lag_seconds = 300;  // 0 = no limit
  // Kafka consumer lag of the log's kafka:* sources (asked only when set).
  std::string kafka;
  std::vector<std::string> kafka_config;
  int kafka_timeout_ms = 3000;
  int64_t max_consumer_lag = 0;  // 0 = no limit
};

struct Report {
  // The log.
  std::string log_error;  // empty: read fine
  uint64_t head_seq = 0;
  int64_t head_ingest_us = 0;
  uint64_t quarantined = 0;
  std::map<std::string, uint64_t> quarantine_by_reason;
  std::vector<storage::SourcePosition> sources;
  // Per source: high watermark - position for kafka:* sources when the
  // brokers were asked (-1: not a Kafka source or not asked).
  std::vector<int64_t> consumer_lag;
  std::string kafka_error;  // asking the brokers failed
  // The warehouse.
  bool reachable = false;  // PostgreSQL answered
  std::string pg_error;    // empty: reachable and initialized
  storage::Checkpoint checkpoint;
  storage::ProjectionErrorSummary errors;
  // Derived.
  uint64_t lag_events = 0;
  double lag_seconds = 0;
  std::vector<std::string> problems;  // why unhealthy; empty = healthy
  std::string last_error;
};

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(int64_t us) {
  if (us <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>((us / 1000) % 1000));
}

void read_log(const GlobalOptions& g, Report& r, uint64_t applied_seq, bool pg_known) {
  storage::LogOptions o;
  o.dir = g.data_dir;
  o.read_only = true;
  auto log = storage::EventLog::open(o);
  if (!log.ok()) {
    r.log_error = "event log " + g.data_dir + ": " + log.error().message;
    return;
  }
  auto stats = (*log)->stats();
  if (!stats.ok()) {
    r.log_error = "event log " + g.data_dir + ": " + stats.error().message;
    return;
  }
  r.head_seq = stats->last_seq;
  r.head_ingest_us = stats->last_ingest_us;
  r.sources = (*log)->positions();
  // The quarantine in chunks: its records carry the raw bytes.
  for (uint64_t from = 1;;) {
    auto q = (*log)->quarantine(from, 4096);
    if (!q.ok()) {
      r.log_error = "reading the quarantine: " + q.error().message;
      break;
    }
    for (const auto& rec : *q) ++r.quarantine_by_reason[std::string(events::to_string(rec.code))];
    r.quarantined += q->size();
    if (q->size() < 4096) break;
    from = q->back().qseq + 1;
  }
  if (!pg_known || applied_seq >= r.head_seq) return;
  r.lag_events = r.head_seq - applied_seq;
  // Lag in time: how long the oldest unapplied event has been waiting.
  auto reader = (*log)->reader(applied_seq + 1);
  auto next = reader->next();
  if (next.ok() && *next) r.lag_seconds = std::max<double>(0, (now_us() - (*next)->ingest_time_us) / 1e6);
  else if (!next.ok()) r.log_error = next.error().message;
}

// Consumer lag of every kafka:* source, when --kafka names the brokers.
void read_consumer_lag(const StatusArgs& a, Report& r) {
  r.consumer_lag.assign(r.sources.size(), -1);
  if (a.kafka.empty()) return;
  std::vector<storage::KafkaPartitionRef> parts;
  std::vector<size_t> at;
  for (size_t i = 0; i < r.sources.size(); ++i) {
    storage::KafkaPartitionRef p;
    if (!storage::parse_kafka_source(r.sources[i].source, p.topic, p.partition)) continue;
    parts.push_back(std::move(p));
    at.push_back(i);
  }
  auto high = storage::kafka_high_watermarks(a.kafka, a.kafka_config, parts, a.kafka_timeout_ms);
  if (!high.ok()) {
    r.kafka_error = high.error().message;
    return;
  }
  for (size_t j = 0; j < at.size(); ++j) {
    auto pos = static_cast<int64_t>(r.sources[at[j]].offset);
    r.consumer_lag[at[j]] = std::max<int64_t>(0, (*high)[j] - pos);
  }
}

void read_warehouse(const GlobalOptions& g, Report& r) {
  auto schema = warehouse_schema(g);
  storage::PgOptions po;
  po.dsn = g.pg_dsn;
  po.retry_for_s = 0;
  auto w = storage::PgWriter::connect(po, schema);
  if (!w.ok()) {
    r.pg_error = "PostgreSQL unreachable: " + w.error().message;
    return;
  }
  auto cp = (*w)->checkpoint();
  if (!cp.ok()) {
    r.pg_error = "reading the checkpoint: " + cp.error().message;
    return;
  }
  r.reachable = true;
  r.checkpoint = *cp;
  if (!cp->initialized) {
    r.pg_error = fmt::format("warehouse schema {} is not initialized ({}): run `ledgerhouse init-db`", g.schema,
                             storage::describe_dsn(g.pg_dsn));
    return;
  }
  auto errors = storage::read_projection_errors(g.pg_dsn, g.schema);
  if (!errors.ok()) r.pg_error = errors.error().message;
  else r.errors = *errors;
}

Report gather(const GlobalOptions& g, const StatusArgs& a) {
  Report r;
  read_warehouse(g, r);
  bool pg_known = r.pg_error.empty();
  read_log(g, r, r.checkpoint.last_seq, pg_known);
  read_consumer_lag(a, r);
  if (!r.pg_error.empty()) r.problems.push_back(r.pg_error);
  if (!r.log_error.empty()) r.problems.push_back(r.log_error);
  if (pg_known) {
    if (r.checkpoint.ddl_version != projections::Schema::kDdlVersion)
      r.problems.push_back(fmt::format("schema {} has DDL version {}, this ledgerhouse expects {}", g.schema,
                                       r.checkpoint.ddl_version, projections::Schema::kDdlVersion));
    for (const auto& p : r.checkpoint.projections)
      if (p.paused) r.problems.push_back("projection " + p.name + " is paused");
    if (a.max_lag_events > 0 && r.lag_events > a.max_lag_events)
      r.problems.push_back(fmt::format("lag {} events > --max-lag-events {}", r.lag_events, a.max_lag_events));
    if (a.max_lag_seconds > 0 && r.lag_seconds > a.max_lag_seconds)
      r.problems.push_back(fmt::format("lag {:.1f} s > --max-lag-seconds {}", r.lag_seconds, a.max_lag_seconds));
  }
  if (!r.kafka_error.empty()) r.problems.push_back(r.kafka_error);
  for (size_t i = 0; i < r.consumer_lag.size(); ++i)
    if (a.max_consumer_lag > 0 && r.consumer_lag[i] > a.max_consumer_lag)
      r.problems.push_back(fmt::format("{}: consumer lag {} messages > --max-consumer-lag {}", r.sources[i].source,
                                       r.consumer_lag[i], a.max_consumer_lag));
  if (!r.pg_error.empty())
    r.last_error = r.pg_error;
  else if (r.errors.newest)
    r.last_error = fmt::format("seq {} ({}) in projection {}, {}: {}", r.errors.newest->seq, r.errors.newest->event_id,
                               r.errors.newest->projection, r.errors.newest->owner, r.errors.newest->message);
  return r;
}

std::string json_str(const std::string& s) {
  std::string out;
  events::append_json_string(s, out);
  return out;
}

std::string to_json(const GlobalOptions& g, const StatusArgs& a, const Report& r) {
  std::string o = fmt::format("{{\"healthy\":{},\"thresholds\":{{\"max_lag_events\":{},\"max_lag_seconds\":{}}},"
                              "\"problems\":[",
                              r.problems.empty() ? "true" : "false", a.max_lag_events, a.max_lag_seconds);
  for (size_t i = 0; i < r.problems.size(); ++i) o += (i ? "," : "") + json_str(r.problems[i]);
  o += fmt::format("],\"log\":{{\"dir\":{},\"ok\":{},\"error\":{},\"head_seq\":{},\"head_ingest_time\":{},"
                   "\"quarantined\":{},\"quarantine_by_reason\":{{",
                   json_str(g.data_dir), r.log_error.empty() ? "true" : "false",
                   r.log_error.empty() ? "null" : json_str(r.log_error), r.head_seq,
                   r.head_ingest_us ? json_str(rfc3339(r.head_ingest_us)) : "null", r.quarantined);
  bool first = true;
  for (const auto& [code, n] : r.quarantine_by_reason) {
    o += fmt::format("{}{}:{}", first ? "" : ",", json_str(code), n);
    first = false;
  }
  o += "},\"sources\":[";
  for (size_t i = 0; i < r.sources.size(); ++i)
    o += fmt::format("{}{{\"source\":{},\"offset\":{},\"line\":{},\"consumer_lag\":{}}}", i ? "," : "",
                     json_str(r.sources[i].source), r.sources[i].offset, r.sources[i].line,
                     r.consumer_lag[i] < 0 ? std::string("null") : std::to_string(r.consumer_lag[i]));
  o += fmt::format("],\"kafka_error\":{}}},", r.kafka_error.empty() ? "null" : json_str(r.kafka_error));
  o += fmt::format("\"warehouse\":{{\"schema\":{},\"server\":{},\"reachable\":{},\"error\":{},"
                   "\"initialized\":{},\"ddl_version\":{},\"applied_seq\":{},\"projections\":[",
                   json_str(g.schema), json_str(storage::describe_dsn(g.pg_dsn)), r.reachable ? "true" : "false",
                   r.pg_error.empty() ? "null" : json_str(r.pg_error), r.checkpoint.initialized ? "true" : "false",
                   r.checkpoint.ddl_version,
                   r.checkpoint.last_seq);
  for (size_t i = 0; i < r.checkpoint.projections.size(); ++i) {
    const auto& p = r.checkpoint.projections[i];
    uint64_t lag = r.head_seq > p.last_seq ? r.head_seq - p.last_seq : 0;
    o += fmt::format("{}{{\"name\":{},\"version\":{},\"last_seq\":{},\"lag_events\":{},\"paused\":{}}}", i ? "," : "",
                     json_str(p.name), p.version, p.last_seq, r.pg_error.empty() ? lag : 0, p.paused ? "true" : "false");
  }
  o += fmt::format("],\"projection_errors\":{},\"skips\":{}}},\"lag\":{{\"events\":{},\"seconds\":{:.3f}}},"
                   "\"last_error\":{}}}",
                   r.errors.count, r.checkpoint.skips.size(), r.lag_events, r.lag_seconds,
                   r.last_error.empty() ? "null" : json_str(r.last_error));
  return o;
}

void print_human(const GlobalOptions& g, const Report& r) {
  std::printf("status:      %s\n", r.problems.empty() ? "healthy" : "UNHEALTHY");
  for (const auto& p : r.problems) std::printf("  - %s\n", p.c_str());
  if (r.log_error.empty())
    std::printf("log:         %s: head seq %llu, last ingest %s, %llu quarantined\n", g.data_dir.c_str(),
                static_cast<unsigned long long>(r.head_seq),
                r.head_ingest_us ? rfc3339(r.head_ingest_us).c_str() : "never",
                static_cast<unsigned long long>(r.quarantined));
  for (const auto& [code, n] : r.quarantine_by_reason)
    std::printf("  quarantine %-20s %llu\n", code.c_str(), static_cast<unsigned long long>(n));
  for (size_t i = 0; i < r.sources.size(); ++i) {
    const auto& s = r.sources[i];
    std::printf("  source     %s  offset %llu  line %llu%s\n", s.source.c_str(),
                static_cast<unsigned long long>(s.offset), static_cast<unsigned long long>(s.line),
                r.consumer_lag[i] < 0 ? "" : fmt::format("  consumer lag {}", r.consumer_lag[i]).c_str());
  }
  std::printf("warehouse:   schema %s on %s\n", g.schema.c_str(), storage::describe_dsn(g.pg_dsn).c_str());
  if (r.pg_error.empty()) {
    std::printf("  %-20s %7s %12s %12s  %s\n", "projection", "version", "last_seq", "lag_events", "state");
    for (const auto& p : r.checkpoint.projections)
      std::printf("  %-20s %7d %12llu %12llu  %s\n", p.name.c_str(), p.version,
                  static_cast<unsigned long long>(p.last_seq),
                  static_cast<unsigned long long>(r.head_seq > p.last_seq ? r.head_seq - p.last_seq : 0),
                  p.paused ? "paused" : "running");
    std::printf("lag:         %llu events, %.1f s (oldest unapplied event's wait)\n",
                static_cast<unsigned long long>(r.lag_events), r.lag_seconds);
    std::printf("errors:      %llu projection errors, %zu skipped seqs\n",
                static_cast<unsigned long long>(r.errors.count), r.checkpoint.skips.size());
  }
  std::printf("last error:  %s\n", r.last_error.empty() ? "none" : r.last_error.c_str());
}

}  // namespace

void register_status(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<StatusArgs>();
  auto* cmd = app.add_subcommand(
      "status",
      "Health of the pipeline: log head, each projection's checkpoint and lag (events, seconds),\n"
      "quarantine by reason, source positions, the last error. Exit 0 healthy, 1 unhealthy\n"
      "(PostgreSQL unreachable, schema missing, a projection paused, lag over a threshold, log unreadable).");
  cmd->add_flag("--json", a->json, "Print one JSON object on stdout");
  cmd->add_option("--max-lag-events", a->max_lag_events, "Unhealthy above this many unapplied events (0 = no limit)");
  cmd->add_option("--max-lag-seconds", a->max_lag_seconds,
                  "Unhealthy when the oldest unapplied event has waited longer (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kafka", a->kafka,
                  "Kafka brokers: also report each kafka:* source's consumer lag (high watermark - position)");
  cmd->add_option("--kafka-config", a->kafka_config, "librdkafka property key=value for that query (repeatable)");
  cmd->add_option("--kafka-timeout-ms", a->kafka_timeout_ms, "How long to wait for the brokers per partition")
      ->check(CLI::Range(1, 60000));
  cmd->add_option("--max-consumer-lag", a->max_consumer_lag,
                  "Unhealthy when a Kafka source is more messages behind (0 = no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([a, &g] {
    setenv("PGCONNECT_TIMEOUT", "5", /*overwrite=*/0);  // a probe must not hang on a dead host
    Report r = gather(g, *a);
    if (a->json) std::printf("%s\n", to_json(g, *a, r).c_str());
    else print_human(g, r);
    g.exit_code = r.problems.empty() ? 0 : 1;
  });
}

}  // namespace lh::tools
