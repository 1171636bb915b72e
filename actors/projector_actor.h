// The projector: a detached actor (its own thread: it blocks on PostgreSQL)
// that applies RowBatches strictly in the order they arrive, merging the
// batches that are ready into one ProjectionSink::apply call (one
// transaction), up to max_events_per_apply events. It tells the dispatcher
// what it applied, or why it failed (then it quits).
#pragma once

#include <atomic>
#include <cstddef>

#include <caf/all.hpp>

#include "actors/messages.h"
#include "actors/projection_runner.h"

namespace lh::actors {

// `stop`, if set, ends a wait for a paused projection: the pending batches
// are dropped unapplied (the next run redoes them) and the dispatcher told
// (failed_atom, "projector", "stopped while paused").
caf::actor spawn_projector(caf::actor_system& system, caf::actor dispatcher, ProjectionSink sink,
                           size_t max_events_per_apply, const std::atomic<bool>* stop);

// What the projector says when a stop ended a pause.
inline constexpr const char* kStoppedWhilePaused = "stopped while paused";

}  // namespace lh::actors
