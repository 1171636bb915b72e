// collapse_repoints (rows.h): repoints applied in their order == their
// collapsed, disjoint form applied in any order.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "projections/rows.h"

namespace lh::projections {
namespace {

struct Fact {
  Dim dim;
  std::string member;
  int64_t time;
  int64_t sk;
};

// What the writer's UPDATEs do, one repoint after the other.
void apply_in_order(std::vector<Fact>& facts, const std::vector<Repoint>& rs) {
  for (const Repoint& r : rs)
    for (Fact& f : facts)
      if (f.dim == r.dim && f.member == r.natural_id && f.time >= r.from_us && f.time < r.to_us) f.sk = r.sk;
}

TEST(CollapseRepoints, LaterRangesOverwriteEarlierOnesWhereTheyOverlap) {
  std::vector<Repoint> rs = {{Dim::customer, "C-1", 10, kInfinityUs, 1},
                             {Dim::customer, "C-1", 20, 30, 2},
                             {Dim::vendor, "C-1", 0, 5, 9},  // another dimension, same id
                             {Dim::customer, "C-1", 25, 40, 3},
                             {Dim::customer, "C-1", 7, 7, 4}};  // empty: no effect
  std::vector<Repoint> want = {{Dim::customer, "C-1", 10, 20, 1},
                               {Dim::customer, "C-1", 20, 25, 2},
                               {Dim::customer, "C-1", 25, 40, 3},
                               {Dim::customer, "C-1", 40, kInfinityUs, 1},
                               {Dim::vendor, "C-1", 0, 5, 9}};
  EXPECT_EQ(collapse_repoints(rs), want);
  EXPECT_TRUE(collapse_repoints(std::vector<Repoint>{}).empty());
}

TEST(CollapseRepoints, SameFinalFactsAsSequentialApplicationInAnyOrder) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 500; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const char* members[] = {"A", "B", "C"};
    std::vector<Repoint> rs;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      int64_t a = static_cast<int64_t>(rng() % 50), b = static_cast<int64_t>(rng() % 50);
      if (rng() % 5 == 0) b = kInfinityUs;
      if (rng() % 7 == 0) a = kMinusInfinityUs;
      rs.push_back({static_cast<Dim>(rng() % 2), members[rng() % 3], std::min(a, b), std::max(a, b),
                    static_cast<int64_t>(100 + i)});
    }
    std::vector<Fact> facts;
    for (int d = 0; d < 2; ++d)
      for (const char* m : members)
        for (int64_t t = -1; t <= 51; ++t) facts.push_back({static_cast<Dim>(d), m, t, 0});
    std::vector<Fact> seq = facts, collapsed = facts;
    apply_in_order(seq, rs);
    std::vector<Repoint> c = collapse_repoints(rs);
    // Disjoint per member: applying in reverse order changes nothing.
    std::reverse(c.begin(), c.end());
    apply_in_order(collapsed, c);
    for (size_t i = 0; i < facts.size(); ++i)
      ASSERT_EQ(collapsed[i].sk, seq[i].sk) << facts[i].member << " at " << facts[i].time;
    for (size_t i = 0; i < c.size(); ++i)
      for (size_t j = i + 1; j < c.size(); ++j)
        if (c[i].dim == c[j].dim && c[i].natural_id == c[j].natural_id) {
          ASSERT_TRUE(c[i].to_us <= c[j].from_us || c[j].to_us <= c[i].from_us) << "overlapping output ranges";
        }
  }
}

}  // namespace
}  // namespace lh::projections
