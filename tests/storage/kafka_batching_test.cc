// Batch sizing of the Kafka source (group commit, storage/kafka_source.h):
// ingest_kafka in this process against the mock cluster over TCP. A slow
// log is a slow on_batch (it runs in the committing thread, inside the
// commit), so the consuming thread meets a busy committer.
#include <gtest/gtest.h>

#include <thread>

#include "storage/kafka_source.h"
#include "tests/storage/kafka_harness.h"

namespace lh::testing {
namespace {

using KafkaBatching = KafkaFixture;

// Messages kcat makes of a file: one per line (the file's duplicates and
// invalid lines included).
uint64_t messages_in(const std::string& file) { return lines_of(slurp(file)).size(); }

TEST_F(KafkaBatching, BatchKeepsGrowingWhileTheLogIsBusyButNeverPastBatchRecords) {
  const std::string topic = topic_with_reference("grow");
  TempDir data;
  auto log = open_nosync_log(data / "log");
  ASSERT_TRUE(log);
  auto o = kafka_test_options(*boot_, topic, "g-grow");
  o.batch_records = 4000;
  o.batch_max_ms = 1;  // due almost at once: only a busy log makes a batch grow
  std::vector<uint64_t> sizes;  // messages per committed batch
  uint64_t seen = 0;
  o.on_batch = [&](const storage::IngestProgress& p) {
    sizes.push_back(p.records - seen);
    seen = p.records;
    // The first commit is slow (a slow disk): meanwhile every message of the
    // topic is fetched, and the next batch fills up to batch_records.
    if (sizes.size() == 1) std::this_thread::sleep_for(std::chrono::seconds(1));
  };
  auto r = storage::ingest_kafka(*log, o);
  ASSERT_TRUE(r.ok()) << r.error().message;

  const uint64_t total = messages_in(ref_->file);
  ASSERT_GT(total, 3 * o.batch_records);
  EXPECT_EQ(r->totals.records, total);
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_LT(sizes[0], o.batch_records) << "the first batch went when it was due (1 ms), not full";
  EXPECT_EQ(sizes[1], o.batch_records) << "the batch built during the slow commit is full";
  for (size_t i = 0; i < sizes.size(); ++i) EXPECT_LE(sizes[i], o.batch_records) << "batch " << i;
  // Exactly once, whatever the batch boundaries.
  log.reset();
  EXPECT_EQ(log_events_sorted(data / "log"), ref_->events);
  EXPECT_EQ(quarantine_raw_sorted(data / "log"), ref_->quarantine);
}

TEST_F(KafkaBatching, QuietLogCommitsEachBatchWhenItIsDueNotWhenFull) {
  const std::string topic = topic_with_reference("due", 2);
  TempDir data;
  auto log = open_nosync_log(data / "log");
  ASSERT_TRUE(log);
  auto o = kafka_test_options(*boot_, topic, "g-due");
  o.batch_records = 1000000;  // never full here: only the age hands a batch over
  o.batch_max_ms = 1;
  uint64_t batches = 0;
  o.on_batch = [&](const storage::IngestProgress&) { ++batches; };
  auto r = storage::ingest_kafka(*log, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->totals.records, messages_in(ref_->file));
  // ~20,000 messages (~4.8 MB) arrive in several fetches (1 MiB per
  // partition each), so a 1 ms age gives more than one batch.
  EXPECT_GT(batches, 1u);
  EXPECT_EQ(r->totals.batches, batches);
  log.reset();
  EXPECT_EQ(log_events_sorted(data / "log"), ref_->events);
}

TEST_F(KafkaBatching, LogThatRefusesTheBatchStopsTheIngestWithItsError) {
  const std::string topic = topic_with_reference("refused", 2);
  TempDir data;
  { ASSERT_TRUE(open_nosync_log(data / "log")); }  // create it, then open it read-only
  auto log = open_nosync_log(data / "log", /*read_only=*/true);
  ASSERT_TRUE(log);
  auto o = kafka_test_options(*boot_, topic, "g-refused");
  o.batch_records = 500;
  auto started = std::chrono::steady_clock::now();
  auto r = storage::ingest_kafka(*log, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("read-only"), std::string::npos) << r.error().message;
  // It stops at the first refused batch instead of consuming the topic.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  EXPECT_EQ(log->stats()->events, 0u);
  EXPECT_TRUE(log->positions().empty());
}

}  // namespace
}  // namespace lh::testing
