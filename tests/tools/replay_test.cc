// `ledgerhouse replay`: a generated stream ingested in chunks with `run`
// following; the warehouse copied at moments T1, T2 and at the end; then
// replays must reproduce those copies table by table (point in time,
// disaster), survive kill -9 (seeded), run beside live ingest + run, refuse
// bad inputs with clear messages and name the seq of a corrupt record.
#include <gtest/gtest.h>
#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "events/event.h"
#include "storage/replay_target.h"
#include "tools/replay.h"
#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tests/tools/warehouse_suite.h"

namespace lh::testing {
namespace {

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs the binary to the end, keeping stdout and stderr.
Outcome run_both(const std::vector<std::string>& args, const TempDir& dir) {
  static int n = 0;
  std::string o = dir / ("out" + std::to_string(++n)), e = dir / ("err" + std::to_string(n));
  RunResult r = wait_for(spawn(args, o, e));
  return {r.signal ? -r.signal : r.exit_code, slurp(o), slurp(e)};
}

void exec(const std::string& dsn, const std::string& sql) {
  pqxx::connection c(dsn);
  pqxx::work tx(c);
  tx.exec0(sql);
  tx.commit();
}

uint64_t query_count(const std::string& dsn, const std::string& sql) {
  pqxx::connection c(dsn);
  pqxx::read_transaction tx(c);
  return tx.exec1(sql)[0].as<uint64_t>();
}

uint64_t checkpoint_seq(const std::string& dsn, const std::string& schema) {
  pqxx::connection c(dsn);
  pqxx::read_transaction tx(c);
  return tx.exec1("SELECT min(last_seq) FROM " + tx.quote_name(schema) + ".checkpoint")[0].as<uint64_t>();
}

// Copies every table of `from` (warehouse tables, projection_errors,
// checkpoint) into a new schema `to`: a snapshot compare_schemas can read.
void snapshot(const std::string& dsn, const std::string& from, const std::string& to) {
  std::string sql = "CREATE SCHEMA " + to + ";";
  auto schema = schema_named(from);
  std::vector<std::string> tables{std::string(projections::kErrorsTable),
                                  std::string(projections::kCheckpointTable)};
  for (const auto& t : schema.tables()) tables.push_back(t.name);
  for (const auto& t : tables) sql += "CREATE TABLE " + to + "." + t + " AS SELECT * FROM " + from + "." + t + ";";
  exec(dsn, sql);
}

// What init-db defines, schema name elided: indexes, constraints, policies,
// RLS flags, views (replay_state, the replay's own record, left out).
std::vector<std::string> ddl_of(const std::string& dsn, const std::string& schema) {
  pqxx::connection c(dsn);
  pqxx::read_transaction tx(c);
  std::vector<std::string> out;
  auto r = tx.exec_params(
      "SELECT 'index ' || indexname || ': ' || replace(indexdef, $1 || '.', '') FROM pg_indexes "
      "WHERE schemaname = $1 AND tablename <> 'replay_state' "
      "UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ': ' || "
      "pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = $1::regnamespace "
      "AND conrelid::regclass::text NOT LIKE '%replay_state' "
      "UNION ALL SELECT 'policy ' || tablename || ' ' || policyname || ': ' || cmd || ' ' || "
      "coalesce(replace(qual, $1 || '.', ''), '') FROM pg_policies WHERE schemaname = $1 "
      "UNION ALL SELECT 'table ' || relname || ' rls ' || relrowsecurity || relforcerowsecurity || ' ' || "
      "relkind::text || ' ' || coalesce(array_to_string(reloptions, ','), '') FROM pg_class "
      "WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'v') AND relname <> 'replay_state' "
      "UNION ALL SELECT 'view ' || viewname || ': ' || replace(definition, $1 || '.', '') FROM pg_views "
      "WHERE schemaname = $1 ORDER BY 1",
      schema);
  for (const auto& row : r) {
    std::string s = row[0].as<std::string>();
    // Constraint names carry the table qualified by the schema.
    for (size_t at; (at = s.find(schema + ".")) != std::string::npos;) s.erase(at, schema.size() + 1);
    out.push_back(s);
  }
  return out;
}

class Replay : public WarehouseSuite<Replay> {
 protected:
  static void SetUpTestSuite() {
    start_cluster();
    if (HasFatalFailure()) return;
    log_dir_ = *dir_ / "log";
    std::string all = *dir_ / "stream.ndjson";
    ASSERT_EQ(run({"generate", "--days", "2", "--seed", "11", "--orders-per-day", "900", "-o", all}).exit_code, 0);
    // Three chunks, ingested one after the other with `run` following.
    std::vector<std::string> lines = lines_of(slurp(all));
    for (int k = 0; k < 3; ++k) {
      std::ofstream f(chunk(k));
      for (size_t i = lines.size() * k / 3; i < lines.size() * (k + 1) / 3; ++i) f << lines[i] << '\n';
    }
    ASSERT_EQ(run(cli("live", {"init-db"})).exit_code, 0);
    for (int k = 0; k < 3; ++k) {
      ASSERT_EQ(run(cli("live", {"run", "--until-caught-up", "--ingest", chunk(k)})).exit_code, 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // T strictly after the chunk's ingest
      pqxx::connection c(dsn_);
      pqxx::nontransaction tx(c);
      // psql's form of a timestamptz: "2026-11-23 15:01:02.123456+00".
      moments_[k] = tx.exec1("SELECT clock_timestamp()::text")[0].as<std::string>();
      heads_[k] = checkpoint_seq(dsn_, "live");
      snapshot(dsn_, "live", "snap" + std::to_string(k));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static std::string chunk(int k) { return *dir_ / ("chunk" + std::to_string(k) + ".ndjson"); }
  static std::vector<std::string> cli(const std::string& schema, std::vector<std::string> args,
                                      const std::string& log = "") {
    return cli_for(log.empty() ? log_dir_ : log, schema, std::move(args));
  }
  static std::vector<std::string> replay(const std::string& into, std::vector<std::string> args = {},
                                         const std::string& log = "") {
    args.insert(args.begin(), {"replay", "--into", into});
    return cli("unused", args, log);
  }
  static std::string diff(const std::string& a, const std::string& b) {
    return compare_schemas(dsn_, schema_named("live"), a, b);
  }
  static std::string log_dir_;
  static std::string moments_[3];
  static uint64_t heads_[3];
};
std::string Replay::log_dir_, Replay::moments_[3];
uint64_t Replay::heads_[3];

TEST_F(Replay, FullReplayEqualsTheLiveWarehouseWithTheSameDdl) {
  ASSERT_GT(heads_[0], 1000u);
  ASSERT_LT(heads_[0], heads_[1]);
  ASSERT_LT(heads_[1], heads_[2]);
  Outcome r = run_both(replay("whole"), *dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("replayed into schema whole"), std::string::npos) << r.out;
  EXPECT_EQ(diff("snap2", "whole"), "");
  EXPECT_EQ(diff("live", "whole"), "");
  EXPECT_EQ(ddl_of(dsn_, "whole"), ddl_of(dsn_, "live"));
  EXPECT_GT(ddl_of(dsn_, "live").size(), 40u);

  // Again: complete, nothing changes.
  Outcome again = run_both(replay("whole"), *dir_);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already holds a complete replay"), std::string::npos) << again.out;
  exec(dsn_, "DROP SCHEMA whole CASCADE");
}

TEST_F(Replay, UntilTimeReproducesTheWarehouseAsItWasAtThatMoment) {
  // T1 as psql prints it, T2 as RFC 3339 with an offset.
  Outcome r1 = run_both(replay("pitr1", {"--until-time", moments_[0]}), *dir_);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(checkpoint_seq(dsn_, "pitr1"), heads_[0]);
  EXPECT_EQ(diff("snap0", "pitr1"), "");
  std::string t2 = moments_[1];  // "2026-11-23 15:01:02.123456+00" -> "2026-11-23T17:01:02.123456+02:00"
  auto us = tools::parse_until_time(t2);
  ASSERT_TRUE(us.ok()) << us.error().message;
  std::string rfc = events::format_time_us(*us + 2 * 3600 * 1000000LL);
  rfc = rfc.substr(0, rfc.size() - 1) + "+02:00";
  Outcome r2 = run_both(replay("pitr2", {"--until-time", rfc}), *dir_);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(checkpoint_seq(dsn_, "pitr2"), heads_[1]);
  EXPECT_EQ(diff("snap1", "pitr2"), "");
  EXPECT_NE(diff("snap0", "pitr2"), "");  // the comparison can tell moments apart
  exec(dsn_, "DROP SCHEMA pitr1 CASCADE; DROP SCHEMA pitr2 CASCADE");
}

TEST_F(Replay, DroppedSchemaIsRestoredEqualToTheOneLost) {
  ASSERT_EQ(run(cli("victim", {"init-db"})).exit_code, 0);
  ASSERT_EQ(run(cli("victim", {"run", "--until-caught-up"})).exit_code, 0);
  snapshot(dsn_, "victim", "victim_before");
  exec(dsn_, "DROP SCHEMA victim CASCADE");
  Outcome r = run_both(replay("victim"), *dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(diff("victim_before", "victim"), "");
  // `run` goes on from the restored checkpoint.
  EXPECT_EQ(run(cli("victim", {"run", "--until-caught-up"})).exit_code, 0);
  exec(dsn_, "DROP SCHEMA victim CASCADE; DROP SCHEMA victim_before CASCADE");
}

TEST_F(Replay, KillNineAtRandomMomentsThenResumeEqualsAnUninterruptedReplay) {
  constexpr int kRuns = 4;
  int killed_mid = 0;
  for (int n = 0; n < kRuns; ++n) {
    SCOPED_TRACE("seeded run " + std::to_string(n));
    std::mt19937_64 rng(7100 + n);
    std::string into = "killed_" + std::to_string(n);
    int kills = 1 + static_cast<int>(rng() % 2);
    for (int k = 0; k < kills; ++k) {
      pid_t pid = spawn(replay(into, {"--batch-events", std::to_string(200 + rng() % 800), "--apply-events", "1000",
                                      "--max-in-flight", "2"}));
      // A random moment after this run has applied something (on a busy
      // machine a fixed delay may end before the first apply).
      uint64_t from = 0;
      try {
        from = checkpoint_seq(dsn_, into);
      } catch (const std::exception&) {  // not created yet
      }
      for (int i = 0; i < 400; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        try {
          if (checkpoint_seq(dsn_, into) > from) break;
        } catch (const std::exception&) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 600));
      ::kill(pid, SIGKILL);
      wait_for(pid);
    }
    auto state = storage::ReplayTarget::inspect(dsn_, schema_named(into));
    ASSERT_TRUE(state.ok()) << state.error().message;
    if (state->replay_made && !state->complete && state->checkpoint_seq > 0) ++killed_mid;
    Outcome fin = run_both(replay(into), *dir_);
    ASSERT_EQ(fin.exit_code, 0) << fin.err;
    EXPECT_EQ(diff("snap2", into), "");
    EXPECT_EQ(ddl_of(dsn_, into), ddl_of(dsn_, "live"));
    exec(dsn_, "DROP SCHEMA " + into + " CASCADE");
  }
  EXPECT_GE(killed_mid, kRuns / 2);
}

// Late dimension changes re-point facts already written. A bulk replay
// defers those repoints to its end (one pass instead of a table scan per
// transaction): the result must still equal the live warehouse, which
// applied each one as it came, batch by batch.
TEST_F(Replay, LateDimensionChangesAreRepointedAtTheEndAndEqualTheLiveWarehouse) {
  const std::string log = *dir_ / "late-log", file = *dir_ / "late.ndjson";
  {
    std::ofstream f(file);
    auto t = [](const char* hm) { return std::string("\"2026-11-02T") + hm + ":00Z\""; };
    const std::string cust = R"(,"data":{"customer_id":"C-1","name":"Ann","email":"a@x.org","city":"Lyon",)"
                             R"("region":"ARA","zip":"69001","country":"FR","segment":)";
    const std::string vend = R"(,"data":{"vendor_id":"V-1","name":"Acme","country":"DE","city":"Bonn",)"
                             R"("commission_rate":"0.15","status":"active","tier":)";
    const std::string view = R"(,"data":{"session_id":"S-1","url":"/p/1","http_method":"GET","status_code":200,)"
                             R"("latency_ms":12,"customer_id":"C-1","product_id":"P-1","vendor_id":"V-1"}})";
    f << R"({"event_id":"l1","type":"customer_registered","event_time":)" << t("10:00") << cust << "\"retail\"}}\n";
    f << R"({"event_id":"l2","type":"vendor_registered","event_time":)" << t("10:00") << vend << "\"gold\"}}\n";
    f << R"({"event_id":"l3","type":"page_viewed","event_time":)" << t("12:00") << view << "\n";
    f << R"({"event_id":"l4","type":"order_placed","event_time":)" << t("12:30")
      << R"(,"data":{"order_id":"O-1","customer_id":"C-1","currency":"EUR","lines":[{"line_no":1,)"
      << R"("product_id":"P-1","vendor_id":"V-1","quantity":1,"unit_price":"9.50"}]}})" << "\n";
    f << R"({"event_id":"l5","type":"customer_updated","event_time":)" << t("11:00") << cust << "\"vip\"}}\n";
    f << R"({"event_id":"l6","type":"vendor_updated","event_time":)" << t("11:30") << vend << "\"silver\"}}\n";
    f << R"({"event_id":"l7","type":"page_viewed","event_time":)" << t("13:00") << view << "\n";
    f << R"({"event_id":"l8","type":"customer_updated","event_time":)" << t("12:15") << cust << "\"gold\"}}\n";
  }
  ASSERT_EQ(run(cli("late_live", {"init-db"}, log)).exit_code, 0);
  Outcome live = run_both(cli("late_live", {"run", "--until-caught-up", "--batch-events", "1", "--ingest", file}, log),
                          *dir_);
  ASSERT_EQ(live.exit_code, 0) << live.err;
  Outcome r = run_both(replay("late_replay", {"--batch-events", "2", "--apply-events", "2"}, log), *dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // l5 repoints both views and the order (customer, from 11:00), l6 the view
  // and line (vendor, from 11:30), l8 the 12:30 order and the 13:00 view.
  EXPECT_NE(r.out.find(" 3 deferred repoints"), std::string::npos) << r.out;
  EXPECT_EQ(compare_schemas(dsn_, schema_named("late_live"), "late_live", "late_replay"), "");
  for (const char* schema : {"late_live", "late_replay"}) {
    SCOPED_TRACE(schema);
    const std::string q = std::string("SELECT string_agg(format('%s:%s/%s', to_char(event_time AT TIME ZONE 'UTC', "
                                      "'HH24:MI'), customer_sk, vendor_sk), ' ' ORDER BY event_time) FROM ") +
                          schema + ".fact_clickstream";
    pqxx::connection c(dsn_);
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1(q)[0].as<std::string>(), "12:00:5/6 13:00:8/6");
    EXPECT_EQ(tx.exec1(std::string("SELECT format('%s/%s', customer_sk, vendor_sk) FROM ") + schema +
                       ".fact_order_line")[0].as<std::string>(),
              "8/6");
    EXPECT_EQ(tx.exec1(std::string("SELECT customer_sk FROM ") + schema + ".fact_order")[0].as<int64_t>(), 8);
  }
  EXPECT_EQ(query_count(dsn_, "SELECT count(*) FROM pg_tables WHERE schemaname = 'late_replay' AND "
                              "tablename = 'replay_repoints'"),
            0u);
  exec(dsn_, "DROP SCHEMA late_live CASCADE; DROP SCHEMA late_replay CASCADE");
}

// A bulk replay writes the rows the owners hold (orders, lines, vendor
// days) in one transaction after its last batch. Stopped right after the
// last batch, before that transaction, its checkpoint is at the bound yet
// the rows are owed: the resumed replay must rebuild the owners' state and
// write them, not go straight to finishing the schema.
TEST_F(Replay, StoppedAfterTheLastBatchTheResumeStillWritesTheHeldRows) {
  storage::LogOptions lo;
  lo.dir = log_dir_;
  lo.read_only = true;
  auto log = storage::EventLog::open(lo);
  ASSERT_TRUE(log.ok()) << log.error().message;
  tools::ReplayRequest req;
  req.dsn = dsn_;
  req.target = schema_named("held").options();
  req.until_seq = heads_[1];
  std::atomic<bool> stop{false};
  req.runner.stop = &stop;
  req.runner.batch_events = 500;
  // The stop comes with the batch that reaches the bound: the loop ends
  // there, the batches in hand are applied, the held rows are not.
  req.runner.on_batch = [&](const projections::EventBatch& b) {
    if (!b.empty() && b.back().seq == heads_[1]) stop = true;
  };
  auto first = tools::replay_into(**log, req);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->outcome, tools::ReplaySummary::Outcome::interrupted);
  EXPECT_EQ(checkpoint_seq(dsn_, "held"), heads_[1]);
  auto state = storage::ReplayTarget::inspect(dsn_, schema_named("held"));
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_TRUE(state->bulk);
  EXPECT_FALSE(state->held_rows_flushed);
  EXPECT_EQ(query_count(dsn_, "SELECT count(*) FROM held.fact_order_line"), 0u) << "held until the end";
  EXPECT_GT(query_count(dsn_, "SELECT count(*) FROM held.fact_clickstream"), 0u);

  stop = false;
  req.runner.on_batch = nullptr;
  auto second = tools::replay_into(**log, req);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->outcome, tools::ReplaySummary::Outcome::completed);
  EXPECT_GT(query_count(dsn_, "SELECT count(*) FROM held.fact_order_line"), 0u);
  EXPECT_EQ(diff("snap1", "held"), "");
  exec(dsn_, "DROP SCHEMA held CASCADE");
}

TEST_F(Replay, SigtermStopsWithTheSeqAndTheSameCommandResumes) {
  pid_t pid = spawn(replay("termed", {"--batch-events", "300", "--apply-events", "300", "--max-in-flight", "1"}),
                    "", *dir_ / "termed.err");
  // Signal once it has applied something: the resume is then a real one.
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      if (checkpoint_seq(dsn_, "termed") > 0) break;
    } catch (const std::exception&) {  // not created yet
    }
  }
  ::kill(pid, SIGTERM);
  RunResult r = wait_for(pid);
  std::string err = slurp(*dir_ / "termed.err");
  ASSERT_EQ(r.exit_code, 130) << err;
  EXPECT_NE(err.find("interrupted at seq "), std::string::npos) << err;
  EXPECT_NE(err.find("run the same command again to resume"), std::string::npos) << err;
  uint64_t at = checkpoint_seq(dsn_, "termed");
  EXPECT_NE(err.find("interrupted at seq " + std::to_string(at) + ";"), std::string::npos) << err;
  Outcome fin = run_both(replay("termed", {"--batch-events", "300"}), *dir_);
  ASSERT_EQ(fin.exit_code, 0) << fin.err;
  EXPECT_NE(fin.out.find("resumed after seq " + std::to_string(at)), std::string::npos) << fin.out;
  EXPECT_EQ(diff("snap2", "termed"), "");
  exec(dsn_, "DROP SCHEMA termed CASCADE");
}

TEST_F(Replay, RunsBesideLiveIngestAndRunWithoutBlockingEither) {
  // A log of its own: live ingest + run append to it while replay reads it.
  std::string log = *dir_ / "busy-log";
  ASSERT_EQ(run(cli("busy", {"init-db"}, log)).exit_code, 0);
  ASSERT_EQ(run(cli("busy", {"run", "--until-caught-up", "--ingest", chunk(0)}, log)).exit_code, 0);
  pid_t live = spawn(cli("busy", {"run", "--until-caught-up", "--batch-events", "500", "--ingest", chunk(1),
                                  chunk(2)},
                         log));
  Outcome r = run_both(replay("beside", {"--until-seq", std::to_string(heads_[0]), "--batch-events", "500"}, log),
                       *dir_);
  RunResult lr = wait_for(live);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lr.exit_code, 0);
  EXPECT_EQ(checkpoint_seq(dsn_, "busy"), heads_[2]);
  EXPECT_EQ(diff("snap0", "beside"), "");
  EXPECT_EQ(diff("snap2", "busy"), "");
  exec(dsn_, "DROP SCHEMA beside CASCADE; DROP SCHEMA busy CASCADE");
}

TEST_F(Replay, BadInputsGetClearErrors) {
  Outcome t = run_both(replay("x1", {"--until-time", "yesterday noon"}), *dir_);
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("--until-time 'yesterday noon' is not a time"), std::string::npos) << t.err;

  Outcome s = run_both(replay("x2", {"--until-seq", std::to_string(heads_[2] + 1)}), *dir_);
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("--until-seq " + std::to_string(heads_[2] + 1) + " is beyond the event log's head (last seq " +
                       std::to_string(heads_[2])),
            std::string::npos)
      << s.err;

  Outcome n = run_both(replay("bad name;drop"), *dir_);
  EXPECT_EQ(n.exit_code, 2);
  EXPECT_NE(n.err.find("--into"), std::string::npos) << n.err;
  EXPECT_NE(n.err.find("bad name;drop"), std::string::npos) << n.err;

  Outcome pg = run_both({"-q", "-D", log_dir_, "--pg", "host=/nonexistent-dir port=1", "replay", "--into", "x3"}, *dir_);
  EXPECT_EQ(pg.exit_code, 1);
  EXPECT_NE(pg.err.find("cannot reach PostgreSQL (host=/nonexistent-dir port=1"), std::string::npos) << pg.err;

  Outcome live = run_both(replay("live"), *dir_);
  EXPECT_EQ(live.exit_code, 1);
  EXPECT_NE(live.err.find("schema \"live\" already exists and was not made by `replay` (a warehouse at seq " +
                          std::to_string(heads_[2])),
            std::string::npos)
      << live.err;

  // A complete replay to one bound, then a partial one (its completion
  // undone): another bound is refused on both.
  std::string seq0 = std::to_string(heads_[0]);
  ASSERT_EQ(run_both(replay("bounded", {"--until-seq", seq0}), *dir_).exit_code, 0);
  Outcome other = run_both(replay("bounded", {"--until-seq", std::to_string(heads_[1])}), *dir_);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("already holds a complete replay to seq " + seq0), std::string::npos) << other.err;
  exec(dsn_, "UPDATE bounded.replay_state SET completed_at = NULL");
  Outcome partial = run_both(replay("bounded", {"--until-time", moments_[2]}), *dir_);
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_NE(partial.err.find("holds a partial replay to seq " + seq0), std::string::npos) << partial.err;
  EXPECT_NE(partial.err.find("run it again with that bound to resume"), std::string::npos) << partial.err;
  // The same bound finishes it.
  EXPECT_EQ(run_both(replay("bounded", {"--until-seq", seq0}), *dir_).exit_code, 0);
  EXPECT_EQ(diff("snap0", "bounded"), "");
  exec(dsn_, "DROP SCHEMA bounded CASCADE");
}

// Flips one byte of the stored record of `seq` (behind its checksum) in a
// copy of the log, through LMDB directly.
void flip_byte(const std::string& log_dir, uint64_t seq) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 8);
  mdb_env_set_mapsize(env, 1ull << 30);
  ASSERT_EQ(mdb_env_open(env, log_dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "events", 0, &dbi), 0);
  unsigned char key[8];
  for (int i = 0; i < 8; ++i) key[i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
  MDB_val k{8, key}, v;
  ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
  std::string rec(static_cast<const char*>(v.mv_data), v.mv_size);
  rec[rec.size() / 2] ^= 0x20;
  MDB_val nv{rec.size(), rec.data()};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &nv, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST_F(Replay, AFlippedByteInARecordFailsTheReplayNamingItsSeq) {
  std::string copy = *dir_ / "corrupt-log";
  std::filesystem::create_directories(copy);
  std::filesystem::copy(log_dir_, copy, std::filesystem::copy_options::recursive);
  const uint64_t bad = heads_[0] + 17;
  flip_byte(copy, bad);
  Outcome r = run_both(replay("corrupt", {"--batch-events", "256"}, copy), *dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("seq " + std::to_string(bad) + ": checksum mismatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("replay into \"corrupt\""), std::string::npos) << r.err;
  // Everything before it was applied, nothing after.
  EXPECT_LT(checkpoint_seq(dsn_, "corrupt"), bad);
  exec(dsn_, "DROP SCHEMA corrupt CASCADE");
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

bool schema_exists(const std::string& dsn, const std::string& name) {
  return query_count(dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = '" + name + "'") > 0;
}

TEST_F(Replay, DrillOnAScratchCopyPassesWithZeroRpoAndLeavesTheLiveSchemaAlone) {
  std::string out = *dir_ / "drill1";
  Outcome r = run_both(cli("live", {"drill", "--out", out, "--at", moments_[0]}), *dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("drill PASSED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RPO 0 events, 12/12 tables match (S = seq " + std::to_string(heads_[2]) + ")"),
            std::string::npos)
      << r.out;
  std::string json = slurp(out + "/report.json");
  EXPECT_NE(json.find("\"rpo_events\": 0, \"ok\": true"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"match\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"seq\": " + std::to_string(heads_[0])), std::string::npos) << json;  // the PITR
  std::string md = slurp(out + "/report.md");
  EXPECT_NE(md.find("**RTO**"), std::string::npos) << md;
  EXPECT_NE(md.find("| fact_order_line | "), std::string::npos) << md;
  EXPECT_FALSE(schema_exists(dsn_, "live_drill"));
  EXPECT_FALSE(schema_exists(dsn_, "live_drill_pitr"));
  EXPECT_EQ(diff("snap2", "live"), "");
}

TEST_F(Replay, DestructiveDrillDropsTheLiveSchemaAndRecoversItInPlace) {
  ASSERT_EQ(run(cli("doomed", {"init-db"})).exit_code, 0);
  ASSERT_EQ(run(cli("doomed", {"run", "--until-caught-up"})).exit_code, 0);
  snapshot(dsn_, "doomed", "doomed_before");
  Outcome r = run_both(cli("doomed", {"drill", "--destructive", "--out", *dir_ / "drill2"}), *dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(slurp(*dir_ / "drill2/report.md").find("destructive (live schema dropped"), std::string::npos);
  EXPECT_NE(r.out.find("drill PASSED"), std::string::npos) << r.out;
  EXPECT_EQ(diff("doomed_before", "doomed"), "");
  EXPECT_EQ(ddl_of(dsn_, "doomed"), ddl_of(dsn_, "live"));
  exec(dsn_, "DROP SCHEMA doomed CASCADE; DROP SCHEMA doomed_before CASCADE");
}

TEST_F(Replay, DrillReportsADamagedTableAsAMismatch) {
  ASSERT_EQ(run(cli("damaged", {"init-db"})).exit_code, 0);
  ASSERT_EQ(run(cli("damaged", {"run", "--until-caught-up"})).exit_code, 0);
  // Silent damage in the live warehouse: one quantity changed.
  exec(dsn_, "UPDATE damaged.fact_order_line SET quantity = quantity + 1 WHERE (vendor_id, order_id, line_no) = "
             "(SELECT vendor_id, order_id, line_no FROM damaged.fact_order_line ORDER BY 1, 2, 3 LIMIT 1)");
  std::string out = *dir_ / "drill3";
  Outcome r = run_both(cli("damaged", {"drill", "--out", out}), *dir_);
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_NE(r.out.find("drill FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("11/12 tables match"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("MISMATCH fact_order_line"), std::string::npos) << r.err;
  std::string json = slurp(out + "/report.json");
  EXPECT_NE(json.find("{\"table\": \"fact_order_line\""), std::string::npos) << json;
  auto at = json.find("{\"table\": \"fact_order_line\"");
  EXPECT_NE(json.find("\"match\": false", at), std::string::npos) << json;
  EXPECT_NE(json.find("\"ok\": false"), std::string::npos) << json;
  EXPECT_FALSE(schema_exists(dsn_, "damaged_drill"));
  exec(dsn_, "DROP SCHEMA damaged CASCADE");
}

}  // namespace
}  // namespace lh::testing

namespace lh::tools {
namespace {

TEST(ParseUntilTime, AcceptsRfc3339AndPsqlFormsAndRejectsTheRest) {
  const int64_t base = *events::parse_rfc3339_us("2026-11-20T10:15:00Z");
  auto us = [](const char* s) {
    auto r = parse_until_time(s);
    EXPECT_TRUE(r.ok()) << s << ": " << r.error().message;
    return r.ok() ? *r : -1;
  };
  EXPECT_EQ(us("2026-11-20T10:15:00Z"), base);
  EXPECT_EQ(us("2026-11-20 10:15:00+00"), base);
  EXPECT_EQ(us("2026-11-20 10:15:00"), base);
  EXPECT_EQ(us("2026-11-20 12:15:00+02"), base);
  EXPECT_EQ(us("2026-11-20 15:45:00+0530"), base);
  EXPECT_EQ(us("2026-11-20T12:15:00+02:00"), base);
  EXPECT_EQ(us("2026-11-20 10:15:00.123456+00"), base + 123456);
  for (const char* bad : {"", "now", "2026-11-20", "2026-13-01 00:00:00", "2026-11-20 10:15:00+2", "10:15:00"}) {
    auto r = parse_until_time(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find(std::string("'") + bad + "' is not a time"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace lh::tools
