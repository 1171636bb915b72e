// The event log's contract: consecutive seqs, dedupe by event_id, quarantine
// and positions in the same transaction, verifying and tailing readers, point
// in time lookup, map growth, and the errors a person gets when things are off.
#include "storage/event_log.h"

#include <gtest/gtest.h>
#include <lmdb.h>
#include <stdlib.h>

#include <atomic>
#include <climits>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include "events/msgpack_codec.h"
#include "events/random_event.h"

namespace lh::storage {
namespace {

using events::EventType;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lh_storage_test_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string log_dir() const { return path_ + "/log"; }

 private:
  std::string path_;
};

PendingEvent pending(const std::string& id, EventType type = EventType::page_viewed,
                     const std::string& url = "") {
  events::Event e = events::example_event(type);
  e.event_id = id;
  if (!url.empty()) std::get<events::PageViewed>(e.data).url = url;
  PendingEvent p;
  p.event_id = id;
  p.type = type;
  events::encode_msgpack(e, p.payload);
  return p;
}

AppendBatch batch_of(std::initializer_list<std::string> ids) {
  AppendBatch b;
  for (const auto& id : ids) b.events.push_back(pending(id));
  return b;
}

AppendBatch numbered_batch(uint64_t from, uint64_t count) {
  AppendBatch b;
  for (uint64_t i = from; i < from + count; ++i) b.events.push_back(pending("ev-" + std::to_string(i)));
  return b;
}

std::unique_ptr<EventLog> open_log(const std::string& dir, LogOptions o = {}) {
  o.dir = dir;
  auto log = EventLog::open(o);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
  return log.ok() ? std::move(*log) : nullptr;
}

AppendResult append_ok(EventLog& log, const AppendBatch& b) {
  auto r = log.append(b);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : AppendResult{};
}

// Everything from `from` to the current end; fails the test on an error.
std::vector<StoredEvent> read_all(const EventLog& log, uint64_t from = 1) {
  std::vector<StoredEvent> out;
  auto reader = log.reader(from);
  for (;;) {
    auto r = reader->next();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok() || !r->has_value()) break;
    out.push_back(std::move(**r));
  }
  return out;
}

std::vector<std::string> ids_of(const std::vector<StoredEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.event.event_id);
  return ids;
}

// Edits the `events` sub-database of a closed log behind the log's back, the
// way a bug or a bad disk would.
template <class Edit>
void edit_events(const std::string& dir, Edit edit) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 8);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "events", 0, &dbi), 0);
  edit(txn, dbi);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

MDB_val seq_key(uint64_t seq, char (&buf)[8]) {
  for (int i = 7; i >= 0; --i, seq >>= 8) buf[i] = static_cast<char>(seq & 0xFF);
  return MDB_val{8, buf};
}

// Replaces the record of `seq` with format byte `format` and `payload`, with
// a correct checksum: only the checked field is wrong.
void rewrite_record(const std::string& dir, uint64_t seq, uint8_t format, const std::string& payload) {
  std::string rec(4, '\0');
  rec.push_back(static_cast<char>(format));
  rec.append(8, '\0');
  rec += payload;
  const uint32_t crc = crc32c(std::string_view(rec).substr(4));
  for (int i = 0; i < 4; ++i) rec[i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  edit_events(dir, [&](MDB_txn* txn, MDB_dbi dbi) {
    char buf[8];
    MDB_val k = seq_key(seq, buf), v{rec.size(), rec.data()};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  });
}

std::string first_error(const EventLog& log, uint64_t from = 1) {
  auto reader = log.reader(from);
  for (;;) {
    auto r = reader->next();
    if (!r.ok()) return r.error().message;
    if (!r->has_value()) return "";
  }
}

// A short batch between two long ones: the slots past it wait aside with
// their strings' buffers and come back in order for the next long batch.
TEST(PendingEvents, AShortBatchKeepsTheOtherSlotsBuffersForTheNextLongOne) {
  std::vector<PendingEvent> events;
  PendingEvents pending(events);
  const std::string big(1000, 'x');
  for (int i = 0; i < 3; ++i) pending.next().payload = big + std::to_string(i);
  pending.cut();
  ASSERT_EQ(events.size(), 3u);
  std::vector<const char*> buffers;
  for (const PendingEvent& e : events) buffers.push_back(e.payload.data());

  pending.reset();
  pending.next().payload = "short";
  pending.cut();
  ASSERT_EQ(events.size(), 1u);  // what append() sees: the filled slot only
  EXPECT_EQ(events[0].payload, "short");

  pending.reset();
  for (int i = 0; i < 4; ++i) {
    PendingEvent& e = pending.next();
    if (i < 3) {
      EXPECT_EQ(e.payload.data(), buffers[i]) << "slot " << i << " got a new buffer";
    }
    e.payload = "event " + std::to_string(i);
  }
  pending.cut();
  ASSERT_EQ(events.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(events[i].payload, "event " + std::to_string(i));
}

TEST(EventLog, AppendsConsecutiveSeqsFromOne) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->last_seq(), 0u);

  AppendResult a = append_ok(*log, batch_of({"a", "b", "c"}));
  AppendResult b = append_ok(*log, batch_of({"d"}));
  AppendResult c = append_ok(*log, batch_of({"e", "f", "g", "h", "i"}));
  EXPECT_EQ(a.first_seq, 1u);
  EXPECT_EQ(a.last_seq, 3u);
  EXPECT_EQ(a.appended, 3u);
  EXPECT_EQ(b.first_seq, 4u);
  EXPECT_EQ(b.last_seq, 4u);
  EXPECT_EQ(c.first_seq, 5u);
  EXPECT_EQ(c.last_seq, 9u);
  EXPECT_EQ(log->last_seq(), 9u);

  auto events = read_all(*log);
  ASSERT_EQ(events.size(), 9u);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, i + 1);
  EXPECT_EQ(ids_of(events), (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i"}));
  // The payload comes back as the event that was encoded.
  events::Event expected = events::example_event(EventType::page_viewed);
  expected.event_id = "e";
  EXPECT_EQ(events[4].event, expected);

  // An empty batch appends nothing and says so.
  AppendResult empty = append_ok(*log, AppendBatch{});
  EXPECT_EQ(empty.first_seq, 0u);
  EXPECT_EQ(empty.last_seq, 0u);
  EXPECT_EQ(log->last_seq(), 9u);
}

TEST(EventLog, SkipsDuplicateEventIdsAcrossBatchesAndReopen) {
  TempDir tmp;
  {
    auto log = open_log(tmp.log_dir());
    ASSERT_TRUE(log);
    append_ok(*log, batch_of({"a", "b"}));
    AppendResult r = append_ok(*log, batch_of({"b", "c"}));
    EXPECT_EQ(r.appended, 1u);
    EXPECT_EQ(r.duplicates, 1u);
    EXPECT_EQ(r.first_seq, 3u);
    EXPECT_EQ(r.last_seq, 3u);
  }
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  AppendResult r = append_ok(*log, batch_of({"a", "d", "c"}));
  EXPECT_EQ(r.appended, 1u);
  EXPECT_EQ(r.duplicates, 2u);
  EXPECT_EQ(r.first_seq, 4u);
  // A batch of nothing but duplicates appends nothing.
  AppendResult all_dup = append_ok(*log, batch_of({"a", "b"}));
  EXPECT_EQ(all_dup.appended, 0u);
  EXPECT_EQ(all_dup.first_seq, 0u);
  EXPECT_EQ(ids_of(read_all(*log)), (std::vector<std::string>{"a", "b", "c", "d"}));
  auto st = log->stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->duplicates, 5u);
  EXPECT_EQ(st->events, 4u);
}

TEST(EventLog, SkipsDuplicatesWithinABatch) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  AppendResult r = append_ok(*log, batch_of({"a", "b", "a", "c", "b"}));
  EXPECT_EQ(r.appended, 3u);
  EXPECT_EQ(r.duplicates, 2u);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.last_seq, 3u);
  auto events = read_all(*log);
  EXPECT_EQ(ids_of(events), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].seq, 3u);  // no hole where the duplicate was
}

// In-order ids take an append fast path into the dedupe index; this pins
// that ids in any order (prefixes, bytes >= 0x80, repeats) dedupe exactly.
TEST(EventLog, DedupesIdsInAnyOrder) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  std::mt19937_64 rng(7);
  std::vector<std::string> pool;
  for (int i = 0; i < 300; ++i) {
    std::string id = "ev-" + std::to_string(rng() % 1000);
    if (rng() % 4 == 0) id.push_back(static_cast<char>(0x80 + rng() % 0x7f));
    if (rng() % 8 == 0) id = id.substr(0, 3 + rng() % (id.size() - 2));  // a prefix
    pool.push_back(id);
  }
  std::set<std::string> seen;
  std::vector<std::string> expected_order;
  for (int b = 0; b < 20; ++b) {
    AppendBatch batch;
    uint64_t new_ids = 0, dups = 0;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      // Mostly ascending runs (the fast path), with jumps back.
      const std::string& id = pool[rng() % 3 == 0 ? rng() % pool.size() : (b * 15 + i) % pool.size()];
      batch.events.push_back(pending(id));
      if (seen.insert(id).second) {
        ++new_ids;
        expected_order.push_back(id);
      } else {
        ++dups;
      }
    }
    AppendResult r = append_ok(*log, batch);
    ASSERT_EQ(r.appended, new_ids) << "batch " << b;
    ASSERT_EQ(r.duplicates, dups) << "batch " << b;
  }
  EXPECT_EQ(ids_of(read_all(*log)), expected_order);
}

TEST(EventLog, CountsQuarantinePerReasonAcrossReopen) {
  TempDir tmp;
  auto rejected = [](events::RejectCode code) {
    QuarantineRecord q;
    q.raw = "x";
    q.code = code;
    q.reason = "test";
    q.source = "file:/t";
    return q;
  };
  {
    auto log = open_log(tmp.log_dir());
    ASSERT_TRUE(log);
    AppendBatch b = batch_of({"a"});
    b.rejected = {rejected(events::RejectCode::bad_money), rejected(events::RejectCode::bad_json),
                  rejected(events::RejectCode::bad_money)};
    append_ok(*log, b);
  }
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  AppendBatch b;
  b.rejected = {rejected(events::RejectCode::projection_error)};
  b.events.push_back(pending(""));  // an empty event_id is quarantined by the log itself
  append_ok(*log, b);
  auto st = log->stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->quarantined, 5u);
  EXPECT_EQ(st->quarantined_by_code[static_cast<size_t>(events::RejectCode::bad_money)], 2u);
  EXPECT_EQ(st->quarantined_by_code[static_cast<size_t>(events::RejectCode::bad_json)], 1u);
  EXPECT_EQ(st->quarantined_by_code[static_cast<size_t>(events::RejectCode::projection_error)], 1u);
  EXPECT_EQ(st->quarantined_by_code[static_cast<size_t>(events::RejectCode::empty_id)], 1u);
  EXPECT_EQ(st->quarantined_by_code[0], 0u);  // nothing uncounted in a log made by this build
}

TEST(EventLog, StoresQuarantineWithReasonAndPosition) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  AppendBatch b = batch_of({"a"});
  QuarantineRecord q1;
  q1.raw = std::string("{\"event_id\":\x00\xff", 15);  // binary-safe
  q1.code = events::RejectCode::bad_json;
  q1.reason = "not JSON: unexpected end";
  q1.source = "file:/data/day1.ndjson";
  q1.line = 7;
  q1.offset = 1234;
  QuarantineRecord q2 = q1;
  q2.raw = "{\"type\":\"nope\"}";
  q2.code = events::RejectCode::unknown_type;
  q2.reason = "type: unknown event type \"nope\"";
  q2.line = 8;
  q2.offset = 1250;
  b.rejected = {q1, q2};
  AppendResult r = append_ok(*log, b);
  EXPECT_EQ(r.quarantined, 2u);
  EXPECT_EQ(r.appended, 1u);

  AppendBatch b2;
  QuarantineRecord q3;
  q3.raw = "x";
  q3.code = events::RejectCode::projection_error;
  q3.reason = "projection threw";
  q3.source = "projection:vendor";
  q3.seq = 1;
  b2.rejected = {q3};
  AppendResult r2 = append_ok(*log, b2);

  auto all = log->quarantine();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  const QuarantineRecord& got = (*all)[0];
  EXPECT_EQ(got.qseq, 1u);
  EXPECT_EQ(got.raw, q1.raw);
  EXPECT_EQ(got.code, events::RejectCode::bad_json);
  EXPECT_EQ(got.reason, q1.reason);
  EXPECT_EQ(got.source, q1.source);
  EXPECT_EQ(got.line, 7u);
  EXPECT_EQ(got.offset, 1234u);
  EXPECT_EQ(got.quarantined_at_us, r.ingest_time_us);
  EXPECT_EQ(got.seq, 0u);
  EXPECT_EQ((*all)[1].qseq, 2u);
  EXPECT_EQ((*all)[1].code, events::RejectCode::unknown_type);
  EXPECT_EQ((*all)[1].line, 8u);
  EXPECT_EQ((*all)[2].qseq, 3u);
  EXPECT_EQ((*all)[2].seq, 1u);
  EXPECT_EQ((*all)[2].quarantined_at_us, r2.ingest_time_us);

  auto tail = log->quarantine(2, 1);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].qseq, 2u);
  EXPECT_TRUE(log->quarantine(4)->empty());
}

TEST(EventLog, ResumesFromStoredPosition) {
  TempDir tmp;
  {
    auto log = open_log(tmp.log_dir());
    ASSERT_TRUE(log);
    AppendBatch b = batch_of({"a"});
    b.positions = {{"file:/data/day1.ndjson", 100, 3, "fp1"}, {"kafka:orders/3", 17, 0, ""}};
    append_ok(*log, b);
    AppendBatch b2 = batch_of({"b"});
    b2.positions = {{"file:/data/day1.ndjson", 250, 6, std::string("\x00\x01fp", 4)}};
    append_ok(*log, b2);
  }
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  auto p = log->position("file:/data/day1.ndjson");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->source, "file:/data/day1.ndjson");
  EXPECT_EQ(p->offset, 250u);
  EXPECT_EQ(p->line, 6u);
  EXPECT_EQ(p->fingerprint, std::string("\x00\x01fp", 4));
  auto k = log->position("kafka:orders/3");
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->offset, 17u);
  EXPECT_FALSE(log->position("kafka:orders/4").has_value());

  auto all = log->positions();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].source, "file:/data/day1.ndjson");
  EXPECT_EQ(all[1].source, "kafka:orders/3");
  EXPECT_EQ(all[1].offset, 17u);
}

TEST(EventLog, ReaderStartsAtAnySeq) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  append_ok(*log, numbered_batch(1, 10));
  auto from4 = read_all(*log, 4);
  ASSERT_EQ(from4.size(), 7u);
  EXPECT_EQ(from4.front().seq, 4u);
  EXPECT_EQ(from4.front().event.event_id, "ev-4");
  EXPECT_EQ(from4.back().seq, 10u);
  EXPECT_EQ(read_all(*log, 10).size(), 1u);
  EXPECT_TRUE(read_all(*log, 11).empty());
  EXPECT_EQ(read_all(*log, 0).size(), 10u);  // 0 means the beginning

  auto reader = log->reader(7);
  EXPECT_EQ(reader->position(), 7u);
  ASSERT_TRUE(reader->next().ok());
  EXPECT_EQ(reader->position(), 8u);
}

TEST(EventLog, TailingReaderSeesLaterAppends) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  auto reader = log->reader();
  auto r = reader->next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());  // empty log: at the end

  append_ok(*log, batch_of({"a", "b"}));
  for (const char* id : {"a", "b"}) {
    r = reader->next();
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->event.event_id, id);
  }
  r = reader->next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());

  append_ok(*log, batch_of({"c"}));
  r = reader->next();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->seq, 3u);
  EXPECT_EQ((*r)->event.event_id, "c");

  // A reader started past the end waits there for its seq.
  auto ahead = log->reader(5);
  EXPECT_FALSE(ahead->next()->has_value());
  append_ok(*log, batch_of({"d", "e"}));
  r = ahead->next();
  ASSERT_TRUE(r.ok() && r->has_value()) << (r.ok() ? "" : r.error().message);
  EXPECT_EQ((*r)->seq, 5u);
}

TEST(EventLog, ReaderAcrossChunkBoundaries) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  // More than two reader chunks (4096 records), over uneven batches.
  append_ok(*log, numbered_batch(1, 3000));
  append_ok(*log, numbered_batch(3001, 5000));
  append_ok(*log, numbered_batch(8001, 2001));
  auto reader = log->reader();
  uint64_t expected = 1;
  for (;;) {
    auto r = reader->next();
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (!r->has_value()) break;
    ASSERT_EQ((*r)->seq, expected);
    ASSERT_EQ((*r)->event.event_id, "ev-" + std::to_string(expected));
    ++expected;
    ASSERT_EQ(reader->position(), expected);
  }
  EXPECT_EQ(expected, 10002u);
}

TEST(EventLog, SeqAtTimeFindsLastBatchAtOrBefore) {
  TempDir tmp;
  int64_t now = 1000;
  LogOptions o;
  o.clock = [&now] { return now; };
  auto log = open_log(tmp.log_dir(), o);
  ASSERT_TRUE(log);
  EXPECT_EQ(*log->seq_at_time(5000), 0u);  // empty log

  now = 1000;
  append_ok(*log, numbered_batch(1, 3));  // seqs 1-3 at 1000
  now = 2000;
  append_ok(*log, numbered_batch(4, 2));  // seqs 4-5 at 2000
  now = 2500;
  append_ok(*log, batch_of({"ev-1"}));    // only a duplicate: no events at 2500
  now = 3000;
  append_ok(*log, numbered_batch(6, 4));  // seqs 6-9 at 3000

  EXPECT_EQ(*log->seq_at_time(-1), 0u);
  EXPECT_EQ(*log->seq_at_time(999), 0u);
  EXPECT_EQ(*log->seq_at_time(1000), 3u);
  EXPECT_EQ(*log->seq_at_time(1999), 3u);
  EXPECT_EQ(*log->seq_at_time(2000), 5u);
  EXPECT_EQ(*log->seq_at_time(2999), 5u);
  EXPECT_EQ(*log->seq_at_time(3000), 9u);
  EXPECT_EQ(*log->seq_at_time(1000000), 9u);
  EXPECT_EQ(*log->seq_at_time(INT64_MAX), 9u);

  auto events = read_all(*log);
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events[0].ingest_time_us, 1000);
  EXPECT_EQ(events[4].ingest_time_us, 2000);
  EXPECT_EQ(events[5].ingest_time_us, 3000);
}

TEST(EventLog, IngestTimeNeverGoesBackwards) {
  TempDir tmp;
  int64_t now = 5000;
  LogOptions o;
  o.clock = [&now] { return now; };
  {
    auto log = open_log(tmp.log_dir(), o);
    ASSERT_TRUE(log);
    EXPECT_EQ(append_ok(*log, numbered_batch(1, 2)).ingest_time_us, 5000);
    now = 3000;  // the wall clock stepped back
    EXPECT_EQ(append_ok(*log, numbered_batch(3, 2)).ingest_time_us, 5000);
    now = 6000;
    EXPECT_EQ(append_ok(*log, numbered_batch(5, 2)).ingest_time_us, 6000);
    EXPECT_EQ(*log->seq_at_time(5000), 4u);  // both batches stamped 5000
  }
  now = 100;  // and after a restart with a clock far behind
  auto log = open_log(tmp.log_dir(), o);
  ASSERT_TRUE(log);
  EXPECT_EQ(append_ok(*log, numbered_batch(7, 1)).ingest_time_us, 6000);
  auto events = read_all(*log);
  ASSERT_EQ(events.size(), 7u);
  for (size_t i = 1; i < events.size(); ++i)
    EXPECT_GE(events[i].ingest_time_us, events[i - 1].ingest_time_us) << "seq " << events[i].seq;
}

TEST(EventLog, MapGrowsWhenFull) {
  TempDir tmp;
  LogOptions o;
  o.initial_map_bytes = 64 << 10;
  auto log = open_log(tmp.log_dir(), o);
  ASSERT_TRUE(log);
  auto before = log->stats();
  ASSERT_TRUE(before.ok());
  // A reader made before the growth keeps working after it.
  auto reader = log->reader();
  ASSERT_TRUE(reader->next().ok());

  // ~8 MiB of records plus the dedupe index: the map must double many times.
  const uint64_t kBatches = 16, kPerBatch = 2000;
  for (uint64_t b = 0; b < kBatches; ++b) {
    AppendBatch batch = numbered_batch(b * kPerBatch + 1, kPerBatch);
    QuarantineRecord q;
    q.raw = std::string(2000, 'q');
    batch.rejected = {q};
    auto r = log->append(batch);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->appended, kPerBatch);
  }
  auto after = log->stats();
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->map_bytes, before->map_bytes);
  EXPECT_GE(after->map_bytes, 4u << 20);
  EXPECT_EQ(after->events, kBatches * kPerBatch);
  EXPECT_EQ(after->quarantined, kBatches);
  EXPECT_EQ(log->quarantine()->size(), kBatches);

  uint64_t expected = 1;
  for (;;) {
    auto r = reader->next();
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (!r->has_value()) break;
    ASSERT_EQ((*r)->seq, expected);
    ASSERT_EQ((*r)->event.event_id, "ev-" + std::to_string(expected));
    ++expected;
  }
  EXPECT_EQ(expected - 1, kBatches * kPerBatch);
}

TEST(EventLog, ChecksumMismatchNamesTheSeq) {
  TempDir tmp;
  const std::string marker = "/p/MARKER-7f3a9c-unique";
  {
    auto log = open_log(tmp.log_dir());
    ASSERT_TRUE(log);
    AppendBatch b = numbered_batch(1, 4);
    b.events.push_back(pending("ev-5", EventType::page_viewed, marker));
    for (auto& e : numbered_batch(6, 3).events) b.events.push_back(std::move(e));
    append_ok(*log, b);  // one commit: the marker is on exactly one page
  }
  const std::string data_file = tmp.log_dir() + "/data.mdb";
  std::string bytes;
  {
    std::ifstream in(data_file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = bytes.find(marker);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find(marker, at + 1), std::string::npos) << "the marker must be unique";
  bytes[at + 3] ^= 0x20;  // "MARKER" -> "mARKER": still valid msgpack, wrong checksum
  {
    std::ofstream out(data_file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  auto reader = log->reader();
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    auto r = reader->next();
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->seq, seq);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // stays stopped: never skipped
    auto r = reader->next();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("seq 5: checksum mismatch (stored 0x"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(reader->position(), 5u);
  }
  // A reader that starts after the damage reads on.
  EXPECT_EQ(read_all(*log, 6).size(), 3u);
}

TEST(EventLog, SeqGapIsAnErrorNeverSkipped) {
  TempDir tmp;
  { append_ok(*open_log(tmp.log_dir()), numbered_batch(1, 5)); }
  edit_events(tmp.log_dir(), [](MDB_txn* txn, MDB_dbi dbi) {
    char buf[8];
    MDB_val k = seq_key(3, buf);
    ASSERT_EQ(mdb_del(txn, dbi, &k, nullptr), 0);
  });
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  EXPECT_EQ(first_error(*log), "seq gap: expected 3, found 4");
  EXPECT_EQ(first_error(*log, 3), "seq gap: expected 3, found 4");
  EXPECT_EQ(first_error(*log, 4), "");
}

TEST(EventLog, UnknownRecordFormatIsAnError) {
  TempDir tmp;
  { append_ok(*open_log(tmp.log_dir()), numbered_batch(1, 3)); }
  std::string payload;
  events::encode_msgpack(events::example_event(EventType::page_viewed), payload);
  rewrite_record(tmp.log_dir(), 2, 9, payload);
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  EXPECT_EQ(first_error(*log), "seq 2: unknown record format 9");
}

TEST(EventLog, UndecodablePayloadNamesTheSeq) {
  TempDir tmp;
  { append_ok(*open_log(tmp.log_dir()), numbered_batch(1, 3)); }
  rewrite_record(tmp.log_dir(), 3, 1, "\xc1 not msgpack");
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  auto reader = log->reader();
  ASSERT_TRUE(reader->next().ok());
  ASSERT_TRUE(reader->next().ok());
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = reader->next();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("seq 3: ", 0), 0u) << r.error().message;
    EXPECT_EQ(reader->position(), 3u);
  }
}

TEST(EventLog, StatsCountPerType) {
  TempDir tmp;
  int64_t now = 7000;
  LogOptions o;
  o.clock = [&now] { return now; };
  auto log = open_log(tmp.log_dir(), o);
  ASSERT_TRUE(log);
  auto empty = log->stats();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->events, 0u);
  EXPECT_EQ(empty->first_seq, 0u);
  EXPECT_EQ(empty->last_seq, 0u);

  AppendBatch b;
  b.events = {pending("o1", EventType::order_placed), pending("o2", EventType::order_placed),
              pending("v1", EventType::vendor_registered), pending("p1", EventType::page_viewed),
              pending("o1", EventType::order_placed)};
  b.rejected.resize(2);
  append_ok(*log, b);
  now = 8000;
  AppendBatch b2;
  b2.events = {pending("s1", EventType::stock_changed), pending("p1", EventType::page_viewed)};
  append_ok(*log, b2);

  auto st = log->stats();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->events, 5u);
  EXPECT_EQ(st->first_seq, 1u);
  EXPECT_EQ(st->last_seq, 5u);
  EXPECT_EQ(st->per_type[static_cast<int>(EventType::order_placed)], 2u);
  EXPECT_EQ(st->per_type[static_cast<int>(EventType::vendor_registered)], 1u);
  EXPECT_EQ(st->per_type[static_cast<int>(EventType::page_viewed)], 1u);
  EXPECT_EQ(st->per_type[static_cast<int>(EventType::stock_changed)], 1u);
  EXPECT_EQ(st->per_type[static_cast<int>(EventType::review_submitted)], 0u);
  uint64_t sum = 0;
  for (uint64_t n : st->per_type) sum += n;
  EXPECT_EQ(sum, st->events);
  EXPECT_EQ(st->duplicates, 2u);
  EXPECT_EQ(st->quarantined, 2u);
  EXPECT_EQ(st->first_ingest_us, 7000);
  EXPECT_EQ(st->last_ingest_us, 8000);
  EXPECT_GE(st->map_bytes, LogOptions{}.initial_map_bytes);
  EXPECT_GT(st->file_bytes, 0u);
}

TEST(EventLog, ReadOnlyOpenOfMissingLogIsAClearError) {
  TempDir tmp;
  LogOptions o;
  o.dir = tmp.path() + "/nothing-here";
  o.read_only = true;
  auto log = EventLog::open(o);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().message, "no event log in " + o.dir + " (run ingest first)");
  EXPECT_FALSE(std::filesystem::exists(o.dir));  // read-only creates nothing

  // An existing log opens read-only: readable, not writable.
  { append_ok(*open_log(tmp.log_dir()), batch_of({"a"})); }
  o.dir = tmp.log_dir();
  auto ro = EventLog::open(o);
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  EXPECT_EQ((*ro)->last_seq(), 1u);
  EXPECT_EQ(ids_of(read_all(**ro)), std::vector<std::string>{"a"});
  auto r = (*ro)->append(batch_of({"b"}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("read-only"), std::string::npos);
}

TEST(EventLog, FormatVersionMismatchIsAnError) {
  TempDir tmp;
  { ASSERT_TRUE(open_log(tmp.log_dir())); }
  {  // A future build wrote format 2.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    ASSERT_EQ(mdb_env_open(env, tmp.log_dir().c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi meta;
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    char two[8] = {2, 0, 0, 0, 0, 0, 0, 0};
    MDB_val k{6, const_cast<char*>("format")}, v{8, two};
    ASSERT_EQ(mdb_put(txn, meta, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  LogOptions o;
  o.dir = tmp.log_dir();
  auto log = EventLog::open(o);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message.find("format 2"), std::string::npos) << log.error().message;
  EXPECT_NE(log.error().message.find("format 1"), std::string::npos) << log.error().message;
}

TEST(EventLog, NosyncDurabilityPersistsOnClose) {
  TempDir tmp;
  LogOptions o;
  o.durability = Durability::nosync;
  {
    auto log = open_log(tmp.log_dir(), o);
    ASSERT_TRUE(log);
    append_ok(*log, numbered_batch(1, 100));
    AppendBatch b = numbered_batch(101, 50);
    b.positions = {{"file:/x", 99, 9, "f"}};
    append_ok(*log, b);
  }
  auto log = open_log(tmp.log_dir());  // reopened with the default (sync)
  ASSERT_TRUE(log);
  EXPECT_EQ(log->last_seq(), 150u);
  EXPECT_EQ(read_all(*log).size(), 150u);
  ASSERT_TRUE(log->position("file:/x").has_value());
  EXPECT_EQ(log->position("file:/x")->offset, 99u);
}

TEST(EventLog, OverlongEventIdIsQuarantined) {
  TempDir tmp;
  auto log = open_log(tmp.log_dir());
  ASSERT_TRUE(log);
  const std::string long_id(600, 'x');  // LMDB's default key limit is 511 bytes
  AppendBatch b = batch_of({"a"});
  b.events.push_back(pending(long_id));
  b.events.push_back(pending("b"));
  b.events.push_back(pending(""));
  AppendResult r = append_ok(*log, b);
  EXPECT_EQ(r.appended, 2u);
  EXPECT_EQ(r.quarantined, 2u);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.last_seq, 2u);
  EXPECT_EQ(ids_of(read_all(*log)), (std::vector<std::string>{"a", "b"}));

  auto q = log->quarantine();
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].code, events::RejectCode::bad_value);
  EXPECT_NE((*q)[0].reason.find("600 bytes"), std::string::npos) << (*q)[0].reason;
  EXPECT_NE((*q)[0].raw.find(long_id), std::string::npos);  // the event, as JSON
  EXPECT_EQ((*q)[0].raw.front(), '{');
  EXPECT_EQ((*q)[0].quarantined_at_us, r.ingest_time_us);
  EXPECT_EQ((*q)[1].code, events::RejectCode::empty_id);
}

TEST(EventLog, ReaderInAnotherThreadWhileAppending) {
  TempDir tmp;
  LogOptions o;
  o.initial_map_bytes = 64 << 10;  // growth happens while the reader runs
  o.durability = Durability::nosync;
  auto log = open_log(tmp.log_dir(), o);
  ASSERT_TRUE(log);
  const uint64_t kBatches = 40, kPerBatch = 1000, kTotal = kBatches * kPerBatch;

  std::atomic<bool> failed{false};
  std::string failure;
  uint64_t read = 0;
  std::thread consumer([&] {
    auto reader = log->reader();
    uint64_t expected = 1;
    while (expected <= kTotal && !failed) {
      auto r = reader->next();
      if (!r.ok()) {
        failure = r.error().message;
        failed = true;
        return;
      }
      if (!r->has_value()) {
        std::this_thread::yield();
        continue;
      }
      if ((*r)->seq != expected || (*r)->event.event_id != "ev-" + std::to_string(expected)) {
        failure = "out of order at " + std::to_string(expected);
        failed = true;
        return;
      }
      ++expected;
    }
    read = expected - 1;
  });
  for (uint64_t b = 0; b < kBatches && !failed; ++b) {
    auto r = log->append(numbered_batch(b * kPerBatch + 1, kPerBatch));
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) {
      failed = true;  // stops the consumer too
      break;
    }
  }
  consumer.join();
  EXPECT_FALSE(failed) << failure;
  EXPECT_EQ(read, kTotal);
  EXPECT_GT(log->stats()->map_bytes, 64u << 10);
}

}  // namespace
}  // namespace lh::storage
