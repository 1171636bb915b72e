// kill -9 `ledgerhouse run` at random moments while it projects a generated
// stream into PostgreSQL, then run it to the end: the warehouse must equal a
// clean, uninterrupted run, table by table (exactly once: nothing lost,
// nothing doubled). Seeded: a failing run can be replayed.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tests/tools/warehouse_suite.h"

namespace lh::testing {
namespace {

uint64_t checkpoint_of(const std::string& dsn, const std::string& schema) {
  storage::PgOptions po;
  po.dsn = dsn;
  auto w = storage::PgWriter::connect(po, schema_named(schema));
  EXPECT_TRUE(w.ok());
  auto cp = (*w)->checkpoint();
  EXPECT_TRUE(cp.ok());
  return cp.ok() ? cp->last_seq : 0;
}

void drop_schema(const std::string& dsn, const std::string& schema) {
  pqxx::connection c(dsn);
  pqxx::work tx(c);
  tx.exec0("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
  tx.commit();
}

class RunCrash : public WarehouseSuite<RunCrash> {
 protected:
  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    log_dir_ = *dir_ / "log";
    input_ = *dir_ / "stream.ndjson";
    ASSERT_EQ(run({"generate", "--days", "1", "--seed", "5", "--orders-per-day", "2500", "-o", input_})
                  .exit_code, 0);
    ASSERT_EQ(run({"-D", log_dir_, "ingest", "--durability", "nosync", input_}).exit_code, 0);
    fresh_warehouse(dsn_, schema_named("reference"));
    ASSERT_EQ(run(cli("reference", {"run", "--until-caught-up"})).exit_code, 0);
    head_ = checkpoint_of(dsn_, "reference");
  }
  static std::vector<std::string> cli(const std::string& schema, std::vector<std::string> args) {
    return cli_for(log_dir_, schema, std::move(args));
  }
  static std::string log_dir_, input_;
  static uint64_t head_;
};
std::string RunCrash::log_dir_, RunCrash::input_;
uint64_t RunCrash::head_;

TEST_F(RunCrash, ReferenceProjectedTheWholeLog) {
  EXPECT_GT(head_, 30000u);
  EXPECT_GT(count_rows(dsn_, "reference", "fact_order_line"), 1000u);
}

TEST_F(RunCrash, KillNineAtRandomMomentsThenRunToTheEndGivesExactlyOnce) {
  constexpr int kRuns = 20;
  int killed_mid_projection = 0;
  for (int run_no = 0; run_no < kRuns; ++run_no) {
    SCOPED_TRACE("seeded run " + std::to_string(run_no));
    std::mt19937_64 rng(2000 + run_no);
    std::string schema = "crash_" + std::to_string(run_no);
    fresh_warehouse(dsn_, schema_named(schema));
    std::string batch = std::to_string(300 + rng() % 3000);
    int kills = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < kills; ++k) {
      pid_t pid = spawn(cli(schema, {"run", "--batch-events", batch, "--max-in-flight", "2"}));
      std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 900));
      ::kill(pid, SIGKILL);
      wait_for(pid);
    }
    uint64_t cp = checkpoint_of(dsn_, schema);
    if (cp > 0 && cp < head_) ++killed_mid_projection;
    RunResult fin = run(cli(schema, {"run", "--until-caught-up"}));
    ASSERT_EQ(fin.exit_code, 0);
    EXPECT_EQ(checkpoint_of(dsn_, schema), head_);
    EXPECT_EQ(compare_schemas(dsn_, schema_named(schema), "reference", schema), "");
    drop_schema(dsn_, schema);
  }
  // The test means something only if most kills landed while projecting.
  EXPECT_GE(killed_mid_projection, kRuns / 2);
}

TEST_F(RunCrash, SigtermFinishesTheBatchInHandAndExitsZero) {
  fresh_warehouse(dsn_, schema_named("sigterm"));
  pid_t pid = spawn(cli("sigterm", {"run", "--batch-events", "500", "--max-in-flight", "2"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(run(cli("sigterm", {"run", "--until-caught-up"})).exit_code, 0);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("sigterm"), "reference", "sigterm"), "");
}

TEST_F(RunCrash, RunOnAnUninitializedSchemaSaysToRunInitDb) {
  RunResult r = run(cli("never_initialized", {"run", "--until-caught-up"}));
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

TEST_F(RunCrash, DemoWithAGivenServerPrintsTheViewsAndHowToConnect) {
  TempDir d;
  RunResult r = run({"-q", "-D", d / "data", "--pg", dsn_, "--schema", "demo", "demo", "--days", "1",
                     "--orders-per-day", "300", "--rows", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("== demo.v_vendor_scorecard (first 3 rows)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("connect: psql '"), std::string::npos) << r.out;
  EXPECT_GT(count_rows(dsn_, "demo", "fact_order_line"), 100u);
  // Again: nothing new, the same warehouse.
  uint64_t lines = count_rows(dsn_, "demo", "fact_order_line");
  ASSERT_EQ(run({"-q", "-D", d / "data", "--pg", dsn_, "--schema", "demo", "demo", "--days", "1",
                 "--orders-per-day", "300"}).exit_code, 0);
  EXPECT_EQ(count_rows(dsn_, "demo", "fact_order_line"), lines);
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

// run --ingest appends in a thread while the actors follow the log: same
// log, same warehouse as ingest-then-run.
TEST_F(RunCrash, IngestWhileProjectingEqualsIngestThenRun) {
  TempDir d;
  fresh_warehouse(dsn_, schema_named("ingest_run"));
  RunResult r = run({"-q", "-D", d / "log", "--pg", dsn_, "--schema", "ingest_run", "run",
                     "--until-caught-up", "--ingest", input_});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(checkpoint_of(dsn_, "ingest_run"), head_);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("ingest_run"), "reference", "ingest_run"), "");
}

TEST_F(RunCrash, IngestOfAMissingFileFailsTheRun) {
  TempDir d;
  fresh_warehouse(dsn_, schema_named("ingest_missing"));
  RunResult r = run({"-q", "-D", d / "log", "--pg", dsn_, "--schema", "ingest_missing", "run",
                     "--ingest", d / "no-such-file.ndjson"});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace lh::testing
