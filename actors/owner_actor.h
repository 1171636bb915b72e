// An owner actor: the thin CAF host of one projections::Owner (a vendor, or a
// customer/product/order/traffic shard). It runs the stages the dispatcher
// sends it, in the order they arrive, and answers with its rows.
#pragma once

#include <caf/all.hpp>

#include "actors/messages.h"
#include "projections/pipeline.h"
#include "projections/schema.h"

namespace lh::actors {

// `schema` must outlive the actor. An exception escaping the owner (a bug:
// owners turn bad events into ProjectionErrors themselves) is reported to the
// sender as (failed_atom, owner, what) and ends the actor.
caf::actor spawn_owner(caf::actor_system& system, const projections::OwnerKey& key,
                       const projections::Schema* schema);

}  // namespace lh::actors
