// Internals shared by pg_writer.cc (connection, retries, apply) and
// pg_admin.cc (init-db, projection control, vendor roles). Not a public
// interface: include pg_writer.h.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "storage/pg_writer.h"

namespace lh::storage {

struct PgWriter::Impl {
  PgOptions options;
  projections::Schema schema;
  std::string where;  // describe_dsn(options.dsn)
  std::unique_ptr<pqxx::connection> conn;
  int staged_backend = 0;  // backend pid whose temp staging tables exist (0: none)
  // What the statement being run does ("merging upserts into dwh.fact_stock"),
  // so an SQL error names the table.
  std::string step;
  uint32_t expected_oid = 0;  // expect_schema(); 0: apply() does not check
  bool swapped = false;       // apply() found the schema swapped

  Impl(PgOptions o, projections::Schema s) : options(std::move(o)), schema(std::move(s)) {}

  // Runs body(conn, attempt) until it returns, reconnecting on a lost or
  // refused connection with backoff (100 ms doubling to 5 s) for up to
  // options.retry_for_s and calling on_retry before each wait. body runs its
  // own transaction, so a retry re-runs the whole of it. Any other libpqxx
  // error becomes an Error naming `step` and PostgreSQL's message.
  Status run(const std::function<Status(pqxx::connection&, int attempt)>& body);

  std::string q(std::string_view name) const;  // schema-qualified, quoted
  // The checkpoint table exists (init-db has run on this schema).
  bool initialized(pqxx::work& tx);
};

// The session's temporary table apply_repoints stages repoints in (ON
// COMMIT DELETE ROWS); idempotent.
void create_repoint_stage(pqxx::work& tx);

// Re-points the facts of `rs` as applying them in their order would:
// collapsed to disjoint ranges (projections::collapse_repoints), staged
// through create_repoint_stage's table, one UPDATE per SkRef. `step` says
// what runs, for error messages.
void apply_repoints(pqxx::work& tx, const projections::Schema& schema, const std::vector<projections::Repoint>& rs,
                    std::string& step);

// COPY text lines (each ending with '\n') into `table` (qualified), in large
// chunks rather than line by line.
void copy_lines(pqxx::work& tx, const std::string& table, const std::string& lines);

}  // namespace lh::storage
