// Prefetch and the fetch waker of the Kafka source (storage/kafka_source.cc,
// storage/kafka_fetch_waker.h): ingest_kafka in this process against the mock
// cluster over TCP. Behind on a backlog with a tiny prefetch, the waker wakes
// the brokers' threads and nothing is lost or doubled; caught up, it sends
// nothing.
#include <gtest/gtest.h>

#include <thread>

#include "storage/kafka_source.h"
#include "tests/storage/kafka_harness.h"

namespace lh::testing {
namespace {

using KafkaPrefetch = KafkaFixture;

TEST_F(KafkaPrefetch, TinyPrefetchWhileBehindWakesTheBrokersAndStillGivesExactlyOnce) {
  const std::string topic = topic_with_reference("tiny-prefetch");
  TempDir data;
  auto log = open_nosync_log(data / "log");
  ASSERT_TRUE(log);
  auto o = kafka_test_options(*boot_, topic, "g-tiny");
  // Each partition's queue stops being fetched at 200 messages (one fetch
  // still lands whole: up to 1 MiB), so catching up on ~20,000 messages
  // hits the limits again and again.
  o.config.push_back("queued.min.messages=200");
  o.config.push_back("queued.max.messages.kbytes=1024");
  o.batch_records = 2000;
  o.batch_max_ms = 1;
  int commits = 0;
  // A slow first commit (a slow disk): meanwhile the queues fill to their
  // limits, so the consumer is behind when it goes on.
  o.on_batch = [&](const storage::IngestProgress&) {
    if (++commits == 1) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  };
  auto r = storage::ingest_kafka(*log, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->totals.records, lines_of(slurp(ref_->file)).size());
  EXPECT_GT(r->fetch_wakeups, 0u) << "behind on a backlog, the waker sent no request";
  log.reset();
  EXPECT_EQ(log_events_sorted(data / "log"), ref_->events);
  EXPECT_EQ(quarantine_raw_sorted(data / "log"), ref_->quarantine);
}

TEST_F(KafkaPrefetch, CaughtUpConsumerSendsNoWakeups) {
  const std::string topic = "few";
  ASSERT_TRUE(cluster_->create_topic(topic, 2).ok());
  const auto lines = lines_of(slurp(ref_->file));
  std::vector<std::optional<std::string>> values(lines.begin(), lines.begin() + 40);
  produce_values(*boot_, topic, 0, values);
  TempDir data;
  auto log = open_nosync_log(data / "log");
  ASSERT_TRUE(log);
  auto o = kafka_test_options(*boot_, topic, "g-few");
  auto r = storage::ingest_kafka(*log, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->totals.records, 40u);
  // 40 messages never fill a partition's stage (512): nothing to wake.
  EXPECT_EQ(r->fetch_wakeups, 0u);
}

}  // namespace
}  // namespace lh::testing
