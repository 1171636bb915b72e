// How subcommands plug into the one `ledgerhouse` binary: each command's file
// exposes register_<name>(CLI::App&, GlobalOptions&), which adds the
// subcommand, its options and a callback that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "projections/schema.h"
#include "storage/event_log.h"

namespace lh::tools {

inline constexpr const char* kVersion = "0.1.0";  // `ledgerhouse --version`, backup manifests

// Options every command shares; flags override LEDGERHOUSE_* environment
// variables, which override the defaults.
struct GlobalOptions {
  std::string data_dir = "ledgerhouse-data";  // LEDGERHOUSE_DATA_DIR
  std::string log_level = "info";             // LEDGERHOUSE_LOG_LEVEL
  bool quiet = false;                         // no progress lines
  // PostgreSQL: a libpq connection string or URI (LEDGERHOUSE_PG); empty =
  // libpq defaults and the PG* environment variables, as psql does.
  std::string pg_dsn;
  std::string schema = "dwh";                 // LEDGERHOUSE_SCHEMA: the warehouse schema
  std::string log_format = "text";            // LEDGERHOUSE_LOG_FORMAT: text | json (tools/logging.h)
  std::string config_file;                    // -c/--config, LEDGERHOUSE_CONFIG (tools/config.h)
  // The warehouse model (SCD policies, holidays, alert threshold, shards):
  // set by the configuration file's [warehouse] table; schema comes from `schema`.
  projections::WarehouseOptions warehouse;
  // TEST ONLY (hidden --test-orders-v2, LEDGERHOUSE_TEST_ORDERS_V2): the
  // code's projection `orders` is version 2 (WarehouseOptions::test_orders_v2).
  bool test_orders_v2 = false;
  int exit_code = 0;                          // set by a command's callback
};

// Thrown by a command to end with a message on stderr and a non-zero exit.
struct CommandError : std::runtime_error {
  int code;
  explicit CommandError(const std::string& what, int code = 1) : std::runtime_error(what), code(code) {}
};

// True when stderr is a terminal and progress lines make sense.
bool progress_enabled(const GlobalOptions& g);

// Opens the event log of g.data_dir; a failure becomes a CommandError.
std::unique_ptr<storage::EventLog> open_log(const GlobalOptions& g, bool read_only,
                                            storage::Durability durability = storage::Durability::sync);

// The warehouse schema of g.schema; a bad name is a CommandError (exit 2).
projections::Schema warehouse_schema(const GlobalOptions& g);

// "1.2M", "340k", "12": counts for progress lines.
std::string human_count(double n);
// "1.5 GiB", "12.0 MiB", "512 B".
std::string human_bytes(double n);

void register_generate(CLI::App& app, GlobalOptions& g);
void register_ingest(CLI::App& app, GlobalOptions& g);
void register_log(CLI::App& app, GlobalOptions& g);
void register_quarantine(CLI::App& app, GlobalOptions& g);
// tools/warehouse_commands.cc: the PostgreSQL side.
void register_init_db(CLI::App& app, GlobalOptions& g);
void register_grant_vendor(CLI::App& app, GlobalOptions& g);
void register_projection(CLI::App& app, GlobalOptions& g);
void register_run(CLI::App& app, GlobalOptions& g);
void register_rebuild(CLI::App& app, GlobalOptions& g);  // tools/rebuild_command.cc
void register_demo(CLI::App& app, GlobalOptions& g);
void register_kafka(CLI::App& app, GlobalOptions& g);  // mock-kafka, produce
void register_log_admin(CLI::App& app, GlobalOptions& g);  // backup, restore, verify
void register_status(CLI::App& app, GlobalOptions& g);
void register_replay(CLI::App& app, GlobalOptions& g);  // tools/replay_command.cc
void register_drill(CLI::App& app, GlobalOptions& g);   // tools/drill_command.cc
void register_report(CLI::App& app, GlobalOptions& g);  // tools/report_command.cc

}  // namespace lh::tools
