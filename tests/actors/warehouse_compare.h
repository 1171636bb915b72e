// Test helpers shared by tests/actors and tests/tools: a private PostgreSQL,
// warehouse schemas, the reference projection (projections::Pipeline applied
// by PgWriter) and a table-by-table comparison of two schemas (EXCEPT ALL
// both ways).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "projections/ddl.h"
#include "projections/pipeline.h"
#include "projections/schema.h"
#include "storage/event_log.h"
#include "storage/pg_cluster.h"
#include "storage/pg_writer.h"

namespace lh::testing {

inline std::unique_ptr<storage::PgCluster> start_test_cluster(const std::string& dir) {
  storage::PgClusterOptions o;
  o.dir = dir;
  // fsync off: only the server process crashes in tests, never the OS. (Not
  // synchronous_commit = off: a killed server would lose acknowledged commits.)
  // No TCP listener: tests connect over the cluster's own Unix socket, so
  // parallel clusters cannot take each other's port (a server killed and
  // restarted would otherwise race other tests for its port).
  o.extra_conf = "fsync = off\nfull_page_writes = off\nlisten_addresses = ''\n";
  auto c = storage::PgCluster::start(o);
  if (!c.ok()) ADD_FAILURE() << "PgCluster::start: " << c.error().message;
  return c.ok() ? std::move(*c) : nullptr;
}

inline projections::Schema schema_named(const std::string& name) {
  projections::WarehouseOptions wo;
  wo.schema = name;
  auto s = projections::Schema::make(wo);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(*s);
}

// A PgWriter on a freshly initialized schema `name` (dropped first).
inline std::unique_ptr<storage::PgWriter> fresh_warehouse(const std::string& dsn,
                                                          const projections::Schema& schema) {
  {
    pqxx::connection c(dsn);
    pqxx::work tx(c);
    tx.exec0("DROP SCHEMA IF EXISTS " + tx.quote_name(schema.options().schema) + " CASCADE");
    tx.commit();
  }
  storage::PgOptions po;
  po.dsn = dsn;
  auto w = storage::PgWriter::connect(po, schema);
  EXPECT_TRUE(w.ok()) << w.error().message;
  if (!w.ok()) return nullptr;
  Status s = (*w)->init_db();
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(*w);
}

// The reference: the single-threaded Pipeline over the whole log, batches of
// `batch` events, each applied by PgWriter into `schema`.
inline void project_reference(const storage::EventLog& log, const std::string& dsn,
                              const projections::Schema& schema, size_t batch = 1000) {
  auto writer = fresh_warehouse(dsn, schema);
  ASSERT_TRUE(writer);
  projections::Pipeline pipeline(schema);
  auto reader = log.reader(1);
  for (;;) {
    auto events = std::make_shared<projections::EventBatch>();
    while (events->size() < batch) {
      auto e = reader->next();
      ASSERT_TRUE(e.ok()) << e.error().message;
      if (!e->has_value()) break;
      events->push_back({(*e)->seq, (*e)->ingest_time_us, std::move((*e)->event)});
    }
    if (events->empty()) break;
    projections::RowBatch rows;
    pipeline.project(events, {}, &rows);
    Status s = writer->apply({&rows});
    ASSERT_TRUE(s.ok()) << s.error().message;
  }
}

inline uint64_t count_rows(const std::string& dsn, const std::string& schema, std::string_view table) {
  pqxx::connection c(dsn);
  pqxx::read_transaction tx(c);
  return tx.exec1(fmt::format("SELECT count(*) FROM {}.{}", tx.quote_name(schema),
                              tx.quote_name(std::string(table))))[0]
      .as<uint64_t>();
}

// "" when every warehouse table, projection_errors and the checkpoints of
// `a` and `b` hold the same rows; else what differs, per table.
inline std::string compare_schemas(const std::string& dsn, const projections::Schema& schema,
                                   const std::string& a, const std::string& b) {
  pqxx::connection c(dsn);
  pqxx::read_transaction tx(c);
  std::vector<std::string> tables;
  for (const auto& t : schema.tables()) tables.push_back(t.name);
  tables.emplace_back(projections::kErrorsTable);
  std::string diff;
  for (const auto& t : tables) {
    std::string qa = tx.quote_name(a) + "." + tx.quote_name(t);
    std::string qb = tx.quote_name(b) + "." + tx.quote_name(t);
    auto r = tx.exec1(fmt::format(
        "SELECT (SELECT count(*) FROM (SELECT * FROM {0} EXCEPT ALL SELECT * FROM {1}) x), "
        "(SELECT count(*) FROM (SELECT * FROM {1} EXCEPT ALL SELECT * FROM {0}) y), "
        "(SELECT count(*) FROM {0}), (SELECT count(*) FROM {1})",
        qa, qb));
    if (r[0].as<int64_t>() != 0 || r[1].as<int64_t>() != 0)
      diff += fmt::format("{}: {} rows only in {}, {} only in {} ({} vs {} rows)\n", t,
                          r[0].as<int64_t>(), a, r[1].as<int64_t>(), b, r[2].as<int64_t>(),
                          r[3].as<int64_t>());
  }
  auto cp = fmt::format("SELECT projection, version, last_seq FROM {}.{}", tx.quote_name(a),
                        projections::kCheckpointTable);
  auto cpb = fmt::format("SELECT projection, version, last_seq FROM {}.{}", tx.quote_name(b),
                         projections::kCheckpointTable);
  auto r = tx.exec1(fmt::format("SELECT (SELECT count(*) FROM ({} EXCEPT {}) x) + "
                                "(SELECT count(*) FROM ({} EXCEPT {}) y)",
                                cp, cpb, cpb, cp));
  if (r[0].as<int64_t>() != 0) diff += "checkpoints differ\n";
  return diff;
}

}  // namespace lh::testing
