// PgWriter against a real PostgreSQL: init-db, apply (merge, insert_only,
// deletes, repoints, errors, checkpoint), refusals, retries across a server
// restart, projection control and bad connection strings.
#include "storage/pg_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "pg_test_env.h"

namespace lh::storage {
namespace {

using namespace testing;
using projections::Table;

size_t ti(Table t) { return static_cast<size_t>(t); }

std::string expected_type(projections::ColType t) {
  switch (t) {
    case projections::ColType::timestamptz: return "timestamp with time zone";
    case projections::ColType::bigint_array: return "ARRAY";
    default: return std::string(projections::sql_type(t));
  }
}

TEST(PgWriter, InitDbCreatesEveryTableAndColumnAndIsIdempotent) {
  auto s = make_schema(fresh_schema(), {"2026-12-25"});
  auto w = writer(s);
  auto before = w->checkpoint();
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_FALSE(before->initialized);
  LH_ASSERT_OK(w->init_db());
  const std::string sch = s.options().schema;
  auto objects = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" +
                 sch + "'";
  std::string count1 = query1(objects);
  // Set a checkpoint, then init again: nothing changes, nothing is reset.
  auto b = batch(0, 7);
  LH_ASSERT_OK(w->apply({&b}));
  LH_ASSERT_OK(w->init_db());
  EXPECT_EQ(query1(objects), count1);
  EXPECT_EQ(w->checkpoint()->last_seq, 7u);

  for (const auto& t : s.tables()) {
    for (const auto& c : t.columns) {
      std::string got = query1("SELECT data_type || ' ' || is_nullable FROM information_schema.columns WHERE "
                               "table_schema = '" + sch + "' AND table_name = '" + t.name + "' AND column_name = '" +
                               c.name + "'");
      EXPECT_EQ(got, expected_type(c.type) + (c.nullable ? " YES" : " NO")) << t.name << "." << c.name;
    }
    std::string pk = query1("SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM pg_index x "
                            "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(att, i) "
                            "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.att "
                            "WHERE x.indisprimary AND x.indrelid = '" + sch + "." + t.name + "'::regclass");
    std::string want;
    for (size_t i = 0; i < t.key_columns; ++i) want += (i ? "," : "") + t.columns[i].name;
    EXPECT_EQ(pk, want) << t.name;
    std::string rls = query1("SELECT relrowsecurity::text || relforcerowsecurity::text FROM pg_class WHERE oid = '" +
                             sch + "." + t.name + "'::regclass");
    EXPECT_EQ(rls, t.vendor_column.empty() ? "falsefalse" : "truetrue") << t.name;
  }
  for (const auto& v : projections::view_names())
    EXPECT_EQ(query1("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = '" + sch + "." + v +
                     "'::regclass"),
              "security_invoker=true")
        << v;
  // Insert-only facts: no (id, time) btree per SkRef, a BRIN on its time
  // column instead (repoints bound their UPDATE by time to use it).
  EXPECT_EQ(query1("SELECT string_agg(indexname || ' ' || split_part(split_part(indexdef, 'USING ', 2), ' ', 1), "
                   "', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '" + sch +
                   "' AND tablename = 'fact_clickstream'"),
            "fact_clickstream_event_time_brin brin, fact_clickstream_pkey btree, fact_clickstream_vendor_id_idx btree");
  // Upserted facts too (session 6): one BRIN per SkRef time column, none
  // where the id leads the primary key (vendor_id of fact_order_line: the
  // key serves its repoints).
  EXPECT_EQ(query1("SELECT string_agg(indexname || ' ' || split_part(split_part(indexdef, 'USING ', 2), ' ', 1), "
                   "', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '" + sch +
                   "' AND tablename = 'fact_order_line'"),
            "fact_order_line_order_time_brin brin, fact_order_line_pkey btree");
  EXPECT_EQ(query1("SELECT string_agg(indexname || ' ' || split_part(split_part(indexdef, 'USING ', 2), ' ', 1), "
                   "', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '" + sch +
                   "' AND tablename = 'fact_order'"),
            "fact_order_pkey btree, fact_order_placed_time_brin brin");
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".dim_date"), "7670");  // 2015-01-01 .. 2035-12-31
  EXPECT_EQ(query1("SELECT format('%s %s %s %s', date_key, weekday, is_weekend, is_holiday) FROM " + sch +
                   ".dim_date WHERE date = '2026-12-25'"),
            "20261225 5 f t");
  EXPECT_EQ(query1("SELECT format('%s %s %s', weekday, is_weekend, is_holiday) FROM " + sch +
                   ".dim_date WHERE date_key = 20261122"),
            "7 t f");
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".checkpoint WHERE ddl_version = 1"),
            std::to_string(s.projections().size()));
}

TEST(PgWriter, UpsertsMergeButLeaveSkColumnsToRepoints) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto b1 = batch(0, 10);
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "5", "P-1", "3");
  add_row(b1.upserts[ti(Table::fact_vendor_performance)],
          {"V-1", "20261101", "EUR", "1", "1", "1", "10.00", "0", "0", "0", nullptr, "0"});
  LH_ASSERT_OK(w->apply({&b1}));
  auto b2 = batch(10, 20);
  order_line(b2, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "99", "P-1", "98", "shipped");
  add_row(b2.upserts[ti(Table::fact_vendor_performance)],
          {"V-1", "20261101", "EUR", "2", "3", "4", "30.50", "1", "0", "2", "4.5", "0"});
  auto st = w->apply({&b2});
  ASSERT_TRUE(st.ok()) << st.error().message;
  const std::string sch = s.options().schema;
  EXPECT_EQ(query1("SELECT format('%s %s %s', status, customer_sk, product_sk) FROM " + sch + ".fact_order_line"),
            "shipped 5 3");
  EXPECT_EQ(query1("SELECT format('%s %s %s %s', orders, revenue, avg_stars, count(*) OVER ()) FROM " + sch +
                   ".fact_vendor_performance"),
            "2 30.50 4.5 1");
  EXPECT_EQ(w->checkpoint()->last_seq, 20u);
}

// Inserts (rows.h: rows new to the table) are COPYed straight in; a later
// upsert of the same key merges as usual; an insert of a key the table
// already holds fails the whole apply, naming the table, and writes nothing.
TEST(PgWriter, InsertsAreCopiedStraightInAndAKnownKeyFailsTheApply) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  const std::string sch = s.options().schema;
  auto b1 = batch(0, 10);
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "5", "P-1", "3");
  order_line(b1, "V-1", "O-2", "1", "2026-11-01 11:00:00+00", "C-1", "5", "P-1", "3");
  std::swap(b1.inserts[ti(Table::fact_order_line)], b1.upserts[ti(Table::fact_order_line)]);
  add_row(b1.inserts[ti(Table::fact_vendor_performance)],
          {"V-1", "20261101", "EUR", "2", "2", "2", "20.00", "0", "0", "0", nullptr, "0"});
  LH_ASSERT_OK(w->apply({&b1}));
  EXPECT_EQ(query1("SELECT string_agg(order_id || ' ' || status, ', ' ORDER BY order_id) FROM " + sch +
                   ".fact_order_line"),
            "O-1 placed, O-2 placed");
  auto b2 = batch(10, 20);  // a known line changes: merged, its sk columns kept
  order_line(b2, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "99", "P-1", "98", "shipped");
  LH_ASSERT_OK(w->apply({&b2}));
  EXPECT_EQ(query1("SELECT format('%s %s %s', status, customer_sk, product_sk) FROM " + sch +
                   ".fact_order_line WHERE order_id = 'O-1'"),
            "shipped 5 3");
  auto b3 = batch(20, 30);  // a producer bug: O-2 is not new
  order_line(b3, "V-1", "O-3", "1", "2026-11-02 10:00:00+00", "C-1", "5", "P-1", "3");
  order_line(b3, "V-1", "O-2", "1", "2026-11-01 11:00:00+00", "C-1", "5", "P-1", "3", "shipped");
  std::swap(b3.inserts[ti(Table::fact_order_line)], b3.upserts[ti(Table::fact_order_line)]);
  auto st = w->apply({&b3});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("copying new rows into \"" + sch + "\".\"fact_order_line\""), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("duplicate key"), std::string::npos) << st.error().message;
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".fact_order_line"), "2");  // O-3 not written either
  EXPECT_EQ(w->checkpoint()->last_seq, 20u);
}

TEST(PgWriter, AppliesInsertOnlyDeletesRepointsInOrderErrorsAndCheckpoint) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  const std::string sch = s.options().schema;
  auto b1 = batch(0, 5);
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  order_line(b1, "V-1", "O-2", "1", "2026-11-03 10:00:00+00", "C-1", "1", "P-1", "1");
  order_line(b1, "V-2", "O-3", "1", "2026-11-03 10:00:00+00", "C-2", "2", "P-2", "2");
  add_row(b1.upserts[ti(Table::fact_vendor_performance)],
          {"V-1", "20261101", "EUR", "1", "1", "1", "10.00", "0", "0", "0", nullptr, "0"});
  add_row(b1.upserts[ti(Table::fact_vendor_performance)],
          {"V-2", "20261103", "EUR", "1", "1", "1", "10.00", "0", "0", "0", nullptr, "0"});
  for (const char* seq : {"2", "3"})
    add_row(b1.upserts[ti(Table::fact_stock)],
            {"V-1", seq, "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "WH-1", "0", "-4", "t"});
  LH_ASSERT_OK(w->apply({&b1}));

  auto b2 = batch(5, 9);
  add_row(b2.deletes[ti(Table::fact_vendor_performance)], {"V-2", "20261103"});
  add_row(b2.upserts[ti(Table::fact_stock)],
          {"V-1", "6", "2026-11-04 00:00:00+00", "20261104", "P-1", "1", "WH-1", "5", "5", "f"});
  using projections::Dim;
  // Overlapping repoints of C-1: applied in order, the second wins on both
  // lines. C-2 is repointed in the same wave (no overlap).
  b2.repoints.push_back({Dim::customer, "C-1", projections::kMinusInfinityUs, 1793700000000000, 7});  // < 11-03 10:00
  b2.repoints.push_back({Dim::customer, "C-2", projections::kMinusInfinityUs, projections::kInfinityUs, 20});
  b2.repoints.push_back({Dim::customer, "C-1", 1793491200000000, projections::kInfinityUs, 8});  // from 11-01 00:00
  b2.repoints.push_back({Dim::product, "P-1", 1793700000000000, projections::kInfinityUs, 30});   // from 11-03 10:00
  b2.errors.push_back({8, "ev-8", "orders", "customer shard 1", "unit_price is \"bad\"\tand\nlong"});
  auto st = w->apply({&b2});
  ASSERT_TRUE(st.ok()) << st.error().message;

  EXPECT_EQ(query1("SELECT string_agg(format('%s:%s:%s', order_id, customer_sk, product_sk), ' ' ORDER BY order_id) "
                   "FROM " + sch + ".fact_order_line"),
            "O-1:8:1 O-2:8:30 O-3:20:2");
  EXPECT_EQ(query1("SELECT string_agg(vendor_id, ',') FROM " + sch + ".fact_vendor_performance"), "V-1");
  EXPECT_EQ(query1("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM " + sch + ".fact_stock"), "2,3,6");
  EXPECT_EQ(query1("SELECT format('%s|%s|%s|%s|%s', seq, event_id, projection, owner, message) FROM " + sch +
                   ".projection_errors"),
            "8|ev-8|orders|customer shard 1|unit_price is \"bad\"\tand\nlong");
  auto cp = w->checkpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->last_seq, 9u);
  ASSERT_EQ(cp->projections.size(), s.projections().size());
  for (const auto& p : cp->projections) EXPECT_EQ(p.last_seq, 9u) << p.name;
}

TEST(PgWriter, WrongAfterSeqIsRefusedAndWritesNothing) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto b1 = batch(0, 10);
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  LH_ASSERT_OK(w->apply({&b1}));
  auto stale = batch(5, 12);
  order_line(stale, "V-1", "O-2", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  stale.errors.push_back({11, "ev-11", "orders", "o", "x"});
  auto st = w->apply({&stale});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("after seq 5"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("=10"), std::string::npos) << st.error().message;
  // Not consecutive: refused before touching the database.
  auto a = batch(10, 12), gap = batch(13, 14);
  order_line(a, "V-1", "O-3", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  st = w->apply({&a, &gap});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not consecutive"), std::string::npos) << st.error().message;
  const std::string sch = s.options().schema;
  EXPECT_EQ(query1("SELECT string_agg(order_id, ',') FROM " + sch + ".fact_order_line"), "O-1");
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".projection_errors"), "0");
  EXPECT_EQ(w->checkpoint()->last_seq, 10u);
}

TEST(PgWriter, SeveralBatchesInOneCallApplyInOrder) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto a = batch(0, 4), b = batch(4, 9), c = batch(9, 9);
  order_line(a, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  order_line(b, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1", "delivered");
  order_line(b, "V-1", "O-2", "1", "2026-11-02 10:00:00+00", "C-1", "1", "P-1", "1");
  b.repoints.push_back({projections::Dim::customer, "C-1", projections::kMinusInfinityUs, projections::kInfinityUs, 4});
  add_row(a.upserts[ti(Table::fact_stock)], {"V-1", "2", "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "1", nullptr, "f"});
  add_row(b.upserts[ti(Table::fact_stock)], {"V-1", "5", "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "0", nullptr, "t"});
  auto st = w->apply({&a, &b, &c});
  ASSERT_TRUE(st.ok()) << st.error().message;
  const std::string sch = s.options().schema;
  EXPECT_EQ(query1("SELECT string_agg(format('%s:%s:%s', order_id, status, customer_sk), ' ' ORDER BY order_id) FROM " +
                   sch + ".fact_order_line"),
            "O-1:delivered:4 O-2:placed:4");
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".fact_stock"), "2");
  EXPECT_EQ(w->checkpoint()->last_seq, 9u);
}

TEST(PgWriter, ServerRestartBetweenAppliesIsRetriedWithoutLossOrDoubles) {
  auto s = make_schema(fresh_schema());
  int retries = 0;
  auto o = options(60);
  o.on_retry = [&](const std::string& m, int attempt, int64_t delay_ms) {
    ++retries;
    EXPECT_EQ(attempt, retries);
    EXPECT_GE(delay_ms, 100);
    EXPECT_LE(delay_ms, 5000);
  };
  auto w = writer(s, o);
  LH_ASSERT_OK(w->init_db());
  auto b1 = batch(0, 3);
  add_row(b1.upserts[ti(Table::fact_stock)], {"V-1", "2", "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "1", nullptr, "f"});
  order_line(b1, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  LH_ASSERT_OK(w->apply({&b1}));
  PgCluster& c = PgEnv::cluster();
  LH_ASSERT_OK(c.kill());
  std::thread restarter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_TRUE(c.restart().ok());
  });
  auto b2 = batch(3, 6);
  add_row(b2.upserts[ti(Table::fact_stock)], {"V-1", "5", "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "0", nullptr, "t"});
  order_line(b2, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1", "approved");
  auto st = w->apply({&b2});
  restarter.join();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_GE(retries, 1);
  const std::string sch = s.options().schema;
  EXPECT_EQ(query1("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM " + sch + ".fact_stock"), "2,5");
  EXPECT_EQ(query1("SELECT format('%s %s', count(*), min(status)) FROM " + sch + ".fact_order_line"), "1 approved");
  EXPECT_EQ(w->checkpoint()->last_seq, 6u);
  // The writer's staging tables were recreated on the new connection.
  auto b3 = batch(6, 7);
  order_line(b3, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1", "shipped");
  st = w->apply({&b3});
  ASSERT_TRUE(st.ok()) << st.error().message;
}

// The retry of a transaction whose commit went through (the acknowledgement
// was lost) finds the checkpoint at last_seq and writes nothing twice.
TEST(PgWriter, RetryAfterACommitThatWentThroughWritesNothingTwice) {
  auto s = make_schema(fresh_schema());
  int retries = 0;
  auto o = options(30);
  o.on_retry = [&](const std::string&, int, int64_t) { ++retries; };
  auto late = writer(s, o);
  LH_ASSERT_OK(late->init_db());
  PgCluster& c = PgEnv::cluster();
  LH_ASSERT_OK(c.kill());  // `late`'s connection dies
  LH_ASSERT_OK(c.restart());
  auto b = batch(0, 3);
  add_row(b.upserts[ti(Table::fact_stock)], {"V-1", "2", "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "1", nullptr, "f"});
  LH_ASSERT_OK(writer(s)->apply({&b}));  // stands for the commit whose ack was lost
  auto st = late->apply({&b});
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(retries, 1);
  EXPECT_EQ(query1("SELECT count(*) FROM " + s.options().schema + ".fact_stock"), "1");
  // Without a lost connection the same call is out of step: refused.
  EXPECT_FALSE(late->apply({&b}).ok());
}

// Two writers racing with the same batch: the checkpoint row lock
// serializes them; exactly one applies it.
TEST(PgWriter, TwoWritersWithTheSameBatchApplyItOnce) {
  auto s = make_schema(fresh_schema());
  auto w1 = writer(s), w2 = writer(s);
  LH_ASSERT_OK(w1->init_db());
  auto b = batch(0, 3);
  for (int i = 0; i < 2000; ++i) {
    std::string seq = std::to_string(i + 1);
    add_row(b.upserts[ti(Table::fact_stock)], {"V-1", seq.c_str(), "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "1", nullptr, "f"});
  }
  Status r1 = Status::Ok(), r2 = Status::Ok();
  std::thread t1([&] { r1 = w1->apply({&b}); });
  std::thread t2([&] { r2 = w2->apply({&b}); });
  t1.join();
  t2.join();
  EXPECT_NE(r1.ok(), r2.ok());
  const auto& refused = r1.ok() ? r2 : r1;
  if (!refused.ok()) {
    EXPECT_NE(refused.error().message.find("checkpoint is"), std::string::npos) << refused.error().message;
  }
  EXPECT_EQ(query1("SELECT count(*) FROM " + s.options().schema + ".fact_stock"), "2000");
  EXPECT_EQ(w1->checkpoint()->last_seq, 3u);
}

TEST(PgWriter, ServerDownLongerThanRetryForIsAnError) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s, options(1));
  LH_ASSERT_OK(w->init_db());
  PgCluster& c = PgEnv::cluster();
  LH_ASSERT_OK(c.kill());
  auto b = batch(0, 1);
  auto t0 = std::chrono::steady_clock::now();
  auto st = w->apply({&b});
  auto took = std::chrono::steady_clock::now() - t0;
  LH_ASSERT_OK(c.restart());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("cannot reach PostgreSQL (host=" + c.dir()), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("gave up after"), std::string::npos) << st.error().message;
  EXPECT_LT(took, std::chrono::seconds(3));
  // The writer recovers once the server is back.
  auto again = w->apply({&b});
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST(PgWriter, ApplyBeforeInitDbSaysSo) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  auto b = batch(0, 1);
  auto st = w->apply({&b});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("is not initialized: run `ledgerhouse init-db`"), std::string::npos)
      << st.error().message;
}

TEST(PgWriter, BadRowNamesTheTableAndPostgresMessage) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto b = batch(0, 1);
  add_row(b.upserts[ti(Table::fact_stock)], {"V-1", "not-a-number", "2026-11-02 00:00:00+00", "20261102", "P-1", "1", "W", "1", nullptr, "f"});
  auto st = w->apply({&b});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("fact_stock"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("invalid input syntax for type bigint"), std::string::npos) << st.error().message;
  EXPECT_EQ(w->checkpoint()->last_seq, 0u);
}

TEST(PgWriter, PauseResumeSkipAndReset) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto b = batch(0, 4);
  order_line(b, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  b.errors.push_back({3, "ev-3", "orders", "o", "boom"});
  LH_ASSERT_OK(w->apply({&b}));
  LH_ASSERT_OK(w->set_paused("orders", true));
  auto bad = w->set_paused("nope", true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("no projection named 'nope'"), std::string::npos);
  LH_ASSERT_OK(w->record_skip(3, "poison event, ticket 42"));
  LH_ASSERT_OK(w->record_skip(2, "duplicate"));
  EXPECT_FALSE(w->record_skip(0, "x").ok());
  EXPECT_FALSE(w->record_skip(5, "").ok());
  auto cp = w->checkpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->skips, (std::vector<uint64_t>{2, 3}));
  for (const auto& p : cp->projections) EXPECT_EQ(p.paused, p.name == "orders") << p.name;
  LH_ASSERT_OK(w->reset());
  const std::string sch = s.options().schema;
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".fact_order_line"), "0");
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".projection_errors"), "0");
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".dim_date") != "0", true);
  cp = w->checkpoint();
  EXPECT_EQ(cp->last_seq, 0u);
  EXPECT_EQ(cp->skips.size(), 2u);  // operator decisions about the log survive a reset
  LH_ASSERT_OK(w->set_paused("orders", false));
}

TEST(PgWriter, BadOrRefusedConnectionSaysWhere) {
  auto s = make_schema(fresh_schema());
  PgOptions o;
  o.retry_for_s = 0;
  o.dsn = "host=127.0.0.1 port=1 dbname=wh user=lh password=s3cret";
  auto w = PgWriter::connect(o, s);
  ASSERT_FALSE(w.ok());
  const std::string& m = w.error().message;
  EXPECT_NE(m.find("host=127.0.0.1 port=1 dbname=wh user=lh"), std::string::npos) << m;
  EXPECT_NE(m.find("Connection refused"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  o.dsn = "hots=localhost";
  w = PgWriter::connect(o, s);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("malformed"), std::string::npos) << w.error().message;
  EXPECT_NE(w.error().message.find("hots"), std::string::npos) << w.error().message;
  // A login the server refuses does not heal by waiting: no retries.
  o = options(60);
  o.dsn += " dbname=no_such_db";
  auto t0 = std::chrono::steady_clock::now();
  w = PgWriter::connect(o, s);
  ASSERT_FALSE(w.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_NE(w.error().message.find("\"no_such_db\" does not exist"), std::string::npos) << w.error().message;
  EXPECT_NE(w.error().message.find("dbname=no_such_db"), std::string::npos) << w.error().message;
  EXPECT_EQ(describe_dsn("postgresql://u:pw@db.example:6543/sales"), "host=db.example port=6543 dbname=sales user=u");
}

}  // namespace
}  // namespace lh::storage
