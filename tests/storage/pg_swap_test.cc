// Schema swaps (storage/pg_swap.h) and what PgWriter does about them: a
// writer whose schema was swapped writes nothing; a swap carries over what
// the log does not know; a shadow that is behind is not swapped in. Also the
// test-only generated column of orders v2 through the writer's merge.
#include <gtest/gtest.h>

#include "storage/pg_swap.h"
#include "tests/storage/pg_test_env.h"

namespace lh::storage {
namespace {

using namespace testing;

projections::Schema v2_schema(const std::string& name) {
  projections::WarehouseOptions o;
  o.schema = name;
  o.test_orders_v2 = true;
  auto s = projections::Schema::make(o);
  if (!s.ok()) throw std::runtime_error(s.error().message);
  return s.value();
}

TEST(PgSwap, AWriterWhoseSchemaWasSwappedWritesNothing) {
  std::string live = fresh_schema(), shadow = live + "_shadow", prev = live + "_prev";
  auto lw = writer(make_schema(live));
  LH_ASSERT_OK(lw->init_db());
  auto cp = lw->checkpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_NE(cp->schema_oid, 0u);
  lw->expect_schema(cp->schema_oid);
  auto b1 = batch(0, 1);
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  LH_ASSERT_OK(lw->apply({&b1}));

  // The shadow sits at the same seq: only the OID tells them apart.
  projections::Schema shadow_schema = v2_schema(shadow);
  auto sw = writer(shadow_schema);
  LH_ASSERT_OK(sw->init_db());
  auto s1 = batch(0, 1);
  LH_ASSERT_OK(sw->apply({&s1}));
  auto r = swap_schemas(options(), {live, shadow, prev, &shadow_schema, 1000});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->swapped);
  EXPECT_EQ(r->live_seq, 1u);
  EXPECT_EQ(r->incoming_seq, 1u);

  auto b2 = batch(1, 2);
  order_line(b2, "V-1", "O-2", "1", "2026-11-01 11:00:00+00", "C-1", "1", "P-1", "1");
  auto st = lw->apply({&b2});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(lw->schema_swapped());
  EXPECT_NE(st.error().message.find("was swapped by `ledgerhouse rebuild`"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(query1("SELECT count(*) FROM " + live + ".fact_order_line"), "0");
  EXPECT_EQ(query1("SELECT count(*) FROM " + prev + ".fact_order_line"), "1");
  EXPECT_EQ(query1("SELECT max(last_seq) FROM " + live + ".checkpoint"), "1");
  EXPECT_EQ(query1("SELECT count(*) FROM pg_namespace WHERE nspname = '" + shadow + "'"), "0");
}

TEST(PgSwap, CarriesOverPausedFlagsSkipsAndVendorRoles) {
  std::string live = fresh_schema(), shadow = live + "_shadow", prev = live + "_prev";
  auto lw = writer(make_schema(live));
  LH_ASSERT_OK(lw->init_db());
  LH_ASSERT_OK(lw->set_paused("stock", true));
  LH_ASSERT_OK(lw->record_skip(7, "poison"));
  std::string role = live + "_v1";
  LH_ASSERT_OK(lw->grant_vendor("V-1", role, ""));
  projections::Schema shadow_schema = v2_schema(shadow);
  LH_ASSERT_OK(writer(shadow_schema)->init_db());
  auto r = swap_schemas(options(), {live, shadow, prev, &shadow_schema, 1000});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->swapped);
  EXPECT_EQ(query1("SELECT paused FROM " + live + ".checkpoint WHERE projection = 'stock'"), "t");
  EXPECT_EQ(query1("SELECT paused FROM " + live + ".checkpoint WHERE projection = 'orders'"), "f");
  EXPECT_EQ(query1("SELECT reason FROM " + live + ".projection_skips WHERE seq = 7"), "poison");
  EXPECT_EQ(query1("SELECT vendor_id FROM " + live + ".vendor_roles WHERE role_name = '" + role + "'"), "V-1");
  EXPECT_EQ(query1("SELECT has_table_privilege('" + role + "', '" + live + ".fact_order_line', 'SELECT')"), "t");
  EXPECT_EQ(query1("SELECT version FROM " + live + ".checkpoint WHERE projection = 'orders'"), "2");
  EXPECT_EQ(query1("SELECT version FROM " + prev + ".checkpoint WHERE projection = 'orders'"), "1");

  // Rollback: the previous schema back, the current one becomes _prev.
  auto prev_schema = make_schema(prev);
  auto back = swap_schemas(options(), {live, prev, prev, &prev_schema, -1});
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->swapped);
  EXPECT_EQ(query1("SELECT version FROM " + live + ".checkpoint WHERE projection = 'orders'"), "1");
  EXPECT_EQ(query1("SELECT version FROM " + prev + ".checkpoint WHERE projection = 'orders'"), "2");
}

TEST(PgSwap, AShadowBehindTheLiveCheckpointIsNotSwappedIn) {
  std::string live = fresh_schema(), shadow = live + "_shadow", prev = live + "_prev";
  auto lw = writer(make_schema(live));
  LH_ASSERT_OK(lw->init_db());
  auto b = batch(0, 5);
  LH_ASSERT_OK(lw->apply({&b}));
  projections::Schema shadow_schema = v2_schema(shadow);
  LH_ASSERT_OK(writer(shadow_schema)->init_db());
  auto r = swap_schemas(options(), {live, shadow, prev, &shadow_schema, 50});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->swapped);
  EXPECT_EQ(r->live_seq, 5u);
  EXPECT_EQ(r->incoming_seq, 0u);
  EXPECT_EQ(query1("SELECT version FROM " + live + ".checkpoint WHERE projection = 'orders'"), "1");
  EXPECT_EQ(query1("SELECT count(*) FROM pg_namespace WHERE nspname = '" + shadow + "'"), "1");
  // Not a warehouse: refused with its name, nothing renamed.
  auto named = v2_schema("no_such_schema");
  auto bad = swap_schemas(options(), {live, "no_such_schema", prev, &named, 50});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("\"no_such_schema\" is not an initialized warehouse schema"), std::string::npos)
      << bad.error().message;
  EXPECT_EQ(query1("SELECT version FROM " + live + ".checkpoint WHERE projection = 'orders'"), "1");
}

TEST(PgSwap, GeneratedColumnIsComputedThroughCopyAndMerge) {
  auto s = v2_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto b1 = batch(0, 1);
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1", "placed", "10.00");
  LH_ASSERT_OK(w->apply({&b1}));
  auto b2 = batch(1, 2);  // the same line again: merged (ON CONFLICT DO UPDATE)
  order_line(b2, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1", "shipped", "12.50");
  LH_ASSERT_OK(w->apply({&b2}));
  std::string t = s.options().schema + ".fact_order_line";
  EXPECT_EQ(query1("SELECT gross_amount FROM " + t), "12.50");
  EXPECT_EQ(query1("SELECT status FROM " + t), "shipped");
}

TEST(PgSwap, CompanionNamesPastSixtyThreeBytesAreRefused) {
  EXPECT_EQ(shadow_schema_name("dwh").value(), "dwh_shadow");
  EXPECT_EQ(prev_schema_name("dwh").value(), "dwh_prev");
  auto r = shadow_schema_name(std::string(60, 'a'));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("at most 56 characters"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace lh::storage
