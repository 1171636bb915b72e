// The PostgreSQL side of the warehouse: creates the schema of
// projections/schema.h and applies RowBatches exactly once.
//
// apply() writes one or more consecutive batches in ONE transaction: for each
// table, COPY of the upserts into a temporary staging
// table and one set-based INSERT ... ON CONFLICT DO UPDATE (insert_only
// tables: COPY straight into the table), deletes by key, repoints as
// UPDATEs, projection errors into <schema>.projection_errors, and the
// checkpoint (last applied seq) of every projection. A crash at any moment
// leaves the warehouse at the previous checkpoint or the new one, never in
// between; the caller resumes after checkpoint().last_seq.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "events/result.h"
#include "projections/rows.h"
#include "projections/schema.h"

namespace lh::storage {

struct PgOptions {
  // libpq connection string or URI ("host=... dbname=..." or
  // "postgresql://..."); empty: libpq's defaults and the PG* environment
  // variables, as psql does.
  std::string dsn;
  // How long apply() and connect() keep retrying a lost or refused
  // connection, with exponential backoff (100 ms doubling to 5 s), before
  // giving up with an Error. 0 = fail at once.
  int retry_for_s = 600;
  // Told about every failed attempt (message, attempt number, next delay in
  // ms), so the caller can report it.
  std::function<void(const std::string&, int, int64_t)> on_retry;
  // SQL run on every new connection after the writer's own settings, e.g.
  // "SET synchronous_commit = off" for a replay (a lost commit takes its
  // checkpoint with it, so the replay just redoes that batch).
  std::string session_sql;
  // A fresh target being bulk-loaded by a replay (storage/replay_target.h)
  // only. Repoints are not applied but appended, in order, to its
  // replay_repoints table, and the inserts and upserts of the keyed fact
  // and aggregate tables (bulk_folded) to its replay_rows_<table> tables;
  // ReplayTarget::finish folds those into the tables and applies the
  // repoints at the end. A delete for a folded table fails the apply.
  // Facts keep stale sks until then; the final state is the same (see
  // merge_batches in projections/rows.cc for why repoints may run after
  // later rows).
  bool bulk_target = false;
};

struct ProjectionState {
  std::string name;
  int version = 0;
  uint64_t last_seq = 0;
  bool paused = false;
};

struct Checkpoint {
  bool initialized = false;  // init-db has run on this schema
  int ddl_version = 0;
  uint64_t last_seq = 0;     // min over the projections (they move together)
  std::vector<ProjectionState> projections;
  std::vector<uint64_t> skips;  // seqs recorded by `projection skip`, ascending
  // pg_namespace OID of the schema when read: `rebuild` swaps schemas by
  // renaming, so the same name then means another OID (docs/rebuild.md).
  uint32_t schema_oid = 0;
};

// The advisory lock apply() takes shared in every transaction and a schema
// swap (storage/pg_swap.h) takes exclusively: pg_advisory_xact_lock*(hashtext(key)).
std::string apply_lock_key(const std::string& schema);

class PgWriter {
 public:
  static Result<std::unique_ptr<PgWriter>> connect(const PgOptions& options,
                                                   const projections::Schema& schema);
  ~PgWriter();

  // Creates the schema, tables, indexes, views, row-level security policies,
  // dim_date and the bookkeeping tables (checkpoint, projection_errors,
  // projection_skips), idempotently: running it twice changes nothing.
  Status init_db();
  Result<Checkpoint> checkpoint();

  // Applies `batches` (consecutive: each one's after_seq is the previous
  // one's last_seq, the first one's is the stored checkpoint) in one
  // transaction. A batch whose after_seq does not match is an Error and
  // nothing is written (the caller is out of step with the warehouse).
  Status apply(const std::vector<const projections::RowBatch*>& batches);

  // Makes apply() refuse (an Error, nothing written, schema_swapped() true)
  // once the schema's name no longer means the schema of OID `oid`
  // (Checkpoint::schema_oid): a rebuild or rollback swapped it, and rows
  // produced for the old one must not land in the new one. 0: no check.
  void expect_schema(uint32_t oid);
  bool schema_swapped() const;

  // Projection control (`ledgerhouse projection ...`).
  Status set_paused(const std::string& projection, bool paused);
  // Drops every projected row and sets the checkpoints to 0: the next run
  // rebuilds from seq 1.
  Status reset();
  // Records that seq must be passed over, with the reason and the time.
  Status record_skip(uint64_t seq, const std::string& reason);

  // Creates (or updates) a login role that sees only vendor_id's rows of
  // every vendor-scoped table and view and cannot write.
  Status grant_vendor(const std::string& vendor_id, const std::string& role,
                      const std::string& password);

  // Internals (storage/pg_writer_impl.h), named here so the writer's
  // helper functions can take it; not for callers.
  struct Impl;

 private:
  explicit PgWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Where a connection string points, without its password, for messages:
// "host=db1 port=5432 dbname=dwh user=lh" (libpq defaults and PG* variables
// fill what the string leaves out). A malformed string: libpq's complaint.
std::string describe_dsn(const std::string& dsn);

}  // namespace lh::storage
