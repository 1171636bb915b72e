// merge_batches (rows.h): several consecutive RowBatches as one, with the
// same effect on the tables.
#include <gtest/gtest.h>

#include "pipeline_fixture.h"

namespace lh::projections::testing {
namespace {

// fact_order: key order_id, customer_sk (merge_update=false) is column 3.
std::string order_line(const std::string& id, int64_t customer_sk, const std::string& status) {
  std::string s;
  CopyLine l(s);
  l.text(id).integer(1).text("C-1").integer(customer_sk).text("EUR").integer(1).integer(1).integer(1);
  l.raw("1.00").raw("0.00").integer(20261101).time_us(0).null().null().null().null().null().text(status);
  l.end();
  return s;
}

void add(TableRows& t, const std::string& line) {
  t.copy += line;
  ++t.rows;
}

RowBatch batch(uint64_t after, uint64_t last) {
  RowBatch b;
  b.after_seq = after;
  b.last_seq = last;
  b.events = last - after;
  return b;
}

TEST(MergeBatches, LastChangePerKeyWinsAndFixedColumnsComeFromTheFirstLine) {
  Schema schema = default_schema();
  const size_t fo = static_cast<size_t>(Table::fact_order);
  const size_t cs = static_cast<size_t>(Table::fact_clickstream);
  const size_t dc = static_cast<size_t>(Table::dim_customer);
  RowBatch a = batch(10, 20), b = batch(20, 30), c = batch(30, 35);
  add(a.upserts[fo], order_line("O-1", 5, "placed"));
  add(a.upserts[fo], order_line("O-2", 6, "placed"));
  add(b.upserts[fo], order_line("O-1", 9, "shipped"));  // sk 9 ignored: first line's 5 stays
  add(b.deletes[fo], "O-2\n");
  add(c.upserts[fo], order_line("O-2", 7, "placed"));   // after its delete: a fresh insert
  add(a.upserts[cs], "row-a\n");
  add(c.upserts[cs], "row-c\n");
  add(a.deletes[dc], "11\n");
  a.repoints.push_back(Repoint{Dim::customer, "C-1", 0, 100, 5});
  c.repoints.push_back(Repoint{Dim::customer, "C-1", 50, 100, 7});
  c.errors.push_back(ProjectionError{33, "e", "p", "o", "m"});
  c.skipped = 1;

  RowBatch m = merge_batches(schema, {&a, &b, &c});
  EXPECT_EQ(m.after_seq, 10u);
  EXPECT_EQ(m.last_seq, 35u);
  EXPECT_EQ(m.events, 25u);
  EXPECT_EQ(m.skipped, 1u);
  EXPECT_EQ(m.upserts[fo].copy, order_line("O-1", 5, "shipped") + order_line("O-2", 7, "placed"));
  EXPECT_EQ(m.upserts[fo].rows, 2u);
  EXPECT_EQ(m.deletes[fo].copy, "O-2\n");  // deleted, then upserted again
  EXPECT_EQ(m.deletes[fo].rows, 1u);
  EXPECT_EQ(m.upserts[cs].copy, "row-a\nrow-c\n");
  EXPECT_EQ(m.upserts[cs].rows, 2u);
  EXPECT_EQ(m.deletes[dc].copy, "11\n");
  ASSERT_EQ(m.repoints.size(), 2u);
  EXPECT_EQ(m.repoints[0].sk, 5);
  EXPECT_EQ(m.repoints[1].sk, 7);
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_EQ(m.errors[0].seq, 33u);
}

TEST(MergeBatches, UpsertThenDeleteIsADeleteAlone) {
  Schema schema = default_schema();
  const size_t fo = static_cast<size_t>(Table::fact_order);
  RowBatch a = batch(0, 1), b = batch(1, 2);
  add(a.upserts[fo], order_line("O-1", 5, "placed"));
  add(b.deletes[fo], "O-1\n");
  RowBatch m = merge_batches(schema, {&a, &b});
  EXPECT_EQ(m.upserts[fo].rows, 0u);
  EXPECT_EQ(m.upserts[fo].copy, "");
  EXPECT_EQ(m.deletes[fo].copy, "O-1\n");
}

// Inserts (rows new to the table: the writer COPYs them without ON CONFLICT)
// stay inserts when nothing before them in the group touched the key.
TEST(MergeBatches, AnInsertStaysAnInsertWithItsFoldedLineUnlessDeletedInTheGroup) {
  Schema schema = default_schema();
  const size_t fo = static_cast<size_t>(Table::fact_order);
  RowBatch a = batch(0, 1), b = batch(1, 2), c = batch(2, 3);
  add(a.inserts[fo], order_line("O-1", 5, "placed"));
  add(b.upserts[fo], order_line("O-1", 9, "shipped"));  // the insert's sk 5 stays
  add(a.inserts[fo], order_line("O-2", 6, "placed"));
  add(b.deletes[fo], "O-2\n");
  add(c.upserts[fo], order_line("O-2", 7, "placed"));   // after a delete: merged, not inserted
  add(c.inserts[fo], order_line("O-3", 8, "placed"));
  add(a.upserts[fo], order_line("O-4", 1, "placed"));   // known to the table
  add(c.upserts[fo], order_line("O-4", 2, "shipped"));
  RowBatch m = merge_batches(schema, {&a, &b, &c});
  EXPECT_EQ(m.inserts[fo].copy, order_line("O-1", 5, "shipped") + order_line("O-3", 8, "placed"));
  EXPECT_EQ(m.inserts[fo].rows, 2u);
  EXPECT_EQ(m.upserts[fo].copy, order_line("O-2", 7, "placed") + order_line("O-4", 1, "shipped"));
  EXPECT_EQ(m.upserts[fo].rows, 2u);
  EXPECT_EQ(m.deletes[fo].copy, "O-2\n");
}

// An insert-only table with inserts is folded like a keyed one: nothing lost.
TEST(MergeBatches, InsertsOfAnInsertOnlyTableAreKept) {
  Schema schema = default_schema();
  const size_t st = static_cast<size_t>(Table::fact_stock);
  ASSERT_TRUE(schema.table(Table::fact_stock).insert_only);
  const size_t n = schema.table(Table::fact_stock).columns.size();
  auto line = [&](const std::string& seq) {
    std::string s = "V-1\t" + seq;
    for (size_t i = 2; i < n; ++i) s += "\tx";
    return s + "\n";
  };
  RowBatch a = batch(0, 1), b = batch(1, 2);
  add(a.upserts[st], line("1"));
  add(b.inserts[st], line("2"));
  RowBatch m = merge_batches(schema, {&a, &b});
  EXPECT_EQ(m.upserts[st].copy, line("1"));
  EXPECT_EQ(m.inserts[st].copy, line("2"));
}

TEST(MergeBatches, KeysOfSeveralColumnsAreWholeFieldsNotPrefixes) {
  Schema schema = default_schema();
  const size_t ol = static_cast<size_t>(Table::fact_order_line);
  ASSERT_EQ(schema.table(Table::fact_order_line).key_columns, 3u);
  RowBatch a = batch(0, 1), b = batch(1, 2);
  // Key (vendor, order, line): "V-1 O-1 1" and "V-1 O-1 10" must stay apart.
  const size_t n = schema.table(Table::fact_order_line).columns.size();
  auto line = [&](const std::string& key, const std::string& fill) {
    std::string s = key;
    for (size_t i = 3; i < n; ++i) s += "\t" + fill;
    return s + "\n";
  };
  add(a.upserts[ol], line("V-1\tO-1\t1", "a"));
  add(b.upserts[ol], line("V-1\tO-1\t10", "b"));
  RowBatch m = merge_batches(schema, {&a, &b});
  EXPECT_EQ(m.upserts[ol].rows, 2u);
}

// A row resolved late in a group is hit by an earlier repoint of the group
// (merged, all repoints run after all rows): the sk changes after that
// repoint must be emitted too, even where no look-up had been answered yet,
// or the row ends on a stale sk.
TEST(MergeBatches, ARowResolvedLaterInTheGroupEndsOnItsOwnVersion) {
  Stream s;
  s.customer("C-1", at(0, 1), "a", "north");
  s.view(at(0, 3), "GET", 5, 200, "C-1");                   // seq 2: version 1
  s.customer("C-1", at(0, 2), "b", "north", true);         // seq 3, late: repoints [0:02, inf)
  s.customer("C-1", at(0, 5), "c", "north", true);         // seq 4: [0:05, inf), no look-up there yet
  s.view(at(0, 6), "GET", 5, 200, "C-1");                   // seq 5: version 4
  Schema schema = default_schema();
  Pipeline seq_p(schema), merged_p(schema);
  TableModel sequential(schema), merged(schema);
  project(seq_p, s.events, 1, &sequential);
  std::vector<RowBatch> batches(s.events.size());
  std::vector<const RowBatch*> group;
  for (size_t i = 0; i < s.events.size(); ++i) {
    merged_p.project(std::make_shared<EventBatch>(s.events.begin() + i, s.events.begin() + i + 1), {},
                     &batches[i]);
    group.push_back(&batches[i]);
  }
  merged.apply(merge_batches(schema, group), true);
  EXPECT_EQ(sequential.value(Table::fact_clickstream, {"2"}, "customer_sk"), "3");
  EXPECT_EQ(sequential.value(Table::fact_clickstream, {"5"}, "customer_sk"), "4");
  EXPECT_EQ(merged.value(Table::fact_clickstream, {"2"}, "customer_sk"), "3");
  EXPECT_EQ(merged.value(Table::fact_clickstream, {"5"}, "customer_sk"), "4");
  EXPECT_TRUE(merged.dump() == sequential.dump());
}

}  // namespace
}  // namespace lh::projections::testing
