// `ledgerhouse run --kafka`: the Kafka source consuming in a thread of the
// run process while the projection follows the log (mock cluster over TCP,
// a real PostgreSQL). The oracle is `run --ingest FILE` of the same file:
// one partition keeps the file's order, so seqs (and with them surrogate
// keys) are the same and the warehouses must be equal table by table. The
// stream stays under the ~5 MiB a mock partition keeps (docs/kafka.md).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/actors/warehouse_compare.h"
#include "tests/storage/kafka_harness.h"
#include "tests/tools/warehouse_suite.h"

namespace lh::testing {
namespace {

class RunKafka : public WarehouseSuite<RunKafka> {
 protected:
  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    auto c = storage::MockKafkaCluster::start(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    kafka_ = c->release();
    boot_ = kafka_->bootstrap_servers();
    file_ = *dir_ / "stream.ndjson";
    ASSERT_EQ(run({"generate", "--days", "1", "--seed", "8", "--orders-per-day", "200", "--dirty-rate", "0.01",
                   "-o", file_}).exit_code, 0);
    ASSERT_TRUE(kafka_->create_topic("events", 1).ok());
    kcat_produce(boot_, "events", file_);
    fresh_warehouse(dsn_, schema_named("from_file"));
    RunResult r = run(cli(*dir_ / "file-log", "from_file", {"run", "--ingest", file_, "--until-caught-up"}));
    ASSERT_EQ(r.exit_code, 0);
    ASSERT_GT(count_rows(dsn_, "from_file", "fact_order_line"), 200u);
  }
  static void TearDownTestSuite() {
    delete kafka_;
    kafka_ = nullptr;
    WarehouseSuite::TearDownTestSuite();
  }
  static std::vector<std::string> cli(const std::string& log, const std::string& schema,
                                      std::vector<std::string> args) {
    return cli_for(log, schema, std::move(args));
  }
  static std::vector<std::string> kafka_args(const std::string& group) {
    return {"--kafka", boot_, "--topic", "events", "--group", group, "--kafka-config", "session.timeout.ms=6000",
            "--kafka-config", "heartbeat.interval.ms=500"};
  }
  static inline storage::MockKafkaCluster* kafka_ = nullptr;
  static inline std::string boot_, file_;
};

TEST_F(RunKafka, UntilCaughtUpConsumesEveryPartitionThenProjectsTheWarehouseOfTheFile) {
  fresh_warehouse(dsn_, schema_named("from_kafka"));
  auto args = cli(*dir_ / "kafka-log", "from_kafka", {"run", "--until-caught-up"});
  for (auto& a : kafka_args("g-run")) args.push_back(a);
  RunResult r = wait_for(spawn(args, *dir_ / "run.out", *dir_ / "run.err"));
  ASSERT_EQ(r.exit_code, 0) << slurp(*dir_ / "run.err");
  EXPECT_EQ(log_events_sorted(*dir_ / "kafka-log"), log_events_sorted(*dir_ / "file-log"));
  EXPECT_EQ(compare_schemas(dsn_, schema_named("from_kafka"), "from_file", "from_kafka"), "");
}

TEST_F(RunKafka, SigtermCommitsTheBatchInHandAndTheNextRunCompletesExactlyOnce) {
  fresh_warehouse(dsn_, schema_named("sigterm"));
  const std::string log = *dir_ / "sigterm-log";
  auto args = cli(log, "sigterm", {"run", "--batch-events", "500"});
  for (auto& a : kafka_args("g-sigterm")) args.push_back(a);
  // Small fetches: the stream takes a while, the signal lands mid-way.
  args.insert(args.end(), {"--kafka-config", "max.partition.fetch.bytes=32768"});
  pid_t pid = spawn(args, *dir_ / "sig.out", *dir_ / "sig.err");
  ASSERT_TRUE(eventually(60, [&] { return log_count(log) > 0; })) << slurp(*dir_ / "sig.err");
  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 0) << slurp(*dir_ / "sig.err");
  const uint64_t after_stop = log_count(log);
  // Then to the end in the same group: nothing lost, nothing twice.
  auto again = cli(log, "sigterm", {"run", "--until-caught-up"});
  for (auto& a : kafka_args("g-sigterm")) again.push_back(a);
  RunResult fin = wait_for(spawn(again, *dir_ / "fin.out", *dir_ / "fin.err"));
  ASSERT_EQ(fin.exit_code, 0) << slurp(*dir_ / "fin.err");
  EXPECT_LE(after_stop, log_count(log));
  EXPECT_EQ(log_events_sorted(log), log_events_sorted(*dir_ / "file-log"));
  EXPECT_EQ(compare_schemas(dsn_, schema_named("sigterm"), "from_file", "sigterm"), "");
}

TEST_F(RunKafka, BadKafkaOptionsAreRefused) {
  std::string err_path = *dir_ / "bad.err";
  RunResult r = wait_for(spawn(cli(*dir_ / "bad-log", "from_file", {"run", "--kafka", boot_, "--topic", "events"}),
                               "", err_path));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(slurp(err_path).find("run --kafka needs --topic or --cdc-topic (at least one) and --group"),
            std::string::npos) << slurp(err_path);
  r = wait_for(spawn(cli(*dir_ / "bad-log", "from_file",
                         {"run", "--kafka", boot_, "--topic", "events", "--group", "g", "--ingest", file_}),
                     "", err_path));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(slurp(err_path).find("either --ingest FILE or --kafka"), std::string::npos) << slurp(err_path);
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "bad-log"));
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

// `status --kafka BROKERS`: each kafka:* source's consumer lag = the
// partition's high watermark - the log's position, asked of the brokers.
TEST_F(RunKafka, StatusReportsEachKafkaSourcesConsumerLag) {
  ASSERT_TRUE(kafka_->create_topic("lagged", 1).ok());
  kcat_produce(boot_, "lagged", file_);
  const std::string log = *dir_ / "lag-log";
  RunResult in = run({"-q", "-D", log, "ingest", "--kafka", boot_, "--topic", "lagged", "--group", "g-lag",
                      "--exit-at-end"});
  ASSERT_EQ(in.exit_code, 0);
  // Seven more messages the log has not consumed.
  const std::string more = *dir_ / "seven.ndjson";
  {
    std::ifstream src(file_);
    std::ofstream dst(more);
    std::string line;
    for (int i = 0; i < 7 && std::getline(src, line); ++i) dst << line << '\n';
  }
  kcat_produce(boot_, "lagged", more);

  RunResult st = run(cli(log, "from_file", {"status", "--json", "--kafka", boot_}));
  EXPECT_NE(st.out.find("\"source\":\"kafka:lagged/0\""), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"consumer_lag\":7}"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"kafka_error\":null"), std::string::npos) << st.out;

  RunResult over = run(cli(log, "from_file", {"status", "--kafka", boot_, "--max-consumer-lag", "5"}));
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.out.find("kafka:lagged/0: consumer lag 7 messages > --max-consumer-lag 5"), std::string::npos)
      << over.out;

  // Brokers that do not answer: said, and unhealthy (never a hang).
  RunResult down = run(cli(log, "from_file",
                           {"status", "--json", "--kafka", "127.0.0.1:1", "--kafka-timeout-ms", "1000"}));
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.out.find("high watermark of lagged/0"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("\"consumer_lag\":null"), std::string::npos) << down.out;
}

}  // namespace
}  // namespace lh::testing
