// Scripted page-view and dimension scenarios through the reference Pipeline:
// clickstream rows, 5-minute windows with their histogram, alert enrichment
// as known when raised, dimension rows and routing.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipeline_fixture.h"

namespace lh::projections::testing {
namespace {

TEST(PipelineTraffic, WindowsAggregatePerMethodAndLateViewsUpdateTheirWindow) {
  Stream s;
  uint64_t v2 = 0;
  s.view(at(0, 10, 1), "GET", 12.5);
  v2 = s.view(at(0, 10, 3), "GET", 3000, 503);
  s.view(at(0, 10, 4, 59.999), "POST", 7);
  s.view(at(0, 10, 5), "GET", 100);
  s.view(at(0, 10, 2), "GET", 0.4, 500);  // late: back to the 10:00 window
  for_batch_sizes(s, [&](const TableModel& m) {
    const std::string w10 = "2026-11-01 10:00:00.000000+00", w15 = "2026-11-01 10:05:00.000000+00";
    EXPECT_EQ(m.rows(Table::agg_pageviews_5m).size(), 3u);
    // (12.5 + 3000 + 0.4) / 3 = 1004.3
    EXPECT_EQ(row_text(m, Table::agg_pageviews_5m, {w10, "GET"}),
              w10 + "\tGET\t3\t2\t1004.300\t3000\t{1,1,0,0,0,0,0,0,1,0,0,0}");
    EXPECT_EQ(row_text(m, Table::agg_pageviews_5m, {w10, "POST"}),
              w10 + "\tPOST\t1\t0\t7.000\t7\t{1,0,0,0,0,0,0,0,0,0,0,0}");
    // 100 ms is not < 100: bucket [100, 250).
    EXPECT_EQ(row_text(m, Table::agg_pageviews_5m, {w15, "GET"}),
              w15 + "\tGET\t1\t0\t100.000\t100\t{0,0,0,0,1,0,0,0,0,0,0,0}");
    EXPECT_EQ(m.rows(Table::fact_clickstream).size(), 5u);
    EXPECT_EQ(row_text(m, Table::fact_clickstream, {std::to_string(v2)}),
              "2\tev-2\tS-1\t2026-11-01 10:03:00.000000+00\t20261101\t/p\tGET\t503\t3000"
              "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N");
  });
}

TEST(PipelineTraffic, AverageLatencyRoundsHalfUpAtTheMicrosecond) {
  Stream s;
  s.view(at(0, 10), "GET", 0.001);
  s.view(at(0, 10), "GET", 0.002);   // 3 us / 2 = 1.5 us -> 0.002 ms
  s.view(at(0, 11), "PUT", 0.0014);  // rounded to 1 us on the way in
  s.view(at(0, 11), "PUT", 40000);   // above the last bound: the last bucket
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(m.value(Table::agg_pageviews_5m, {"2026-11-01 10:00:00.000000+00", "GET"}, "avg_latency_ms"), "0.002");
    EXPECT_EQ(row_text(m, Table::agg_pageviews_5m, {"2026-11-01 11:00:00.000000+00", "PUT"}),
              "2026-11-01 11:00:00.000000+00\tPUT\t2\t0\t20000.001\t40000\t{1,0,0,0,0,0,0,0,0,0,0,1}");
  });
}

TEST(PipelineTraffic, AlertCarriesTheSegmentAndRegionKnownWhenItWasRaised) {
  Stream s;
  s.customer("C-1", at(0, 9), "gold", "north");                        // 1
  s.customer("C-1", at(0, 11), "platinum", {}, true);                  // 2
  uint64_t a1 = s.view(at(0, 10, 30), "GET", 2500, 200, "C-1");        // 3
  uint64_t a2 = s.view(at(0, 11, 30), "GET", 2000.5, 200, "C-1");      // 4
  uint64_t no = s.view(at(0, 12), "GET", 2000, 200, "C-1");            // 5: not above 2000
  uint64_t a3 = s.view(at(0, 12), "GET", 5000, 200, "C-404", "P-1", "V-1");  // 6: unknown customer
  s.customer("C-1", at(0, 10), {}, "south", true);                     // 7: late, after the alerts
  for_batch_sizes(s, [&](const TableModel& m) {
    EXPECT_EQ(row_text(m, Table::alert_high_latency, {std::to_string(a1)}),
              "3\t2026-11-01 10:30:00.000000+00\tS-1\t/p\tGET\t200\t2500\t2000\tC-1\tgold\tnorth\t\\N");
    EXPECT_EQ(row_text(m, Table::alert_high_latency, {std::to_string(a2)}),
              "4\t2026-11-01 11:30:00.000000+00\tS-1\t/p\tGET\t200\t2001\t2000\tC-1\tplatinum\tnorth\t\\N");
    EXPECT_EQ(row_text(m, Table::alert_high_latency, {std::to_string(no)}), "<no row>");
    EXPECT_EQ(row_text(m, Table::alert_high_latency, {std::to_string(a3)}),
              "6\t2026-11-01 12:00:00.000000+00\tS-1\t/p\tGET\t200\t5000\t2000\tC-404\t\\N\t\\N\tV-1");
    // The clickstream's sk is re-pointed by the late change; the alert is not.
    EXPECT_EQ(m.value(Table::fact_clickstream, {std::to_string(a1)}, "customer_sk"), "7");
    EXPECT_EQ(m.value(Table::fact_clickstream, {std::to_string(a3)}, "customer_sk"), "6");
    EXPECT_EQ(m.value(Table::fact_clickstream, {std::to_string(a3)}, "product_sk"), "6");
    EXPECT_EQ(m.value(Table::fact_clickstream, {std::to_string(a3)}, "vendor_sk"), "6");
    EXPECT_EQ(m.value(Table::dim_vendor, {"6"}, "is_inferred"), "t");
    EXPECT_EQ(m.value(Table::dim_product, {"6"}, "is_inferred"), "t");
    EXPECT_EQ(m.rows(Table::alert_high_latency).size(), 3u);
  });
}

TEST(PipelineTraffic, ThresholdComesFromTheOptions) {
  Stream s;
  s.view(at(0, 10), "GET", 150);
  s.view(at(0, 10), "GET", 50);
  WarehouseOptions o;
  o.alert_latency_ms = 100;
  Schema schema = default_schema(o);
  Pipeline p(schema);
  TableModel m(schema);
  project(p, s.events, 0, &m);
  ASSERT_EQ(m.rows(Table::alert_high_latency).size(), 1u);
  EXPECT_EQ(m.value(Table::alert_high_latency, {"1"}, "threshold_ms"), "100");
}

TEST(PipelineTraffic, ImpossibleLatencyIsAProjectionError) {
  Stream s;
  s.view(at(0, 10), "GET", 2e9);
  s.view(at(0, 10), "GET", 5);
  for_batch_sizes(s, [](const TableModel& m) {
    ASSERT_EQ(m.errors.size(), 1u);
    EXPECT_EQ(m.errors[0].seq, 1u);
    EXPECT_EQ(m.errors[0].projection, "clickstream");
    EXPECT_EQ(m.errors[0].message, "page_viewed: latency_ms 2000000000 outside 0..1000000000");
    EXPECT_EQ(m.rows(Table::fact_clickstream).size(), 1u);
    EXPECT_EQ(m.value(Table::agg_pageviews_5m, {"2026-11-01 10:00:00.000000+00", "GET"}, "views"), "1");
  });
}

TEST(PipelineDimensions, DimensionRowsAndDeletesFlushOncePerBatch) {
  Stream s;
  s.vendor("V-1", at(0, 8), "First");                   // 1
  s.vendor("V-1", at(0, 8), "First");                   // 2: no change
  events::VendorData upd;
  upd.vendor_id = "V-1";
  upd.name = "Second";
  s.add(events::EventType::vendor_updated, at(0, 9), upd);  // 3: type 2 -> new version
  events::CustomerDeleted del{"C-1"};
  s.customer("C-1", at(0, 8), "gold", "north");          // 4
  s.add(events::EventType::customer_deleted, at(0, 10), del);  // 5
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(row_text(m, Table::dim_vendor, {"1"}),
              "1\tV-1\tFirst\t\\N\t\\N\tgold\t\\N\t\\N\t2026-11-01 08:00:00.000000+00\t"
              "2026-11-01 09:00:00.000000+00\tf\t1\tf\tf");
    EXPECT_EQ(row_text(m, Table::dim_vendor, {"3"}),
              "3\tV-1\tSecond\t\\N\t\\N\tgold\t\\N\t\\N\t2026-11-01 09:00:00.000000+00\tinfinity\tt\t2\tf\tf");
    EXPECT_EQ(m.value(Table::dim_customer, {"4"}, "is_deleted"), "t");
    EXPECT_EQ(m.value(Table::dim_customer, {"4"}, "valid_to"), "2026-11-01 10:00:00.000000+00");
    EXPECT_TRUE(m.errors.empty());
  });
}

TEST(PipelineDimensions, Type3AttributeHasItsPreviousColumn) {
  WarehouseOptions o;
  o.policies[static_cast<int>(Dim::vendor)].attrs["tier"] = AttrPolicy::type3;
  Schema schema = default_schema(o);
  Stream s;
  s.vendor("V-1", at(0, 8));
  events::VendorData upd;
  upd.vendor_id = "V-1";
  upd.tier = "silver";
  s.add(events::EventType::vendor_updated, at(0, 9), upd);
  Pipeline p(schema);
  TableModel m(schema);
  project(p, s.events, 1, &m);
  EXPECT_EQ(row_text(m, Table::dim_vendor, {"1"}),
            "1\tV-1\tShop\t\\N\t\\N\tsilver\t\\N\t\\N\tgold\t2026-11-01 08:00:00.000000+00\tinfinity\tt\t1\tf\tf");
  EXPECT_TRUE(m.problems.empty());
}

TEST(PipelineRouter, PlansLookupsBeforeTheirEventAndOwnersInKeyOrder) {
  Schema schema = default_schema();
  Stream s;
  s.vendor("V-2", at(0, 8));
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-2", 1, money(100)), line(2, "P-2", "V-1", 1, money(100))});
  s.status("O-1", events::OrderStatus::shipped, at(0, 11));
  Router r(schema);
  Plan plan;
  r.plan(std::make_shared<EventBatch>(s.events), {}, &plan);
  ASSERT_EQ(plan.lookups.size(), 6u);
  EXPECT_EQ(plan.lookups[0].dim, Dim::customer);
  EXPECT_EQ(plan.lookups[1].natural_id, "V-2");
  EXPECT_EQ(plan.lookups[5].natural_id, "P-2");
  for (const auto& l : plan.lookups) EXPECT_EQ(l.seq, 2u);
  for (size_t i = 1; i < plan.stage1.size(); ++i) EXPECT_TRUE(plan.stage1[i - 1].first < plan.stage1[i].first);
  // Vendor V-2: its registration, then its look-up for the order.
  const auto& v2 = std::find_if(plan.stage1.begin(), plan.stage1.end(),
                                [](const auto& p) { return p.first.vendor_id == "V-2"; })->second;
  ASSERT_EQ(v2.size(), 2u);
  EXPECT_EQ(v2[0].kind, WorkItem::Kind::event);
  EXPECT_EQ(v2[1].kind, WorkItem::Kind::lookup);
  EXPECT_EQ(v2[1].index, 1u);
  // Stage 2: both vendors get the order and the status (no vendor_id), plus the order shard.
  size_t vendors = 0, order_items = 0;
  for (const auto& [k, items] : plan.stage2) {
    if (k.kind == OwnerKey::Kind::vendor) {
      ++vendors;
      ASSERT_EQ(items.size(), 2u);
      EXPECT_EQ(items[0].first_lookup, 0u);
      EXPECT_EQ(items[0].lookup_count, 6u);
    }
    if (k.kind == OwnerKey::Kind::order_shard) order_items += items.size();
  }
  EXPECT_EQ(vendors, 2u);
  EXPECT_EQ(order_items, 2u);
  EXPECT_EQ(fnv1a64(""), 14695981039346656037ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(PipelineMemory, GrowsWithTheStateOwnersKeepAndIsReportedPerKind) {
  Schema schema = default_schema();
  Pipeline p(schema);
  TableModel m(schema);
  Stream s;
  s.vendor("V-1", at(0, 8));
  project(p, s.events, 0, &m);
  const size_t vendor_before = p.memory_bytes(OwnerKey::Kind::vendor);
  const size_t total_before = p.memory_bytes();
  EXPECT_EQ(p.owner_count(OwnerKey::Kind::vendor), 1u);
  EXPECT_EQ(p.owner_count(OwnerKey::Kind::order_shard), 0u);
  Stream more;
  for (int i = 0; i < 200; ++i) {
    more.order("O-" + std::to_string(i), "C-1", at(0, 9), {line(1, "P-1", "V-1", 1, money(100))});
    more.view(at(0, 9, i % 60), "GET", 10);
  }
  for (auto& le : more.events) le.seq += 1;
  project(p, more.events, 0, &m);
  EXPECT_GT(p.memory_bytes(OwnerKey::Kind::vendor), vendor_before + 200 * sizeof(int64_t));
  EXPECT_GT(p.memory_bytes(OwnerKey::Kind::order_shard), 200 * sizeof(int64_t));
  EXPECT_GT(p.router_memory_bytes(), 200 * sizeof(int64_t));
  size_t by_kind = p.router_memory_bytes();
  for (int k = 0; k < 5; ++k) by_kind += p.memory_bytes(static_cast<OwnerKey::Kind>(k));
  EXPECT_LE(by_kind, p.memory_bytes());
  EXPECT_GT(p.memory_bytes(), total_before);
  EXPECT_EQ(p.owner_count(), p.owner_count(OwnerKey::Kind::vendor) + p.owner_count(OwnerKey::Kind::customer_shard) +
                                 p.owner_count(OwnerKey::Kind::product_shard) +
                                 p.owner_count(OwnerKey::Kind::order_shard) +
                                 p.owner_count(OwnerKey::Kind::traffic_shard));
  EXPECT_TRUE(m.problems.empty());
}

}  // namespace
}  // namespace lh::projections::testing
