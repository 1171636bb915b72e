// Helpers of the Kafka tests: librdkafka's mock cluster in this process (the
// consumers under test are `ledgerhouse` processes talking to it over TCP),
// kcat as the producer, and the log's content read back for comparison.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "storage/event_log.h"
#include "storage/kafka_common.h"
#include "storage/kafka_source.h"
#include "tests/tools/cli_harness.h"

namespace lh::testing {

// Consumer settings for tests: a restarted or stopped member is out of the
// group after 6 s (the mock coordinator evicts on the session timeout).
inline std::vector<std::string> kafka_ingest_args(const std::string& log_dir, const std::string& boot,
                                                  const std::string& topic, const std::string& group) {
  return {"-q", "-D", log_dir, "ingest", "--kafka", boot, "--topic", topic, "--group", group,
          "--kafka-config", "session.timeout.ms=6000", "--kafka-config", "heartbeat.interval.ms=500"};
}

// ingest_kafka options for in-process tests: exit at the end, the same
// group timeouts as kafka_ingest_args.
inline storage::KafkaIngestOptions kafka_test_options(const std::string& boot, const std::string& topic,
                                                      const std::string& group) {
  storage::KafkaIngestOptions o;
  o.brokers = boot;
  o.topics = {topic};
  o.group = group;
  o.exit_at_end = true;
  o.config = {"session.timeout.ms=6000", "heartbeat.interval.ms=500"};
  return o;
}

// A log without fsync (tests need no durability), failing the test if it cannot open.
inline std::unique_ptr<storage::EventLog> open_nosync_log(const std::string& dir, bool read_only = false) {
  storage::LogOptions lo;
  lo.dir = dir;
  lo.durability = storage::Durability::nosync;
  lo.read_only = read_only;
  auto log = storage::EventLog::open(lo);
  EXPECT_TRUE(log.ok()) << log.error().message;
  return log.ok() ? std::move(*log) : nullptr;
}

// spawn() with stderr kept in `stderr_path` (shown when a test fails).
inline pid_t spawn_logged(const std::vector<std::string>& args, const std::string& stdout_path,
                          const std::string& stderr_path) {
  return spawn(args, stdout_path, stderr_path);
}

// Runs a shell command; returns its exit status.
inline int sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline void kcat_produce(const std::string& boot, const std::string& topic, const std::string& file,
                         const std::string& extra = "") {
  // Keyless messages: without sticky partitioning every partition gets some.
  ASSERT_EQ(sh("kcat -q -b " + boot + " -t " + topic + " -X sticky.partitioning.linger.ms=0 -P -l " +
               extra + " " + file), 0)
      << "kcat could not produce " << file;
}

// Produces `values` in order to one partition with librdkafka (nullopt = a
// NULL value, which kcat cannot send from a file).
inline void produce_values(const std::string& boot, const std::string& topic, int32_t partition,
                           const std::vector<std::optional<std::string>>& values) {
  auto conf = storage::kafka_conf(boot, {"linger.ms=5"});
  ASSERT_TRUE(conf.ok());
  char err[512];
  storage::KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf->release(), err, sizeof err));
  ASSERT_TRUE(rk) << err;
  for (const auto& v : values) {
    void* data = v ? const_cast<char*>(v->data()) : nullptr;
    size_t len = v ? v->size() : 0;
    ASSERT_EQ(rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(data, len),
                                RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(rk.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

// The log's events as NDJSON without seq and ingest time, sorted: partitions
// interleave differently from run to run, the content must not.
inline std::vector<std::string> log_events_sorted(const std::string& log_dir) {
  RunResult r = run({"-D", log_dir, "log", "dump"});
  EXPECT_EQ(r.exit_code, 0) << log_dir;
  static const std::regex kVolatile("\"seq\":[0-9]+,\"ingest_time\":\"[^\"]*\",");
  std::vector<std::string> out;
  for (auto& l : lines_of(r.out)) out.push_back(std::regex_replace(l, kVolatile, ""));
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> quarantine_raw_sorted(const std::string& log_dir) {
  RunResult r = run({"-D", log_dir, "quarantine", "list", "--raw"});
  EXPECT_EQ(r.exit_code, 0) << log_dir;
  auto out = lines_of(r.out);
  std::sort(out.begin(), out.end());
  return out;
}

// Events in a log (0 if it does not exist yet), read while a consumer writes.
inline uint64_t log_count(const std::string& log_dir) {
  if (!std::filesystem::exists(log_dir + "/data.mdb")) return 0;
  storage::LogOptions o;
  o.dir = log_dir;
  o.read_only = true;
  auto log = storage::EventLog::open(o);
  if (!log.ok()) return 0;
  auto s = (*log)->stats();
  return s.ok() ? s->events : 0;
}

inline std::vector<storage::SourcePosition> log_positions(const std::string& log_dir) {
  storage::LogOptions o;
  o.dir = log_dir;
  o.read_only = true;
  auto log = storage::EventLog::open(o);
  EXPECT_TRUE(log.ok()) << log_dir;
  if (!log.ok()) return {};
  return (*log)->positions();
}

// Polls `pred` every 50 ms for at most `seconds`.
template <class Pred>
bool eventually(double seconds, Pred pred) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// A generated stream and its oracle: the same file ingested directly.
struct Reference {
  std::string file;
  std::vector<std::string> events, quarantine;
};

inline Reference make_reference(const TempDir& dir, const std::string& name, int seed, int orders) {
  Reference r;
  r.file = dir / (name + ".ndjson");
  RunResult g = run({"generate", "--days", "1", "--seed", std::to_string(seed), "--dirty-rate", "0.01",
                     "--orders-per-day", std::to_string(orders), "-o", r.file});
  EXPECT_EQ(g.exit_code, 0);
  std::string ref_log = dir / (name + "-reference");
  EXPECT_EQ(run({"-D", ref_log, "ingest", r.file}).exit_code, 0);
  r.events = log_events_sorted(ref_log);
  r.quarantine = quarantine_raw_sorted(ref_log);
  return r;
}

// One mock cluster (3 brokers) and one reference stream per test suite.
class KafkaFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto c = storage::MockKafkaCluster::start(3);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = c->release();
    boot_ = new std::string(cluster_->bootstrap_servers());
    ref_ = new Reference(make_reference(*dir_, "day", 11, 500));
    ASSERT_GT(ref_->events.size(), 10000u);
    ASSERT_GT(ref_->quarantine.size(), 50u);
  }
  static void TearDownTestSuite() {
    delete ref_;
    delete boot_;
    delete cluster_;
    delete dir_;
  }
  // A fresh topic with the reference file in it.
  static std::string topic_with_reference(const std::string& topic, int partitions = 4) {
    EXPECT_TRUE(cluster_->create_topic(topic, partitions).ok());
    kcat_produce(*boot_, topic, ref_->file);
    return topic;
  }
  // ingest --exit-at-end; returns its JSON summary, failing the test on a non-zero exit.
  static std::string ingest_to_end(const std::string& log, const std::string& topic,
                                   const std::string& group, std::vector<std::string> extra = {}) {
    auto args = kafka_ingest_args(log, *boot_, topic, group);
    args.insert(args.end(), {"--exit-at-end", "--json"});
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out = *dir_ / "out.json", err = *dir_ / "err.txt";
    RunResult r = wait_for(spawn_logged(args, out, err));
    EXPECT_EQ(r.exit_code, 0) << slurp(err);
    return slurp(out);
  }

  static inline TempDir* dir_;
  static inline storage::MockKafkaCluster* cluster_;
  static inline std::string* boot_;
  static inline Reference* ref_;
};

}  // namespace lh::testing
