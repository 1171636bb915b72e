// The PostgreSQL side of a replay (tools/replay.h): a target schema made for
// a replay, with its bound recorded in <schema>.replay_state so that a
// resumed replay goes to the same bound and a different bound on a partial
// schema is refused. A fresh target may be created without its secondary
// indexes (bulk load); finish() builds them with the full init-db DDL, so the
// finished schema has exactly the tables, keys, indexes, views and RLS of one
// made by init-db, plus the replay_state row saying what it was replayed to.
// A fresh bulk-load target also defers the repoints (facts re-pointed to a
// late dimension version): the writer appends them, in order, to
// <schema>.replay_repoints (PgOptions::defer_repoints_to) and finish()
// applies them in one go, where each would otherwise scan the insert-only
// facts, which have no index on (member, time), once per transaction.
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
  bool repoints_deferred = false;  // the replay_repoints table exists (until finish)
  ReplayBound bound;          // when replay_made
  uint64_t checkpoint_seq = 0;  // min last_seq over the projections (when initialized)
};

inline constexpr const char* kReplayStateTable = "replay_state";
inline constexpr const char* kReplayRepointsTable = "replay_repoints";

class ReplayTarget {
 public:
  // Looks at schema `schema.options().schema`; an unreachable server or a
  // refused login is an Error naming the server (no retries: a replay is
  // started by a person, who wants to know at once).
  static Result<ReplayTargetState> inspect(const std::string& dsn, const projections::Schema& schema);

  // Creates the schema in one transaction: init-db's DDL (without the
  // secondary indexes and with the replay_repoints table when bulk), checkpoints
  // at 0, and the replay_state row with `bound`. Fails if the schema
  // already exists.
  static Status create(const std::string& dsn, const projections::Schema& schema, const ReplayBound& bound,
                       bool bulk);

  // After the last batch, in one transaction: applies the deferred repoints
  // in their order and drops replay_repoints, runs init-db's full DDL
  // (builds the deferred indexes, changes nothing else) and marks the
  // replay complete. Returns how many deferred repoints it applied.
  // Idempotent: an interrupted finish is simply run again.
  static Result<uint64_t> finish(const std::string& dsn, const projections::Schema& schema);
};

}  // namespace lh::storage
