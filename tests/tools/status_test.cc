// `ledgerhouse status` against a real PostgreSQL and a real log: healthy
// when caught up, lagging (by events and by seconds), a paused projection,
// a projection error, PostgreSQL down; the exit code and the JSON fields.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tests/tools/warehouse_suite.h"

namespace lh::testing {
namespace {

class Status : public WarehouseSuite<Status> {
 protected:
  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    log_dir_ = *dir_ / "log";
    std::string input = *dir_ / "stream.ndjson", bad = *dir_ / "bad.ndjson";
    ASSERT_EQ(run({"generate", "--days", "1", "--seed", "9", "--orders-per-day", "200", "-o", input}).exit_code, 0);
    std::ofstream(bad) << "{not json\n";
    ASSERT_EQ(run({"-q", "-D", log_dir_, "ingest", "--durability", "nosync", input, bad}).exit_code, 0);
    fresh_warehouse(dsn_, schema_named("live"));
    ASSERT_EQ(run(cli("live", {"run", "--until-caught-up"})).exit_code, 0);
  }
  static std::vector<std::string> cli(const std::string& schema, std::vector<std::string> args) {
    return cli_for(log_dir_, schema, std::move(args));
  }
  // status --json of `schema`; sets exit_code.
  simdjson::dom::element status(const std::string& schema, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"status", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = run(cli(schema, args));
    exit_code = r.exit_code;
    text_ = r.out;
    auto doc = parser_.parse(text_);
    EXPECT_FALSE(doc.error()) << r.out;
    return doc.value();
  }
  static bool has_problem(simdjson::dom::element s, const std::string& needle) {
    for (auto p : s["problems"].get_array())
      if (std::string(std::string_view(p)).find(needle) != std::string::npos) return true;
    return false;
  }
  void exec(const std::string& sql) {
    pqxx::connection c(dsn_);
    pqxx::work tx(c);
    tx.exec0(sql);
    tx.commit();
  }

  int exit_code = -1;
  static std::string log_dir_;

 private:
  simdjson::dom::parser parser_;
  std::string text_;
};
std::string Status::log_dir_;

TEST_F(Status, CaughtUpIsHealthyAndReportsEveryPart) {
  auto s = status("live");
  EXPECT_EQ(exit_code, 0);
  EXPECT_TRUE(bool(s["healthy"]));
  EXPECT_EQ(s["problems"].get_array().size(), 0u);
  uint64_t head = s["log"]["head_seq"];
  EXPECT_GT(head, 1000u);
  EXPECT_EQ(uint64_t(s["warehouse"]["applied_seq"]), head);
  EXPECT_TRUE(bool(s["warehouse"]["reachable"]));
  EXPECT_TRUE(bool(s["warehouse"]["initialized"]));
  auto projections = s["warehouse"]["projections"].get_array();
  ASSERT_GT(projections.size(), 0u);
  for (auto p : projections) {
    EXPECT_EQ(uint64_t(p["last_seq"]), head);
    EXPECT_EQ(uint64_t(p["lag_events"]), 0u);
    EXPECT_FALSE(bool(p["paused"]));
  }
  EXPECT_EQ(uint64_t(s["lag"]["events"]), 0u);
  EXPECT_EQ(double(s["lag"]["seconds"]), 0.0);
  EXPECT_EQ(uint64_t(s["log"]["quarantined"]), 1u);
  EXPECT_EQ(uint64_t(s["log"]["quarantine_by_reason"]["bad_json"]), 1u);
  EXPECT_EQ(s["log"]["sources"].get_array().size(), 2u);  // the two files, with their positions
  EXPECT_EQ(std::string_view(s["log"]["head_ingest_time"]).size(), 24u);
  EXPECT_TRUE(s["last_error"].is_null());

  RunResult human = run(cli("live", {"status"}));
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("status:      healthy"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("bad_json"), std::string::npos) << human.out;
}

TEST_F(Status, LagIsMeasuredInEventsAndSecondsAndThresholdsMakeItUnhealthy) {
  fresh_warehouse(dsn_, schema_named("behind"));  // checkpoint 0: the whole log waits
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto s = status("behind");
  EXPECT_EQ(exit_code, 0) << "under the default thresholds (no event limit, 300 s)";
  uint64_t head = s["log"]["head_seq"];
  EXPECT_EQ(uint64_t(s["lag"]["events"]), head);
  EXPECT_GT(double(s["lag"]["seconds"]), 0.04);  // since seq 1 was ingested
  EXPECT_LT(double(s["lag"]["seconds"]), 600.0);

  s = status("behind", {"--max-lag-events", "10"});
  EXPECT_EQ(exit_code, 1);
  EXPECT_FALSE(bool(s["healthy"]));
  EXPECT_TRUE(has_problem(s, "--max-lag-events 10"));
  s = status("behind", {"--max-lag-seconds", "0.01"});
  EXPECT_EQ(exit_code, 1);
  EXPECT_TRUE(has_problem(s, "--max-lag-seconds"));
  // The caught-up warehouse passes the same thresholds.
  status("live", {"--max-lag-events", "10", "--max-lag-seconds", "0.01"});
  EXPECT_EQ(exit_code, 0);
}

TEST_F(Status, APausedProjectionIsUnhealthy) {
  fresh_warehouse(dsn_, schema_named("paused"));
  auto s = status("paused");
  std::string name{std::string_view(s["warehouse"]["projections"].at(0)["name"])};
  ASSERT_EQ(run(cli("paused", {"projection", "pause", name})).exit_code, 0);
  s = status("paused");
  EXPECT_EQ(exit_code, 1);
  EXPECT_TRUE(has_problem(s, "projection " + name + " is paused"));
  EXPECT_TRUE(bool(s["warehouse"]["projections"].at(0)["paused"]));
}

TEST_F(Status, AnUninitializedSchemaIsUnhealthyAndSaysWhatToDo) {
  auto s = status("never_created");
  EXPECT_EQ(exit_code, 1);
  EXPECT_TRUE(bool(s["warehouse"]["reachable"]));
  EXPECT_FALSE(bool(s["warehouse"]["initialized"]));
  EXPECT_TRUE(has_problem(s, "init-db"));
}

TEST_F(Status, TheNewestProjectionErrorIsTheLastError) {
  fresh_warehouse(dsn_, schema_named("errs"));
  exec("INSERT INTO errs.projection_errors VALUES (7, 'ev-7', 'orders', 'order_owner', 'first'), "
       "(42, 'ev-42', 'orders', 'order_owner', 'line 3 has no product')");
  auto s = status("errs");
  EXPECT_EQ(uint64_t(s["warehouse"]["projection_errors"]), 2u);
  std::string last{std::string_view(s["last_error"])};
  EXPECT_NE(last.find("seq 42 (ev-42)"), std::string::npos) << last;
  EXPECT_NE(last.find("line 3 has no product"), std::string::npos) << last;
}

TEST_F(Status, PostgreSQLDownIsUnhealthyAndTheLogIsStillReported) {
  ASSERT_TRUE(cluster_->stop().ok());
  auto started = std::chrono::steady_clock::now();
  auto s = status("live");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(cluster_->restart().ok());
  EXPECT_EQ(exit_code, 1);
  EXPECT_LT(secs, 10.0);  // no retrying: a probe answers
  EXPECT_FALSE(bool(s["warehouse"]["reachable"]));
  EXPECT_NE(std::string(std::string_view(s["last_error"])).find("PostgreSQL unreachable"), std::string::npos);
  EXPECT_GT(uint64_t(s["log"]["head_seq"]), 1000u);
  EXPECT_TRUE(bool(s["log"]["ok"]));
  // Back up: healthy again.
  status("live");
  EXPECT_EQ(exit_code, 0);
}

// Not status, but it needs the server: the file's [warehouse] table reaches
// the schema that init-db builds.
TEST_F(Status, TheWarehouseTableOfTheConfigurationShapesTheSchema) {
  std::string f = *dir_ / "wh.toml";
  std::ofstream(f) << "[warehouse]\nholidays = [2026-12-25]\n[warehouse.scd.vendor]\ntier = \"type3\"\n";
  ASSERT_EQ(run(cli("shaped", {"-c", f, "init-db"})).exit_code, 0);
  pqxx::connection c(dsn_);
  pqxx::read_transaction tx(c);
  EXPECT_TRUE(tx.exec1("SELECT is_holiday FROM shaped.dim_date WHERE date = '2026-12-25'")[0].as<bool>());
  EXPECT_FALSE(tx.exec1("SELECT is_holiday FROM shaped.dim_date WHERE date = '2026-12-24'")[0].as<bool>());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'shaped' "
                     "AND table_name = 'dim_vendor' AND column_name = 'previous_tier'")[0].as<int>(), 1);
}

TEST_F(Status, AMissingLogIsUnhealthy) {
  std::vector<std::string> args = {"-q", "-D", *dir_ / "no-such-log", "--pg", dsn_, "--schema", "live", "status"};
  EXPECT_EQ(run(args).exit_code, 1);
}

}  // namespace
}  // namespace lh::testing
