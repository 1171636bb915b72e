// A Debezium CDC topic consumed by `ledgerhouse ingest --cdc-topic`: change
// envelopes become v1 events, tombstones are skipped, malformed envelopes go
// to the quarantine with their partition and offset, a redelivered envelope
// is appended once.
#include <gtest/gtest.h>

#include "tests/events/debezium_envelopes.h"
#include "tests/storage/kafka_harness.h"

namespace lh::testing {
namespace {

using KafkaCdc = KafkaFixture;

TEST_F(KafkaCdc, EnvelopesBecomeEventsTombstonesSkippedBadOnesQuarantined) {
  using namespace debezium;
  ASSERT_TRUE(cluster_->create_topic("dbserver1.public.customers", 1).ok());
  std::string mapping = *dir_ / "mapping.json";
  { std::ofstream(mapping) << kMapping; }
  produce_values(*boot_, "dbserver1.public.customers", 0,
                 {std::string(kSnapshotA), std::string(kSnapshotB), std::string(kCreate),
                  std::string(kUpdateWithBefore), std::string("{\"op\":\"c\""), std::string(kDelete),
                  std::nullopt /* tombstone after the delete */, std::string(kVendorDelete),
                  std::string(kCreate) /* redelivered */, std::string(kVendorWithSchema)});
  TempDir data;
  std::string log = data / "log";
  auto args = kafka_ingest_args(log, *boot_, "unused", "g-cdc");
  // No plain topic: only the CDC one.
  args.erase(std::find(args.begin(), args.end(), "--topic"), std::find(args.begin(), args.end(), "--group"));
  args.insert(args.end(), {"--cdc-topic", "dbserver1.public.customers", "--cdc-mapping", mapping,
                           "--exit-at-end", "--json"});
  RunResult r = wait_for(spawn_logged(args, data / "out", data / "err"));
  ASSERT_EQ(r.exit_code, 0) << slurp(data / "err");
  std::string summary = slurp(data / "out");
  EXPECT_NE(summary.find("\"records\":10,\"appended\":6,\"duplicates\":1,\"quarantined\":2,\"tombstones\":1"),
            std::string::npos) << summary;

  RunResult dump = run({"-D", log, "log", "dump"});
  auto events = lines_of(dump.out);
  ASSERT_EQ(events.size(), 6u) << dump.out;
  const char* types[] = {"customer_registered", "customer_registered", "customer_registered",
                         "customer_updated", "customer_deleted", "vendor_registered"};
  for (size_t i = 0; i < 6; ++i)
    EXPECT_NE(events[i].find(std::string("\"type\":\"") + types[i] + "\""), std::string::npos) << events[i];
  EXPECT_NE(events[2].find("\"event_id\":\"cdc:dbserver1:public.customers:lsn24023128:42\""), std::string::npos);

  RunResult q = run({"-D", log, "quarantine", "list", "--json"});
  EXPECT_NE(q.out.find("\"code\":\"bad_json\""), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("\"source\":\"kafka:dbserver1.public.customers/0\",\"line\":0,\"offset\":4,"),
            std::string::npos) << q.out;
  EXPECT_NE(q.out.find("\"code\":\"bad_value\""), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("\"offset\":7,"), std::string::npos) << q.out;
}

}  // namespace
}  // namespace lh::testing
