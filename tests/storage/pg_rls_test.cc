// Row-level security: a role made by grant_vendor reads only its vendor's
// rows of every vendor-scoped table and view, no PII and nothing outside its
// grants, and cannot write.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "pg_test_env.h"

namespace lh::storage {
namespace {

using namespace testing;
using projections::Table;

size_t ti(Table t) { return static_cast<size_t>(t); }

// First value of `sql` run as `role`, or "ERROR <sqlstate>".
std::string as_role(const std::string& role, const std::string& sql) {
  PgCluster& c = PgEnv::cluster();
  pqxx::connection conn(fmt::format("host={} port={} dbname=postgres user={}", c.dir(), c.port(), role));
  try {
    pqxx::work tx(conn);
    auto r = tx.exec(sql);
    if (r.empty() || r[0][0].is_null()) return "<null>";
    return r[0][0].c_str();
  } catch (const pqxx::insufficient_privilege&) {
    return "ERROR 42501";  // libpqxx 6.4 leaves sqlstate() empty for this one
  } catch (const pqxx::sql_error& e) {
    return "ERROR " + e.sqlstate() + " " + e.what();
  }
}

// Two vendors' rows in every vendor-scoped table, plus the dimensions the
// views join. Customer C-1 bought from V-1 while in region North and from
// V-2 after moving South.
projections::RowBatch two_vendors() {
  auto b = batch(0, 100);
  auto& dv = b.upserts[ti(Table::dim_vendor)];
  for (const char* v : {"1", "2"})
    add_row(dv, {v, (std::string("V-") + v).c_str(), (std::string("Vendor ") + v).c_str(), "DE", "Berlin", "gold",
                 "0.1", "active", "2026-01-01 00:00:00+00", "infinity", "t", "1", "f", "f"});
  auto& dc = b.upserts[ti(Table::dim_customer)];
  add_row(dc, {"10", "C-1", "Ann", "ann@example.com", "Kiel", "North", "24103", "DE", "retail",
               "2026-01-01 00:00:00+00", "2026-11-02 00:00:00+00", "f", "1", "f", "f"});
  add_row(dc, {"11", "C-1", "Ann", "ann@example.com", "Munich", "South", "80331", "DE", "retail",
               "2026-11-02 00:00:00+00", "infinity", "t", "2", "f", "f"});
  add_row(dc, {"12", "C-2", "Bob", "bob@example.com", "Kiel", "North", "24103", "DE", "retail",
               "2026-01-01 00:00:00+00", "infinity", "t", "1", "f", "f"});
  auto& dp = b.upserts[ti(Table::dim_product)];
  add_row(dp, {"20", "P-1", "Lamp", "home", "Lux", "V-1", "19.90", "EUR", "500", "2026-01-01 00:00:00+00",
               "infinity", "t", "1", "f", "f"});
  add_row(dp, {"21", "P-2", "Mug", "kitchen", "Cup", "V-2", "5.00", "EUR", "300", "2026-01-01 00:00:00+00",
               "infinity", "t", "1", "f", "f"});
  order_line(b, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "10", "P-1", "20");
  order_line(b, "V-2", "O-2", "1", "2026-11-03 10:00:00+00", "C-1", "11", "P-2", "21");
  order_line(b, "V-1", "O-3", "1", "2026-11-03 10:00:00+00", "C-2", "12", "P-1", "20");
  order_line(b, "V-1", "O-4", "1", "2026-11-04 10:00:00+00", "C-2", "12", "P-1", "20", "returned");
  for (const char* v : {"V-1", "V-2"}) {
    add_row(b.upserts[ti(Table::fact_vendor_performance)],
            {v, "20261103", "EUR", "1", "1", "1", "10.00", "0", "0", "1", "4.0", "0"});
    add_row(b.upserts[ti(Table::fact_stock)],
            {v, v[2] == '1' ? "30" : "31", "2026-11-02 00:00:00+00", "20261102", "P-1", "20", "W", "0", nullptr, "t"});
  }
  const char* click_vendors[] = {"V-1", "V-2", nullptr};
  for (int i = 0; i < 3; ++i) {
    std::string seq = std::to_string(40 + i);
    add_row(b.upserts[ti(Table::fact_clickstream)],
            {seq.c_str(), ("ev-" + seq).c_str(), "S-1", "2026-11-02 00:00:00+00", "20261102", "/p", "GET", "200",
             "3000", "C-1", "10", nullptr, nullptr, click_vendors[i], nullptr});
    add_row(b.upserts[ti(Table::alert_high_latency)],
            {seq.c_str(), "2026-11-02 00:00:00+00", "S-1", "/p", "GET", "200", "3000", "2000", "C-1", "retail",
             "North", click_vendors[i]});
  }
  add_row(b.upserts[ti(Table::fact_order)],
          {"O-1", "5", "C-1", "10", "EUR", "1", "1", "1", "10.00", "0", "20261101", "2026-11-01 10:00:00+00", nullptr,
           nullptr, nullptr, nullptr, nullptr, "placed"});
  return b;
}

TEST(PgRowSecurity, VendorRoleSeesOnlyItsRowsNoPiiAndCannotWrite) {
  auto s = make_schema(fresh_schema());
  const std::string sch = s.options().schema;
  auto w = writer(s);
  LH_ASSERT_OK(w->init_db());
  auto b = two_vendors();
  LH_ASSERT_OK(w->apply({&b}));
  const std::string v1 = "lh_v1_" + sch, v2 = "lh_v2_" + sch;
  LH_ASSERT_OK(w->grant_vendor("V-1", v1, "pw1"));
  LH_ASSERT_OK(w->grant_vendor("V-1", v1, "pw1-rotated"));  // idempotent, updates the password
  LH_ASSERT_OK(w->grant_vendor("V-2", v2, ""));
  // The server stores (and logs) only a verifier, never the password.
  EXPECT_EQ(query1("SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = '" + v1 + "'"), "SCRAM-SHA-256$");
  EXPECT_EQ(query1("SELECT rolpassword FROM pg_authid WHERE rolname = '" + v2 + "'"), "<null>");

  for (const auto& t : s.tables()) {
    if (t.vendor_column.empty()) continue;
    std::string sql = fmt::format("SELECT format('%s/%s', count(*) FILTER (WHERE vendor_id = 'V-1'), count(*)) FROM {}.{}",
                                  sch, t.name);
    std::string mine = as_role(v1, sql);
    EXPECT_EQ(mine.substr(0, mine.find('/')), mine.substr(mine.find('/') + 1)) << t.name << ": " << mine;
    EXPECT_NE(mine.substr(0, 2), "0/") << t.name << ": " << mine;
    EXPECT_NE(query1(sql), mine) << t.name << ": the owner sees more";
  }
  for (const auto& v : projections::view_names()) {
    if (v == "v_customers_multi_region") continue;
    std::string sql = fmt::format("SELECT format('%s/%s', count(*) FILTER (WHERE vendor_id = 'V-1'), count(*)) FROM {}.{}",
                                  sch, v);
    std::string mine = as_role(v1, sql);
    EXPECT_EQ(mine.substr(0, mine.find('/')), mine.substr(mine.find('/') + 1)) << v << ": " << mine;
    EXPECT_NE(mine.substr(0, 2), "0/") << v << ": " << mine;
  }
  EXPECT_EQ(as_role(v1, "SELECT string_agg(customer_id, ',') FROM " + sch + ".v_top_repeat_customers"), "C-2");
  // C-1 bought in two regions, but only one of them from V-1.
  EXPECT_EQ(query1("SELECT region_list FROM " + sch + ".v_customers_multi_region"), "North, South");
  EXPECT_EQ(as_role(v1, "SELECT count(*) FROM " + sch + ".v_customers_multi_region"), "0");
  EXPECT_EQ(as_role(v2, "SELECT string_agg(vendor_id, ',') FROM " + sch + ".fact_order_line"), "V-2");
  EXPECT_EQ(as_role(v1, "SELECT string_agg(vendor_id, ',') FROM " + sch + ".vendor_roles"), "V-1");

  // Shared, non-PII reference data is readable; PII and marketplace-wide
  // tables are not.
  EXPECT_EQ(as_role(v1, "SELECT count(*) FROM " + sch + ".dim_product"), "2");
  EXPECT_EQ(as_role(v1, "SELECT is_weekend::text FROM " + sch + ".dim_date WHERE date_key = 20261122"), "true");
  EXPECT_EQ(as_role(v1, "SELECT string_agg(region, ',' ORDER BY customer_sk) FROM " + sch + ".dim_customer"),
            "North,South,North");
  for (const char* col : {"name", "email", "zip", "*"})
    EXPECT_EQ(as_role(v1, fmt::format("SELECT {} FROM {}.dim_customer", col, sch)), "ERROR 42501") << col;
  for (const char* t : {"fact_order", "agg_pageviews_5m", "checkpoint", "projection_errors", "projection_skips"})
    EXPECT_EQ(as_role(v1, fmt::format("SELECT count(*) FROM {}.{}", sch, t)), "ERROR 42501") << t;

  // No writes, not even to its own rows.
  for (const std::string& sql :
       {"INSERT INTO " + sch + ".fact_stock SELECT * FROM " + sch + ".fact_stock",
        "UPDATE " + sch + ".fact_order_line SET status = 'x' WHERE vendor_id = 'V-1'",
        "DELETE FROM " + sch + ".dim_vendor", "TRUNCATE " + sch + ".fact_clickstream",
        "INSERT INTO " + sch + ".vendor_roles VALUES ('" + v1 + "', 'V-2')"})
    EXPECT_EQ(as_role(v1, sql), "ERROR 42501") << sql;
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".fact_order_line WHERE status = 'x'"), "0");
}

TEST(PgRowSecurity, GrantVendorRefusesPowerfulRolesAndBadNames) {
  auto s = make_schema(fresh_schema());
  auto w = writer(s);
  auto st = w->grant_vendor("V-1", "lh_early", "");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("init-db"), std::string::npos) << st.error().message;
  LH_ASSERT_OK(w->init_db());
  st = w->grant_vendor("V-1", PgEnv::cluster().user(), "");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("superuser"), std::string::npos) << st.error().message;
  EXPECT_FALSE(w->grant_vendor("V-1", "pg_monitor", "").ok());
  EXPECT_FALSE(w->grant_vendor("", "lh_x", "").ok());
  EXPECT_EQ(query1("SELECT rolsuper::text FROM pg_roles WHERE rolname = '" + PgEnv::cluster().user() + "'"), "true");
}

}  // namespace
}  // namespace lh::storage
