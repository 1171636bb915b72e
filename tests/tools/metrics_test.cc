// `run --metrics`: /metrics scraped over HTTP from a real run (real
// PostgreSQL, --ingest of a generated file), parsed strictly and checked
// against the log and the warehouse; /healthz in its states (caught up,
// lagging behind a paused projection, PostgreSQL stopped and back).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include <httplib.h>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tests/tools/prom_text.h"
#include "tests/tools/warehouse_suite.h"
#include "tools/metrics_server.h"
#include "tools/run_history.h"
#include "tools/run_metrics.h"

namespace lh::testing {
namespace {

using namespace std::chrono_literals;

struct Http {
  int status = 0;  // 0: no answer
  std::string body;
};

Http http_get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  c.set_read_timeout(5);
  auto r = c.Get(path.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

PromText scrape(int port) {
  Http h = http_get(port, "/metrics");
  EXPECT_EQ(h.status, 200);
  PromText p = parse_prom_text(h.body);
  EXPECT_EQ(p.error, "") << h.body;
  return p;
}

// Polls `pred` every 100 ms for up to `limit`.
bool eventually(const std::function<bool()>& pred, std::chrono::seconds limit = 60s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

// The port `run --metrics 127.0.0.1:0` printed on its stdout, or 0.
int wait_for_port(const std::string& stdout_path) {
  int port = 0;
  eventually(
      [&] {
        std::ifstream in(stdout_path);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::smatch m;
        static const std::regex re("metrics: listening on http://127\\.0\\.0\\.1:([0-9]+)/metrics");
        if (std::regex_search(all, m, re)) port = std::stoi(m[1]);
        return port != 0;
      },
      30s);
  return port;
}

// The rules every scrape keeps: counters end in _total, histograms are
// cumulative with +Inf == _count, every sample has a HELP'd family.
void expect_well_formed(const PromText& p) {
  for (const auto& [fam, type] : p.types) {
    EXPECT_TRUE(p.helped.count(fam)) << fam << " has no HELP";
    EXPECT_EQ(fam.rfind("ledgerhouse_", 0), 0u) << fam;
    if (type == "counter") {
      EXPECT_TRUE(fam.size() > 6 && fam.substr(fam.size() - 6) == "_total") << fam;
    }
    if (type == "histogram") {
      std::vector<std::pair<double, double>> buckets;
      for (const PromSample* s : p.series(fam + "_bucket")) {
        std::string le = s->labels.at("le");
        buckets.emplace_back(le == "+Inf" ? INFINITY : std::stod(le), s->value);
      }
      std::sort(buckets.begin(), buckets.end());
      ASSERT_GE(buckets.size(), 2u) << fam;
      for (size_t i = 1; i < buckets.size(); ++i) EXPECT_LE(buckets[i - 1].second, buckets[i].second) << fam;
      EXPECT_TRUE(std::isinf(buckets.back().first)) << fam << " has no +Inf bucket";
      EXPECT_EQ(buckets.back().second, p.value(fam + "_count")) << fam;
      EXPECT_FALSE(std::isnan(p.value(fam + "_sum"))) << fam;
    }
  }
}

// Counters never go down between two scrapes of one process.
void expect_monotonic(const PromText& before, const PromText& after) {
  for (const auto& s : before.samples) {
    std::string fam = prom_family_of(before.types, s.name);
    std::string type = before.types.at(fam);
    if (type != "counter" && type != "histogram") continue;
    if (s.name == fam + "_sum" && type == "histogram") continue;  // sums of durations grow too, but skip
    double v = after.value(s.name, s.labels);
    ASSERT_FALSE(std::isnan(v)) << s.key() << " disappeared";
    EXPECT_GE(v, s.value) << s.key();
  }
}

class Metrics : public WarehouseSuite<Metrics> {
 protected:
  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    input_ = *dir_ / "a.ndjson";
    ASSERT_EQ(run({"generate", "--days", "2", "--seed", "11", "--orders-per-day", "800", "--dirty-rate",
                   "0.02", "-o", input_})
                  .exit_code,
              0);
  }
  static std::vector<std::string> cli(const std::string& log, const std::string& schema,
                                      std::vector<std::string> args) {
    return cli_for(log, schema, std::move(args));
  }
  static storage::LogStats stats_of(const std::string& log_dir) {
    storage::LogOptions o;
    o.dir = log_dir;
    o.read_only = true;
    auto log = storage::EventLog::open(o);
    EXPECT_TRUE(log.ok()) << log.error().message;
    auto st = (*log)->stats();
    EXPECT_TRUE(st.ok());
    return *st;
  }
  static std::string input_;
};
std::string Metrics::input_;

TEST_F(Metrics, ScrapesMatchTheLogAndTheWarehouse) {
  // The truth about the input, from a separate log.
  std::string truth_log = *dir_ / "truth";
  ASSERT_EQ(run({"-q", "-D", truth_log, "ingest", "--durability", "nosync", input_}).exit_code, 0);
  storage::LogStats truth = stats_of(truth_log);
  ASSERT_GT(truth.events, 10000u);
  ASSERT_GT(truth.quarantined, 0u);

  std::string log = *dir_ / "log1";
  fresh_warehouse(dsn_, schema_named("m1"));
  std::string out = *dir_ / "run1.out";
  pid_t pid = spawn(cli(log, "m1",
                        {"run", "--metrics", "127.0.0.1:0", "--metrics-top-vendors", "5", "--batch-events",
                         "500", "--history-interval", "0.3", "--ingest", input_}),
                    out, *dir_ / "run1.err");
  int port = wait_for_port(out);
  ASSERT_NE(port, 0) << "run printed no metrics address";
  PromText first = scrape(port);
  expect_well_formed(first);

  PromText last;
  ASSERT_TRUE(eventually([&] {
    last = scrape(port);
    return last.value("ledgerhouse_events_appended_total") == double(truth.events) &&
           last.value("ledgerhouse_applied_seq") == double(truth.last_seq) &&
           last.value("ledgerhouse_projection_lag_events") == 0;
  })) << "never caught up; last scrape applied_seq " << last.value("ledgerhouse_applied_seq");
  EXPECT_TRUE(eventually([&] { return http_get(port, "/healthz").status == 200; }, 10s));
  Http ok = http_get(port, "/healthz");
  EXPECT_EQ(ok.body, "ok\n");
  last = scrape(port);
  expect_well_formed(last);
  expect_monotonic(first, last);
  EXPECT_EQ(last.value("ledgerhouse_ready"), 1);
  EXPECT_EQ(last.value("ledgerhouse_postgres_up"), 1);
  EXPECT_EQ(last.value("ledgerhouse_projection_lag_seconds"), 0);

  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  EXPECT_EQ(r.exit_code, 0);

  // The log: what the run's log holds now (nothing appends to it any more).
  storage::LogStats st = stats_of(log);
  EXPECT_EQ(last.value("ledgerhouse_events_appended_total"), double(st.events));
  EXPECT_EQ(last.value("ledgerhouse_duplicates_total"), double(st.duplicates));
  EXPECT_EQ(last.sum("ledgerhouse_quarantined_total"), double(st.quarantined));
  EXPECT_TRUE(std::isnan(last.value("ledgerhouse_quarantined_total", {{"reason", "uncounted"}})))
      << "a new log counts every reason";
  for (size_t c = 1; c < storage::kRejectCodeSlots; ++c)
    EXPECT_EQ(last.value("ledgerhouse_quarantined_total",
                         {{"reason", std::string(events::to_string(static_cast<events::RejectCode>(c)))}}),
              double(st.quarantined_by_code[c]));
  EXPECT_EQ(last.value("ledgerhouse_log_file_bytes"), double(st.file_bytes));
  EXPECT_EQ(last.sum("ledgerhouse_events_appended_by_type_total"), double(st.events));
  EXPECT_EQ(last.value("ledgerhouse_events_projected_total"), double(st.last_seq));

  // The warehouse: insert-only tables hold exactly the rows written; keyed
  // tables at most as many as the inserts + upserts (several changes of one
  // key fold), and at least the inserts where nothing is ever deleted (an
  // insert is a key new to the table).
  projections::Schema schema = schema_named("m1");
  for (const auto& t : schema.tables()) {
    SCOPED_TRACE(t.name);
    double upserts = last.value("ledgerhouse_rows_written_total", {{"table", t.name}, {"op", "upsert"}});
    double inserts = last.value("ledgerhouse_rows_written_total", {{"table", t.name}, {"op", "insert"}});
    ASSERT_FALSE(std::isnan(upserts));
    ASSERT_FALSE(std::isnan(inserts));
    uint64_t rows = count_rows(dsn_, "m1", t.name);
    if (t.insert_only) EXPECT_EQ(upserts + inserts, double(rows));
    else EXPECT_LE(double(rows), upserts + inserts);
    if (upserts + inserts > 0) {
      EXPECT_GT(rows, 0u);
    }
  }
  for (const char* t : {"fact_order_line", "fact_order", "fact_vendor_performance"})
    EXPECT_EQ(last.value("ledgerhouse_rows_written_total", {{"table", t}, {"op", "insert"}}),
              double(count_rows(dsn_, "m1", t))) << t;
  EXPECT_GT(last.value("ledgerhouse_rows_written_total", {{"table", "fact_order_line"}, {"op", "upsert"}}), 0)
      << "status changes of known lines are merged";

  // Apply latency: at least one apply, all in the buckets.
  EXPECT_GT(last.value("ledgerhouse_apply_duration_seconds_count"), 0);
  EXPECT_GT(last.value("ledgerhouse_apply_duration_seconds_sum"), 0);

  // Vendors: bounded (5 + other), and at least every event that names
  // exactly one vendor is counted.
  auto vendors = last.series("ledgerhouse_vendor_events_total");
  EXPECT_EQ(vendors.size(), 6u);
  EXPECT_FALSE(std::isnan(last.value("ledgerhouse_vendor_events_total", {{"vendor_id", "other"}})));
  using T = events::EventType;
  uint64_t one_vendor = 0;
  for (T t : {T::vendor_registered, T::vendor_updated, T::review_submitted, T::stock_changed, T::order_placed})
    one_vendor += st.per_type[static_cast<size_t>(t)];
  EXPECT_GE(last.sum("ledgerhouse_vendor_events_total"), double(one_vendor));

  // The run left a history for `report`.
  auto history = tools::read_history(log);
  ASSERT_TRUE(history.ok());
  ASSERT_GE(history->size(), 2u);
  EXPECT_EQ(history->back().applied_seq, st.last_seq);
  EXPECT_EQ(history->back().lag_events, 0u);
}

TEST_F(Metrics, HealthzIs503WhileLaggingAndWhilePostgresIsDown) {
  std::string log = *dir_ / "log2";
  ASSERT_EQ(run({"-q", "-D", log, "ingest", "--durability", "nosync", input_}).exit_code, 0);
  fresh_warehouse(dsn_, schema_named("m2"));
  std::string out = *dir_ / "run2.out";
  pid_t pid = spawn(cli(log, "m2", {"run", "--metrics", "127.0.0.1:0", "--healthz-max-lag-seconds", "1"}),
                    out, *dir_ / "run2.err");
  int port = wait_for_port(out);
  ASSERT_NE(port, 0);
  ASSERT_TRUE(eventually([&] { return http_get(port, "/healthz").status == 200; }));

  // Lagging: the projection is paused while new events arrive.
  std::string name = schema_named("m2").projections().front().name;
  ASSERT_EQ(run(cli(log, "m2", {"projection", "pause", name})).exit_code, 0);
  std::string more = *dir_ / "b.ndjson";
  ASSERT_EQ(run({"generate", "--days", "1", "--seed", "12", "--orders-per-day", "200", "-o", more}).exit_code, 0);
  ASSERT_EQ(run({"-q", "-D", log, "ingest", "--durability", "nosync", more}).exit_code, 0);
  Http h;
  EXPECT_TRUE(eventually(
      [&] { return (h = http_get(port, "/healthz")).status == 503 && h.body.find("lagging") == 0; }, 20s))
      << h.status << " " << h.body;
  PromText p = scrape(port);
  EXPECT_GT(p.value("ledgerhouse_projection_lag_events"), 0);
  EXPECT_GT(p.value("ledgerhouse_projection_lag_seconds"), 1);
  EXPECT_EQ(p.value("ledgerhouse_ready"), 0);
  ASSERT_EQ(run(cli(log, "m2", {"projection", "resume", name})).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return http_get(port, "/healthz").status == 200; }));
  // PostgreSQL stopped: the probe notices, /healthz says so; back once it is up.
  ASSERT_TRUE(cluster_->stop().ok());
  EXPECT_TRUE(eventually(
      [&] { return (h = http_get(port, "/healthz")).status == 503 && h.body.find("PostgreSQL") == 0; }, 30s))
      << h.status << " " << h.body << "\nrun's stderr:\n" << slurp(*dir_ / "run2.err");
  p = scrape(port);
  EXPECT_EQ(p.value("ledgerhouse_postgres_up"), 0);
  EXPECT_GT(p.value("ledgerhouse_postgres_errors_total"), 0);
  ASSERT_TRUE(cluster_->restart().ok());
  EXPECT_TRUE(eventually([&] { return http_get(port, "/healthz").status == 200; }, 30s));

  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_for(pid).exit_code, 0);
}

TEST_F(Metrics, ABadOrTakenAddressIsAClearError) {
  std::string log = *dir_ / "log3";
  ASSERT_EQ(run({"-q", "-D", log, "ingest", "--durability", "nosync", input_}).exit_code, 0);
  fresh_warehouse(dsn_, schema_named("m3"));
  std::string err = *dir_ / "bad.err";
  RunResult r = wait_for(spawn(cli(log, "m3", {"run", "--until-caught-up", "--metrics", "localhost:99999"}), "", err));
  EXPECT_EQ(r.exit_code, 2);
  std::ifstream in(err);
  std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(msg.find("--metrics 'localhost:99999': port 99999 is out of range"), std::string::npos) << msg;

  httplib::Server taken;
  int port = taken.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  r = wait_for(spawn(cli(log, "m3", {"run", "--until-caught-up", "--metrics", "127.0.0.1:" + std::to_string(port)}),
                     "", err));
  EXPECT_EQ(r.exit_code, 1);
  std::ifstream in2(err);
  msg.assign((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>());
  EXPECT_NE(msg.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
}

TEST_F(Metrics, HealthzSaysSoWhileTheRunCannotReachPostgres) {
  // The endpoint is up before the first connection: a run stuck retrying is visible.
  std::string out = *dir_ / "run4.out";
  pid_t pid = spawn({"-q", "-D", *dir_ / "log4", "--pg", "host=" + *dir_ / "no-server" + " user=postgres",
                     "--schema", "m4", "run", "--metrics", "127.0.0.1:0"},
                    out, *dir_ / "run4.err");
  int port = wait_for_port(out);
  ASSERT_NE(port, 0);
  Http h;
  EXPECT_TRUE(eventually([&] {
    h = http_get(port, "/healthz");
    return h.status == 503 && h.body.find("PostgreSQL unreachable") != std::string::npos;
  }, 20s)) << h.status << " " << h.body;
  PromText p = scrape(port);
  EXPECT_EQ(p.value("ledgerhouse_postgres_up"), 0);
  EXPECT_GT(p.value("ledgerhouse_postgres_errors_total"), 0);
  ::kill(pid, SIGKILL);  // it would retry for --pg's 10 minutes
  wait_for(pid);
}

TEST(MetricsAddress, AcceptsWhatExportersAccept) {
  auto a = tools::parse_listen_address(":9187");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "0.0.0.0");
  EXPECT_EQ(a->port, 9187);
  a = tools::parse_listen_address("[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 0);
  for (const char* bad : {"9187", "host:", "host:x1", "::1:80", "h:123456"}) {
    auto b = tools::parse_listen_address(bad);
    EXPECT_FALSE(b.ok()) << bad;
    if (!b.ok()) {
      EXPECT_NE(b.error().message.find(std::string("'") + bad + "'"), std::string::npos);
    }
  }
}

TEST(MetricsText, LabelValuesAreEscapedAndVendorsBounded) {
  tools::MetricsOptions o;
  o.top_vendors = 2;
  tools::RunMetrics m(o);
  projections::EventBatch batch;
  const std::vector<std::string> vendors = {"V\"quoted\\", "V-line\nbreak", "V-3", "V-3", "V-3", "V-4"};
  uint64_t seq = 0;
  for (const auto& v : vendors) {
    events::StockChanged sc;
    sc.vendor_id = v;
    sc.product_id = "P-1";
    sc.warehouse = "W";
    events::Event e;
    e.event_id = "e" + std::to_string(seq);
    e.type = events::EventType::stock_changed;
    e.data = sc;
    batch.push_back({++seq, 0, e});
  }
  m.on_batch(batch);
  PromText p = parse_prom_text(m.render(tools::now_us()));
  ASSERT_EQ(p.error, "");
  // V-3 is the top vendor; the second slot goes to the smallest id of the ties.
  EXPECT_EQ(p.value("ledgerhouse_vendor_events_total", {{"vendor_id", "V-3"}}), 3);
  EXPECT_EQ(p.value("ledgerhouse_vendor_events_total", {{"vendor_id", "V\"quoted\\"}}), 1);
  EXPECT_EQ(p.value("ledgerhouse_vendor_events_total", {{"vendor_id", "other"}}), 2);
  EXPECT_EQ(p.series("ledgerhouse_vendor_events_total").size(), 3u);
  // Sticky: V-4 overtaking later does not take a series away (counters never shrink).
  projections::EventBatch more(4, batch.back());
  m.on_batch(more);
  p = parse_prom_text(m.render(tools::now_us()));
  EXPECT_EQ(p.value("ledgerhouse_vendor_events_total", {{"vendor_id", "other"}}), 6);
  EXPECT_EQ(p.series("ledgerhouse_vendor_events_total").size(), 3u);
  EXPECT_FALSE(m.health(tools::now_us()).ready);
}

}  // namespace
}  // namespace lh::testing
