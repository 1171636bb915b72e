// One private PostgreSQL per test binary (started on first use, stopped at
// exit) and helpers to build RowBatches and query the warehouse directly.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "projections/ddl.h"
#include "projections/rows.h"
#include "projections/schema.h"
#include "storage/pg_cluster.h"
#include "storage/pg_writer.h"

// Asserts a Status is ok, printing its message otherwise.
#define LH_ASSERT_OK(expr)                                    \
  do {                                                        \
    auto lh_st_ = (expr);                                     \
    ASSERT_TRUE(lh_st_.ok()) << #expr << ": " << lh_st_.error().message; \
  } while (0)

namespace lh::storage::testing {

class PgEnv {
 public:
  static PgCluster& cluster() {
    static PgEnv env;
    return *env.cluster_;
  }
  ~PgEnv() {
    cluster_.reset();
    std::filesystem::remove_all(dir_);
  }

 private:
  PgEnv() {
    char tmpl[] = "/tmp/lh-pgw-XXXXXX";
    dir_ = mkdtemp(tmpl);
    PgClusterOptions o;
    o.dir = (dir_ / "pg").string();
    // kill() is not an OS crash: commits survive. No TCP listener: tests
    // connect over the cluster's own Unix socket, so a restarted server
    // cannot lose its port to another test's cluster.
    o.extra_conf = "fsync = off\nlisten_addresses = ''";
    // Several test binaries (and helpers) start clusters at once: a port
    // found free can be taken before our server binds it, so try a few.
    for (int attempt = 0;; ++attempt) {
      o.port = 55000 + static_cast<int>((getpid() * 7 + attempt * 131) % 4000);
      auto c = PgCluster::start(o);
      if (c.ok()) {
        cluster_ = std::move(c.value());
        break;
      }
      if (attempt == 4) throw std::runtime_error(c.error().message);
    }
  }
  std::filesystem::path dir_;
  std::unique_ptr<PgCluster> cluster_;
};

// A fresh warehouse schema name per call: tests do not see each other.
inline std::string fresh_schema() {
  static std::atomic<int> n{0};
  return "t" + std::to_string(getpid()) + "_" + std::to_string(++n);
}

inline projections::Schema make_schema(const std::string& name, std::vector<std::string> holidays = {}) {
  projections::WarehouseOptions o;
  o.schema = name;
  o.holidays = std::move(holidays);
  auto s = projections::Schema::make(o);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  return s.value();
}

inline PgOptions options(int retry_for_s = 5) {
  PgOptions o;
  o.dsn = PgEnv::cluster().dsn();
  o.retry_for_s = retry_for_s;
  return o;
}

inline std::unique_ptr<PgWriter> writer(const projections::Schema& s, PgOptions o = options()) {
  auto w = PgWriter::connect(o, s);
  if (!w.ok()) throw std::runtime_error(w.error().message);
  return std::move(w.value());
}

// Appends one COPY line; nullptr is NULL.
inline void add_row(projections::TableRows& rows, std::initializer_list<const char*> values) {
  projections::CopyLine l(rows.copy);
  for (const char* v : values) v ? l.text(v) : l.null();
  l.end();
  ++rows.rows;
}

inline projections::RowBatch batch(uint64_t after, uint64_t last) {
  projections::RowBatch b;
  b.after_seq = after;
  b.last_seq = last;
  return b;
}

// fact_order_line: vendor_id, order_id, line_no, seq, order_time, date_key,
// customer_id, customer_sk, vendor_sk, product_id, product_sk, quantity,
// unit_price, amount, freight, currency, status, status_time, status_seq.
inline void order_line(projections::RowBatch& b, const char* vendor, const char* order, const char* line,
                       const char* time, const char* customer, const char* customer_sk, const char* product,
                       const char* product_sk, const char* status = "placed", const char* amount = "10.00") {
  std::string date = std::string(time).substr(0, 4) + std::string(time).substr(5, 2) + std::string(time).substr(8, 2);
  add_row(b.upserts[static_cast<size_t>(projections::Table::fact_order_line)],
          {vendor, order, line, "1", time, date.c_str(), customer, customer_sk, nullptr, product, product_sk, "1",
           amount, amount, nullptr, "EUR", status, nullptr, nullptr});
}

// Direct SQL as the cluster's superuser.
inline std::string query1(const std::string& sql, const std::string& dsn = PgEnv::cluster().dsn()) {
  pqxx::connection c(dsn);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "<null>";
  return r[0][0].c_str();
}

}  // namespace lh::storage::testing
