// Graceful shutdown for real: `run --ingest` and `ingest` children get
// SIGTERM mid-way (the batch in hand is committed, the checkpoint is what was
// applied, a rerun completes exactly: equal to a clean run), or two signals
// (they leave at once and the log stays consistent).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <thread>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tests/tools/warehouse_suite.h"

namespace lh::testing {
namespace {

class Shutdown : public WarehouseSuite<Shutdown> {
 protected:
  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    input_ = *dir_ / "big.ndjson";
    ASSERT_EQ(run({"generate", "--days", "2", "--seed", "11", "--orders-per-day", "3000", "-o", input_}).exit_code,
              0);
    // The clean reference: one uninterrupted run.
    fresh_warehouse(dsn_, schema_named("reference"));
    ASSERT_EQ(run(cli(*dir_ / "ref-log", "reference", {"run", "--ingest", input_, "--until-caught-up"})).exit_code,
              0);
    events_ = log_events(*dir_ / "ref-log");
    ASSERT_GT(events_, 50000u);
  }
  static std::vector<std::string> cli(const std::string& log, const std::string& schema,
                                      std::vector<std::string> args) {
    return cli_for(log, schema, std::move(args));
  }
  // Events in the log per `log stat --json`; also checks that it reads
  // (every record's checksum is verified by a full dump).
  static uint64_t log_events(const std::string& log) {
    RunResult stat = run({"-D", log, "log", "stat", "--json"});
    EXPECT_EQ(stat.exit_code, 0);
    simdjson::dom::parser p;
    auto doc = p.parse(stat.out);
    EXPECT_FALSE(doc.error()) << stat.out;
    if (doc.error()) return 0;
    EXPECT_EQ(uint64_t(doc["duplicates"]), 0u);
    RunResult dump = run({"-D", log, "log", "dump"});
    EXPECT_EQ(dump.exit_code, 0) << "a record of the log does not read back";
    return doc["events"];
  }
  static uint64_t checkpoint_of(const std::string& schema) {
    storage::PgOptions po;
    po.dsn = dsn_;
    auto w = storage::PgWriter::connect(po, schema_named(schema));
    EXPECT_TRUE(w.ok());
    auto cp = (*w)->checkpoint();
    return cp.ok() ? cp->last_seq : 0;
  }
  // Rows of fact_order_line are exactly those of the events up to the
  // checkpoint: none beyond it (nothing applied without its checkpoint).
  static uint64_t max_seq_in(const std::string& schema) {
    pqxx::connection c(dsn_);
    pqxx::read_transaction tx(c);
    return tx.exec1("SELECT coalesce(max(seq), 0) FROM " + tx.quote_name(schema) + ".fact_order_line")[0]
        .as<uint64_t>();
  }

  static std::string input_;
  static uint64_t events_;
};
std::string Shutdown::input_;
uint64_t Shutdown::events_;

TEST_F(Shutdown, SigtermDuringRunWithIngestCommitsAndARerunCompletesExactly) {
  std::string log = *dir_ / "log-term";
  fresh_warehouse(dsn_, schema_named("term"));
  pid_t pid = spawn(cli(log, "term", {"run", "--ingest", input_, "--batch-events", "500", "--max-in-flight", "2"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 0);
  uint64_t cp = checkpoint_of("term");
  uint64_t in_log = log_events(log);
  EXPECT_GT(cp, 0u);
  EXPECT_LT(cp, events_) << "the signal came after the end: the test proves nothing";
  EXPECT_LE(cp, in_log);
  EXPECT_LE(max_seq_in("term"), cp);

  RunResult again = run(cli(log, "term", {"run", "--ingest", input_, "--until-caught-up"}));
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(log_events(log), events_);  // nothing lost, nothing twice
  EXPECT_EQ(checkpoint_of("term"), events_);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("term"), "reference", "term"), "");
}

TEST_F(Shutdown, ASecondSignalLeavesAtOnceAndTheLogStaysConsistent) {
  std::string log = *dir_ / "log-twice";
  fresh_warehouse(dsn_, schema_named("twice"));
  pid_t pid = spawn(cli(log, "twice", {"run", "--ingest", input_, "--batch-events", "500", "--max-in-flight", "2"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto sent = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  EXPECT_LT(secs, 1.0);
  EXPECT_TRUE(r.exit_code == 130 || r.exit_code == 0) << r.exit_code;  // 0 if the first finished first
  EXPECT_LE(max_seq_in("twice"), checkpoint_of("twice"));
  EXPECT_LE(log_events(log), events_);

  RunResult again = run(cli(log, "twice", {"run", "--ingest", input_, "--until-caught-up"}));
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(log_events(log), events_);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("twice"), "reference", "twice"), "");
}

TEST_F(Shutdown, SigtermDuringIngestCommitsTheBatchInHandAndResumes) {
  std::string log = *dir_ / "log-ingest";
  pid_t pid = spawn({"-q", "-D", log, "ingest", "--batch-size", "200", input_});
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 130);  // stopped early (docs/architecture.md), after committing
  uint64_t partial = log_events(log);
  EXPECT_GT(partial, 0u);
  EXPECT_LT(partial, events_) << "the signal came after the end: the test proves nothing";
  ASSERT_EQ(run({"-q", "-D", log, "ingest", "--batch-size", "200", input_}).exit_code, 0);
  EXPECT_EQ(log_events(log), events_);
}

}  // namespace
}  // namespace lh::testing
