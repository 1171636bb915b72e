// The dispatcher (see projection_runner.h): the caller's thread, as a CAF
// blocking actor. LMDB reads block, so they stay off the scheduler's threads.
#include "actors/projection_runner.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.h"
#include "actors/owner_actor.h"
#include "actors/projector_actor.h"

namespace lh::actors {
namespace {

using projections::OwnerKey;
using Clock = std::chrono::steady_clock;

class Dispatcher {
 public:
  Dispatcher(caf::actor_system& system, const storage::EventLog& log,
             const projections::Schema& schema, const RunnerOptions& options)
      : system_(system), self_(system), log_(log), schema_(schema), opt_(options),
        router_(schema), reader_(log.reader(1)), started_(Clock::now()) {
    progress_.start_seq = options.start_seq;
    progress_.applied_seq = options.start_seq;
  }

  Result<RunSummary> run(ProjectionSink sink) {
    projector_ = spawn_projector(system_, caf::actor{self_}, std::move(sink),
                                 std::max<size_t>(1, opt_.max_events_per_apply), opt_.stop);
    self_->monitor(projector_);
    names_[projector_.address()] = "projector";
    Status s = loop();
    if (s.ok() && !stopped_ && schema_.options().hold_fact_rows && bounded() && dispatched_ >= opt_.until_seq)
      s = flush_held();
    if (s.ok()) s = drain();
    shutdown();
    if (!s.ok()) return s.error();
    RunSummary summary;
    summary.last = progress_;
    summary.stopped = stopped_;
    return summary;
  }

 private:
  bool stop_requested() const { return opt_.stop && opt_.stop->load(); }
  bool warming_up() const { return dispatched_ < opt_.start_seq; }
  bool bounded() const { return opt_.until_seq > 0; }

  Status loop() {
    for (;;) {
      if (stop_requested()) {
        stopped_ = true;
        return Status{};
      }
      while (in_flight_ >= std::max<size_t>(1, opt_.max_batches_in_flight)) {
        if (auto s = pump(std::chrono::milliseconds(200)); !s.ok()) return s;
      }
      // drain() applies what is in flight.
      if (bounded() && (dispatched_ >= opt_.until_seq || past_bound_)) return Status{};
      auto batch = std::make_shared<projections::EventBatch>();
      if (auto s = read_batch(batch.get()); !s.ok()) return s;
      if (batch->empty() && past_bound_) continue;
      if (batch->empty()) {
        if (warming_up())
          return Error{"the warehouse checkpoint (seq " + std::to_string(opt_.start_seq) +
                       ") is ahead of the event log (last seq " + std::to_string(log_.last_seq()) +
                       "): is this the log the warehouse was built from?"};
        bool appending = opt_.appending && opt_.appending->load();
        if (opt_.until_caught_up && in_flight_ == 0 && !appending) {
          // The writer may have committed between our read and its flag.
          if (log_.last_seq() == dispatched_) return Status{};
          continue;
        }
        progress_.phase = RunProgress::Phase::tail;
        // Nothing new: wait for the projector's news or the poll interval.
        if (auto s = pump(std::chrono::milliseconds(std::max(1, opt_.poll_ms))); !s.ok()) return s;
        continue;
      }
      if (auto s = project(std::move(batch)); !s.ok()) return s;
      report();
    }
  }

  // Reads up to batch_events consecutive events; during warm-up the batch
  // ends exactly at start_seq. A seq gap ends the batch (counted, reported).
  Status read_batch(projections::EventBatch* batch) {
    size_t limit = std::max<size_t>(1, opt_.batch_events);
    if (warming_up()) limit = std::min<uint64_t>(limit, opt_.start_seq - dispatched_);
    if (bounded()) limit = std::min<uint64_t>(limit, opt_.until_seq - dispatched_);
    if (carry_) {
      batch->push_back(std::move(*carry_));
      carry_.reset();
    }
    while (batch->size() < limit) {
      auto next = reader_->next();
      if (!next.ok()) return Error{"reading the event log: " + next.error().message};
      if (!next->has_value()) break;
      storage::StoredEvent& e = **next;
      projections::LoggedEvent le{e.seq, e.ingest_time_us, std::move(e.event)};
      if (bounded() && le.seq > opt_.until_seq) {  // after a seq gap: beyond the bound
        past_bound_ = true;
        break;
      }
      uint64_t expected = batch->empty() ? dispatched_ + 1 : batch->back().seq + 1;
      if (le.seq != expected) {
        ++progress_.anomalies;
        notice("event log: expected seq " + std::to_string(expected) + ", found seq " +
               std::to_string(le.seq) + " (a gap of " + std::to_string(le.seq - expected) +
               "); projecting on from seq " + std::to_string(le.seq));
        if (!batch->empty()) {
          carry_ = std::move(le);
          break;
        }
      }
      batch->push_back(std::move(le));
    }
    return Status{};
  }

  caf::actor owner(const OwnerKey& key) {
    auto it = owners_.find(key);
    if (it != owners_.end()) return it->second;
    caf::actor a = spawn_owner(system_, key, &schema_);
    self_->monitor(a);
    names_[a.address()] = key.to_string();
    owners_.emplace(key, a);
    return a;
  }

  // Both stages of one batch, the flush, the merge and the hand-over.
  Status project(std::shared_ptr<const projections::EventBatch> batch) {
    uint64_t after_seq = dispatched_;
    uint64_t first = batch->front().seq, last = batch->back().seq;
    std::vector<uint64_t> skips;
    auto lo = std::lower_bound(opt_.skips.begin(), opt_.skips.end(), first);
    auto hi = std::upper_bound(opt_.skips.begin(), opt_.skips.end(), last);
    skips.assign(lo, hi);
    auto plan = std::make_shared<projections::Plan>();
    router_.plan(batch, skips, plan.get());
    auto answers = std::make_shared<std::vector<projections::LookupAnswer>>(plan->lookups.size());

    // Stage 1: dimension owners apply their events and answer look-ups.
    std::map<OwnerKey, int32_t> touched;  // OwnerKey order = merge order; value: stage2 index
    for (uint32_t i = 0; i < plan->stage1.size(); ++i) {
      touched.emplace(plan->stage1[i].first, -1);
      self_->send(owner(plan->stage1[i].first), stage1_atom::value, PlanPtr(plan), i, answers);
    }
    if (auto s = await(plan->stage1.size()); !s.ok()) return s;

    // Stage 2 + flush: fact owners build facts; every touched owner flushes.
    for (uint32_t i = 0; i < plan->stage2.size(); ++i) touched[plan->stage2[i].first] = int32_t(i);
    rows_.assign(touched.size(), nullptr);
    uint32_t slot = 0;
    for (const auto& [key, index] : touched)
      self_->send(owner(key), stage2_atom::value, PlanPtr(plan), index, answers, slot++);
    if (auto s = await(touched.size()); !s.ok()) return s;

    auto merged = std::make_shared<projections::RowBatch>();
    for (auto& part : rows_) merged->append(std::move(*part));
    rows_.clear();
    merged->after_seq = after_seq;
    merged->last_seq = last;
    merged->skipped = plan->skipped;
    merged->events = batch->size() - plan->skipped;
    dispatched_ = last;
    progress_.events += batch->size();
    progress_.dispatched_seq = last;
    if (dispatched_ <= opt_.start_seq) return Status{};  // warm-up: state rebuilt, rows discarded
    progress_.phase = RunProgress::Phase::project;
    if (opt_.on_batch) opt_.on_batch(*batch);
    self_->send(projector_, rows_atom::value, RowBatchPtr(std::move(merged)));
    ++in_flight_;
    return Status{};
  }

  // WarehouseOptions::hold_fact_rows, after the last batch of a bounded run:
  // every owner's held rows (owners in OwnerKey order, for determinism) as
  // one batch with after_seq == last_seq, applied after the others.
  Status flush_held() {
    std::vector<std::pair<OwnerKey, caf::actor>> all(owners_.begin(), owners_.end());
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    rows_.assign(all.size(), nullptr);
    for (uint32_t i = 0; i < all.size(); ++i) self_->send(all[i].second, flush_held_atom::value, i);
    if (auto s = await(all.size()); !s.ok()) return s;
    auto held = std::make_shared<projections::RowBatch>();
    for (auto& part : rows_) held->append(std::move(*part));
    rows_.clear();
    held->after_seq = held->last_seq = dispatched_;
    held->held_rows = true;
    self_->send(projector_, rows_atom::value, RowBatchPtr(std::move(held)));
    ++in_flight_;
    return Status{};
  }

  // Waits for `n` stage replies, handling whatever else arrives meanwhile.
  Status await(size_t n) {
    replies_ = 0;
    while (replies_ < n) {
      if (auto s = pump(std::chrono::seconds(1)); !s.ok()) return s;
    }
    return Status{};
  }

  // Handles one message (or a timeout). Every message the dispatcher can get
  // is handled here, so none is left behind in the mailbox.
  Status pump(std::chrono::milliseconds timeout) {
    std::optional<Error> error;
    self_->receive(
        [&](done_atom, uint32_t) { ++replies_; },
        [&](rows_atom, uint32_t slot, const RowBatchPtr& rows) {
          rows_.at(slot) = rows;
          ++replies_;
        },
        [&](applied_atom, uint64_t last_seq, uint64_t batches) {
          progress_.applied_seq = last_seq;
          progress_.applies += 1;
          in_flight_ -= std::min<uint64_t>(in_flight_, batches);
        },
        [&](paused_atom, bool paused) {
          notice(paused ? "a projection is paused: waiting (ledgerhouse projection resume ...)"
                        : "projections resumed");
        },
        [&](failed_atom, const std::string& who, const std::string& what) {
          if (who == "projector" && what == kStoppedWhilePaused) {
            // A stop ended a pause: the batches in hand stay unapplied (the
            // next run redoes them from the checkpoint).
            stopped_ = true;
            in_flight_ = 0;
            return;
          }
          error = Error{who + " failed: " + what};
        },
        [&](const caf::down_msg& down) {
          if (shutting_down_ || (stopped_ && down.source == projector_.address())) return;
          auto it = names_.find(down.source);
          std::string who = it == names_.end() ? "an actor" : it->second;
          error = Error{who + " stopped unexpectedly (" + caf::to_string(down.reason) +
                        "); the warehouse stays at seq " + std::to_string(progress_.applied_seq)};
        },
        caf::after(timeout) >> [&] { report(); });
    if (error) return *error;
    return Status{};
  }

  // Waits until the projector applied every batch handed over.
  Status drain() {
    while (in_flight_ > 0) {
      if (auto s = pump(std::chrono::milliseconds(200)); !s.ok()) return s;
    }
    return Status{};
  }

  void shutdown() {
    shutting_down_ = true;
    for (auto& [key, a] : owners_) self_->send_exit(a, caf::exit_reason::user_shutdown);
    self_->send_exit(projector_, caf::exit_reason::user_shutdown);
    progress_.owners = owners_.size();
    owners_.clear();
  }

  void report() {
    if (!opt_.on_progress) return;
    progress_.head_seq = log_.last_seq();
    progress_.owners = owners_.size();
    progress_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    opt_.on_progress(progress_);
  }

  void notice(const std::string& what) {
    if (opt_.on_notice) opt_.on_notice(what);
  }

 private:
  caf::actor_system& system_;
  caf::scoped_actor self_;
  const storage::EventLog& log_;
  const projections::Schema& schema_;
  const RunnerOptions& opt_;
  projections::Router router_;
  std::unique_ptr<storage::LogReader> reader_;
  std::optional<projections::LoggedEvent> carry_;
  bool past_bound_ = false;  // an event after until_seq was met (beyond a seq gap)
  Clock::time_point started_;
  caf::actor projector_;
  std::unordered_map<OwnerKey, caf::actor, projections::OwnerKeyHash> owners_;
  std::unordered_map<caf::actor_addr, std::string> names_;
  std::vector<RowBatchPtr> rows_;
  size_t replies_ = 0;
  size_t in_flight_ = 0;
  uint64_t dispatched_ = 0;
  bool stopped_ = false;
  bool shutting_down_ = false;
  RunProgress progress_;
};

}  // namespace

Result<RunSummary> run_projection(const storage::EventLog& log, const projections::Schema& schema,
                                  ProjectionSink sink, const RunnerOptions& options) {
  if (!sink.apply) return Error{"run_projection: the sink has no apply function"};
  caf::actor_system_config cfg;
  // CAF 0.17's default is max(cores, 4) workers. On a 2-core machine that
  // also runs PostgreSQL, the two extra workers cost a third of the
  // client's CPU in polling sleeps and context switches (bench_replay, 3.35M
  // events: 31 s client CPU with 4 workers, 20.5 s with 2; docs/actors.md).
  size_t threads = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", threads);
  caf::actor_system system{cfg};
  Dispatcher dispatcher(system, log, schema, options);
  return dispatcher.run(std::move(sink));
}

}  // namespace lh::actors
