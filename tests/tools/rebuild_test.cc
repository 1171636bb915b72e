// `ledgerhouse rebuild`: a new projection version (the test-only orders v2,
// whose fact_order_line gains a generated column) built in a shadow schema
// while ingestion and `run` go on, swapped in with one transaction, rolled
// back; `run` with another version waits and writes nothing. Real processes,
// a real PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tests/tools/warehouse_suite.h"

namespace lh::testing {
namespace {

using namespace std::chrono_literals;

// Polls `pred` every 20 ms for up to `timeout`.
template <typename F>
bool eventually(F pred, std::chrono::milliseconds timeout = 120s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

struct Captured {
  int exit_code = -1;
  std::string out, err;
};

class Rebuild : public WarehouseSuite<Rebuild> {
 protected:
  static constexpr int kChunks = 12;

  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    std::string input = *dir_ / "stream.ndjson";
    ASSERT_EQ(run({"generate", "--days", "1", "--seed", "11", "--orders-per-day", "2500", "-o", input}).exit_code, 0);
    // kChunks files of consecutive lines: ingested one by one they make a
    // stream that keeps arriving.
    std::ifstream in(input);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    ASSERT_GT(lines.size(), 20000u);
    for (int c = 0; c < kChunks; ++c) {
      std::ofstream out(chunk(c));
      for (size_t i = lines.size() * c / kChunks; i < lines.size() * (c + 1) / kChunks; ++i) out << lines[i] << '\n';
    }
  }

  static std::string chunk(int c) { return *dir_ / ("chunk-" + std::to_string(c) + ".ndjson"); }

  // Global options for schema `schema` over the log of this test, the code
  // at version 1 or (v2) with the test-only orders version 2.
  std::vector<std::string> cli(const std::string& schema, bool v2, std::vector<std::string> args) const {
    if (v2) args.insert(args.begin(), "--test-orders-v2");
    return cli_for(log_.path.string(), schema, std::move(args));
  }
  void ingest(int c) const {
    ASSERT_EQ(run({"-q", "-D", log_.path.string(), "ingest", "--durability", "nosync", chunk(c)}).exit_code, 0);
  }
  Captured capture(const std::vector<std::string>& args) const {
    static std::atomic<int> n{0};
    std::string out = log_ / ("out-" + std::to_string(++n)), err = out + ".err";
    Captured c;
    c.exit_code = wait_for(spawn(args, out, err)).exit_code;
    c.out = slurp(out);
    c.err = slurp(err);
    return c;
  }
  uint64_t head() const {
    storage::LogOptions o;
    o.dir = log_.path.string();
    o.read_only = true;
    auto log = storage::EventLog::open(o);
    EXPECT_TRUE(log.ok()) << log.error().message;
    return log.ok() ? (*log)->last_seq() : 0;
  }
  static std::string sql(const std::string& q) {
    try {
      pqxx::connection c(dsn_);
      pqxx::nontransaction tx(c);
      auto r = tx.exec(q);
      return r.empty() || r[0][0].is_null() ? "<null>" : r[0][0].c_str();
    } catch (const std::exception& e) {
      return std::string("error: ") + e.what();
    }
  }
  static uint64_t checkpoint(const std::string& schema) {
    std::string v = sql("SELECT min(last_seq) FROM " + schema + ".checkpoint");
    return v.rfind("error", 0) == 0 || v == "<null>" ? 0 : std::stoull(v);
  }
  static std::string orders_version(const std::string& schema) {
    return sql("SELECT version FROM " + schema + ".checkpoint WHERE projection = 'orders'");
  }
  static std::string has_gross_amount(const std::string& schema) {
    return sql("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + schema +
               "' AND table_name = 'fact_order_line' AND column_name = 'gross_amount'");
  }
  // A clean replay of the whole log with version v2 (or 1) into `schema`.
  void reference(const std::string& schema, bool v2) const {
    ASSERT_EQ(run(cli(schema, v2, {"init-db"})).exit_code, 0);
    ASSERT_EQ(run(cli(schema, v2, {"run", "--until-caught-up"})).exit_code, 0);
    ASSERT_EQ(checkpoint(schema), head());
  }

  TempDir log_;
};

// Reads the live schema over and over: every table is there, and
// fact_order_line has the new column or not, never anything in between.
struct Reader {
  std::atomic<bool> done{false};
  int queries = 0, failures = 0, saw_old = 0, saw_new = 0;
  std::string first_failure;
  std::thread thread;

  Reader(const std::string& dsn, const std::string& schema) {
    thread = std::thread([this, dsn, schema] {
      pqxx::connection c(dsn);
      std::string counts;
      const projections::Schema tables = schema_named(schema);
      for (const auto& t : tables.tables())
        counts += (counts.empty() ? "SELECT " : " + ") + fmt::format("(SELECT count(*) FROM {}.{})", schema, t.name);
      while (!done) {
        try {
          pqxx::read_transaction tx(c);
          auto r = tx.exec1(fmt::format(
              "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = '{0}' AND tablename IN ('dim_vendor', "
              "'dim_customer', 'dim_product', 'fact_order_line', 'fact_order', 'fact_clickstream', 'fact_stock', "
              "'fact_vendor_performance', 'agg_pageviews_5m', 'alert_high_latency', 'checkpoint')), "
              "(SELECT count(*) FROM information_schema.columns WHERE table_schema = '{0}' "
              "AND table_name = 'fact_order_line' AND column_name = 'gross_amount')",
              schema));
          tx.exec1(counts);
          ++queries;
          if (r[0].as<int>() != 11) throw std::runtime_error(fmt::format("{} of 11 tables", r[0].as<int>()));
          (r[1].as<int>() ? saw_new : saw_old) += 1;
        } catch (const std::exception& e) {
          if (!failures++) first_failure = e.what();
        }
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  void stop() {
    done = true;
    if (thread.joinable()) thread.join();
  }
  ~Reader() { stop(); }
};

TEST_F(Rebuild, UnderLoadSwapsInTheNewVersionEqualToACleanReplay) {
  ingest(0);
  ASSERT_EQ(run(cli("live", false, {"init-db"})).exit_code, 0);
  pid_t v1 = spawn(cli("live", false, {"run", "--poll-ms", "50", "--batch-events", "1000"}), "", log_ / "v1.err");
  pid_t v2 = spawn(cli("live", true, {"run", "--poll-ms", "50", "--batch-events", "1000"}), "", log_ / "v2.err");
  const uint64_t first = head();
  EXPECT_TRUE(eventually([&] { return checkpoint("live") == first; })) << slurp(log_ / "v1.err");
  EXPECT_TRUE(eventually([&] { return slurp(log_ / "v2.err").find("serving version 1 unchanged") != std::string::npos; }))
      << slurp(log_ / "v2.err");

  Reader reader(dsn_, "live");
  std::atomic<bool> rebuilding{false};
  std::atomic<int> ingested_while_rebuilding{0};
  std::thread ingester([&] {
    for (int c = 1; c < kChunks - 1; ++c) {
      ingest(c);
      if (rebuilding) ++ingested_while_rebuilding;
      std::this_thread::sleep_for(150ms);
    }
  });
  std::this_thread::sleep_for(400ms);
  rebuilding = true;
  Captured rb = capture(cli("live", true, {"rebuild", "--batch-events", "500"}));
  rebuilding = false;
  ingester.join();
  EXPECT_EQ(rb.exit_code, 0) << rb.out << rb.err;
  EXPECT_NE(rb.out.find("swapped in at seq"), std::string::npos) << rb.out << rb.err;
  EXPECT_GE(ingested_while_rebuilding.load(), 1) << "the rebuild did not overlap the ingestion";
  // The old-code run notices the swap without an apply of its own (its
  // schema watch), says so and waits.
  EXPECT_TRUE(eventually([&] {
    return slurp(log_ / "v1.err").find("newer warehouse than this ledgerhouse projects") != std::string::npos;
  }, 20s)) << slurp(log_ / "v1.err");
  ingest(kChunks - 1);  // after the swap: the old-code run must not take these

  const uint64_t last = head();
  EXPECT_TRUE(eventually([&] { return checkpoint("live") == last; })) << slurp(log_ / "v2.err");
  reader.stop();
  kill(v1, SIGTERM);
  kill(v2, SIGTERM);
  EXPECT_EQ(wait_for(v1).exit_code, 0);
  EXPECT_EQ(wait_for(v2).exit_code, 0);
  std::string v1_err = slurp(log_ / "v1.err"), v2_err = slurp(log_ / "v2.err");
  EXPECT_NE(v1_err.find("was swapped by `ledgerhouse rebuild`"), std::string::npos) << v1_err;
  EXPECT_NE(v1_err.find("newer warehouse than this ledgerhouse projects"), std::string::npos) << v1_err;
  EXPECT_NE(v2_err.find("now has this ledgerhouse's projection versions"), std::string::npos) << v2_err;

  EXPECT_EQ(reader.failures, 0) << reader.first_failure;
  EXPECT_GT(reader.saw_old, 0);
  EXPECT_GT(reader.saw_new, 0);

  // Nothing lost or doubled: the warehouse equals a clean v2 replay.
  reference("ref_v2", true);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("live"), "ref_v2", "live"), "");
  EXPECT_EQ(orders_version("live"), "2");
  EXPECT_EQ(has_gross_amount("live"), "1");
  EXPECT_EQ(sql("SELECT count(*) FROM live.fact_order_line WHERE gross_amount <> amount + coalesce(freight, 0)"),
            "0");
  // The previous version stays, at version 1, where the v1 run left it.
  EXPECT_EQ(orders_version("live_prev"), "1");
  EXPECT_EQ(has_gross_amount("live_prev"), "0");
  EXPECT_GE(checkpoint("live_prev"), first);
  EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'live_shadow'"), "0");
}

TEST_F(Rebuild, RollbackRestoresThePreviousVersionAndRunCatchesItUp) {
  for (int c = 0; c < 6; ++c) ingest(c);
  ASSERT_EQ(run(cli("rb", false, {"init-db"})).exit_code, 0);
  ASSERT_EQ(run(cli("rb", false, {"run", "--until-caught-up"})).exit_code, 0);
  const uint64_t at_rebuild = head();
  // A vendor role and a paused flag set on the live schema survive the swap.
  ASSERT_EQ(run(cli("rb", false, {"grant-vendor", "V-1", "--role", "rb_vendor_1"})).exit_code, 0);
  Captured rb = capture(cli("rb", true, {"rebuild"}));
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err;
  EXPECT_EQ(orders_version("rb"), "2");
  EXPECT_EQ(sql("SELECT vendor_id FROM rb.vendor_roles WHERE role_name = 'rb_vendor_1'"), "V-1");
  EXPECT_EQ(sql("SELECT has_table_privilege('rb_vendor_1', 'rb.fact_order_line', 'SELECT')"), "t");

  for (int c = 6; c < kChunks; ++c) ingest(c);
  Captured back = capture(cli("rb", false, {"rebuild", "--rollback"}));
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_NE(back.out.find("rolled back schema rb"), std::string::npos) << back.out;
  EXPECT_EQ(orders_version("rb"), "1");
  EXPECT_EQ(orders_version("rb_prev"), "2");  // rollback again would swap it forward
  EXPECT_EQ(checkpoint("rb"), at_rebuild);
  EXPECT_EQ(has_gross_amount("rb"), "0");

  ASSERT_EQ(run(cli("rb", false, {"run", "--until-caught-up"})).exit_code, 0);
  EXPECT_EQ(checkpoint("rb"), head());
  reference("ref_v1", false);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("rb"), "ref_v1", "rb"), "");
}

TEST_F(Rebuild, RunWithAnotherVersionWaitsAndWritesNothing) {
  for (int c = 0; c < 3; ++c) ingest(c);
  ASSERT_EQ(run(cli("mm", false, {"init-db"})).exit_code, 0);
  pid_t v2 = spawn(cli("mm", true, {"run", "--until-caught-up"}), "", log_ / "mm.err");
  EXPECT_TRUE(eventually([&] { return slurp(log_ / "mm.err").find("serving version 1 unchanged") != std::string::npos; }))
      << slurp(log_ / "mm.err");
  std::string err = slurp(log_ / "mm.err");
  EXPECT_NE(err.find("projection orders: warehouse version 1, this ledgerhouse version 2"), std::string::npos) << err;
  EXPECT_NE(err.find("run `ledgerhouse rebuild`"), std::string::npos) << err;
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(checkpoint("mm"), 0u);
  EXPECT_EQ(sql("SELECT count(*) FROM mm.fact_clickstream"), "0");
  kill(v2, SIGTERM);
  EXPECT_EQ(wait_for(v2).exit_code, 0);

  // Versions that match: nothing to rebuild; --projection names one.
  Captured same = capture(cli("mm", false, {"rebuild"}));
  EXPECT_EQ(same.exit_code, 0);
  EXPECT_NE(same.out.find("nothing to rebuild"), std::string::npos) << same.out;
  same = capture(cli("mm", true, {"rebuild", "--projection", "stock"}));
  EXPECT_EQ(same.exit_code, 0);
  EXPECT_NE(same.out.find("already has this ledgerhouse's version of stock"), std::string::npos) << same.out;
  Captured bad = capture(cli("mm", true, {"rebuild", "--projection", "nope"}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no projection named 'nope'"), std::string::npos) << bad.err;
  // Older code on a newer warehouse is refused (rollback is the way back).
  ASSERT_EQ(run(cli("mm_new", true, {"init-db"})).exit_code, 0);
  Captured older = capture(cli("mm_new", false, {"rebuild"}));
  EXPECT_EQ(older.exit_code, 1);
  EXPECT_NE(older.err.find("--rollback"), std::string::npos) << older.err;
  EXPECT_EQ(orders_version("mm"), "1");
}

TEST_F(Rebuild, KilledRebuildResumesItsShadowAndAStaleShadowIsReplaced) {
  for (int c = 0; c < kChunks; ++c) ingest(c);
  ASSERT_EQ(run(cli("cr", false, {"init-db"})).exit_code, 0);
  ASSERT_EQ(run(cli("cr", false, {"run", "--until-caught-up"})).exit_code, 0);
  pid_t rb = spawn(cli("cr", true, {"rebuild", "--batch-events", "200"}));
  bool started = eventually([&] { return checkpoint("cr_shadow") > 0; }, 60s);
  kill(rb, SIGKILL);
  wait_for(rb);
  ASSERT_TRUE(started);
  const uint64_t left = checkpoint("cr_shadow");
  ASSERT_LT(left, head()) << "the rebuild ended before it could be killed";
  EXPECT_EQ(orders_version("cr"), "1");

  Captured again = capture(cli("cr", true, {"rebuild"}));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.err.find("resuming shadow schema cr_shadow left at seq"), std::string::npos) << again.err;
  reference("ref_cr", true);
  EXPECT_EQ(compare_schemas(dsn_, schema_named("cr"), "ref_cr", "cr"), "");

  // A shadow of other versions (a rebuild of other code) is replaced.
  ASSERT_EQ(run(cli("st", false, {"init-db"})).exit_code, 0);
  ASSERT_EQ(run(cli("st_shadow", false, {"init-db"})).exit_code, 0);
  Captured stale = capture(cli("st", true, {"rebuild"}));
  ASSERT_EQ(stale.exit_code, 0) << stale.out << stale.err;
  EXPECT_NE(stale.err.find("replacing schema st_shadow"), std::string::npos) << stale.err;
  EXPECT_EQ(orders_version("st"), "2");
  EXPECT_EQ(compare_schemas(dsn_, schema_named("st"), "ref_cr", "st"), "");
}

TEST_F(Rebuild, BadPathsSayWhatIsWrong) {
  ingest(0);
  Captured none = capture(cli("absent", true, {"rebuild"}));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no warehouse in schema absent"), std::string::npos) << none.err;
  ASSERT_EQ(run(cli("noprev", false, {"init-db"})).exit_code, 0);
  Captured noprev = capture(cli("noprev", false, {"rebuild", "--rollback"}));
  EXPECT_EQ(noprev.exit_code, 1);
  EXPECT_NE(noprev.err.find("nothing to roll back to: schema noprev_prev"), std::string::npos) << noprev.err;
  Captured unreachable = capture({"-q", "-D", log_.path.string(), "--pg", "host=127.0.0.1 port=1 user=lh",
                                  "--test-orders-v2", "rebuild"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("host=127.0.0.1 port=1"), std::string::npos) << unreachable.err;
  EXPECT_NE(unreachable.err.find("Connection refused"), std::string::npos) << unreachable.err;
  // A second rebuild of the same schema refuses to start.
  ASSERT_EQ(run(cli("locked", false, {"init-db"})).exit_code, 0);
  {
    pqxx::connection holder(dsn_);
    pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock(hashtext('ledgerhouse rebuild locked'))");
    Captured busy = capture(cli("locked", true, {"rebuild"}));
    EXPECT_EQ(busy.exit_code, 1);
    EXPECT_NE(busy.err.find("another `ledgerhouse rebuild` of schema locked is running"), std::string::npos)
        << busy.err;
    EXPECT_EQ(sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'locked_shadow'"), "0");
  }
  Captured long_name = capture(cli(std::string(60, 'x'), true, {"rebuild"}));
  EXPECT_EQ(long_name.exit_code, 2);
  EXPECT_NE(long_name.err.find("too long"), std::string::npos) << long_name.err;
}

}  // namespace
}  // namespace lh::testing
