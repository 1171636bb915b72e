// The Kafka source end to end: librdkafka's mock cluster (in this process,
// over TCP), kcat producing generated files, `ledgerhouse ingest --kafka`
// consuming them. The oracle is the same file ingested directly.
#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "tests/storage/kafka_harness.h"

namespace lh::testing {
namespace {

using KafkaSource = KafkaFixture;

TEST_F(KafkaSource, KcatFileIntoLogExactlyOnceAndRerunAppendsNothing) {
  std::string topic = topic_with_reference("plain");
  TempDir data;
  std::string log = data / "log";
  std::string first = ingest_to_end(log, topic, "g-plain");
  EXPECT_NE(first.find("\"appended\":" + std::to_string(ref_->events.size())), std::string::npos) << first;
  EXPECT_EQ(log_events_sorted(log), ref_->events);
  EXPECT_EQ(quarantine_raw_sorted(log), ref_->quarantine);
  // Every partition's position is stored, at its end.
  auto positions = log_positions(log);
  ASSERT_EQ(positions.size(), 4u);
  for (const auto& p : positions) EXPECT_EQ(p.source.rfind("kafka:plain/", 0), 0u) << p.source;

  // Again, same group: nothing new. Again with a new group (no committed
  // offsets): the log's positions alone say where to start.
  for (std::string group : {"g-plain", "g-plain-2"}) {
    std::string again = ingest_to_end(log, topic, group);
    EXPECT_NE(again.find("\"records\":0,\"appended\":0"), std::string::npos) << group << ": " << again;
  }
  EXPECT_EQ(log_events_sorted(log), ref_->events);
  EXPECT_EQ(quarantine_raw_sorted(log), ref_->quarantine);
}

TEST_F(KafkaSource, BadMessagesGoToTheQuarantineWithTopicPartitionOffset) {
  ASSERT_TRUE(cluster_->create_topic("bad", 1).ok());
  const std::string head = R"({"event_id":"b-N","type":"customer_deleted","event_time":"2026-11-01T00:00:00Z","data":{"customer_id":)";
  auto event = [&](char n, const std::string& rest) {
    std::string e = head + rest;
    e[head.find('N')] = n;
    return e;
  };
  produce_values(*boot_, "bad", 0,
                 {event('1', R"("C-1"}})"), std::string("not json at all"), std::nullopt,
                  event('2', R"(""}})"), event('3', "\"C-3\",\"pad\":\"" + std::string(5000, 'x') + "\"}}"),
                  event('4', R"("C-4"}})")});
  TempDir data;
  std::string log = data / "log";
  ingest_to_end(log, "bad", "g-bad", {"--max-record-bytes", "4096"});
  RunResult q = run({"-D", log, "quarantine", "list", "--json"});
  ASSERT_EQ(q.exit_code, 0);
  // One record per {"qseq":...} object, in arrival order.
  std::vector<std::string> lines;
  for (size_t at = q.out.find("{\"qseq\":"); at != std::string::npos;) {
    size_t next = q.out.find("{\"qseq\":", at + 1);
    lines.push_back(q.out.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  ASSERT_EQ(lines.size(), 4u) << q.out;
  const char* codes[] = {"bad_json", "bad_json", "empty_id", "oversized"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NE(lines[i].find("\"source\":\"kafka:bad/0\""), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("\"offset\":" + std::to_string(i + 1) + ","), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find(std::string("\"code\":\"") + codes[i] + "\""), std::string::npos) << lines[i];
  }
  EXPECT_NE(lines[1].find("null message value"), std::string::npos) << lines[1];
  auto events = log_events_sorted(log);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].find("\"b-1\""), std::string::npos);
  EXPECT_NE(events[1].find("\"b-4\""), std::string::npos);
}

TEST_F(KafkaSource, ProduceCommandKeysByVendorAndRoundTrips) {
  ASSERT_TRUE(cluster_->create_topic("produced", 4).ok());
  RunResult p = run({"produce", "--kafka", *boot_, "--topic", "produced", ref_->file});
  ASSERT_EQ(p.exit_code, 0);
  // Every vendor's messages are in one partition.
  std::string keys = *dir_ / "keys.txt";
  ASSERT_EQ(sh("kcat -q -b " + *boot_ + " -t produced -C -e -f '%k %p\\n' > " + keys), 0);
  std::map<std::string, std::set<std::string>> partitions_of;
  size_t keyed = 0, total = 0;
  for (const auto& l : lines_of(slurp(keys))) {
    ++total;
    auto sp = l.find(' ');
    if (sp == 0) continue;  // no key
    ++keyed;
    partitions_of[l.substr(0, sp)].insert(l.substr(sp + 1));
  }
  EXPECT_EQ(total, ref_->events.size() + ref_->quarantine.size() +
                       (lines_of(slurp(ref_->file)).size() - ref_->events.size() - ref_->quarantine.size()));
  EXPECT_GT(keyed, 1000u);
  EXPECT_GT(partitions_of.size(), 10u);
  for (const auto& [vendor, parts] : partitions_of) EXPECT_EQ(parts.size(), 1u) << vendor;
  TempDir data;
  ingest_to_end(data / "log", "produced", "g-produced");
  EXPECT_EQ(log_events_sorted(data / "log"), ref_->events);
}

TEST_F(KafkaSource, KillNineAtRandomMomentsThenRestartGivesExactlyOnce) {
  constexpr int kRuns = 10;
  int killed_mid_stream = 0;
  for (int run_no = 0; run_no < kRuns; ++run_no) {
    SCOPED_TRACE("seeded run " + std::to_string(run_no));
    std::mt19937_64 rng(500 + run_no);
    std::string topic = topic_with_reference("kill" + std::to_string(run_no));
    std::string group = "g-kill" + std::to_string(run_no);
    TempDir data;
    std::string log = data / "log";
    std::string batch = std::to_string(100 + rng() % 1000);
    auto args = kafka_ingest_args(log, *boot_, topic, group);
    // Small fetches: the consumer goes back to the brokers all along.
    args.insert(args.end(), {"--batch-size", batch, "--kafka-config", "queued.max.messages.kbytes=64",
                             "--kafka-config", "fetch.message.max.bytes=16384"});
    pid_t pid = spawn_logged(args, data / "out1", data / "err1");
    // Wait for the first commit, then kill -9 a random moment later.
    bool started = eventually(30, [&] { return log_count(log) > 0; });
    ASSERT_TRUE(started) << slurp(data / "err1");
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 400000));
    kill(pid, SIGKILL);
    RunResult killed = wait_for(pid);
    ASSERT_EQ(killed.signal, SIGKILL);
    uint64_t at_kill = log_count(log);
    if (at_kill < ref_->events.size()) ++killed_mid_stream;
    // Restart in the same group: exactly once.
    args.insert(args.end(), {"--exit-at-end"});
    RunResult again = wait_for(spawn_logged(args, data / "out2", data / "err2"));
    ASSERT_EQ(again.exit_code, 0) << slurp(data / "err2");
    EXPECT_EQ(log_events_sorted(log), ref_->events) << "killed at " << at_kill << " events";
    EXPECT_EQ(quarantine_raw_sorted(log), ref_->quarantine);
  }
  EXPECT_GE(killed_mid_stream, kRuns / 2);
}

TEST(MockKafkaCommand, PrintsItsBootstrapServesKcatAndStopsOnSigterm) {
  TempDir dir;
  pid_t pid = spawn_logged({"mock-kafka", "--brokers", "2", "--topic", "t", "--partitions", "3"},
                           dir / "boot", dir / "err");
  std::string boot;
  ASSERT_TRUE(eventually(20, [&] {
    boot = slurp(dir / "boot");
    return boot.find('\n') != std::string::npos;
  })) << slurp(dir / "err");
  boot = boot.substr(0, boot.find('\n'));
  EXPECT_EQ(std::count(boot.begin(), boot.end(), ','), 1) << boot;  // two brokers
  std::string file = dir / "in.txt";
  { std::ofstream(file) << "a\nb\nc\n"; }
  kcat_produce(boot, "t", file);
  // The topic has the 3 partitions asked for, and the 3 messages.
  ASSERT_EQ(sh("kcat -q -b " + boot + " -L -t t | grep -c 'partition ' > " + (dir / "parts")), 0);
  EXPECT_EQ(slurp(dir / "parts"), "3\n");
  ASSERT_EQ(sh("kcat -q -b " + boot + " -C -t t -e -f '%s\\n' | sort > " + (dir / "got")), 0);
  EXPECT_EQ(slurp(dir / "got"), "a\nb\nc\n");
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_for(pid).exit_code, 0);
  // --port cannot be honoured by librdkafka 2.0's mock cluster: said so.
  RunResult port = run({"mock-kafka", "--port", "9092"});
  EXPECT_EQ(port.exit_code, 2);
}

}  // namespace
}  // namespace lh::testing
