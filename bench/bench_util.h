// Shared by the bench/ programs: timing, a private PostgreSQL, a generated
// stream ingested into a temporary log, raw libpq COPY, and the raw-COPY
// yardstick (a schema's final rows COPYed straight into same-shaped tables).
#pragma once

#include <libpq-fe.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "projections/schema.h"
#include "storage/event_log.h"
#include "storage/ingest_pipeline.h"
#include "storage/pg_cluster.h"
#include "tools/generator.h"

namespace lh::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The program's name, for die()'s messages.
inline const char* g_name = "bench";

inline double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// User + system CPU of this process, in seconds.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU time of the calling thread, in seconds (kernel time in it included):
// on a shared machine, steadier than wall time, and blind to waits.
inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

[[noreturn]] inline void die(const std::string& m) {
  std::fprintf(stderr, "%s: %s\n", g_name, m.c_str());
  std::exit(1);
}

inline fs::path temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) die("mkdtemp " + tmpl);
  return tmpl;
}

inline void exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) die(sql + ": " + PQresultErrorMessage(r));
  PQclear(r);
}

inline std::string copy_out(PGconn* c, const std::string& table) {
  PGresult* r = PQexec(c, ("COPY " + table + " TO STDOUT").c_str());
  if (PQresultStatus(r) != PGRES_COPY_OUT) die("COPY TO: " + std::string(PQerrorMessage(c)));
  PQclear(r);
  std::string out;
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    PQfreemem(buf);
  }
  while ((r = PQgetResult(c)) != nullptr) PQclear(r);
  return out;
}

// One COPY of `data` (COPY text) into `table`, 1 MiB per message.
inline void copy_in(PGconn* c, const std::string& table, const std::string& data) {
  PGresult* r = PQexec(c, ("COPY " + table + " FROM STDIN").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) die("COPY FROM: " + std::string(PQerrorMessage(c)));
  PQclear(r);
  for (size_t pos = 0; pos < data.size(); pos += 1 << 20) {
    size_t n = std::min<size_t>(1 << 20, data.size() - pos);
    if (PQputCopyData(c, data.data() + pos, static_cast<int>(n)) != 1) die(PQerrorMessage(c));
  }
  if (PQputCopyEnd(c, nullptr) != 1) die(PQerrorMessage(c));
  while ((r = PQgetResult(c)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) die("COPY " + table + ": " + PQerrorMessage(c));
    PQclear(r);
  }
}

// A private PostgreSQL 15 in dir/pg: fsync on unless fsync_off,
// max_wal_size 4 GB, plus `extra` lines of postgresql.conf. Session 6 added
// what a bulk-loading warehouse server is given: wal_compression = lz4
// (smaller full-page images) and wal_init_zero = off (a fresh cluster
// zero-filled every new 16 MB WAL segment before use: XLogFileInit was 6%
// of the backend's CPU in perf; ext4 needs no preallocation). The raw COPY
// yardstick runs on the same server.
inline std::unique_ptr<storage::PgCluster> start_cluster(const fs::path& dir, bool fsync_off,
                                                         long long shared_buffers_mb = 0,
                                                         const std::string& extra = "") {
  storage::PgClusterOptions co;
  co.dir = (dir / "pg").string();
  co.extra_conf = std::string(fsync_off ? "fsync = off\n" : "") +
                  (shared_buffers_mb > 0 ? "shared_buffers = " + std::to_string(shared_buffers_mb) + "MB\n"
                                         : std::string()) +
                  "max_wal_size = 4GB\nwal_compression = lz4\nwal_init_zero = off\n" + extra;
  auto cluster = storage::PgCluster::start(co);
  if (!cluster.ok()) die(cluster.error().message);
  return std::move(*cluster);
}

// Generates `go` into dir/stream.ndjson, ingests it into a new log in
// dir/log (Durability::nosync: setup, not measured), removes the file.
inline std::unique_ptr<storage::EventLog> generated_log(const tools::GeneratorOptions& go, const fs::path& dir) {
  std::string input = (dir / "stream.ndjson").string();
  auto t = Clock::now();
  {
    std::FILE* f = std::fopen(input.c_str(), "wb");
    if (!f) die("cannot write " + input);
    auto g = tools::generate_to_file(go, f);
    std::fclose(f);
    if (!g.ok()) die(g.error().message);
  }
  std::printf("generated %d days (%d orders/day, %d vendors, %d customers, %d products) in %.1f s\n", go.days,
              go.orders_per_day, go.vendors, go.customers, go.products, since(t));
  storage::LogOptions lo;
  lo.dir = (dir / "log").string();
  lo.durability = storage::Durability::nosync;
  auto log = storage::EventLog::open(lo);
  if (!log.ok()) die(log.error().message);
  t = Clock::now();
  auto ing = storage::ingest_ndjson(**log, input, {});
  if (!ing.ok()) die(ing.error().message);
  fs::remove(input);
  std::printf("ingested %llu events into the log in %.1f s\n", static_cast<unsigned long long>((*log)->last_seq()),
              since(t));
  std::fflush(stdout);
  return std::move(*log);
}

// postgresql.conf lines for top_statements().
inline constexpr const char* kStatStatementsConf =
    "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n";

// Where PostgreSQL spent its time (the cluster started with
// kStatStatementsConf): the top statements, one indented line each.
inline std::string top_statements(PGconn* c, int limit = 12) {
  exec(c, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  std::string top;
  PGresult* q = PQexec(c, ("SELECT round(total_exec_time)::bigint, calls, rows, "
                           "left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements "
                           "ORDER BY total_exec_time DESC LIMIT " + std::to_string(limit)).c_str());
  if (PQresultStatus(q) == PGRES_TUPLES_OK)
    for (int i = 0; i < PQntuples(q); ++i)
      top += std::string("    ") + PQgetvalue(q, i, 0) + " ms  " + PQgetvalue(q, i, 1) + " calls  " +
             PQgetvalue(q, i, 2) + " rows  " + PQgetvalue(q, i, 3) + "\n";
  else
    top = std::string("    (pg_stat_statements: ") + PQerrorMessage(c) + ")\n";
  PQclear(q);
  return top;
}

// Row writes per table of `schema_name` since the server started
// (pg_stat_user_tables): inserts, updates and how many of those were HOT
// (no index entry written), one indented line each.
inline std::string table_writes(PGconn* c, const std::string& schema_name) {
  std::string out;
  const char* params[] = {schema_name.c_str()};
  PGresult* q = PQexecParams(c,
                             "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                             "WHERE schemaname = $1 AND n_tup_ins + n_tup_upd > 0 ORDER BY relname",
                             1, nullptr, params, nullptr, nullptr, 0);
  if (PQresultStatus(q) == PGRES_TUPLES_OK)
    for (int i = 0; i < PQntuples(q); ++i)
      out += std::string("    ") + PQgetvalue(q, i, 0) + ": " + PQgetvalue(q, i, 1) + " inserted, " +
             PQgetvalue(q, i, 2) + " updated (" + PQgetvalue(q, i, 3) + " HOT)\n";
  else
    out = std::string("    (pg_stat_user_tables: ") + PQerrorMessage(c) + ")\n";
  PQclear(q);
  return out;
}

struct RawCopy {
  double seconds = 0;  // the COPYs and their commits only
  uint64_t rows = 0;
};

// The yardstick: every warehouse table of schema `from` COPYed out, then
// COPYed straight (raw libpq, one transaction per table, after a
// CHECKPOINT) into a new schema `to` of tables LIKE the originals INCLUDING
// INDEXES (and, with indexes_after, built only after the load and timed).
inline RawCopy raw_copy_yardstick(PGconn* c, const projections::Schema& schema, const std::string& from,
                                  const std::string& to, bool indexes_after = false) {
  exec(c, "CREATE SCHEMA " + to);
  RawCopy out;
  for (const auto& spec : schema.tables()) {
    std::string src = from + "." + spec.name, dst = to + "." + spec.name;
    exec(c, "CREATE TABLE " + dst + " (LIKE " + src + (indexes_after ? ")" : " INCLUDING INDEXES)"));
    std::string data = copy_out(c, src);
    for (char ch : data) out.rows += ch == '\n';
    exec(c, "CHECKPOINT");
    auto t0 = Clock::now();
    exec(c, "BEGIN");
    copy_in(c, dst, data);
    exec(c, "COMMIT");
    if (indexes_after) {
      // Same indexes as the source, built after the load.
      PGresult* r = PQexec(c, ("SELECT replace(indexdef, ' ON " + from + ".', ' ON " + to + ".') FROM pg_indexes "
                               "WHERE schemaname = '" + from + "' AND tablename = '" + spec.name + "'")
                                  .c_str());
      if (PQresultStatus(r) != PGRES_TUPLES_OK) die(PQerrorMessage(c));
      for (int i = 0; i < PQntuples(r); ++i) {
        std::string def = PQgetvalue(r, i, 0);
        // Index names are per schema: keep them, the schema differs.
        exec(c, def);
      }
      PQclear(r);
    }
    out.seconds += since(t0);
  }
  return out;
}

}  // namespace lh::bench
