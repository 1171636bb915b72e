// The messages between the dispatcher, the owner actors and the projector
// (actors/projection_runner.h). All of them stay inside one process: the
// shared pointers carry a batch's Plan, look-up answers and rows without
// copying; message passing orders every write to them before its read.
#pragma once

#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "projections/pipeline.h"
#include "projections/rows.h"

namespace lh::actors {

using PlanPtr = std::shared_ptr<const projections::Plan>;
// One slot per Plan::lookups entry; each owner writes only its own items'.
using AnswersPtr = std::shared_ptr<std::vector<projections::LookupAnswer>>;
using RowBatchPtr = std::shared_ptr<projections::RowBatch>;

// dispatcher -> owner: (stage1_atom, PlanPtr, uint32 index in Plan::stage1, AnswersPtr)
//   reply (done_atom, uint32 index)
using stage1_atom = caf::atom_constant<caf::atom("stage1")>;
// dispatcher -> owner: (stage2_atom, PlanPtr, int32 index in Plan::stage2 or -1 for a
//   flush only, AnswersPtr, uint32 slot); reply (rows_atom, uint32 slot, RowBatchPtr)
using stage2_atom = caf::atom_constant<caf::atom("stage2")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
// dispatcher -> owner: (flush_held_atom, uint32 slot): Owner::flush_held;
//   reply (rows_atom, uint32 slot, RowBatchPtr)
using flush_held_atom = caf::atom_constant<caf::atom("flushheld")>;
// dispatcher -> projector: (rows_atom, RowBatchPtr)
using rows_atom = caf::atom_constant<caf::atom("rows")>;
// projector -> projector: apply what is pending
using apply_atom = caf::atom_constant<caf::atom("apply")>;
// projector -> dispatcher: (applied_atom, uint64 last_seq, uint64 batches)
using applied_atom = caf::atom_constant<caf::atom("applied")>;
// projector -> dispatcher: (paused_atom, bool paused)
using paused_atom = caf::atom_constant<caf::atom("paused")>;
// any -> dispatcher: (failed_atom, std::string who, std::string what); the
// sender then quits.
using failed_atom = caf::atom_constant<caf::atom("failed")>;

}  // namespace lh::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lh::actors::PlanPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lh::actors::AnswersPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lh::actors::RowBatchPtr)
