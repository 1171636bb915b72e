// `ledgerhouse demo [--days 7] [--seed 42]`: the whole flow in one command —
// a private PostgreSQL (unless one is named), init-db, a generated week of
// marketplace events, ingest, run --until-caught-up, then the analysts'
// views and how to connect.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "storage/pg_cluster.h"
#include "tools/generator.h"
#include "tools/run_command.h"

namespace lh::tools {
namespace {

struct DemoArgs {
  int days = 7;
  uint64_t seed = 42;
  int orders_per_day = 2000;
  int rows = 5;
  double dirty_rate = 0.001;  // a little dirt, so the quarantine has something to show
};

bool dsn_given(const GlobalOptions& g) {
  return !g.pg_dsn.empty() || std::getenv("PGHOST") || std::getenv("PGDATABASE") ||
         std::getenv("PGSERVICE") || std::getenv("PGPORT");
}

// Starts (or reuses) the private cluster under <data-dir>/pg, left running.
std::unique_ptr<storage::PgCluster> start_private_cluster(const GlobalOptions& g) {
  storage::PgClusterOptions o;
  o.dir = std::filesystem::absolute(std::filesystem::path(g.data_dir) / "pg").string();
  o.keep_running = true;
  std::fprintf(stderr, "starting a private PostgreSQL in %s ...\n", o.dir.c_str());
  auto c = storage::PgCluster::start(o);
  if (!c.ok()) throw CommandError("starting PostgreSQL: " + c.error().message);
  try {
    pqxx::connection conn((*c)->dsn("postgres"));
    pqxx::nontransaction tx(conn);
    if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'ledgerhouse'").empty())
      tx.exec("CREATE DATABASE ledgerhouse");
  } catch (const std::exception& e) {
    throw CommandError(std::string("creating database ledgerhouse: ") + e.what());
  }
  return std::move(*c);
}

std::string generate_stream(const DemoArgs& a, const GlobalOptions& g) {
  std::string path = (std::filesystem::path(g.data_dir) /
                      fmt::format("demo-{}d-seed{}-{}opd-dirty{}.ndjson", a.days, a.seed,
                                  a.orders_per_day, a.dirty_rate))
                         .string();
  if (std::filesystem::exists(path)) return path;  // deterministic: same options, same bytes
  GeneratorOptions o;
  o.days = a.days;
  o.seed = a.seed;
  o.orders_per_day = a.orders_per_day;
  o.dirty_rate = a.dirty_rate;
  if (Status s = validate(o); !s.ok()) throw CommandError(s.error().message, 2);
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw CommandError("cannot write " + tmp);
  std::fprintf(stderr, "generating %d days of events (seed %llu) ...\n", a.days,
               static_cast<unsigned long long>(a.seed));
  auto r = generate_to_file(o, f);
  bool closed = std::fclose(f) == 0;
  if (!r.ok()) throw CommandError("generating: " + r.error().message);
  if (!closed) throw CommandError("writing " + tmp);
  std::filesystem::rename(tmp, path);
  std::fprintf(stderr, "%s: %llu events, %llu invalid records (for the quarantine)\n", path.c_str(),
               static_cast<unsigned long long>(r->valid_events()),
               static_cast<unsigned long long>(r->invalid_records()));
  return path;
}

// Prints the first rows of every view of the schema, as aligned columns.
void print_views(const GlobalOptions& g, int rows) {
  try {
    pqxx::connection conn(g.pg_dsn);
    pqxx::read_transaction tx(conn);
    auto views = tx.exec_params(
        "SELECT table_name FROM information_schema.views WHERE table_schema = $1 ORDER BY 1",
        g.schema);
    for (const auto& v : views) {
      std::string name = v[0].as<std::string>();
      auto r = tx.exec(fmt::format("SELECT * FROM {}.{} LIMIT {}", tx.quote_name(g.schema),
                                   tx.quote_name(name), rows));
      std::printf("\n== %s.%s (first %d rows)\n", g.schema.c_str(), name.c_str(), rows);
      std::vector<size_t> width(r.columns());
      for (pqxx::row::size_type c = 0; c < r.columns(); ++c) width[c] = std::string(r.column_name(c)).size();
      for (const auto& row : r)
        for (pqxx::row::size_type c = 0; c < r.columns(); ++c)
          width[c] = std::max(width[c], std::string(row[c].is_null() ? "" : row[c].c_str()).size());
      std::string line;
      for (pqxx::row::size_type c = 0; c < r.columns(); ++c)
        line += fmt::format("{:<{}}  ", r.column_name(c), width[c]);
      std::printf("%s\n", line.c_str());
      for (const auto& row : r) {
        line.clear();
        for (pqxx::row::size_type c = 0; c < r.columns(); ++c)
          line += fmt::format("{:<{}}  ", row[c].is_null() ? "" : row[c].c_str(), width[c]);
        std::printf("%s\n", line.c_str());
      }
    }
    if (views.empty()) std::printf("(schema %s has no views)\n", g.schema.c_str());
  } catch (const std::exception& e) {
    throw CommandError(std::string("querying the views: ") + e.what());
  }
}

void run_demo(const DemoArgs& a, GlobalOptions& g) {
  std::filesystem::create_directories(g.data_dir);
  std::unique_ptr<storage::PgCluster> cluster;
  if (!dsn_given(g)) {
    cluster = start_private_cluster(g);
    g.pg_dsn = cluster->dsn("ledgerhouse");
  }
  {
    auto schema = warehouse_schema(g);
    auto writer = connect_warehouse(g, schema);
    if (Status s = writer->init_db(); !s.ok()) throw CommandError("init-db: " + s.error().message);
  }
  RunArgs run;
  run.until_caught_up = true;
  run.ingest = {generate_stream(a, g)};
  run_projection_command(run, g);
  print_views(g, a.rows);
  std::printf("\nconnect: %s\n",
              cluster ? cluster->psql_command("ledgerhouse").c_str()
                      : fmt::format("psql '{}'", g.pg_dsn).c_str());
  std::printf("tables and views are in schema %s (SET search_path = %s;)\n", g.schema.c_str(),
              g.schema.c_str());
  if (cluster) {
    auto bindir = storage::find_pg_bindir();
    std::string ctl = fmt::format("{}/pg_ctl -D {} stop", bindir.ok() ? *bindir : std::string("pg_ctl"),
                                  cluster->dir());
    if (!cluster->user().empty() && geteuid() == 0) ctl = fmt::format("runuser -u {} -- {}", cluster->user(), ctl);
    std::printf("the private PostgreSQL keeps running; stop it with: %s\n", ctl.c_str());
  }
}

}  // namespace

void register_demo(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo",
      "Everything in one go: with no --pg (or PG* variables) a private PostgreSQL under\n"
      "<data-dir>/pg (left running), init-db, generate --days N, ingest, run\n"
      "--until-caught-up, then the first rows of the analysts' views and how to connect.");
  cmd->add_option("--days", a->days, "Days of marketplace activity to generate")
      ->check(CLI::Range(1, 365));
  cmd->add_option("--seed", a->seed, "Generator seed");
  cmd->add_option("--orders-per-day", a->orders_per_day, "Orders per average day")
      ->check(CLI::Range(0, 10000000));
  cmd->add_option("--rows", a->rows, "Rows shown per view")->check(CLI::Range(1, 1000));
  cmd->add_option("--dirty-rate", a->dirty_rate,
                  "Share of malformed or invalid records in the stream (they go to the quarantine)")
      ->check(CLI::Range(0.0, 0.5));
  cmd->callback([a, &g] { run_demo(*a, g); });
}

}  // namespace lh::tools
