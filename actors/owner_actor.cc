#include "actors/owner_actor.h"

#include <exception>
#include <string>

namespace lh::actors {
namespace {

struct OwnerState {
  std::unique_ptr<projections::Owner> owner;
  std::string name;
};
using OwnerActor = caf::stateful_actor<OwnerState>;

// Runs `work`; an escaping exception becomes a failed message and the end of
// the actor, so the dispatcher fails the run instead of waiting for a reply.
template <class F>
void guarded(OwnerActor* self, F&& work) {
  auto reply_to = caf::actor_cast<caf::actor>(self->current_sender());
  try {
    work(reply_to);
  } catch (const std::exception& e) {
    self->send(reply_to, failed_atom::value, self->state.name, std::string(e.what()));
    self->quit(caf::sec::runtime_error);
  } catch (...) {
    self->send(reply_to, failed_atom::value, self->state.name, std::string("unknown exception"));
    self->quit(caf::sec::runtime_error);
  }
}

caf::behavior owner_actor(OwnerActor* self, projections::OwnerKey key,
                          const projections::Schema* schema) {
  self->state.owner = projections::make_owner(key, *schema);
  self->state.name = key.to_string();
  return {
      [=](stage1_atom, const PlanPtr& plan, uint32_t index, const AnswersPtr& answers) {
        guarded(self, [&](const caf::actor& reply_to) {
          self->state.owner->stage1(*plan, plan->stage1.at(index).second, answers.get());
          self->send(reply_to, done_atom::value, index);
        });
      },
      [=](stage2_atom, const PlanPtr& plan, int32_t index, const AnswersPtr& answers,
          uint32_t slot) {
        guarded(self, [&](const caf::actor& reply_to) {
          if (index >= 0)
            self->state.owner->stage2(*plan, plan->stage2.at(static_cast<size_t>(index)).second,
                                      *answers);
          auto rows = std::make_shared<projections::RowBatch>();
          self->state.owner->flush(rows.get());
          self->send(reply_to, rows_atom::value, slot, std::move(rows));
        });
      },
      [=](flush_held_atom, uint32_t slot) {
        guarded(self, [&](const caf::actor& reply_to) {
          auto rows = std::make_shared<projections::RowBatch>();
          self->state.owner->flush_held(rows.get());
          self->send(reply_to, rows_atom::value, slot, std::move(rows));
        });
      },
  };
}

}  // namespace

caf::actor spawn_owner(caf::actor_system& system, const projections::OwnerKey& key,
                       const projections::Schema* schema) {
  return system.spawn(owner_actor, key, schema);
}

}  // namespace lh::actors
