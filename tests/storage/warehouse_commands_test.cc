// The `ledgerhouse` warehouse commands end to end: the real binary against
// the test PostgreSQL.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "pg_test_env.h"

namespace lh::storage {
namespace {

using namespace testing;

struct Run {
  int code;
  std::string out;  // stdout and stderr
};

Run ledgerhouse(const std::string& schema, const std::string& args, const std::string& dsn = "") {
  std::string cmd = std::string(LH_BINARY) + " --pg '" + (dsn.empty() ? PgEnv::cluster().dsn() : dsn) +
                    "' --schema " + schema + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(WarehouseCommands, InitGrantListPauseSkipReset) {
  const std::string sch = fresh_schema();
  auto r = ledgerhouse(sch, "projection list");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("run `ledgerhouse init-db`"), std::string::npos) << r.out;
  r = ledgerhouse(sch, "init-db");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("warehouse schema " + sch + " ready"), std::string::npos) << r.out;
  ASSERT_EQ(ledgerhouse(sch, "init-db").code, 0);

  r = ledgerhouse(sch, "grant-vendor V-7 --role lh_cli_" + sch + " --password secret");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(query1("SELECT vendor_id FROM " + sch + ".vendor_roles WHERE role_name = 'lh_cli_" + sch + "'"), "V-7");
  EXPECT_EQ(query1("SELECT rolcanlogin::text || rolbypassrls::text FROM pg_roles WHERE rolname = 'lh_cli_" + sch + "'"),
            "truefalse");

  ASSERT_EQ(ledgerhouse(sch, "projection pause orders").code, 0);
  r = ledgerhouse(sch, "projection pause nosuch");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("no projection named 'nosuch'"), std::string::npos) << r.out;
  ASSERT_EQ(ledgerhouse(sch, "projection skip 42 --reason 'poison, ticket 7'").code, 0);
  r = ledgerhouse(sch, "projection list --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("{\"name\":\"orders\",\"version\":1,\"last_seq\":0,\"paused\":true}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"skips\":[42]"), std::string::npos) << r.out;
  r = ledgerhouse(sch, "projection list");
  EXPECT_NE(r.out.find("paused"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("skipped seqs: 42"), std::string::npos) << r.out;
  ASSERT_EQ(ledgerhouse(sch, "projection resume orders").code, 0);

  // reset: refused without --yes, then done.
  auto w = writer(make_schema(sch));
  auto b = batch(0, 5);
  order_line(b, "V-1", "O-1", "1", "2026-11-01 10:00:00+00", "C-1", "1", "P-1", "1");
  LH_ASSERT_OK(w->apply({&b}));
  r = ledgerhouse(sch, "projection reset");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--yes"), std::string::npos) << r.out;
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".fact_order_line"), "1");
  ASSERT_EQ(ledgerhouse(sch, "projection reset --yes").code, 0);
  EXPECT_EQ(query1("SELECT count(*) FROM " + sch + ".fact_order_line"), "0");
  EXPECT_EQ(query1("SELECT max(last_seq) FROM " + sch + ".checkpoint"), "0");
}

TEST(WarehouseCommands, RefusedConnectionAndBadSchemaNameSayWhat) {
  auto r = ledgerhouse("dwh", "init-db", "host=127.0.0.1 port=1 user=lh password=hunter2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("host=127.0.0.1 port=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Connection refused"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;
  r = ledgerhouse("Bad-Name", "init-db");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("'Bad-Name'"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lh::storage
