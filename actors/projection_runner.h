// The CAF side of projecting: log -> dispatcher -> owner actors -> projector.
//
// The dispatcher runs in the caller's thread as a blocking (scoped) actor:
// it reads committed events from the log in batches, asks the Router for a
// Plan and drives the two stages of projections/pipeline.h over one actor
// per owner (a vendor, a customer/product/order/traffic shard), spawned on
// first sight. The merged RowBatch of a batch (owners in OwnerKey order, so
// the bytes are those of the reference Pipeline) goes to the projector, a
// detached actor (it blocks on PostgreSQL) that applies ready batches in one
// call, strictly in seq order. At most `max_batches_in_flight` RowBatches sit
// between the two: the dispatcher stops reading the log until the projector
// has caught up (memory does not grow with the backlog).
//
// Start: events (0, start_seq] are replayed through the owners to rebuild
// their state, their rows discarded (warm-up; batches end exactly at
// start_seq); projecting for real starts at start_seq + 1.
//
// Failures: a poison event is the owners' business (a ProjectionError row).
// An owner actor that throws or dies anyway, or an apply that fails, ends the
// run with an Error naming it; nothing after the last applied checkpoint is
// written, so the next run resumes exactly there (no row lost or doubled).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "events/result.h"
#include "projections/pipeline.h"
#include "projections/rows.h"
#include "projections/schema.h"
#include "storage/event_log.h"

namespace lh::actors {

// Where the projector writes. apply() gets consecutive batches (the first
// one's after_seq is the last applied seq) and must write them atomically.
// paused() is asked before an apply, at most once a second: while it says
// true the projector waits (the dispatcher stops by backpressure). Both are
// called from the projector's own thread only.
struct ProjectionSink {
  std::function<Status(const std::vector<const projections::RowBatch*>&)> apply;
  std::function<Result<bool>()> paused;  // optional
};

struct RunProgress {
  enum class Phase { warmup, project, tail } phase = Phase::warmup;
  uint64_t start_seq = 0;       // the checkpoint the run started from
  uint64_t dispatched_seq = 0;  // last seq through the owners
  uint64_t applied_seq = 0;     // last seq written by the sink
  uint64_t head_seq = 0;        // the log's last seq, when last looked at
  uint64_t events = 0;          // events through the owners in this run (warm-up included)
  uint64_t applies = 0;         // sink calls
  uint64_t anomalies = 0;       // seq gaps met in the log
  size_t owners = 0;            // owner actors alive
  double seconds = 0;           // since the start
};

struct RunnerOptions {
  size_t batch_events = 4096;        // events per dispatcher batch
  size_t max_batches_in_flight = 16;  // RowBatches between dispatcher and projector
  size_t max_events_per_apply = 65536;  // when the projector merges ready batches
  bool until_caught_up = false;      // return once the log head is applied
  // While set and true, a writer in this process is still appending (run
  // --ingest): until_caught_up waits for it to end before returning.
  const std::atomic<bool>* appending = nullptr;
  int poll_ms = 200;                 // tail: how often to look for new events
  size_t threads = 0;                // CAF scheduler threads; 0 = one per core (not CAF's max(cores, 4))
  uint64_t start_seq = 0;            // last applied seq (checkpoint)
  // Exact upper bound (0 = none): batches end exactly at until_seq and the
  // run returns once it is applied (replay --until-seq/--until-time). Must be
  // >= start_seq; events after it are never read.
  uint64_t until_seq = 0;
  std::vector<uint64_t> skips;       // seqs to pass over (ascending)
  // Set (e.g. by a signal handler) to stop after the batch in hand is applied.
  const std::atomic<bool>* stop = nullptr;
  // Called in the caller's thread after every batch and while waiting.
  std::function<void(const RunProgress&)> on_progress;
  // Called in the caller's thread with each batch projected for real (not
  // warm-up), when its rows go to the projector (metrics: events per vendor).
  std::function<void(const projections::EventBatch&)> on_batch;
  // Things a person should know (seq gaps, paused projections).
  std::function<void(const std::string&)> on_notice;
};

struct RunSummary {
  RunProgress last;
  bool stopped = false;  // ended by `stop`
};

// Runs the projection until caught up (until_caught_up), stopped, or failed.
Result<RunSummary> run_projection(const storage::EventLog& log, const projections::Schema& schema,
                                  ProjectionSink sink, const RunnerOptions& options);

}  // namespace lh::actors
