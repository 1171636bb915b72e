// Scripted order scenarios through the reference Pipeline, checked as final
// table contents (TableModel) with exact rows; each scenario is projected
// one event per batch and as one batch, and must give the same tables.
#include <gtest/gtest.h>

#include "pipeline_fixture.h"

namespace lh::projections::testing {
namespace {

using events::OrderStatus;
constexpr const char* kT10 = "2026-11-01 10:00:00.000000+00";

// seq 1 vendor V-1, 2 customer C-1, 3 product P-1, 4 product P-2, all at 08:00 of day 0.
Stream basics() {
  Stream s;
  s.vendor("V-1", at(0, 8));
  s.customer("C-1", at(0, 8), "gold", "north");
  s.product("P-1", "V-1", at(0, 8));
  s.product("P-2", "V-1", at(0, 8));
  return s;
}

TEST(PipelineOrders, LinesAndSnapshotFollowStatusesInOrder) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 2, money(1990)), line(2, "P-2", "V-1", 1, money(500), money(150))});
  s.status("O-1", OrderStatus::approved, at(0, 11));
  s.status("O-1", OrderStatus::shipped, at(0, 12), "V-1");
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(row_text(m, Table::fact_order_line, {"V-1", "O-1", "1"}),
              std::string("V-1\tO-1\t1\t5\t") + kT10 +
                  "\t20261101\tC-1\t2\t1\tP-1\t3\t2\t19.90\t39.80\t\\N\tEUR\tshipped\t"
                  "2026-11-01 12:00:00.000000+00\t7");
    EXPECT_EQ(row_text(m, Table::fact_order_line, {"V-1", "O-1", "2"}),
              std::string("V-1\tO-1\t2\t5\t") + kT10 +
                  "\t20261101\tC-1\t2\t1\tP-2\t4\t1\t5.00\t5.00\t1.50\tEUR\tshipped\t"
                  "2026-11-01 12:00:00.000000+00\t7");
    EXPECT_EQ(row_text(m, Table::fact_order, {"O-1"}),
              std::string("O-1\t5\tC-1\t2\tEUR\t2\t1\t3\t44.80\t1.50\t20261101\t") + kT10 +
                  "\t2026-11-01 11:00:00.000000+00\t2026-11-01 12:00:00.000000+00\t\\N\t\\N\t\\N\tshipped");
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {"V-1", "20261101"}),
              "V-1\t20261101\tEUR\t1\t2\t3\t44.80\t0\t0\t0\t\\N\t0");
    EXPECT_TRUE(m.errors.empty());
  });
}

TEST(PipelineOrders, PlacedLineHasNoStatusTime) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100))});
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status"), "placed");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status_time"), "\\N");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status_seq"), "\\N");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "placed");
  });
}

TEST(PipelineOrders, LateStatusDoesNotOverwriteANewerOne) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100))});
  s.status("O-1", OrderStatus::shipped, at(0, 12));   // seq 6
  s.status("O-1", OrderStatus::approved, at(0, 11));  // seq 7, late
  s.status("O-1", OrderStatus::approved, at(0, 11, 30));  // seq 8, later still an older status
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status"), "shipped");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status_seq"), "6");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "shipped");
    // The snapshot keeps the earliest time each status was reached.
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "approved_time"), "2026-11-01 11:00:00.000000+00");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "shipped_time"), "2026-11-01 12:00:00.000000+00");
  });
}

TEST(PipelineOrders, CancellationsAndReturnsAreCountedOncePerLineOnTheirEarliestDay) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100)), line(2, "P-2", "V-1", 1, money(200))});
  s.status("O-1", OrderStatus::cancelled, at(1, 9));    // both lines, day 1
  s.status("O-1", OrderStatus::cancelled, at(1, 10));   // again: not counted again
  s.status("O-1", OrderStatus::cancelled, at(0, 20));   // late and earlier: the count moves to day 0
  s.status("O-1", OrderStatus::returned, at(2, 10), "V-1", 1);
  s.status("O-1", OrderStatus::returned, at(2, 11), "V-1", 1);
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-1", "20261101"}, "cancelled_lines"), "2");
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-1", "20261102"}, "cancelled_lines"), "0");
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-1", "20261103"}, "returned_lines"), "1");
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {"V-1", "20261103"}),
              "V-1\t20261103\t\\N\t0\t0\t0\t0\t0\t1\t0\t\\N\t0");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status"), "returned");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "2"}, "status"), "cancelled");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "2"}, "status_seq"), "7");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "cancelled_time"), "2026-11-01 20:00:00.000000+00");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "returned");
  });
}

TEST(PipelineOrders, VendorPerformancePerDayWithExactAverageAndMixedCurrency) {
  Stream s = basics();
  s.vendor("V-2", at(0, 8));
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 2, money(1000)), line(2, "P-2", "V-2", 1, money(700))});
  s.order("O-2", "C-1", at(0, 11), {line(1, "P-1", "V-1", 1, money(250)), line(2, "P-2", "V-1", 3, money(100))});
  s.order("O-3", "C-1", at(1, 11), {line(1, "P-1", "V-1", 1, money(1, 0))}, "JPY");
  s.order("O-4", "C-1", at(1, 12), {line(1, "P-1", "V-1", 1, money(999))}, "EUR");
  for (int stars : {5, 4, 4}) s.review("V-1", stars, at(0, 15));
  for (int stars : {2, 3, 3}) s.review("V-1", stars, at(1, 15));
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {"V-1", "20261101"}),
              "V-1\t20261101\tEUR\t2\t3\t6\t25.50\t0\t0\t3\t4.33\t0");
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {"V-2", "20261101"}),
              "V-2\t20261101\tEUR\t1\t1\t1\t7.00\t0\t0\t0\t\\N\t0");
    // Two currencies on one day: no revenue (never converted), MIXED.
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {"V-1", "20261102"}),
              "V-1\t20261102\tMIXED\t2\t2\t2\t\\N\t0\t0\t3\t2.67\t0");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "vendors"), "2");
    EXPECT_EQ(m.value(Table::fact_order, {"O-3"}, "amount"), "1");
    EXPECT_EQ(m.value(Table::fact_order, {"O-3"}, "freight"), "0");
  });
}

TEST(PipelineOrders, StockRowsChangeAndStockOuts) {
  Stream s = basics();
  s.stock("V-1", "P-1", "W1", 10, at(0, 8));  // seq 5
  s.stock("V-1", "P-1", "W1", 4, at(0, 9));   // 6
  s.stock("V-1", "P-1", "W2", 0, at(0, 9));   // 7: first level 0 is no stock-out
  s.stock("V-1", "P-1", "W1", 0, at(0, 10));  // 8: stock-out
  s.stock("V-1", "P-1", "W1", 0, at(0, 11));  // 9: still out, not again
  s.stock("V-1", "P-1", "W1", 5, at(1, 12));  // 10
  for_batch_sizes(s, [](const TableModel& m) {
    EXPECT_EQ(m.rows(Table::fact_stock).size(), 6u);
    EXPECT_EQ(row_text(m, Table::fact_stock, {"V-1", "5"}),
              "V-1\t5\t2026-11-01 08:00:00.000000+00\t20261101\tP-1\t3\tW1\t10\t\\N\tf");
    EXPECT_EQ(m.value(Table::fact_stock, {"V-1", "6"}, "change"), "-6");
    EXPECT_EQ(m.value(Table::fact_stock, {"V-1", "7"}, "change"), "\\N");
    EXPECT_EQ(m.value(Table::fact_stock, {"V-1", "7"}, "is_stockout"), "f");
    EXPECT_EQ(row_text(m, Table::fact_stock, {"V-1", "8"}),
              "V-1\t8\t2026-11-01 10:00:00.000000+00\t20261101\tP-1\t3\tW1\t0\t-4\tt");
    EXPECT_EQ(m.value(Table::fact_stock, {"V-1", "9"}, "is_stockout"), "f");
    EXPECT_EQ(m.value(Table::fact_stock, {"V-1", "10"}, "change"), "5");
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-1", "20261101"}, "stockouts"), "1");
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-1", "20261102"}, "stockouts"), "<no row>");
  });
}

TEST(PipelineOrders, InferredCustomerIsCompletedLaterKeepingItsSk) {
  Stream s = basics();
  uint64_t o = s.order("O-1", "C-9", at(0, 10), {line(1, "P-1", "V-1", 1, money(100))});
  s.customer("C-9", at(0, 12), "silver", "east");
  const std::string sk = std::to_string(o);
  Schema schema = default_schema();
  Pipeline p(schema);
  TableModel m(schema);
  // Inferred first: check after the order's batch.
  project(p, {s.events.begin(), s.events.begin() + 5}, 0, &m);
  EXPECT_EQ(row_text(m, Table::dim_customer, {sk}),
            sk + "\tC-9\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t" + kT10 + "\tinfinity\tt\t1\tf\tt");
  project(p, {s.events.begin() + 5, s.events.end()}, 0, &m);
  EXPECT_EQ(row_text(m, Table::dim_customer, {sk}),
            sk + "\tC-9\tName C-9\t\\N\t\\N\teast\t\\N\t\\N\tsilver\t" + kT10 + "\tinfinity\tt\t1\tf\tf");
  EXPECT_EQ(m.rows(Table::dim_customer).size(), 2u);  // C-1 and C-9
  EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "customer_sk"), sk);
  EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "customer_sk"), sk);
  EXPECT_TRUE(m.problems.empty());
}

TEST(PipelineOrders, LateDimensionChangeRepointsTheFactsItCovers) {
  Stream s = basics();  // C-1 registered at 08:00 (sk 2)
  s.order("O-1", "C-1", at(0, 12), {line(1, "P-1", "V-1", 1, money(100))});
  s.order("O-2", "C-1", at(0, 9), {line(1, "P-1", "V-1", 1, money(100))});
  uint64_t late = s.customer("C-1", at(0, 10), "platinum", {}, /*update=*/true);
  for_batch_sizes(s, [&](const TableModel& m) {
    // O-1 (12:00) now falls in the version opened at 10:00; O-2 (09:00) does not.
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "customer_sk"), std::to_string(late));
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "customer_sk"), std::to_string(late));
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-2", "1"}, "customer_sk"), "2");
    EXPECT_EQ(m.value(Table::dim_customer, {"2"}, "valid_to"), kT10);
    EXPECT_EQ(m.value(Table::dim_customer, {std::to_string(late)}, "segment"), "platinum");
    EXPECT_EQ(m.value(Table::dim_customer, {std::to_string(late)}, "version"), "2");
  });
}

const ProjectionError* error_of(const TableModel& m, uint64_t seq, const std::string& owner_prefix) {
  for (const auto& e : m.errors)
    if (e.seq == seq && e.owner.rfind(owner_prefix, 0) == 0) return &e;
  return nullptr;
}

TEST(PipelineOrders, PoisonStatusChangeIsAnErrorAndTheVendorGoesOn) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100)), line(2, "P-2", "V-1", 1, money(100))});
  uint64_t bad_line = s.status("O-1", OrderStatus::shipped, at(0, 11), "V-1", 7);
  uint64_t bad_vendor = s.status("O-1", OrderStatus::shipped, at(0, 11), "V-2");
  uint64_t unknown = s.status("O-404", OrderStatus::shipped, at(0, 11));
  s.status("O-1", OrderStatus::approved, at(0, 12), "V-1", 2);
  s.stock("V-1", "P-1", "W1", 3, at(0, 13));
  for_batch_sizes(s, [&](const TableModel& m) {
    const ProjectionError* e = error_of(m, bad_line, "vendor V-1");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->event_id, "ev-" + std::to_string(bad_line));
    EXPECT_EQ(e->projection, "orders");
    EXPECT_EQ(e->message, "order_status_changed: order O-1 has no line 7 of vendor V-1");
    ASSERT_NE(error_of(m, bad_line, "order shard"), nullptr);
    EXPECT_EQ(error_of(m, bad_line, "order shard")->message,
              "order_status_changed: order O-1 has no line 7 of vendor V-1");
    ASSERT_NE(error_of(m, bad_vendor, "vendor V-2"), nullptr);
    EXPECT_EQ(error_of(m, bad_vendor, "vendor V-2")->message,
              "order_status_changed: order O-1 has no lines of vendor V-2");
    ASSERT_NE(error_of(m, unknown, "order shard"), nullptr);
    EXPECT_EQ(error_of(m, unknown, "order shard")->message,
              "order_status_changed: unknown order O-404 (no order_placed before it in the log)");
    EXPECT_EQ(m.errors.size(), 5u);
    // The poison events changed nothing; the later ones were projected.
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status"), "placed");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "2"}, "status"), "approved");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "shipped_time"), "\\N");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "approved");
    EXPECT_EQ(m.rows(Table::fact_stock).size(), 1u);
  });
}

TEST(PipelineOrders, AmountOverflowIsAnErrorNotUndefinedBehaviour) {
  Stream s = basics();
  uint64_t bad = s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 3, money(4'000'000'000'000'000'000LL))});
  s.order("O-2", "C-1", at(0, 11), {line(1, "P-1", "V-1", 1, money(100))});
  uint64_t dup = s.order("O-2", "C-1", at(0, 12), {line(1, "P-1", "V-1", 1, money(100))});
  for_batch_sizes(s, [&](const TableModel& m) {
    ASSERT_NE(error_of(m, bad, "vendor V-1"), nullptr);
    EXPECT_EQ(error_of(m, bad, "vendor V-1")->message,
              "order_placed: order O-1 line 1 amount: 3 x 40000000000000000.00 overflows a 64-bit decimal");
    EXPECT_NE(error_of(m, bad, "order shard"), nullptr);
    ASSERT_NE(error_of(m, dup, "vendor V-1"), nullptr);
    EXPECT_EQ(error_of(m, dup, "vendor V-1")->message, "order_placed: order O-2 already placed (vendor V-1)");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "amount"), "<no row>");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "amount"), "<no row>");
    EXPECT_EQ(m.value(Table::fact_order, {"O-2"}, "seq"), "6");
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {"V-1", "20261101"}),
              "V-1\t20261101\tEUR\t1\t1\t1\t1.00\t0\t0\t0\t\\N\t0");
  });
}

TEST(PipelineOrders, SkippedSeqsReachNobody) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100))});
  s.status("O-1", OrderStatus::shipped, at(0, 11));
  Schema schema = default_schema();
  Pipeline p(schema);
  TableModel m(schema);
  EXPECT_EQ(project(p, s.events, 0, &m, {2, 6}), 4u);
  EXPECT_EQ(m.value(Table::dim_customer, {"2"}, "customer_id"), "<no row>");
  // The order's customer look-up made C-1 an inferred member instead.
  EXPECT_EQ(m.value(Table::dim_customer, {"5"}, "is_inferred"), "t");
  EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "placed");
  EXPECT_TRUE(m.errors.empty());
}

TEST(PipelineOrders, EventWhoseDataDoesNotMatchItsTypeIsReportedNotLost) {
  Stream s = basics();
  events::PageViewed pv;
  pv.session_id = "S-1";
  uint64_t bad = s.add(events::EventType::order_placed, at(0, 10), pv);
  s.order("O-1", "C-1", at(0, 11), {line(1, "P-1", "V-1", 1, money(100))});
  for_batch_sizes(s, [&](const TableModel& m) {
    ASSERT_EQ(m.errors.size(), 1u);
    EXPECT_EQ(m.errors[0].seq, bad);
    EXPECT_EQ(m.errors[0].owner, "order shard 0");
    EXPECT_EQ(m.errors[0].message, "order_placed: event data does not match its type (nothing can project it)");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "placed");
  });
}

TEST(PipelineOrders, StatusCodeOutsideTheContractIsAnError) {
  Stream s = basics();
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100))});
  uint64_t bad = s.status("O-1", static_cast<OrderStatus>(9), at(0, 11));
  for_batch_sizes(s, [&](const TableModel& m) {
    ASSERT_EQ(m.errors.size(), 2u);  // the vendor and the order shard
    for (const auto& e : m.errors) {
      EXPECT_EQ(e.seq, bad);
      EXPECT_EQ(e.message, "order_status_changed: order status code 9 unknown");
    }
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status"), "placed");
    EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "placed");
  });
}

TEST(PipelineOrders, StatusOfOneLineWithoutVendorReachesOnlyTheVendorOfThatLine) {
  Stream s = basics();
  s.vendor("V-2", at(0, 8));
  s.order("O-1", "C-1", at(0, 10), {line(1, "P-1", "V-1", 1, money(100)), line(2, "P-2", "V-2", 1, money(100))});
  s.status("O-1", OrderStatus::returned, at(0, 12), {}, 2);
  uint64_t bad = s.status("O-1", OrderStatus::returned, at(0, 12), {}, 3);
  for_batch_sizes(s, [&](const TableModel& m) {
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "status"), "placed");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-2", "O-1", "2"}, "status"), "returned");
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-2", "20261101"}, "returned_lines"), "1");
    EXPECT_EQ(m.value(Table::fact_vendor_performance, {"V-1", "20261101"}, "returned_lines"), "0");
    // Line 3 exists nowhere: the order shard reports it (the vendors were not addressed).
    ASSERT_EQ(m.errors.size(), 1u);
    EXPECT_EQ(m.errors[0].seq, bad);
    EXPECT_EQ(m.errors[0].message, "order_status_changed: order O-1 has no line 3");
  });
}

// One order naming two products nobody has registered yet: two inferred
// members, which must not share an sk (both used to get the order's seq, a
// duplicate key in dim_product: PostgreSQL refused the batch). The first
// distinct id keeps the seq, the second gets seq + 2^44 (inferred_sk).
TEST(PipelineOrders, OneOrderInfersSeveralMembersOfOneDimensionWithDistinctKeys) {
  Stream s;
  s.vendor("V-1", at(0, 8));                         // seq 1
  s.customer("C-1", at(0, 8), "gold", "north");      // seq 2
  s.order("O-1", "C-1", at(0, 10),                   // seq 3
          {line(1, "P-8", "V-1", 1, money(100)), line(2, "P-9", "V-2", 1, money(200)),
           line(3, "P-8", "V-2", 2, money(100))});
  s.product("P-9", "V-2", at(0, 9));                 // seq 4: completes P-9 in place
  const std::string second = std::to_string(3 + (int64_t{1} << 44));
  for_batch_sizes(s, [&](const TableModel& m) {
    EXPECT_TRUE(m.problems.empty()) << ::testing::PrintToString(m.problems);
    EXPECT_TRUE(m.errors.empty());
    EXPECT_EQ(m.rows(Table::dim_product).size(), 2u);
    EXPECT_EQ(m.value(Table::dim_product, {"3"}, "product_id"), "P-8");
    EXPECT_EQ(m.value(Table::dim_product, {"3"}, "is_inferred"), "t");
    EXPECT_EQ(m.value(Table::dim_product, {second}, "product_id"), "P-9");
    EXPECT_EQ(m.value(Table::dim_product, {second}, "is_inferred"), "f");
    EXPECT_EQ(m.value(Table::dim_product, {second}, "valid_from"), "2026-11-01 09:00:00.000000+00");
    // V-2 is the only vendor the order infers: its first distinct vendor id is
    // V-1 (slot 0, known), so V-2 has slot 1.
    EXPECT_EQ(m.rows(Table::dim_vendor).size(), 2u);
    EXPECT_EQ(m.value(Table::dim_vendor, {second}, "vendor_id"), "V-2");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "1"}, "product_sk"), "3");
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-2", "O-1", "2"}, "product_sk"), second);
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-2", "O-1", "2"}, "vendor_sk"), second);
    // The same unknown product on two lines is one inferred member.
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-2", "O-1", "3"}, "product_sk"), "3");
  });
}
// An order of many lines (the router switches from a linear scan to a map
// of the event's ids past 48 look-ups): every distinct unknown product gets
// its own slot, in line order; a product named again keeps its first slot.
TEST(PipelineOrders, LongOrderInfersEachDistinctProductOnceWithItsOwnSlot) {
  Stream s;
  s.vendor("V-1", at(0, 8));                     // seq 1
  s.customer("C-1", at(0, 8), "gold", "north");  // seq 2
  std::vector<events::OrderLine> lines;
  for (int k = 0; k < 20; ++k) lines.push_back(line(k + 1, "P-" + std::to_string(100 + k), "V-1", 1, money(100)));
  lines.push_back(line(21, "P-105", "V-1", 1, money(100)));  // again: slot 5
  s.order("O-1", "C-1", at(0, 10), lines);                     // seq 3
  for_batch_sizes(s, [&](const TableModel& m) {
    EXPECT_TRUE(m.problems.empty()) << ::testing::PrintToString(m.problems);
    EXPECT_EQ(m.rows(Table::dim_product).size(), 20u);
    for (int k = 0; k < 20; ++k) {
      const std::string sk = std::to_string(3 + (int64_t{k} << 44));
      EXPECT_EQ(m.value(Table::dim_product, {sk}, "product_id"), "P-" + std::to_string(100 + k)) << k;
      EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", std::to_string(k + 1)}, "product_sk"), sk) << k;
    }
    EXPECT_EQ(m.value(Table::fact_order_line, {"V-1", "O-1", "21"}, "product_sk"),
              std::to_string(3 + (int64_t{5} << 44)));
  });
}
}  // namespace
}  // namespace lh::projections::testing
