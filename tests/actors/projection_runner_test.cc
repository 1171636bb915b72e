// The CAF projection (actors/projection_runner.h) against the reference
// Pipeline: same RowBatches byte for byte, same warehouse in a real
// PostgreSQL, across a stop + warm-up, a poison event and a PostgreSQL
// restart in the middle of a run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "actors/projection_runner.h"
#include "storage/ingest_pipeline.h"
#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tools/generator.h"

namespace lh::testing {
namespace {

using actors::ProjectionSink;
using actors::RunnerOptions;
using projections::RowBatch;

std::unique_ptr<storage::EventLog> log_of_file(const std::string& dir, const std::string& ndjson) {
  storage::LogOptions lo;
  lo.dir = dir;
  lo.durability = storage::Durability::nosync;
  auto log = storage::EventLog::open(lo);
  EXPECT_TRUE(log.ok()) << log.error().message;
  auto r = storage::ingest_ndjson(**log, ndjson, {});
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(*log);
}

// Writes `lines` to d/name, one per line; returns the path.
template <size_t N>
std::string write_ndjson(const TempDir& d, const char* name, const char* const (&lines)[N]) {
  std::string file = d / name;
  std::FILE* f = std::fopen(file.c_str(), "wb");
  EXPECT_TRUE(f);
  for (const char* l : lines) std::fprintf(f, "%s\n", l);
  std::fclose(f);
  return file;
}

ProjectionSink sink_of(storage::PgWriter* w) {
  ProjectionSink s;
  s.apply = [w](const std::vector<const RowBatch*>& b) { return w->apply(b); };
  return s;
}

class ProjectionRunner : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    cluster_ = start_test_cluster(*dir_ / "pg").release();
    ASSERT_NE(cluster_, nullptr);
    dsn_ = cluster_->dsn("postgres");
    tools::GeneratorOptions g;
    g.days = 2;
    g.orders_per_day = 1500;
    g.seed = 11;
    std::string file = *dir_ / "stream.ndjson";
    std::FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_TRUE(f);
    auto r = tools::generate_to_file(g, f);
    std::fclose(f);
    ASSERT_TRUE(r.ok()) << r.error().message;
    log_ = log_of_file(*dir_ / "log", file).release();
    project_reference(*log_, dsn_, schema_named("reference"), 997);
  }
  static void TearDownTestSuite() {
    delete log_;
    delete cluster_;
    delete dir_;
  }
  static TempDir* dir_;
  static storage::PgCluster* cluster_;
  static storage::EventLog* log_;
  static std::string dsn_;
};
TempDir* ProjectionRunner::dir_;
storage::PgCluster* ProjectionRunner::cluster_;
storage::EventLog* ProjectionRunner::log_;
std::string ProjectionRunner::dsn_;

TEST_F(ProjectionRunner, ReferenceIsNotTrivial) {
  EXPECT_GT(log_->last_seq(), 50000u);
  for (const char* t : {"dim_vendor", "dim_customer", "dim_product", "fact_order_line", "fact_order",
                        "fact_clickstream", "fact_stock", "fact_vendor_performance", "agg_pageviews_5m"})
    EXPECT_GT(count_rows(dsn_, "reference", t), 0u) << t;
}

TEST_F(ProjectionRunner, SameRowBatchesAsTheReferencePipeline) {
  constexpr size_t kBatch = 1500;
  std::vector<RowBatch> got;
  ProjectionSink sink;
  sink.apply = [&](const std::vector<const RowBatch*>& batches) {
    for (const RowBatch* b : batches) got.push_back(*b);
    return Status{};
  };
  RunnerOptions o;
  o.batch_events = kBatch;
  o.until_caught_up = true;
  auto r = actors::run_projection(*log_, schema_named("unused"), sink, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last.applied_seq, log_->last_seq());
  EXPECT_FALSE(r->stopped);

  projections::Pipeline ref(schema_named("unused"));
  auto reader = log_->reader(1);
  size_t i = 0;
  for (;; ++i) {
    auto events = std::make_shared<projections::EventBatch>();
    while (events->size() < kBatch) {
      auto e = reader->next();
      ASSERT_TRUE(e.ok());
      if (!e->has_value()) break;
      events->push_back({(*e)->seq, (*e)->ingest_time_us, std::move((*e)->event)});
    }
    if (events->empty()) break;
    RowBatch want;
    ref.project(events, {}, &want);
    ASSERT_LT(i, got.size());
    const RowBatch& g = got[i];
    SCOPED_TRACE("batch " + std::to_string(i));
    EXPECT_EQ(g.after_seq, want.after_seq);
    EXPECT_EQ(g.last_seq, want.last_seq);
    EXPECT_EQ(g.events, want.events);
    for (int t = 0; t < projections::kTableCount; ++t) {
      ASSERT_EQ(g.upserts[t].copy, want.upserts[t].copy) << "upserts of table " << t;
      ASSERT_EQ(g.inserts[t].copy, want.inserts[t].copy) << "inserts of table " << t;
      ASSERT_EQ(g.deletes[t].copy, want.deletes[t].copy) << "deletes of table " << t;
    }
    ASSERT_EQ(g.repoints, want.repoints);
    ASSERT_EQ(g.errors.size(), want.errors.size());
  }
  EXPECT_EQ(i, got.size());
}

TEST_F(ProjectionRunner, UntilCaughtUpEqualsReferenceInPostgres) {
  auto schema = schema_named("actors_full");
  auto w = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w);
  RunnerOptions o;
  o.until_caught_up = true;
  auto r = actors::run_projection(*log_, schema, sink_of(w.get()), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last.applied_seq, log_->last_seq());
  // Ready batches are merged: fewer transactions than batches.
  EXPECT_LT(r->last.applies, (log_->last_seq() + 4095) / 4096);
  EXPECT_EQ(compare_schemas(dsn_, schema, "reference", "actors_full"), "");
}

TEST_F(ProjectionRunner, StopThenResumeWarmsUpTheOwnersAndEqualsReference) {
  auto schema = schema_named("actors_resume");
  auto w = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w);
  std::atomic<bool> stop{false};
  RunnerOptions o;
  o.batch_events = 700;
  o.max_events_per_apply = 2000;
  o.until_caught_up = true;
  o.stop = &stop;
  o.on_progress = [&](const actors::RunProgress& p) {
    if (p.applied_seq >= 30000) stop = true;
  };
  auto first = actors::run_projection(*log_, schema, sink_of(w.get()), o);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->stopped);
  auto cp = w->checkpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->last_seq, first->last.applied_seq);
  ASSERT_GE(cp->last_seq, 30000u);
  ASSERT_LT(cp->last_seq, log_->last_seq());

  RunnerOptions again;
  again.until_caught_up = true;
  again.batch_events = 3000;  // other boundaries: rows must not depend on them
  again.start_seq = cp->last_seq;
  auto second = actors::run_projection(*log_, schema, sink_of(w.get()), again);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->last.events, log_->last_seq());  // warm-up replayed 1..checkpoint
  EXPECT_EQ(compare_schemas(dsn_, schema, "reference", "actors_resume"), "");
}

TEST_F(ProjectionRunner, PostgresRestartMidRunLosesNothing) {
  auto schema = schema_named("actors_restart");
  auto w0 = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w0);
  w0.reset();
  std::atomic<int> retries{0};
  storage::PgOptions po;
  po.dsn = dsn_;
  po.on_retry = [&](const std::string&, int, int64_t) { ++retries; };
  auto w = storage::PgWriter::connect(po, schema);
  ASSERT_TRUE(w.ok()) << w.error().message;
  std::atomic<bool> started{false};
  RunnerOptions o;
  o.batch_events = 500;
  o.max_events_per_apply = 500;
  o.until_caught_up = true;
  o.on_progress = [&](const actors::RunProgress& p) {
    if (p.applied_seq > 2000) started = true;
  };
  Result<actors::RunSummary> r = Error{"not run"};
  std::thread runner([&] { r = actors::run_projection(*log_, schema, sink_of(w->get()), o); });
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(cluster_->kill().ok());  // like a crash of the server
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Status restarted = cluster_->restart();
  if (!restarted.ok()) {
    runner.join();  // the writer gives up after its retries; join before failing
    FAIL() << restarted.error().message;
  }
  runner.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT(retries.load(), 0);
  EXPECT_EQ(r->last.applied_seq, log_->last_seq());
  EXPECT_EQ(compare_schemas(dsn_, schema, "reference", "actors_restart"), "");
}

TEST_F(ProjectionRunner, UntilSeqEndsTheLastBatchExactlyThereAndReturns) {
  // From a warm-up start, without until_caught_up: the bound alone ends it.
  const uint64_t start = 1234, until = log_->last_seq() / 2 + 7;
  std::vector<std::pair<uint64_t, uint64_t>> got;  // (after_seq, last_seq) per batch
  ProjectionSink sink;
  sink.apply = [&](const std::vector<const RowBatch*>& b) {
    for (const auto* rb : b) got.emplace_back(rb->after_seq, rb->last_seq);
    return Status{};
  };
  RunnerOptions o;
  o.batch_events = 1000;
  o.start_seq = start;
  o.until_seq = until;
  auto r = actors::run_projection(*log_, schema_named("unused"), sink, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->stopped);
  EXPECT_EQ(r->last.applied_seq, until);
  EXPECT_EQ(r->last.dispatched_seq, until);  // nothing after the bound was read into the owners
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().first, start);
  EXPECT_EQ(got.back().second, until);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_EQ(got[i].first, got[i - 1].second);
}

TEST_F(ProjectionRunner, CheckpointAheadOfTheLogIsAClearError) {
  ProjectionSink sink;
  sink.apply = [](const std::vector<const RowBatch*>&) { return Status{}; };
  RunnerOptions o;
  o.until_caught_up = true;
  o.start_seq = log_->last_seq() + 10;
  auto r = actors::run_projection(*log_, schema_named("unused"), sink, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("ahead of the event log"), std::string::npos) << r.error().message;
}

TEST_F(ProjectionRunner, FailingSinkFailsTheRunNamingTheSeqs) {
  ProjectionSink sink;
  sink.apply = [](const std::vector<const RowBatch*>&) { return Status{Error{"disk on fire"}}; };
  RunnerOptions o;
  o.until_caught_up = true;
  auto r = actors::run_projection(*log_, schema_named("unused"), sink, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("projector failed: applying seqs 1.."), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("disk on fire"), std::string::npos);
}

TEST_F(ProjectionRunner, PausedProjectionWaitsAndStopEndsTheWait) {
  std::atomic<bool> stop{false};
  std::atomic<int> applied{0};
  std::vector<std::string> notices;
  ProjectionSink sink;
  sink.apply = [&](const std::vector<const RowBatch*>&) {
    ++applied;
    return Status{};
  };
  sink.paused = []() -> Result<bool> { return true; };
  RunnerOptions o;
  o.until_caught_up = true;
  o.stop = &stop;
  o.on_notice = [&](const std::string& n) {
    notices.push_back(n);
    stop = true;
  };
  auto r = actors::run_projection(*log_, schema_named("unused"), sink, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(applied.load(), 0);
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices[0].find("paused"), std::string::npos);
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

// Ten events; seq 7 is the poison (V-1's order O-1 has no line 7).
std::string write_poison_stream(const TempDir& d) {
  static const char* kStream[] = {
      R"({"event_id":"e1","type":"vendor_registered","event_time":"2026-11-01T00:00:00Z","schema_version":1,"data":{"vendor_id":"V-1","name":"One","country":"DE","status":"active"}})",
      R"({"event_id":"e2","type":"vendor_registered","event_time":"2026-11-01T00:00:01Z","schema_version":1,"data":{"vendor_id":"V-2","name":"Two","country":"FR","status":"active"}})",
      R"({"event_id":"e3","type":"customer_registered","event_time":"2026-11-01T00:00:02Z","schema_version":1,"data":{"customer_id":"C-1","name":"Ann","region":"Bayern","country":"DE"}})",
      R"({"event_id":"e4","type":"product_created","event_time":"2026-11-01T00:00:03Z","schema_version":1,"data":{"product_id":"P-1","name":"Cup","category":"Home","vendor_id":"V-1","list_price":"10.00","currency":"EUR"}})",
      R"({"event_id":"e5","type":"product_created","event_time":"2026-11-01T00:00:04Z","schema_version":1,"data":{"product_id":"P-2","name":"Pen","category":"Office","vendor_id":"V-2","list_price":"5.00","currency":"EUR"}})",
      R"({"event_id":"e6","type":"order_placed","event_time":"2026-11-01T01:00:00Z","schema_version":1,"data":{"order_id":"O-1","customer_id":"C-1","currency":"EUR","lines":[{"line_no":1,"product_id":"P-1","vendor_id":"V-1","quantity":2,"unit_price":"10.00"},{"line_no":2,"product_id":"P-2","vendor_id":"V-2","quantity":1,"unit_price":"5.00"}]}})",
      R"({"event_id":"e7","type":"order_status_changed","event_time":"2026-11-01T02:00:00Z","schema_version":1,"data":{"order_id":"O-1","status":"shipped","vendor_id":"V-1","line_no":7}})",
      R"({"event_id":"e8","type":"order_status_changed","event_time":"2026-11-01T02:00:01Z","schema_version":1,"data":{"order_id":"O-1","status":"shipped","vendor_id":"V-2"}})",
      R"({"event_id":"e9","type":"order_placed","event_time":"2026-11-01T03:00:00Z","schema_version":1,"data":{"order_id":"O-2","customer_id":"C-1","currency":"EUR","lines":[{"line_no":1,"product_id":"P-1","vendor_id":"V-1","quantity":1,"unit_price":"10.00"},{"line_no":2,"product_id":"P-2","vendor_id":"V-2","quantity":3,"unit_price":"5.00"}]}})",
      R"({"event_id":"e10","type":"order_status_changed","event_time":"2026-11-01T04:00:00Z","schema_version":1,"data":{"order_id":"O-2","status":"approved"}})",
  };
  return write_ndjson(d, "poison.ndjson", kStream);
}

// A poison event for vendor V-1 (a status change naming a line its order does
// not have): V-2's facts are complete, V-1's other facts too, and the poison
// is in projection_errors with its reason.
TEST_F(ProjectionRunner, PoisonEventOfOneVendorIsRecordedAndTheOthersAreComplete) {
  TempDir d;
  std::string file = write_poison_stream(d);
  auto log = log_of_file(d / "log", file);
  ASSERT_EQ(log->last_seq(), 10u);
  auto schema = schema_named("actors_poison");
  auto w = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w);
  RunnerOptions o;
  o.until_caught_up = true;
  o.batch_events = 3;  // the poison in the middle of a batch
  auto r = actors::run_projection(*log, schema, sink_of(w.get()), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last.applied_seq, 10u);

  pqxx::connection c(dsn_);
  pqxx::read_transaction tx(c);
  auto errors = tx.exec(
      "SELECT seq, event_id, owner, message, projection FROM actors_poison.projection_errors");
  // Every owner the event reached records it (vendor V-1 for its lines, the
  // order shard for fact_order); nothing else is an error.
  ASSERT_GE(errors.size(), 1u);
  bool vendor_owner = false;
  for (const auto& e : errors) {
    EXPECT_EQ(e[0].as<uint64_t>(), 7u);
    EXPECT_EQ(e[1].as<std::string>(), "e7");
    EXPECT_NE(e[3].as<std::string>().find("no line 7"), std::string::npos) << e[3].as<std::string>();
    vendor_owner = vendor_owner || e[2].as<std::string>() == "vendor V-1";
  }
  EXPECT_TRUE(vendor_owner);
  auto lines = tx.exec(
      "SELECT order_id, line_no, vendor_id, status FROM actors_poison.fact_order_line ORDER BY 1, 2");
  ASSERT_EQ(lines.size(), 4u);
  std::vector<std::string> got;
  for (const auto& l : lines)
    got.push_back(l[0].as<std::string>() + "/" + l[1].as<std::string>() + "/" +
                  l[2].as<std::string>() + "/" + l[3].as<std::string>());
  EXPECT_EQ(got, (std::vector<std::string>{"O-1/1/V-1/placed", "O-1/2/V-2/shipped",
                                           "O-2/1/V-1/approved", "O-2/2/V-2/approved"}));
  auto perf = tx.exec1(
      "SELECT sum(units) FROM actors_poison.fact_vendor_performance WHERE vendor_id = 'V-2'");
  EXPECT_EQ(perf[0].as<int64_t>(), 4);
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

// Without until_caught_up the run follows the log: events appended while it
// runs are projected, and the result equals the reference over the whole log.
TEST_F(ProjectionRunner, TailProjectsEventsAppendedWhileRunning) {
  TempDir d;
  std::string whole = *dir_ / "stream.ndjson", first = d / "first.ndjson", second = d / "second.ndjson";
  {
    std::FILE* in = std::fopen(whole.c_str(), "rb");
    std::FILE* a = std::fopen(first.c_str(), "wb");
    std::FILE* b = std::fopen(second.c_str(), "wb");
    ASSERT_TRUE(in && a && b);
    char line[1 << 16];
    for (int n = 0; std::fgets(line, sizeof line, in) && n < 20000; ++n)
      std::fputs(line, n < 10000 ? a : b);
    std::fclose(in);
    std::fclose(a);
    std::fclose(b);
  }
  auto log = log_of_file(d / "log", first);
  ASSERT_EQ(log->last_seq(), 10000u);
  auto schema = schema_named("actors_tail");
  auto w = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> applied{0};
  RunnerOptions o;
  o.stop = &stop;
  o.poll_ms = 20;
  o.on_progress = [&](const actors::RunProgress& p) { applied = p.applied_seq; };
  Result<actors::RunSummary> r = Error{"not run"};
  std::thread runner([&] { r = actors::run_projection(*log, schema, sink_of(w.get()), o); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (applied < 10000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(applied.load(), 10000u);
  auto more = storage::ingest_ndjson(*log, second, {});
  ASSERT_TRUE(more.ok()) << more.error().message;
  ASSERT_EQ(log->last_seq(), 20000u);
  while (applied < 20000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  runner.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->stopped);
  EXPECT_EQ(r->last.applied_seq, 20000u);
  project_reference(*log, dsn_, schema_named("reference_tail"), 3000);
  EXPECT_EQ(compare_schemas(dsn_, schema, "reference_tail", "actors_tail"), "");
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

TEST_F(ProjectionRunner, ThrowingSinkFailsTheRunInsteadOfHanging) {
  ProjectionSink sink;
  sink.apply = [](const std::vector<const RowBatch*>&) -> Status {
    throw std::runtime_error("connection reset");
  };
  RunnerOptions o;
  o.until_caught_up = true;
  auto r = actors::run_projection(*log_, schema_named("unused"), sink, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exception: connection reset"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

// `projection skip 7` (recorded in the warehouse): the checkpoint's skips
// reach the Router, the poison reaches no owner, the rest is projected.
TEST_F(ProjectionRunner, SkippedSeqsFromTheCheckpointReachNoOwner) {
  TempDir d;
  auto log = log_of_file(d / "log", write_poison_stream(d));
  auto schema = schema_named("actors_skip");
  auto w = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->record_skip(7, "poison: no line 7").ok());
  auto cp = w->checkpoint();
  ASSERT_TRUE(cp.ok());
  ASSERT_EQ(cp->skips, std::vector<uint64_t>{7});
  RunnerOptions o;
  o.until_caught_up = true;
  o.batch_events = 4;
  o.start_seq = cp->last_seq;
  o.skips = cp->skips;
  auto r = actors::run_projection(*log, schema, sink_of(w.get()), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last.applied_seq, 10u);
  EXPECT_EQ(count_rows(dsn_, "actors_skip", "projection_errors"), 0u);
  EXPECT_EQ(count_rows(dsn_, "actors_skip", "fact_order_line"), 4u);
}

}  // namespace
}  // namespace lh::testing

namespace lh::testing {
namespace {

// One order naming two products and a vendor nobody registered: three
// inferred members, two of them in dim_product. Before session 6 both
// products got the order's seq as sk and PostgreSQL refused the batch
// (duplicate key), so the projection could not get past this event.
TEST_F(ProjectionRunner, OrderInferringTwoProductsIsAppliedInPostgres) {
  TempDir d;
  static const char* kStream[] = {
      R"({"event_id":"e1","type":"customer_registered","event_time":"2026-11-01T00:00:00Z","schema_version":1,"data":{"customer_id":"C-1","name":"Ann","region":"Bayern","country":"DE"}})",
      R"({"event_id":"e2","type":"order_placed","event_time":"2026-11-01T01:00:00Z","schema_version":1,"data":{"order_id":"O-1","customer_id":"C-1","currency":"EUR","lines":[{"line_no":1,"product_id":"P-8","vendor_id":"V-1","quantity":1,"unit_price":"10.00"},{"line_no":2,"product_id":"P-9","vendor_id":"V-1","quantity":2,"unit_price":"5.00"}]}})",
      R"({"event_id":"e3","type":"product_created","event_time":"2026-11-01T00:30:00Z","schema_version":1,"data":{"product_id":"P-9","name":"Pen","category":"Office","vendor_id":"V-1","list_price":"5.00","currency":"EUR"}})",
  };
  std::string file = write_ndjson(d, "inferred.ndjson", kStream);
  auto log = log_of_file(d / "log", file);
  ASSERT_EQ(log->last_seq(), 3u);
  auto schema = schema_named("actors_inferred");
  auto w = fresh_warehouse(dsn_, schema);
  ASSERT_TRUE(w);
  RunnerOptions o;
  o.until_caught_up = true;
  auto r = actors::run_projection(*log, schema, sink_of(w.get()), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->last.applied_seq, 3u);

  pqxx::connection c(dsn_);
  pqxx::read_transaction tx(c);
  auto products = tx.exec(
      "SELECT product_sk, product_id, is_inferred, name FROM actors_inferred.dim_product ORDER BY product_sk");
  ASSERT_EQ(products.size(), 2u);
  EXPECT_EQ(products[0][0].as<int64_t>(), 2);
  EXPECT_EQ(products[0][1].as<std::string>(), "P-8");
  EXPECT_TRUE(products[0][2].as<bool>());
  EXPECT_EQ(products[1][0].as<int64_t>(), 2 + (int64_t{1} << 44));
  EXPECT_EQ(products[1][1].as<std::string>(), "P-9");
  EXPECT_FALSE(products[1][2].as<bool>());  // completed by e3, same sk
  EXPECT_EQ(products[1][3].as<std::string>(), "Pen");
  auto lines = tx.exec(
      "SELECT l.line_no, p.product_id FROM actors_inferred.fact_order_line l "
      "JOIN actors_inferred.dim_product p ON p.product_sk = l.product_sk ORDER BY 1");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0][1].as<std::string>(), "P-8");
  EXPECT_EQ(lines[1][1].as<std::string>(), "P-9");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM actors_inferred.projection_errors")[0].as<int64_t>(), 0);
}

}  // namespace
}  // namespace lh::testing
