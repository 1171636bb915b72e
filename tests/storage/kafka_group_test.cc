// The Kafka source under trouble: brokers going down and partition leaders
// moving mid-stream, and two members of one consumer group sharing (then
// handing over) the partitions. Mock cluster in this process, consumers are
// `ledgerhouse` processes.
#include <gtest/gtest.h>

#include "tests/storage/kafka_harness.h"

namespace lh::testing {
namespace {

using KafkaTrouble = KafkaFixture;

std::vector<std::string> merged(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  return a;
}

TEST_F(KafkaTrouble, BrokerDownUpAndLeaderChangeMidStreamLoseAndDoubleNothing) {
  ASSERT_TRUE(cluster_->create_topic("flaky", 4, 3).ok());
  // Small record batches (a fetch returns at least one whole batch) and
  // slow fetches (8 KiB per partition, 15 ms round trips): the stream lasts
  // several seconds, so the trouble below comes mid-stream. (With kcat's
  // default batching a few fetches could carry the whole topic: until the
  // fetch waker, librdkafka's 1 s fetch pause was what kept this slow.)
  kcat_produce(*boot_, "flaky", ref_->file, "-X batch.num.messages=20");
  ASSERT_TRUE(cluster_->set_rtt(-1, 15).ok());
  TempDir data;
  std::string log = data / "log";
  auto args = kafka_ingest_args(log, *boot_, "flaky", "g-flaky");
  args.insert(args.end(), {"--exit-at-end", "--batch-size", "500", "--kafka-config",
                           "queued.max.messages.kbytes=64", "--kafka-config", "fetch.message.max.bytes=8192"});
  pid_t pid = spawn_logged(args, data / "out", data / "err");
  ASSERT_TRUE(eventually(30, [&] { return log_count(log) > 0; })) << slurp(data / "err");
  uint64_t at_trouble = log_count(log);
  // One broker down, a leader moves away from it, then every broker down.
  ASSERT_TRUE(cluster_->broker_down(1).ok());
  ASSERT_TRUE(cluster_->set_leader("flaky", 0, 2).ok());
  ASSERT_TRUE(cluster_->set_leader("flaky", 3, 3).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(cluster_->broker_down(-1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  uint64_t while_down = log_count(log);
  ASSERT_TRUE(cluster_->broker_up(-1).ok());
  ASSERT_TRUE(cluster_->set_leader("flaky", 1, 1).ok());
  RunResult r = wait_for(pid);
  ASSERT_TRUE(cluster_->set_rtt(-1, 0).ok());
  ASSERT_EQ(r.exit_code, 0) << slurp(data / "err");
  // The trouble came mid-stream, not after it.
  EXPECT_LT(at_trouble, ref_->events.size());
  EXPECT_LT(while_down, ref_->events.size());
  EXPECT_EQ(log_events_sorted(log), ref_->events);
  EXPECT_EQ(quarantine_raw_sorted(log), ref_->quarantine);
}

TEST_F(KafkaTrouble, TwoMembersSplitThePartitionsAndOneTakesOverWhenTheOtherStops) {
  Reference second = make_reference(*dir_, "day2", 12, 300);
  ASSERT_TRUE(cluster_->create_topic("shared", 4).ok());
  TempDir data;
  std::string la = data / "a", lb = data / "b";
  pid_t a = spawn_logged(kafka_ingest_args(la, *boot_, "shared", "g-pair"), data / "a.out", data / "a.err");
  pid_t b = spawn_logged(kafka_ingest_args(lb, *boot_, "shared", "g-pair"), data / "b.out", data / "b.err");
  // Keyed by vendor/entity: a duplicate lands in its original's partition, so
  // the two logs cannot both hold it.
  ASSERT_EQ(run({"produce", "--kafka", *boot_, "--topic", "shared", ref_->file}).exit_code, 0);
  ASSERT_TRUE(eventually(60, [&] { return log_count(la) + log_count(lb) >= ref_->events.size(); }))
      << slurp(data / "a.err") << slurp(data / "b.err");
  EXPECT_GT(log_count(la), 0u) << "member a got no partition";
  EXPECT_GT(log_count(lb), 0u) << "member b got no partition";

  // b leaves (SIGTERM: commits its batch, leaves the group); a takes over.
  kill(b, SIGTERM);
  RunResult rb = wait_for(b);
  EXPECT_EQ(rb.exit_code, 130) << slurp(data / "b.err");
  ASSERT_EQ(run({"produce", "--kafka", *boot_, "--topic", "shared", second.file}).exit_code, 0);
  size_t total = ref_->events.size() + second.events.size();
  bool done = eventually(60, [&] { return log_count(la) + log_count(lb) >= total; });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // anything extra would show now
  kill(a, SIGTERM);
  RunResult ra = wait_for(a);
  ASSERT_TRUE(done) << slurp(data / "a.err");
  EXPECT_EQ(ra.exit_code, 130) << slurp(data / "a.err");

  // The union of the two logs is both files' valid events, each once.
  EXPECT_EQ(merged(log_events_sorted(la), log_events_sorted(lb)), merged(ref_->events, second.events));
  EXPECT_EQ(merged(quarantine_raw_sorted(la), quarantine_raw_sorted(lb)),
            merged(ref_->quarantine, second.quarantine));
  // a ends up with a position for every partition.
  EXPECT_EQ(log_positions(la).size(), 4u);
}

}  // namespace
}  // namespace lh::testing
