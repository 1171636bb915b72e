// `ledgerhouse backup | restore | verify` as real processes: a backup taken
// while another process ingests is a verified prefix of the live log, byte
// for byte, and re-ingesting the file completes it exactly; corruption and
// damaged indexes are named with their seq; bad inputs are refused clearly.
#include <gtest/gtest.h>
#include <lmdb.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "storage/event_log.h"
#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"

namespace lh::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs to completion; stdout in .out, stderr in `err`.
RunResult run_err(const std::vector<std::string>& args, std::string& err) {
  TempDir d;
  RunResult r = wait_for(spawn(args, d / "out", d / "err"));
  r.out = slurp_file(d / "out");
  err = slurp_file(d / "err");
  return r;
}

// 0 when there is no readable log (yet): a writer may be creating it.
uint64_t last_seq_of(const std::string& dir) {
  storage::LogOptions o;
  o.dir = dir;
  o.read_only = true;
  auto log = storage::EventLog::open(o);
  return log.ok() ? (*log)->last_seq() : 0;
}

// Raw LMDB access to a log directory (no EventLog in between): to compare
// stored bytes and to damage a log on purpose.
struct RawLog {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  explicit RawLog(const std::string& dir, bool write) {
    EXPECT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    EXPECT_EQ(mdb_env_open(env, dir.c_str(), write ? 0 : MDB_RDONLY, 0644), 0) << dir;
    EXPECT_EQ(mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn), 0);
  }
  MDB_dbi dbi(const char* name) {
    MDB_dbi d = 0;
    EXPECT_EQ(mdb_dbi_open(txn, name, 0, &d), 0) << name;
    return d;
  }
  // Every (key, value) of a sub-database, in key order.
  std::vector<std::pair<std::string, std::string>> all(const char* name) {
    std::vector<std::pair<std::string, std::string>> out;
    MDB_cursor* c = nullptr;
    EXPECT_EQ(mdb_cursor_open(txn, dbi(name), &c), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
      out.emplace_back(std::string(static_cast<char*>(k.mv_data), k.mv_size),
                       std::string(static_cast<char*>(v.mv_data), v.mv_size));
    mdb_cursor_close(c);
    return out;
  }
  void commit() {
    EXPECT_EQ(mdb_txn_commit(txn), 0);
    txn = nullptr;
  }
  ~RawLog() {
    if (txn) mdb_txn_abort(txn);
    mdb_env_close(env);
  }
};

// `log dump` without the volatile ingest time (seq kept).
std::vector<std::string> dump_without_ingest_time(const std::string& dir) {
  RunResult r = run({"-D", dir, "log", "dump"});
  EXPECT_EQ(r.exit_code, 0) << dir;
  static const std::regex kTime("\"ingest_time\":\"[^\"]*\",");
  std::vector<std::string> out;
  for (auto& l : lines_of(r.out)) out.push_back(std::regex_replace(l, kTime, ""));
  return out;
}

TEST(LogBackup, TakenWhileAnotherProcessIngestsIsAVerifiedPrefixThatReingestCompletes) {
  TempDir d;
  const std::string file = d / "week.ndjson", live = d / "live", bk = d / "backup", restored = d / "restored";
  ASSERT_EQ(run({"generate", "--days", "4", "--seed", "3", "--dirty-rate", "0.01", "-o", file}).exit_code, 0);
  // Small synced batches: the ingest lasts long enough to back up mid-way.
  pid_t ingest = spawn({"-q", "-D", live, "ingest", "--batch-size", "1000", file}, "", d / "ingest.err");
  ASSERT_TRUE([&] {
    for (int i = 0; i < 400; ++i) {
      if (last_seq_of(live) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }());
  std::string err;
  RunResult b = run_err({"-D", live, "backup", bk}, err);
  ASSERT_EQ(b.exit_code, 0) << err;
  EXPECT_NE(b.out.find("backup " + bk), std::string::npos) << b.out;
  // verify is read-only and runs beside the writer: it sees one snapshot.
  RunResult beside = run({"-D", live, "verify"});
  EXPECT_EQ(beside.exit_code, 0) << beside.out;
  EXPECT_NE(beside.out.find(": clean: seq 1.."), std::string::npos) << beside.out;
  RunResult ing = wait_for(ingest);
  ASSERT_EQ(ing.exit_code, 0) << slurp_file(d / "ingest.err");

  const uint64_t bk_last = last_seq_of(bk), live_last = last_seq_of(live);
  ASSERT_GT(bk_last, 0u);
  ASSERT_LT(bk_last, live_last) << "the backup did not overlap the ingest";
  EXPECT_NE(b.out.find(fmt::format("seq 1..{}:", bk_last)), std::string::npos) << b.out;
  std::string manifest = slurp_file(bk + "/manifest.json");
  EXPECT_NE(manifest.find(fmt::format("\"last_seq\": {}", bk_last)), std::string::npos) << manifest;
  for (auto& e : fs::directory_iterator(d.path))  // no temporary left behind
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();

  ASSERT_EQ(run({"-D", live, "verify"}).exit_code, 0);
  RunResult r = run_err({"-D", restored, "restore", bk}, err);
  ASSERT_EQ(r.exit_code, 0) << err;
  EXPECT_NE(r.out.find("clean"), std::string::npos) << r.out;
  RunResult v = run({"-D", restored, "verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("\"clean\":true"), std::string::npos) << v.out;

  {
    // Seq by seq, the same bytes (crc, ingest time, payload); the quarantine too.
    RawLog a(restored, false), l(live, false);
    auto ra = a.all("events"), la = l.all("events");
    ASSERT_EQ(ra.size(), bk_last);
    ASSERT_GT(la.size(), ra.size());
    for (size_t i = 0; i < ra.size(); ++i) ASSERT_EQ(ra[i], la[i]) << "seq " << i + 1;
    auto qa = a.all("quarantine"), ql = l.all("quarantine");
    ASSERT_LE(qa.size(), ql.size());
    for (size_t i = 0; i < qa.size(); ++i) ASSERT_EQ(qa[i], ql[i]) << "qseq " << i + 1;
  }
  // Ingestion resumes from the backup's file position: same seqs, same events.
  ASSERT_EQ(run({"-q", "-D", restored, "ingest", file}).exit_code, 0);
  EXPECT_EQ(last_seq_of(restored), live_last);
  EXPECT_EQ(dump_without_ingest_time(restored), dump_without_ingest_time(live));
  EXPECT_EQ(run({"-D", restored, "quarantine", "list", "--raw"}).out,
            run({"-D", live, "quarantine", "list", "--raw"}).out);
  EXPECT_EQ(run({"-D", restored, "verify"}).exit_code, 0);
}

// A small log whose last event carries a unique marker; restored from a
// backup, so data.mdb is compacted (no stale page holds another copy).
struct MarkedLog {
  TempDir d;
  std::string dir = d / "restored";
  uint64_t marker_seq = 0;
  static constexpr const char* kMarker = "ZZ-CORRUPTION-MARKER-ZZ";
  MarkedLog() {
    const std::string file = d / "small.ndjson";
    EXPECT_EQ(run({"generate", "--days", "1", "--orders-per-day", "100", "-o", file}).exit_code, 0);
    std::ofstream(file, std::ios::app)
        << R"({"event_id":"ev-marker","type":"product_created","event_time":"2026-11-01T12:00:00Z",)"
        << R"("data":{"product_id":"P-MARK","name":")" << kMarker
        << R"(","category":"tools","vendor_id":"V-1","list_price":"9.99","currency":"EUR"}})" << "\n";
    EXPECT_EQ(run({"-q", "-D", d / "live", "ingest", file}).exit_code, 0);
    EXPECT_EQ(run({"-D", d / "live", "backup", d / "bk"}).exit_code, 0);
    EXPECT_EQ(run({"-D", dir, "restore", d / "bk"}).exit_code, 0);
    marker_seq = last_seq_of(dir);
  }
  // Flips one byte of the marker inside data.mdb.
  void corrupt_marker() {
    std::string data = slurp_file(dir + "/data.mdb");
    size_t at = data.find(kMarker);
    ASSERT_NE(at, std::string::npos);
    ASSERT_EQ(data.find(kMarker, at + 1), std::string::npos) << "the marker is not unique";
    std::fstream f(dir + "/data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at + 3));
    f.put(static_cast<char>(data[at + 3] ^ 0x20));
  }
};

TEST(LogVerify, AFlippedByteIsReportedWithItsSeqByVerifyDumpAndRun) {
  MarkedLog m;
  ASSERT_GT(m.marker_seq, 1000u);
  ASSERT_EQ(run({"-D", m.dir, "verify"}).exit_code, 0);
  m.corrupt_marker();

  RunResult v = run({"-D", m.dir, "verify"});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find(fmt::format("seq {}: checksum mismatch", m.marker_seq)), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("1 problems"), std::string::npos) << v.out;
  RunResult j = run({"-D", m.dir, "verify", "--json"});
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_NE(j.out.find("\"clean\":false"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find(fmt::format("\"where\":\"seq {}\"", m.marker_seq)), std::string::npos) << j.out;

  std::string err;
  RunResult dump = run_err({"-D", m.dir, "log", "dump"}, err);
  EXPECT_NE(dump.exit_code, 0);
  EXPECT_NE(err.find(fmt::format("seq {}: checksum mismatch", m.marker_seq)), std::string::npos) << err;
  EXPECT_EQ(lines_of(dump.out).size(), m.marker_seq - 1);  // every event before it, then the error

  // The projection stops at the damaged record and names it.
  auto pg = start_test_cluster(m.d / "pg");
  ASSERT_NE(pg, nullptr);
  const std::string dsn = pg->dsn("postgres");
  fresh_warehouse(dsn, schema_named("corrupt"));
  RunResult run_r = run_err({"-q", "-D", m.dir, "--pg", dsn, "--schema", "corrupt", "run", "--until-caught-up"}, err);
  EXPECT_NE(run_r.exit_code, 0);
  EXPECT_NE(err.find(fmt::format("seq {}", m.marker_seq)), std::string::npos) << err;
}

TEST(LogVerify, DamagedIndexesAndCountersAreNamedExactly) {
  MarkedLog m;
  uint64_t product_count = 0;
  {
    RawLog raw(m.dir, true);
    MDB_val id{9, const_cast<char*>("ev-marker")};
    ASSERT_EQ(mdb_del(raw.txn, raw.dbi("event_ids"), &id, nullptr), 0);
    // A stray entry: an id no event has, pointing at seq 1.
    char one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    MDB_val ghost{8, const_cast<char*>("ghost-id")}, seq1{8, one};
    ASSERT_EQ(mdb_put(raw.txn, raw.dbi("event_ids"), &ghost, &seq1, 0), 0);
    // The last batch's ingest_time entry goes missing.
    MDB_cursor* c = nullptr;
    ASSERT_EQ(mdb_cursor_open(raw.txn, raw.dbi("ingest_time"), &c), 0);
    MDB_val k, v;
    ASSERT_EQ(mdb_cursor_get(c, &k, &v, MDB_LAST), 0);
    ASSERT_EQ(mdb_cursor_del(c, 0), 0);
    mdb_cursor_close(c);
    // One product too many in the counters.
    MDB_val key{23, const_cast<char*>("count.product_created")};
    key.mv_size = std::strlen("count.product_created");
    ASSERT_EQ(mdb_get(raw.txn, raw.dbi("meta"), &key, &v), 0);
    ASSERT_EQ(v.mv_size, 8u);
    std::memcpy(&product_count, v.mv_data, 8);  // little-endian on this machine
    uint64_t more = product_count + 1;
    MDB_val nv{8, &more};
    ASSERT_EQ(mdb_put(raw.txn, raw.dbi("meta"), &key, &nv, 0), 0);
    raw.commit();
  }
  RunResult v = run({"-D", m.dir, "verify"});
  EXPECT_EQ(v.exit_code, 1);
  const std::string s = std::to_string(m.marker_seq);
  EXPECT_NE(v.out.find("seq " + s + ": event_id 'ev-marker' is missing from the event_ids index"), std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("event_ids[ghost-id]: points to seq 1, whose event_id is"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("seq " + s + ": last event of the batch ingested at"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find(fmt::format("meta count.product_created: says {}, the log holds {}", product_count + 1,
                                   product_count)),
            std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("4 problems"), std::string::npos) << v.out;
}

TEST(LogVerify, AMissingRecordIsASeqGapAndItsIndexEntryPointsNowhere) {
  MarkedLog m;
  std::string id_of_10;
  {
    RawLog raw(m.dir, true);
    char ten[8] = {0, 0, 0, 0, 0, 0, 0, 10};
    MDB_val k{8, ten};
    ASSERT_EQ(mdb_del(raw.txn, raw.dbi("events"), &k, nullptr), 0);
    for (auto& [id, seq] : raw.all("event_ids"))
      if (seq == std::string(ten, 8)) id_of_10 = id;
    raw.commit();
  }
  ASSERT_FALSE(id_of_10.empty());
  RunResult v = run({"-D", m.dir, "verify"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("seq 11: seq gap: expected seq 10, found seq 11 (1 missing)"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("event_ids[" + id_of_10 + "]: points to seq 10, which is not in the log"), std::string::npos)
      << v.out;
  std::string err;
  RunResult dump = run_err({"-D", m.dir, "log", "dump"}, err);
  EXPECT_NE(dump.exit_code, 0);
  EXPECT_NE(err.find("seq gap: expected 10, found 11"), std::string::npos) << err;
}

TEST(LogBackup, BadInputsAreRefusedWithWhatAndWhere) {
  TempDir d;
  const std::string file = d / "f.ndjson", live = d / "live";
  ASSERT_EQ(run({"generate", "--days", "1", "--orders-per-day", "50", "-o", file}).exit_code, 0);
  ASSERT_EQ(run({"-q", "-D", live, "ingest", file}).exit_code, 0);
  std::string err;

  fs::create_directories(d / "full");
  std::ofstream(d / "full/x") << "x";
  EXPECT_EQ(run_err({"-D", live, "backup", d / "full"}, err).exit_code, 1);
  EXPECT_NE(err.find(d / "full" + " is not empty"), std::string::npos) << err;
  EXPECT_EQ(run_err({"-D", live, "backup", d / "full/x"}, err).exit_code, 1);
  EXPECT_NE(err.find("exists and is not a directory"), std::string::npos) << err;
  EXPECT_EQ(run_err({"-D", live, "backup", live + "/inside"}, err).exit_code, 1);
  EXPECT_NE(err.find("is inside the event log"), std::string::npos) << err;
  EXPECT_EQ(run_err({"-D", d / "nolog", "backup", d / "b0"}, err).exit_code, 1);
  EXPECT_NE(err.find("no event log in"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(d / "b0"));
  // An empty directory is a fine destination.
  fs::create_directories(d / "empty");
  ASSERT_EQ(run_err({"-D", live, "backup", d / "empty"}, err).exit_code, 0) << err;

  EXPECT_EQ(run_err({"-D", d / "r1", "restore", d / "missing"}, err).exit_code, 1);
  EXPECT_NE(err.find(d / "missing" + " is not a directory"), std::string::npos) << err;
  EXPECT_EQ(run_err({"-D", d / "r1", "restore", d / "full"}, err).exit_code, 1);
  EXPECT_NE(err.find("holds no data.mdb: not a ledgerhouse backup"), std::string::npos) << err;
  fs::create_directories(d / "garbage");
  std::ofstream(d / "garbage/data.mdb") << std::string(100000, 'g');
  EXPECT_EQ(run_err({"-D", d / "r1", "restore", d / "garbage"}, err).exit_code, 1);
  EXPECT_NE(err.find("is not a valid backup"), std::string::npos) << err;
  // A manifest that does not describe its data.mdb: a mixed-up directory.
  fs::create_directories(d / "tampered");
  fs::copy_file(d / "empty/data.mdb", d / "tampered/data.mdb");
  std::ofstream(d / "tampered/manifest.json") << "{\"last_seq\": 7}\n";
  EXPECT_EQ(run_err({"-D", d / "r1", "restore", d / "tampered"}, err).exit_code, 1);
  EXPECT_NE(err.find("manifest.json says last seq 7, its data.mdb holds " + std::to_string(last_seq_of(live))),
            std::string::npos) << err;
  EXPECT_FALSE(fs::exists(d / "r1"));
  for (auto& e : fs::directory_iterator(d.path))  // no temporary left behind by the failures
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();

  // Into a live log: refused without --force; with it, the old log is moved aside intact.
  const uint64_t last = last_seq_of(live);
  ASSERT_EQ(run({"-q", "-D", d / "other", "ingest", file}).exit_code, 0);
  EXPECT_EQ(run_err({"-D", d / "other", "restore", d / "empty"}, err).exit_code, 1);
  EXPECT_NE(err.find("already holds an event log; stop its writers and use --force"), std::string::npos) << err;
  RunResult forced = run_err({"-D", d / "other", "restore", "--force", d / "empty"}, err);
  ASSERT_EQ(forced.exit_code, 0) << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(forced.out, m, std::regex("moved the previous log aside to (\\S+)"))) << forced.out;
  EXPECT_EQ(run({"-D", m[1].str(), "verify"}).exit_code, 0);
  EXPECT_EQ(last_seq_of(m[1].str()), last);
  EXPECT_EQ(last_seq_of(d / "other"), last);
}

}  // namespace
}  // namespace lh::testing
