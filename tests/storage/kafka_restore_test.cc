// Restore of a log fed by Kafka: the group's committed offsets have moved
// past the backup, yet `ingest --kafka` on the restored log must start at
// the log's positions (marked by restore), so nothing after the backup is
// lost while the topic still holds it.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/storage/kafka_harness.h"

namespace lh::testing {
namespace {

using KafkaRestore = KafkaFixture;

TEST_F(KafkaRestore, RestoredLogResumesFromItsPositionsNotTheGroupsOffsets) {
  std::string topic = topic_with_reference("restore");
  TempDir data;
  const std::string live = data / "live", bk = data / "bk", restored = data / "restored";
  ingest_to_end(live, topic, "g-restore");
  ASSERT_EQ(log_events_sorted(live), ref_->events);
  ASSERT_EQ(run({"-D", live, "backup", bk}).exit_code, 0);

  // More events after the backup; the live log and the group move on.
  Reference more = make_reference(*dir_, "more", 12, 200);
  kcat_produce(*boot_, topic, more.file);
  ingest_to_end(live, topic, "g-restore");
  std::vector<std::string> all = ref_->events;
  all.insert(all.end(), more.events.begin(), more.events.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(log_events_sorted(live), all);

  RunResult r = run({"-D", restored, "restore", bk});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("4 Kafka partitions marked as restored"), std::string::npos) << r.out;
  for (const auto& p : log_positions(restored)) EXPECT_EQ(p.fingerprint, storage::kRestoredMark) << p.source;

  // Same group: its offsets are at the end, the restored log's positions win.
  std::string out = ingest_to_end(restored, topic, "g-restore");
  EXPECT_NE(out.find("\"appended\":" + std::to_string(more.events.size())), std::string::npos) << out;
  EXPECT_EQ(log_events_sorted(restored), all);
  std::vector<std::string> quarantine = ref_->quarantine;
  quarantine.insert(quarantine.end(), more.quarantine.begin(), more.quarantine.end());
  std::sort(quarantine.begin(), quarantine.end());
  EXPECT_EQ(quarantine_raw_sorted(restored), quarantine);
  // Every partition got a batch, so every mark is gone: from now on the
  // usual max(log, group) rule holds again.
  auto positions = log_positions(restored);
  ASSERT_EQ(positions.size(), 4u);
  for (const auto& p : positions) EXPECT_EQ(p.fingerprint, "") << p.source;
  EXPECT_EQ(run({"-D", restored, "verify"}).exit_code, 0);
  // And again: nothing more to read.
  std::string again = ingest_to_end(restored, topic, "g-restore");
  EXPECT_NE(again.find("\"records\":0,\"appended\":0"), std::string::npos) << again;
}

}  // namespace
}  // namespace lh::testing
