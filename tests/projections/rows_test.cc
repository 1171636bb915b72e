// COPY text formatting (CopyLine), date keys and moving rows between batches.
#include "projections/rows.h"

#include <gtest/gtest.h>

namespace lh::projections {
namespace {

std::string time_text(int64_t us) {
  std::string s;
  CopyLine(s).time_us(us);
  return s;
}

TEST(CopyLine, TimestampsAreUtcWithMicroseconds) {
  EXPECT_EQ(time_text(0), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(time_text(-1), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(time_text(1793491200000000LL + 123456), "2026-11-01 00:00:00.123456+00");
  EXPECT_EQ(time_text(951782400000000LL + 86399999999LL), "2000-02-29 23:59:59.999999+00");  // leap day
  EXPECT_EQ(time_text(-62135596800000000LL), "0001-01-01 00:00:00.000000+00");
  EXPECT_EQ(time_text(253402300799999999LL), "9999-12-31 23:59:59.999999+00");
  EXPECT_EQ(time_text(253402300800000000LL), "10000-01-01 00:00:00.000000+00");  // beyond 4 digits
  EXPECT_EQ(time_text(kInfinityUs), "infinity");
  EXPECT_EQ(time_text(kMinusInfinityUs), "-infinity");
}

TEST(CopyLine, FieldsAreTabSeparatedEscapedAndNullIsBackslashN) {
  std::string out;
  CopyLine l(out);
  l.text("a\tb\\c\nd\re").integer(-42).decimal({1990, 2}).boolean(true).boolean(false).null();
  l.text_or_null(std::nullopt).text_or_null(std::string("x")).raw("{1,2}").end();
  EXPECT_EQ(out, "a\\tb\\\\c\\nd\\re\t-42\t19.90\tt\tf\t\\N\t\\N\tx\t{1,2}\n");
}

TEST(Rows, DateKeyIsTheUtcDay) {
  EXPECT_EQ(date_key(1793491200000000LL), 20261101);
  EXPECT_EQ(date_key(1793491200000000LL - 1), 20261031);
  EXPECT_EQ(date_key(0), 19700101);
}

TEST(Rows, AppendMovesLinesAndCounts) {
  TableRows a, b, c;
  b.copy = "1\n2\n";
  b.rows = 2;
  c.copy = "3\n";
  c.rows = 1;
  a.append(std::move(b));
  a.append(std::move(c));
  EXPECT_EQ(a.copy, "1\n2\n3\n");
  EXPECT_EQ(a.rows, 3u);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(c.copy.empty());
  RowBatch x, y;
  y.upserts[0] = a;
  y.errors.push_back({7, "ev-7", "orders", "order shard 0", "m"});
  y.repoints.push_back({Dim::customer, "C-1", 0, 1, 5});
  x.append(std::move(y));
  EXPECT_EQ(x.upserts[0].rows, 3u);
  EXPECT_EQ(x.errors.size(), 1u);
  EXPECT_EQ(x.repoints.size(), 1u);
  EXPECT_FALSE(x.empty_changes());
  EXPECT_TRUE(y.empty_changes());
}

}  // namespace
}  // namespace lh::projections
