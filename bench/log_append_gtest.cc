// Append throughput of the event log next to its yardstick, raw LMDB appends
// of the same bytes in the same run (PERF-NOTES.md: ~2.5M records/s at
// 10,000 records per fsync'd transaction), in order and scrambled event ids.
// Run: build/bench/bench_log_append_gtest (bench/run.sh log).
#include <gtest/gtest.h>
#include <lmdb.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "events/msgpack_codec.h"
#include "events/random_event.h"
#include "storage/event_log.h"

namespace lh::storage {
namespace {

constexpr uint64_t kEvents = 2'000'000;
constexpr uint64_t kBatch = 10'000;
constexpr size_t kPayloadBytes = 220;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A real page_viewed payload, its url padded so the msgpack is 220 bytes.
std::string payload_of_220_bytes() {
  events::Event e = events::example_event(events::EventType::page_viewed);
  auto& pv = std::get<events::PageViewed>(e.data);
  std::string out;
  for (;;) {
    out.clear();
    events::encode_msgpack(e, out);
    if (out.size() >= kPayloadBytes) break;
    pv.url.push_back('x');
  }
  EXPECT_EQ(out.size(), kPayloadBytes);
  return out;
}

void set_id(std::string& id, uint64_t n) { std::snprintf(id.data(), id.size() + 1, "ev-%010llu", static_cast<unsigned long long>(n)); }

// Plain MDB_APPEND puts of header+payload, no dedupe, one fsync'd txn per
// batch; through mdb_put, or through one cursor per txn (LMDB's fastest way).
double raw_lmdb_rate(const std::string& dir, const std::string& payload, bool use_cursor) {
  std::filesystem::create_directories(dir);
  MDB_env* env = nullptr;
  EXPECT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_mapsize(env, 4ull << 30);
  EXPECT_EQ(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644), 0);
  MDB_dbi dbi = 0;
  std::string rec(13, '\0');
  rec += payload;
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t seq = 0;
  for (uint64_t b = 0; b < kEvents / kBatch; ++b) {
    MDB_txn* txn = nullptr;
    EXPECT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    if (b == 0) {
      EXPECT_EQ(mdb_dbi_open(txn, nullptr, 0, &dbi), 0);
    }
    MDB_cursor* cur = nullptr;
    EXPECT_EQ(mdb_cursor_open(txn, dbi, &cur), 0);
    for (uint64_t i = 0; i < kBatch; ++i) {
      ++seq;
      char key[8];
      for (int j = 7, s = 0; j >= 0; --j, s += 8) key[j] = static_cast<char>((seq >> s) & 0xFF);
      MDB_val k{8, key}, v{rec.size(), rec.data()};
      int rc = use_cursor ? mdb_cursor_put(cur, &k, &v, MDB_APPEND) : mdb_put(txn, dbi, &k, &v, MDB_APPEND);
      if (rc != 0) ADD_FAILURE() << mdb_strerror(rc);
    }
    EXPECT_EQ(mdb_txn_commit(txn), 0);
  }
  const double s = seconds_since(t0);
  mdb_env_close(env);
  return kEvents / s;
}

TEST(EventLogPerf, AppendThroughputNextToRawLmdb) {
  char tmpl[] = "/tmp/lh_storage_perf_XXXXXX";
  const std::string root = mkdtemp(tmpl);
  const std::string payload = payload_of_220_bytes();

  const double raw = raw_lmdb_rate(root + "/raw", payload, false);
  const double raw_cursor = raw_lmdb_rate(root + "/raw-cursor", payload, true);

  LogOptions o;
  o.dir = root + "/log";
  o.initial_map_bytes = 4ull << 30;  // measure appends, not growth
  auto log = EventLog::open(o);
  ASSERT_TRUE(log.ok()) << log.error().message;
  AppendBatch batch;
  batch.events.resize(kBatch);
  for (auto& e : batch.events) {
    e.event_id = std::string(13, ' ');
    e.type = events::EventType::page_viewed;
    e.payload = payload;
  }
  double in_append = 0;
  uint64_t appended = 0, n = 0;
  for (uint64_t b = 0; b < kEvents / kBatch; ++b) {
    for (auto& e : batch.events) set_id(e.event_id, ++n);  // outside the clock
    const auto t0 = std::chrono::steady_clock::now();
    auto r = (*log)->append(batch);
    in_append += seconds_since(t0);
    ASSERT_TRUE(r.ok()) << r.error().message;
    appended += r->appended;
  }
  EXPECT_EQ(appended, kEvents);
  const double ours = kEvents / in_append;

  // Reading back (verify + copy + decode): the replay side.
  const auto t0 = std::chrono::steady_clock::now();
  auto reader = (*log)->reader();
  uint64_t read = 0;
  for (;;) {
    auto r = reader->next();
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (!r->has_value()) break;
    ++read;
  }
  const double read_rate = read / seconds_since(t0);
  EXPECT_EQ(read, kEvents);
  auto st = (*log)->stats();
  ASSERT_TRUE(st.ok());

  std::printf("append, %llu x %zu B events, %llu per fsync'd txn:\n"
              "  raw LMDB, mdb_put MDB_APPEND       : %10.0f events/s\n"
              "  raw LMDB, mdb_cursor_put MDB_APPEND: %10.0f events/s\n"
              "  EventLog::append                   : %10.0f events/s  (%.0f%% / %.0f%% of raw)\n"
              "  LogReader::next (verified, decoded): %10.0f events/s\n"
              "  data.mdb: %.1f MiB\n",
              static_cast<unsigned long long>(kEvents), kPayloadBytes,
              static_cast<unsigned long long>(kBatch), raw, raw_cursor, ours, 100.0 * ours / raw,
              100.0 * ours / raw_cursor, read_rate,
              st->file_bytes / 1048576.0);
  RecordProperty("raw_events_per_s", static_cast<int>(raw));
  RecordProperty("raw_cursor_events_per_s", static_cast<int>(raw_cursor));
  RecordProperty("append_events_per_s", static_cast<int>(ours));
  reader.reset();  // readers go before their log
  log->reset();
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace lh::storage
