// The test table model itself: it must apply RowBatches the way PostgreSQL
// will and catch broken invariants, or the pipeline tests prove nothing.
#include <gtest/gtest.h>

#include "pipeline_fixture.h"

namespace lh::projections::testing {
namespace {

void add_line(RowBatch& b, Table t, const std::string& line, bool del = false) {
  TableRows& rows = del ? b.deletes[static_cast<size_t>(t)] : b.upserts[static_cast<size_t>(t)];
  rows.copy += line + "\n";
  ++rows.rows;
}

// fact_order: order_id, seq, customer_id, customer_sk, currency, lines, vendors,
// units, amount, freight, date_key, placed_time, 5 status times, status.
std::string order_row(const std::string& id, const std::string& sk, const std::string& status,
                      const std::string& placed = "2026-11-01 10:00:00.000000+00") {
  return id + "\t1\tC-1\t" + sk + "\tEUR\t1\t1\t1\t1.00\t0.00\t20261101\t" + placed +
         "\t\\N\t\\N\t\\N\t\\N\t\\N\t" + status;
}

TEST(TableModel, UpsertKeepsColumnsThatAreNotMergeUpdated) {
  Schema schema = default_schema();
  TableModel m(schema);
  RowBatch b;
  add_line(b, Table::fact_order, order_row("O-1", "7", "placed"));
  m.apply(b);
  RowBatch b2;
  add_line(b2, Table::fact_order, order_row("O-1", "99", "shipped"));
  m.apply(b2);
  EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "customer_sk"), "7");
  EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "status"), "shipped");
  EXPECT_TRUE(m.problems.empty());
}

TEST(TableModel, RepointsApplyToTheHalfOpenRangeOfTheirMember) {
  Schema schema = default_schema();
  TableModel m(schema);
  RowBatch b;
  add_line(b, Table::fact_order, order_row("O-1", "1", "placed", "2026-11-01 10:00:00.000000+00"));
  add_line(b, Table::fact_order, order_row("O-2", "1", "placed", "2026-11-01 11:00:00.000000+00"));
  add_line(b, Table::fact_order, order_row("O-3", "1", "placed", "2026-11-01 12:00:00.000000+00"));
  b.repoints.push_back({Dim::customer, "C-1", at(0, 10, 30), at(0, 12), 5});
  b.repoints.push_back({Dim::customer, "C-2", kMinusInfinityUs, kInfinityUs, 6});  // another member
  b.repoints.push_back({Dim::vendor, "C-1", kMinusInfinityUs, kInfinityUs, 8});    // another dimension
  m.apply(b);
  EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "customer_sk"), "1");
  EXPECT_EQ(m.value(Table::fact_order, {"O-2"}, "customer_sk"), "5");
  EXPECT_EQ(m.value(Table::fact_order, {"O-3"}, "customer_sk"), "1");  // to is exclusive
  RowBatch b2;
  b2.repoints.push_back({Dim::customer, "C-1", kMinusInfinityUs, at(0, 10, 30), 4});
  b2.repoints.push_back({Dim::customer, "C-1", at(0, 12), kInfinityUs, 9});
  m.apply(b2);
  EXPECT_EQ(m.value(Table::fact_order, {"O-1"}, "customer_sk"), "4");
  EXPECT_EQ(m.value(Table::fact_order, {"O-3"}, "customer_sk"), "9");
}

TEST(TableModel, BrokenInvariantsAreProblems) {
  Schema schema = default_schema();
  TableModel m(schema);
  RowBatch b;
  add_line(b, Table::fact_order, order_row("O-1", "1", "placed"));
  add_line(b, Table::fact_order, order_row("O-1", "1", "shipped"));  // key twice
  add_line(b, Table::fact_order, "O-1", true);                      // upserted and deleted
  add_line(b, Table::fact_order, "O-2\tonly two fields");           // wrong width
  add_line(b, Table::alert_high_latency,
           "1\t2026-11-01 10:00:00.000000+00\tS\t/\tGET\t200\t3000\t2000\t\\N\t\\N\t\\N\t\\N");
  b.upserts[static_cast<size_t>(Table::dim_vendor)].rows = 1;  // count without a line
  m.apply(b);
  RowBatch b2;
  add_line(b2, Table::alert_high_latency,
           "1\t2026-11-01 10:00:00.000000+00\tS\t/\tGET\t200\t3000\t2000\t\\N\t\\N\t\\N\t\\N");
  m.apply(b2);  // insert_only row emitted again
  RowBatch b3;   // an insert of a key the table holds (O-1 from b)
  b3.inserts[static_cast<size_t>(Table::fact_order)].copy = order_row("O-1", "1", "cancelled") + "\n";
  b3.inserts[static_cast<size_t>(Table::fact_order)].rows = 1;
  m.apply(b3);
  EXPECT_EQ(m.problems,
            (std::vector<std::string>{"dim_vendor: row count does not match the lines",
                                      "fact_order: key twice in one batch: " + order_row("O-1", "1", "shipped"),
                                      "fact_order: upsert with 2 fields: O-2\tonly two fields",
                                      "fact_order: key both upserted and deleted: O-1",
                                      "alert_high_latency: insert_only row emitted twice",
                                      "fact_order: insert of a key already in the table: " +
                                          order_row("O-1", "1", "cancelled")}));
}

}  // namespace
}  // namespace lh::projections::testing
