// Replay: every projection rebuilt from seq 1 of the event log into a target
// schema, up to a bound (a seq, or "ingested at or before time T": the
// warehouse as it was at T). Used by `ledgerhouse replay` and `drill`; the
// live warehouse is never touched and never waits for it (the log is read
// through LMDB read transactions, the target is another schema).
//
// Resumable: the target's checkpoint moves with every applied batch and its
// bound is recorded (storage/replay_target.h); running the same replay again
// continues after the checkpoint (the owners' state is rebuilt by the
// runner's warm-up), to the same bound. A fresh target is bulk-loaded:
// created without secondary indexes, which are built once at the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "actors/projection_runner.h"
#include "events/result.h"
#include "projections/schema.h"
#include "storage/event_log.h"
#include "storage/replay_target.h"

namespace lh::tools {

// "2026-11-20T10:15:00Z", "2026-11-20 10:15:00.123456+00" (as psql prints
// timestamptz), "+02", "+0200", "+02:00" offsets, or no zone (UTC) ->
// microseconds since the epoch. An Error quotes the text and the forms.
Result<int64_t> parse_until_time(std::string_view text);

// The runner's settings for a replay unless told otherwise: batches of
// 65,536 events (4096 costs ~30% more client CPU in actor messages: every
// batch sends each touched owner its stage messages, and a batch of 4096
// touches most of the 1000 vendors; bench/RESULTS.md, 2026-12-02) and up to
// 262,144 events per transaction.
inline actors::RunnerOptions replay_runner_defaults() {
  actors::RunnerOptions o;
  o.batch_events = 65536;
  o.max_events_per_apply = 262144;
  return o;
}

struct ReplayRequest {
  std::string dsn;                       // libpq connection string of the target database
  projections::WarehouseOptions target;  // target.schema: the schema to replay into
  std::optional<uint64_t> until_seq;     // at most one of the two; neither = the log head now;
                                         // 0 = nothing (an empty warehouse)
  std::optional<int64_t> until_time_us;
  // Bulk load of a new target: secondary indexes built and repoints applied
  // at the end (storage/replay_target.h).
  bool defer_indexes = true;
  bool synchronous_commit_off = true;    // for the replay's own session only
  // batch_events, max_events_per_apply, max_batches_in_flight, threads,
  // stop, on_progress, on_notice are used; the bound and start are set here.
  actors::RunnerOptions runner = replay_runner_defaults();
  // Told once the bound is known (before any work): for progress lines.
  std::function<void(const storage::ReplayBound&, uint64_t resume_after)> on_start;
  // Told when the indexes are being built (after the last batch).
  std::function<void()> on_finishing;
};

struct ReplaySummary {
  enum class Outcome { completed, already_complete, interrupted } outcome = Outcome::completed;
  storage::ReplayBound bound;
  uint64_t resumed_after = 0;  // the target's checkpoint when this run started
  uint64_t applied_seq = 0;    // the target's checkpoint now
  uint64_t events = 0;         // events projected (not warm-up) by this run
  uint64_t applies = 0;        // transactions
  double load_s = 0;           // projecting (warm-up included)
  uint64_t deferred_repoints = 0;  // repoints applied at the end (bulk load)
  double index_s = 0;          // deferred repoints + indexes + marking complete
  double total_s = 0;
};

// Replays `log` into request.target.schema. Errors name what is wrong: a bad
// bound, a schema that exists and was not made by replay, a partial replay
// to a different bound, an unreachable server, a corrupt record (its seq).
Result<ReplaySummary> replay_into(const storage::EventLog& log, const ReplayRequest& request);

}  // namespace lh::tools
