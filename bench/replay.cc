// bench_replay: a full replay (tools/replay.h, as `ledgerhouse replay` runs
// it) of a generated stream into a fresh schema of a private PostgreSQL,
// next to its yardstick measured in the same run: the same final rows COPYed
// straight (raw libpq COPY, one per table) into tables of the same DDL
// (LIKE ... INCLUDING INDEXES). Prints events/s and wall time of both and
// the ratio. Setup (generate, ingest with Durability::nosync) is not timed.
//
//   bench_replay [--days 30] [--orders-per-day 14100] [--batch-events 65536]
//                [--apply-events 262144] [--in-flight 16] [--index-first]
//                [--sync-commit] [--fsync-off] [--shared-buffers-mb N]
//
// The defaults give 10.05M events (bench_preset, 14,100 orders a day; 14,000 gave 9.98M).
// --index-first and --sync-commit turn off the bulk-load choices (secondary
// indexes built at the end; synchronous_commit = off) to measure them.
#include <cstring>

#include "bench/bench_util.h"
#include "tools/replay.h"

using namespace lh::bench;

int main(int argc, char** argv) {
  g_name = "bench_replay";
  lh::tools::GeneratorOptions go = lh::tools::bench_preset();
  go.orders_per_day = 14100;
  lh::tools::ReplayRequest req;
  bool fsync_off = false;
  long long shared_buffers_mb = 0;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> long long {
      if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
      return std::stoll(argv[++i]);
    };
    if (!std::strcmp(argv[i], "--days")) go.days = static_cast<int>(next());
    else if (!std::strcmp(argv[i], "--orders-per-day")) go.orders_per_day = static_cast<int>(next());
    else if (!std::strcmp(argv[i], "--batch-events")) req.runner.batch_events = static_cast<size_t>(next());
    else if (!std::strcmp(argv[i], "--apply-events")) req.runner.max_events_per_apply = static_cast<size_t>(next());
    else if (!std::strcmp(argv[i], "--in-flight")) req.runner.max_batches_in_flight = static_cast<size_t>(next());
    else if (!std::strcmp(argv[i], "--index-first")) req.defer_indexes = false;
    else if (!std::strcmp(argv[i], "--sync-commit")) req.synchronous_commit_off = false;
    else if (!std::strcmp(argv[i], "--fsync-off")) fsync_off = true;
    else if (!std::strcmp(argv[i], "--shared-buffers-mb")) shared_buffers_mb = next();
    else die(std::string("unknown option ") + argv[i] + " (see the header of bench/replay.cc)");
  }
  if (auto s = lh::tools::validate(go); !s.ok()) die(s.error().message);

  fs::path dir = temp_dir("lh-bench-replay");
  auto log = generated_log(go, dir);
  const uint64_t events = log->last_seq();
  auto cluster = start_cluster(dir, fsync_off, shared_buffers_mb, kStatStatementsConf);

  req.dsn = cluster->dsn();
  req.target.schema = "replayed";
  double cpu0 = cpu_seconds();
  auto t = Clock::now();
  auto r = lh::tools::replay_into(*log, req);
  double wall = since(t), cpu = cpu_seconds() - cpu0;
  if (!r.ok()) die(r.error().message);
  if (r->applied_seq != events) die("the replay stopped at seq " + std::to_string(r->applied_seq));
  double rate = events / wall;

  PGconn* c = PQconnectdb(cluster->dsn().c_str());
  if (PQstatus(c) != CONNECTION_OK) die(PQerrorMessage(c));
  std::string top = top_statements(c, 14);
  auto schema = lh::projections::Schema::make(req.target);
  RawCopy raw = raw_copy_yardstick(c, *schema, "replayed", "raw");
  PQfinish(c);
  double raw_rate = events / raw.seconds;

  std::printf("PostgreSQL 15, fsync %s, shared_buffers %s; batches of %zu events, %zu events per apply, %zu in "
              "flight; secondary indexes %s; synchronous_commit %s\n",
              fsync_off ? "off" : "on",
              shared_buffers_mb > 0 ? (std::to_string(shared_buffers_mb) + " MB").c_str() : "default",
              req.runner.batch_events, req.runner.max_events_per_apply, req.runner.max_batches_in_flight,
              req.defer_indexes ? "built at the end" : "created first", req.synchronous_commit_off ? "off" : "on");
  std::printf("replay of %llu events: %.2f s = %.0f events/s (load %.2f s, indexes %.2f s, %llu transactions; "
              "client CPU %.2f s = %.2f cores)\n",
              static_cast<unsigned long long>(events), wall, rate, r->load_s, r->index_s,
              static_cast<unsigned long long>(r->applies), cpu, cpu / wall);
  std::printf("  PostgreSQL's top statements during the replay (pg_stat_statements):\n%s", top.c_str());
  std::printf("raw COPY of the same %llu final rows into same-DDL tables: %.2f s = %.0f events/s equivalent\n",
              static_cast<unsigned long long>(raw.rows), raw.seconds, raw_rate);
  std::printf("ratio: %.0f%% of raw COPY; target 150000 events/s: %s\n", 100 * rate / raw_rate,
              rate >= 150000 ? "met" : "NOT met");
  cluster.reset();
  fs::remove_all(dir);
  return 0;
}
