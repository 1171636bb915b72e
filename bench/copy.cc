// bench/copy: the PostgreSQL writer against raw COPY, measured in the same
// run on a private PostgreSQL (started in a temp dir, default settings:
// fsync on).
//
//   bench_copy [--rows N] [--batch B] [--fsync-off]
//
// The same N fact_order_line rows (COPY text, as projections produce them):
//   raw COPY, no index     libpq PQputCopyData in 1 MiB chunks, one COPY, no
//                          index on the table: the ceiling
//   raw COPY, PK           same, into a table with the primary key only
//   raw COPY, warehouse    same, into the warehouse's table (PK + the repoint
//                          indexes init-db creates): the yardstick for apply
//   apply, inserts         PgWriter::apply, B rows per batch (one transaction
//                          each): COPY into staging + INSERT ... ON CONFLICT
//   apply, updates         the same keys again with a new status: every row
//                          takes the DO UPDATE path
// Client CPU (this process) is printed next to each, since on 2 cores the
// client's CPU is taken from PostgreSQL.
#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "projections/ddl.h"
#include "projections/rows.h"
#include "storage/pg_cluster.h"
#include "storage/pg_writer.h"
#include "bench/bench_util.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using lh::projections::Table;
using namespace lh::bench;

namespace {

// Rows of `rows` batches (each `batch` rows) in fact_order_line column
// order: 500 vendors, 3 lines per order, status `status`.
std::vector<lh::projections::TableRows> make_rows(uint64_t rows, uint64_t batch, const char* status) {
  std::vector<lh::projections::TableRows> out;
  const int64_t t0 = 1793491200000000;  // 2026-11-01
  for (uint64_t i = 0; i < rows; ++i) {
    if (i % batch == 0) out.emplace_back();
    auto& tr = out.back();
    uint64_t order = i / 3;
    int64_t t = t0 + static_cast<int64_t>(order) * 1000000;
    lh::projections::CopyLine l(tr.copy);
    l.text(fmt::format("V-{}", order % 500)).text(fmt::format("O-{}", order)).integer(static_cast<int64_t>(i % 3 + 1));
    l.integer(static_cast<int64_t>(order + 1)).time_us(t).integer(lh::projections::date_key(t));
    l.text(fmt::format("C-{}", order % 20000)).integer(static_cast<int64_t>(order % 20000 + 1));
    l.integer(static_cast<int64_t>(order % 500 + 1)).text(fmt::format("P-{}", i % 5000));
    l.integer(static_cast<int64_t>(i % 5000 + 1)).integer(2).raw("19.90").raw("39.80").raw("4.95").text("EUR");
    l.text(status).null().null().end();
    ++tr.rows;
  }
  return out;
}

// The yardstick: one COPY of every row through libpq, 1 MiB per message.
void raw_copy(PGconn* c, const std::string& table, const std::vector<lh::projections::TableRows>& data) {
  exec(c, "BEGIN");
  PGresult* r = PQexec(c, ("COPY " + table + " FROM STDIN").c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) die("COPY: " + std::string(PQresultErrorMessage(r)));
  PQclear(r);
  for (const auto& tr : data)
    for (size_t pos = 0; pos < tr.copy.size(); pos += 1 << 20) {
      size_t n = std::min<size_t>(1 << 20, tr.copy.size() - pos);
      if (PQputCopyData(c, tr.copy.data() + pos, static_cast<int>(n)) != 1) die(PQerrorMessage(c));
    }
  if (PQputCopyEnd(c, nullptr) != 1) die(PQerrorMessage(c));
  r = PQgetResult(c);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) die("COPY end: " + std::string(PQresultErrorMessage(r)));
  PQclear(r);
  while ((r = PQgetResult(c))) PQclear(r);
  exec(c, "COMMIT");
}

struct Measure {
  double seconds, cpu;
};

template <typename F>
Measure measure(F&& f) {
  double c0 = cpu_seconds();
  auto t0 = Clock::now();
  f();
  return {since(t0), cpu_seconds() - c0};
}

void print(const char* what, uint64_t rows, Measure m, double yardstick_rate) {
  double rate = rows / m.seconds;
  std::printf("%-24s %10.0f rows/s  %6.2f s  client CPU %5.2f s", what, rate, m.seconds, m.cpu);
  if (yardstick_rate > 0) std::printf("  %.2fx raw COPY (warehouse)", rate / yardstick_rate);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1000000, batch = 50000;
  bool fsync_off = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) rows = std::stoull(argv[++i]);
    else if (!std::strcmp(argv[i], "--batch") && i + 1 < argc) batch = std::stoull(argv[++i]);
    else if (!std::strcmp(argv[i], "--fsync-off")) fsync_off = true;
    else die("usage: bench_copy [--rows N] [--batch B] [--fsync-off]");
  }
  if (rows == 0 || batch == 0) die("--rows and --batch must be > 0");

  g_name = "bench_copy";
  fs::path dir = temp_dir("lh-bench-copy");
  auto cluster = start_cluster(dir, fsync_off);
  auto& pg = *cluster;

  lh::projections::WarehouseOptions wo;
  wo.schema = "bench";
  auto schema = lh::projections::Schema::make(wo);
  if (!schema.ok()) die(schema.error().message);
  lh::storage::PgOptions po;
  po.dsn = pg.dsn();
  auto writer = lh::storage::PgWriter::connect(po, *schema);
  if (!writer.ok()) die(writer.error().message);
  if (auto st = (*writer)->init_db(); !st.ok()) die(st.error().message);

  auto t0 = Clock::now();
  auto placed = make_rows(rows, batch, "placed");
  auto shipped = make_rows(rows, batch, "shipped");
  size_t bytes = 0;
  for (const auto& tr : placed) bytes += tr.copy.size();
  std::printf("bench_copy: %llu fact_order_line rows (%.0f MiB of COPY text, made in %.2f s), batches of %llu, "
              "PostgreSQL 15 fsync %s\n",
              static_cast<unsigned long long>(rows), bytes / 1048576.0, since(t0),
              static_cast<unsigned long long>(batch), fsync_off ? "off" : "on");

  PGconn* c = PQconnectdb(pg.dsn().c_str());
  if (PQstatus(c) != CONNECTION_OK) die(PQerrorMessage(c));
  const std::string wh = lh::projections::qualified(*schema, "fact_order_line");
  exec(c, "CREATE TABLE raw_noindex (LIKE " + wh + ")");
  exec(c, "CREATE TABLE raw_pk (LIKE " + wh + " INCLUDING INDEXES)");
  exec(c, "DROP INDEX IF EXISTS raw_pk_customer_id_order_time_idx, raw_pk_vendor_id_order_time_idx, "
          "raw_pk_product_id_order_time_idx");
  exec(c, "CREATE TABLE raw_wh (LIKE " + wh + " INCLUDING INDEXES)");
  exec(c, "CHECKPOINT");

  Measure noindex = measure([&] { raw_copy(c, "raw_noindex", placed); });
  exec(c, "CHECKPOINT");
  Measure pk = measure([&] { raw_copy(c, "raw_pk", placed); });
  exec(c, "CHECKPOINT");
  Measure whm = measure([&] { raw_copy(c, "raw_wh", placed); });
  exec(c, "CHECKPOINT");

  auto apply_all = [&](std::vector<lh::projections::TableRows>& data, uint64_t& seq) {
    for (auto& tr : data) {
      lh::projections::RowBatch b;
      b.after_seq = seq;
      b.last_seq = seq + tr.rows;
      b.upserts[static_cast<size_t>(Table::fact_order_line)] = std::move(tr);
      if (auto st = (*writer)->apply({&b}); !st.ok()) die(st.error().message);
      seq = b.last_seq;
    }
  };
  uint64_t seq = 0;
  Measure ins = measure([&] { apply_all(placed, seq); });
  exec(c, "CHECKPOINT");
  Measure upd = measure([&] { apply_all(shipped, seq); });

  PGresult* r = PQexec(c, ("SELECT count(*), count(*) FILTER (WHERE status = 'shipped') FROM " + wh).c_str());
  std::string counts = fmt::format("{} rows, {} shipped", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
  PQclear(r);
  PQfinish(c);

  double yard = rows / whm.seconds;
  print("raw COPY, no index", rows, noindex, 0);
  print("raw COPY, PK only", rows, pk, 0);
  print("raw COPY, warehouse", rows, whm, 0);
  print("apply, inserts", rows, ins, yard);
  print("apply, updates", rows, upd, yard);
  std::printf("apply / raw COPY (PK only): inserts %.2fx, updates %.2fx; warehouse table after: %s\n",
              (rows / ins.seconds) / (rows / pk.seconds), (rows / upd.seconds) / (rows / pk.seconds), counts.c_str());

  writer->reset();
  cluster.reset();
  fs::remove_all(dir);
  return 0;
}
