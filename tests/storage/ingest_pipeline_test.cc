#include "storage/ingest_pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "events/json_decoder.h"

namespace lh::storage {
namespace {

std::string event_line(int i, const std::string& id_prefix = "ev-") {
  return "{\"event_id\":\"" + id_prefix + std::to_string(i) +
         "\",\"type\":\"stock_changed\",\"event_time\":\"2026-11-20T10:00:00Z\","
         "\"data\":{\"vendor_id\":\"V-1\",\"product_id\":\"P-" +
         std::to_string(i) + "\",\"warehouse\":\"W1\",\"quantity\":" + std::to_string(i) + "}}";
}

struct Fixture : ::testing::Test {
  std::filesystem::path dir;
  std::string input;
  void SetUp() override {
    char tmpl[] = "/tmp/lh-ingest-XXXXXX";
    dir = mkdtemp(tmpl);
    input = (dir / "in.ndjson").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  void write(const std::string& content) { std::ofstream(input, std::ios::binary) << content; }
  std::unique_ptr<EventLog> open_log() {
    LogOptions o;
    o.dir = (dir / "log").string();
    o.durability = Durability::nosync;
    auto log = EventLog::open(o);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
    return std::move(*log);
  }
};

using IngestPipeline = Fixture;

TEST_F(IngestPipeline, AppendsValidEventsAndQuarantinesInvalidOnesWithTheirLine) {
  write(event_line(1) + "\n" + "{\"event_id\":\"x\",\"type\":\"nope\"}\n" + event_line(2) + "\n" +
        "{truncated\n" + event_line(3) + "\n");
  auto log = open_log();
  IngestOptions o;
  o.batch_records = 2;
  auto r = ingest_ndjson(*log, input, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->totals.records, 5u);
  EXPECT_EQ(r->totals.appended, 3u);
  EXPECT_EQ(r->totals.quarantined, 2u);
  EXPECT_EQ(r->totals.first_seq, 1u);
  EXPECT_EQ(r->totals.last_seq, 3u);
  EXPECT_EQ(r->totals.batches, 3u);
  auto q = log->quarantine();
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].line, 2u);
  EXPECT_EQ((*q)[0].raw, "{\"event_id\":\"x\",\"type\":\"nope\"}");
  EXPECT_EQ((*q)[0].source, "file:" + std::filesystem::canonical(input).string());
  EXPECT_EQ((*q)[1].line, 4u);
  EXPECT_EQ((*q)[1].code, events::RejectCode::bad_json);
  auto reader = log->reader(1);
  for (int i = 1; i <= 3; ++i) {
    auto e = reader->next();
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(e->has_value());
    EXPECT_EQ((*e)->seq, static_cast<uint64_t>(i));
    EXPECT_EQ((*e)->event.event_id, "ev-" + std::to_string(i));
  }
}

TEST_F(IngestPipeline, RerunOnTheSameFileResumesAndAppendsNothing) {
  write(event_line(1) + "\n" + event_line(2) + "\n");
  auto log = open_log();
  ASSERT_TRUE(ingest_ndjson(*log, input, {}).ok());
  auto again = ingest_ndjson(*log, input, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->resumed_line, 2u);
  EXPECT_EQ(again->totals.records, 0u);
  EXPECT_EQ(log->last_seq(), 2u);
}

TEST_F(IngestPipeline, AppendedLinesAreIngestedFromTheStoredPosition) {
  write(event_line(1) + "\n" + event_line(2) + "\n");
  auto log = open_log();
  ASSERT_TRUE(ingest_ndjson(*log, input, {}).ok());
  std::ofstream(input, std::ios::app) << event_line(3) << "\n";
  auto again = ingest_ndjson(*log, input, {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->totals.records, 1u);
  EXPECT_EQ(again->totals.appended, 1u);
  EXPECT_EQ(log->last_seq(), 3u);
}

TEST_F(IngestPipeline, ADifferentFileAtTheSamePathIsReadFromTheStartWithAWarning) {
  write(event_line(1) + "\n" + event_line(2) + "\n");
  auto log = open_log();
  ASSERT_TRUE(ingest_ndjson(*log, input, {}).ok());
  write(event_line(7, "other-") + "\n" + event_line(2) + "\n");
  std::string warning;
  IngestOptions o;
  o.on_warning = [&](const std::string& w) { warning = w; };
  auto again = ingest_ndjson(*log, input, o);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->resumed);
  EXPECT_NE(warning.find("changed since it was last ingested"), std::string::npos) << warning;
  EXPECT_EQ(again->totals.appended, 1u);    // other-7
  EXPECT_EQ(again->totals.duplicates, 1u);  // ev-2 already in the log
}

TEST_F(IngestPipeline, StopFlagEndsAfterACommittedBatch) {
  std::string content;
  for (int i = 1; i <= 1000; ++i) content += event_line(i) + "\n";
  write(content);
  auto log = open_log();
  std::atomic<bool> stop{false};
  IngestOptions o;
  o.batch_records = 10;
  o.stop = &stop;
  o.on_batch = [&](const IngestProgress& p) {
    if (p.batches == 3) stop = true;
  };
  auto r = ingest_ndjson(*log, input, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stopped);
  // Batches already decoded may still commit, but whole batches only, and the
  // stored position matches what was committed.
  EXPECT_EQ(log->last_seq() % 10, 0u);
  EXPECT_LT(log->last_seq(), 1000u);
  auto pos = log->position(r->source);
  ASSERT_TRUE(pos.has_value());
  EXPECT_EQ(pos->line, log->last_seq());
  // Resuming completes it exactly.
  auto rest = ingest_ndjson(*log, input, {});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(log->last_seq(), 1000u);
  EXPECT_EQ(rest->totals.duplicates, 0u);
}

TEST_F(IngestPipeline, OversizedRecordIsQuarantinedWithItsSize) {
  std::string big = "{\"event_id\":\"big\",\"pad\":\"" + std::string(5000, 'z') + "\"}";
  write(event_line(1) + "\n" + big + "\n" + event_line(2) + "\n");
  auto log = open_log();
  IngestOptions o;
  o.decoder.max_record_bytes = 1000;
  auto r = ingest_ndjson(*log, input, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->totals.appended, 2u);
  auto q = log->quarantine();
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].code, events::RejectCode::oversized);
  EXPECT_EQ((*q)[0].reason,
            "record of " + std::to_string(big.size()) + " bytes exceeds the limit of 1000 bytes");
  EXPECT_EQ((*q)[0].raw, big);
  EXPECT_EQ((*q)[0].line, 2u);
}

TEST_F(IngestPipeline, MissingInputIsAnErrorNamingIt) {
  auto log = open_log();
  auto r = ingest_ndjson(*log, (dir / "nope.ndjson").string(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nope.ndjson: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace lh::storage
