#include "storage/pg_cluster.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace lh::storage {
namespace {

std::string psql(const PgCluster& c, const std::string& sql) {
  std::string cmd = "psql -X -A -t -v ON_ERROR_STOP=1 '" + c.dsn() + "' -c \"" + sql + "\" 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(PgCluster, InitStartsQueriesStopsAndReusesTheDataDirectory) {
  char tmpl[] = "/tmp/lh-pg-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  PgClusterOptions o;
  o.dir = (dir / "pg").string();
  o.extra_conf = "fsync = off";
  {
    auto c = PgCluster::start(o);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_GT((*c)->port(), 0);
    EXPECT_EQ(psql(**c, "select 40 + 2"), "42\n");
    EXPECT_EQ(psql(**c, "show fsync"), "off\n");
    EXPECT_NE((*c)->psql_command().find("psql -h " + o.dir), std::string::npos);
    ASSERT_TRUE(psql(**c, "create table t(x int); insert into t values (7)").find("ERROR") ==
                std::string::npos);
    ASSERT_TRUE((*c)->stop().ok());
    EXPECT_NE(psql(**c, "select 1").find("connect"), std::string::npos);  // really down
    ASSERT_TRUE((*c)->restart().ok());
    EXPECT_EQ(psql(**c, "select x from t"), "7\n");
  }
  // A second start on the same directory keeps the data (no second initdb).
  auto again = PgCluster::start(o);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(psql(**again, "select x from t"), "7\n");
  ASSERT_TRUE((*again)->stop().ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lh::storage
