#include "actors/projector_actor.h"

#include <chrono>
#include <deque>
#include <string>
#include <thread>

namespace lh::actors {
namespace {

using Clock = std::chrono::steady_clock;

struct ProjectorState {
  caf::actor dispatcher;
  ProjectionSink sink;
  size_t max_events = 0;
  const std::atomic<bool>* stop = nullptr;
  std::deque<RowBatchPtr> pending;
  bool apply_scheduled = false;
  bool failed = false;
  Clock::time_point last_pause_check{};
};
using ProjectorActor = caf::stateful_actor<ProjectorState>;

void fail(ProjectorActor* self, const std::string& what) {
  auto& st = self->state;
  st.failed = true;
  st.pending.clear();
  self->send(st.dispatcher, failed_atom::value, std::string("projector"), what);
  self->quit(caf::sec::runtime_error);
}

// Blocks while the sink says a projection is paused (checked at most once a
// second). False if the wait ended by a stop or failed (already reported).
bool wait_while_paused(ProjectorActor* self) {
  auto& st = self->state;
  if (!st.sink.paused || Clock::now() - st.last_pause_check < std::chrono::seconds(1)) return true;
  bool told = false;
  for (;;) {
    st.last_pause_check = Clock::now();
    auto paused = st.sink.paused();
    if (!paused.ok()) {
      fail(self, "checking paused projections: " + paused.error().message);
      return false;
    }
    if (!*paused) break;
    if (!told) self->send(st.dispatcher, paused_atom::value, true);
    told = true;
    for (int i = 0; i < 10; ++i) {
      if (st.stop && st.stop->load()) {
        fail(self, kStoppedWhilePaused);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (told) self->send(st.dispatcher, paused_atom::value, false);
  return true;
}

void apply_pending(ProjectorActor* self) {
  auto& st = self->state;
  st.apply_scheduled = false;
  if (st.failed || st.pending.empty()) return;
  if (!wait_while_paused(self)) return;
  std::vector<const projections::RowBatch*> group;
  size_t events = 0;
  size_t n = 0;
  while (n < st.pending.size() && (n == 0 || events + st.pending[n]->events +
                                                     st.pending[n]->skipped <=
                                                 st.max_events)) {
    events += st.pending[n]->events + st.pending[n]->skipped;
    group.push_back(st.pending[n].get());
    ++n;
  }
  Status s;
  try {
    s = st.sink.apply(group);
  } catch (const std::exception& e) {
    s = Error{std::string("exception: ") + e.what()};
  }
  if (!s.ok()) {
    fail(self, "applying seqs " + std::to_string(group.front()->after_seq + 1) + ".." +
                   std::to_string(group.back()->last_seq) + ": " + s.error().message);
    return;
  }
  uint64_t last_seq = group.back()->last_seq;
  st.pending.erase(st.pending.begin(), st.pending.begin() + static_cast<long>(n));
  self->send(st.dispatcher, applied_atom::value, last_seq, static_cast<uint64_t>(n));
  if (!st.pending.empty()) {
    st.apply_scheduled = true;
    self->send(self, apply_atom::value);
  }
}

caf::behavior projector_actor(ProjectorActor* self, caf::actor dispatcher, ProjectionSink sink,
                              size_t max_events, const std::atomic<bool>* stop) {
  auto& st = self->state;
  st.dispatcher = std::move(dispatcher);
  st.sink = std::move(sink);
  st.max_events = max_events;
  st.stop = stop;
  return {
      // Batches that arrive while one is applied queue up in the mailbox
      // before our own apply message: they are all merged into the next call.
      [=](rows_atom, const RowBatchPtr& rows) {
        if (self->state.failed) return;
        self->state.pending.push_back(rows);
        if (!self->state.apply_scheduled) {
          self->state.apply_scheduled = true;
          self->send(self, apply_atom::value);
        }
      },
      [=](apply_atom) { apply_pending(self); },
  };
}

}  // namespace

caf::actor spawn_projector(caf::actor_system& system, caf::actor dispatcher, ProjectionSink sink,
                           size_t max_events_per_apply, const std::atomic<bool>* stop) {
  return system.spawn<caf::detached>(projector_actor, std::move(dispatcher), std::move(sink),
                                     max_events_per_apply, stop);
}

}  // namespace lh::actors
