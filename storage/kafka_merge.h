// The order in which the Kafka consumer (kafka_source.cc) hands on the
// messages of the partitions it reads: a k-way merge by message timestamp of
// each partition's staged run, the choice Kafka Streams makes for the same
// problem. Kept apart from librdkafka so its rules can be tested on their own
// (tests/storage/kafka_merge_test.cc).
//
// - A partition's messages go in its own (offset) order, never reordered.
// - Each step takes, from every run, the messages up to the horizon: the
//   smallest of the runs' largest staged timestamps, always the earliest of
//   the runs' next messages (ties: the run listed first). The run that sets
//   the horizon is drained, so each step makes progress even where
//   producers' timestamps go backwards within a partition.
// - A partition with nothing staged does not hold the others back (nothing
//   waits for a late partition; Kafka Streams' max.task.idle.ms = 0).
// - Messages without a timestamp to order by (errors, end-of-partition
//   events: kNoTimestamp) pass at once, in their partition's order.
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace lh::storage {

inline constexpr int64_t kNoTimestamp = LLONG_MIN;

template <class Msg>
struct StagedRun {
  std::vector<Msg> staged;
  size_t head = 0;               // staged[head..] are not handed on yet
  int64_t max_ts = kNoTimestamp;  // the largest timestamp staged

  bool empty() const { return head == staged.size(); }
  void clear() {
    staged.clear();
    head = 0;
    max_ts = kNoTimestamp;
  }
  void add(Msg m, int64_t ts) {
    staged.push_back(m);
    max_ts = std::max(max_ts, ts);
  }
};

// One merge step over `runs`: hands each message at or before the horizon to
// take(msg), which returns false once it wants no more (the message it was
// given is taken; the step ends there and the next one goes on from the
// rest). ts_of(msg) is the message's timestamp or kNoTimestamp. Returns
// false if every run was empty.
template <class Msg, class TsOf, class Take>
bool merge_step(const std::vector<StagedRun<Msg>*>& runs, TsOf ts_of, Take take) {
  int64_t horizon = LLONG_MAX;
  bool any = false;
  for (const StagedRun<Msg>* r : runs)
    if (!r->empty()) {
      any = true;
      horizon = std::min(horizon, r->max_ts);
    }
  if (!any) return false;
  // A min-heap of the runs' heads by (timestamp, run): each message taken is
  // the earliest head at or before the horizon; a run leaves the heap at its
  // first message past the horizon (so its order is never broken).
  using Head = std::pair<int64_t, size_t>;
  std::vector<Head> heap;
  heap.reserve(runs.size());
  auto later = [](const Head& a, const Head& b) { return a > b; };
  auto push_head = [&](size_t i) {
    StagedRun<Msg>* r = runs[i];
    if (r->empty()) return;
    const int64_t ts = ts_of(r->staged[r->head]);
    if (ts > horizon) return;
    heap.emplace_back(ts, i);
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (size_t i = 0; i < runs.size(); ++i) push_head(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const size_t i = heap.back().second;
    heap.pop_back();
    StagedRun<Msg>* r = runs[i];
    const Msg& m = r->staged[r->head++];
    if (!take(m)) return true;
    push_head(i);
  }
  return true;
}

}  // namespace lh::storage
