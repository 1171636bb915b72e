// The PostgreSQL side of a replay (tools/replay.h): a target schema made for
// a replay, with its bound recorded in <schema>.replay_state so that a
// resumed replay goes to the same bound and a different bound on a partial
// schema is refused. A fresh target may be created without its secondary
// indexes (bulk load); finish() builds them with the full init-db DDL, so the
// finished schema has exactly the tables, keys, indexes, views and RLS of one
// made by init-db, plus the replay_state row saying what it was replayed to.
//
// A fresh target may also be bulk-loaded (PgOptions::bulk_target): the fact
// and aggregate tables are created without primary keys; the writer appends
// the rows of the keyed ones (every insert and upsert, in order) to
// <schema>.replay_rows_<table> and the repoints to <schema>.replay_repoints,
// and finish() folds each replay_rows_ table into its table in one sorted
// pass (last line per key, with the merge_update=false columns of its
// first line: what INSERT + ON CONFLICT updates would have left), adds the
// primary keys, builds the rest and then applies the repoints. Each status
// change of an order would otherwise be an ON CONFLICT merge, and each
// repoint a scan of the insert-only facts, per transaction.
#pragma once

#include <cstdint>
#include <string>

#include "events/result.h"
#include "projections/schema.h"

namespace lh::storage {

// What a replay is bounded by, as asked and as resolved against the log.
struct ReplayBound {
  std::string requested;     // "seq 1200", "time 2026-11-20T10:00:00Z", "log head"
  uint64_t until_seq = 0;    // last seq replayed (inclusive)
  int64_t until_time_us = 0; // --until-time, 0 if not a time bound
};

struct ReplayTargetState {
  bool schema_exists = false;
  bool initialized = false;   // the checkpoint table exists
  bool replay_made = false;   // the replay_state table exists (created by a replay)
  bool complete = false;      // finish() has run
  bool indexes_deferred = false;
  bool bulk = false;  // a bulk target not finished yet: the replay_repoints table exists
  // The owners' held rows (WarehouseOptions::hold_fact_rows) are in: the
  // bulk replay's last transaction, after its last batch.
  bool held_rows_flushed = false;
  ReplayBound bound;          // when replay_made
  uint64_t checkpoint_seq = 0;  // min last_seq over the projections (when initialized)
};

inline constexpr const char* kReplayStateTable = "replay_state";
inline constexpr const char* kReplayRepointsTable = "replay_repoints";
// Keyed tables a bulk load collects rows of, folded by finish(): the fact
// and aggregate tables that are not insert_only.
bool bulk_folded(const projections::TableSpec& t);
std::string replay_rows_table(const projections::TableSpec& t);  // unqualified

class ReplayTarget {
 public:
  // Looks at schema `schema.options().schema`; an unreachable server or a
  // refused login is an Error naming the server (no retries: a replay is
  // started by a person, who wants to know at once).
  static Result<ReplayTargetState> inspect(const std::string& dsn, const projections::Schema& schema);

  // Creates the schema in one transaction: init-db's DDL (when bulk: without
  // secondary indexes nor the fact tables' primary keys, plus the
  // replay_repoints and replay_rows_ tables), checkpoints at 0, and the
  // replay_state row with `bound`. Fails if the schema already exists.
  static Status create(const std::string& dsn, const projections::Schema& schema, const ReplayBound& bound,
                       bool bulk);

  // After the last batch, in one transaction: folds the replay_rows_ tables
  // into their tables, adds the missing primary keys, runs init-db's full
  // DDL (builds the deferred indexes, changes nothing else), then applies
  // the deferred repoints in their order (the BRIN indexes bound their
  // scans), drops the replay_ tables and marks the replay complete. Returns
  // how many deferred repoints it applied. Idempotent: an interrupted
  // finish is simply run again.
  static Result<uint64_t> finish(const std::string& dsn, const projections::Schema& schema);
};

}  // namespace lh::storage
