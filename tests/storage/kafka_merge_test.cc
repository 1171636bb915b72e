// The Kafka consumer's merge of its partitions (storage/kafka_merge.h): a
// partition's order is kept, partitions interleave by timestamp, a step always
// makes progress, a late partition holds nobody back, and a full batch stops
// a step where the next one goes on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/kafka_merge.h"

namespace lh::storage {
namespace {

struct Msg {
  int partition;
  int64_t offset;
  int64_t ts;  // kNoTimestamp: an error or end-of-partition event
};

using Staged = StagedRun<Msg>;

int64_t ts_of(const Msg& m) { return m.ts; }

// Stages `ts` as partition p's messages at offsets 0, 1, ...
void stage(Staged& r, int p, const std::vector<int64_t>& ts) {
  int64_t off = static_cast<int64_t>(r.staged.size());
  for (int64_t t : ts) r.add(Msg{p, off++, t}, t);
}

// Runs steps until every run is empty; `limit` messages per step at most
// (0: no limit). Returns what was taken, in order, and counts the steps.
std::vector<Msg> drain(const std::vector<Staged*>& runs, size_t limit, int* steps = nullptr) {
  std::vector<Msg> out;
  int n = 0;
  while (true) {
    size_t in_step = 0;
    bool any = merge_step(runs, ts_of, [&](const Msg& m) {
      out.push_back(m);
      return limit == 0 || ++in_step < limit;
    });
    if (!any) break;
    if (++n > 10000) {
      ADD_FAILURE() << "no progress";
      break;
    }
  }
  if (steps) *steps = n;
  return out;
}

std::string order(const std::vector<Msg>& v) {
  std::string s;
  for (const auto& m : v) s += std::to_string(m.partition) + ":" + std::to_string(m.offset) + " ";
  return s;
}

TEST(KafkaMerge, PartitionsInterleaveByTimestampAndEachKeepsItsOrder) {
  Staged a, b, c;
  stage(a, 0, {10, 20, 30, 40});
  stage(b, 1, {15, 25, 35});
  stage(c, 2, {5, 50});
  // Horizon = min(40, 35, 50) = 35: a's 10 20 30, b's all, c's 5, earliest first.
  std::vector<Msg> first;
  ASSERT_TRUE(merge_step<Msg>({&a, &b, &c}, ts_of, [&](const Msg& m) {
    first.push_back(m);
    return true;
  }));
  EXPECT_EQ(order(first), "2:0 0:0 1:0 0:1 1:1 0:2 1:2 ");
  EXPECT_TRUE(b.empty());  // the run that set the horizon is drained
  // Then, with b empty (nothing staged), it does not hold a and c back.
  auto rest = drain({&a, &b, &c}, 0);
  EXPECT_EQ(order(rest), "0:3 2:1 ");
}

TEST(KafkaMerge, SkewedPartitionsAreTakenLevelInTimeNotOneAfterTheOther) {
  // Partition 0 runs ahead in time (its next run starts after partition 1's
  // whole run): the step takes partition 1's run before partition 0's later
  // messages, whichever was staged first.
  Staged ahead, behind;
  stage(ahead, 0, {100, 101, 102, 200, 201});
  stage(behind, 1, {1, 2, 3, 150});
  auto out = drain({&ahead, &behind}, 0);
  std::vector<int64_t> ts;
  for (const auto& m : out) ts.push_back(m.ts);
  EXPECT_EQ(ts, (std::vector<int64_t>{1, 2, 3, 100, 101, 102, 150, 200, 201}));
  // Every message once.
  EXPECT_EQ(out.size(), 9u);
}

TEST(KafkaMerge, TimestampsGoingBackwardsInAPartitionStillDrainEveryMessageInOffsetOrder) {
  // Producers set CreateTime: within a partition it may go backwards. Each
  // step still drains the run with the smallest maximum, so all goes out.
  Staged a, b;
  stage(a, 0, {50, 10, 60, 5});
  stage(b, 1, {40, 70, 20});
  int steps = 0;
  auto out = drain({&a, &b}, 0, &steps);
  ASSERT_EQ(out.size(), 7u);
  int64_t next[2] = {0, 0};
  for (const auto& m : out) {
    EXPECT_EQ(m.offset, next[m.partition]) << "partition " << m.partition << " out of order: " << order(out);
    ++next[m.partition];
  }
  EXPECT_LE(steps, 2);  // horizon 60 drains a (and b's 40); then b's rest
}

TEST(KafkaMerge, EventsWithoutATimestampPassAtOnceInTheirPartitionsOrder) {
  Staged a, b;
  stage(a, 0, {10, kNoTimestamp});  // a message, then end-of-partition
  stage(b, 1, {kNoTimestamp});      // only an error event staged
  auto out = drain({&a, &b}, 0);
  // b's event passes first (b sets the horizon to kNoTimestamp), then a's
  // message and its end-of-partition event, in a's order.
  EXPECT_EQ(order(out), "1:0 0:0 0:1 ");
  // A run holding only such events sets the horizon to kNoTimestamp: the
  // others give only their own timestamp-less events in that step, and the
  // next step goes on.
  Staged c, d;
  stage(c, 0, {kNoTimestamp});
  stage(d, 1, {kNoTimestamp, 7, 8});
  int steps = 0;
  auto out2 = drain({&c, &d}, 0, &steps);
  EXPECT_EQ(order(out2), "0:0 1:0 1:1 1:2 ");
  EXPECT_EQ(steps, 2);
}

TEST(KafkaMerge, AFullBatchStopsTheStepAndTheNextStepGoesOnWhereItStopped) {
  Staged a, b;
  stage(a, 0, {1, 2, 3, 4, 5, 6});
  stage(b, 1, {1, 2, 3, 4, 5, 6});
  auto limited = drain({&a, &b}, 4);
  Staged c, d;
  stage(c, 0, {1, 2, 3, 4, 5, 6});
  stage(d, 1, {1, 2, 3, 4, 5, 6});
  auto whole = drain({&c, &d}, 0);
  ASSERT_EQ(limited.size(), 12u);
  ASSERT_EQ(whole.size(), 12u);
  // Nothing lost or doubled, and each partition in offset order.
  int64_t next[2] = {0, 0};
  for (const auto& m : limited) {
    EXPECT_EQ(m.offset, next[m.partition]);
    ++next[m.partition];
  }
  EXPECT_EQ(next[0], 6);
  EXPECT_EQ(next[1], 6);
}

TEST(KafkaMerge, NothingStagedIsNoStep) {
  Staged a, b;
  bool called = false;
  EXPECT_FALSE(merge_step<Msg>({&a, &b}, ts_of, [&](const Msg&) {
    called = true;
    return true;
  }));
  EXPECT_FALSE(called);
  EXPECT_FALSE(merge_step<Msg>({}, ts_of, [&](const Msg&) { return true; }));
}

}  // namespace
}  // namespace lh::storage
