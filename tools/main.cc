// ledgerhouse: the one binary. Subcommands register themselves (command.h).
#include <cstdio>
#include <cstdlib>

#include "tools/command.h"
#include "tools/config.h"
#include "tools/logging.h"
#include "tools/malloc_tuning.h"

int main(int argc, char** argv) {
  using namespace lh::tools;
  tune_malloc();
  GlobalOptions g;
  CLI::App app{"ledgerhouse: an event-sourced data warehouse for a multi-vendor marketplace.\n"
               "Events are appended to a durable LMDB log, then projected into PostgreSQL."};
  app.set_version_flag("--version", std::string("ledgerhouse ") + kVersion);
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  app.add_option("-D,--data-dir", g.data_dir, "Directory of the event log")
      ->envname("LEDGERHOUSE_DATA_DIR");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn, error")
      ->envname("LEDGERHOUSE_LOG_LEVEL");
  app.add_option("--pg", g.pg_dsn,
                 "PostgreSQL connection string or URI (libpq); default: PG* environment variables")
      ->envname("LEDGERHOUSE_PG");
  app.add_option("--schema", g.schema, "Warehouse schema in PostgreSQL")->envname("LEDGERHOUSE_SCHEMA");
  app.add_option("--log-format", g.log_format, "Messages on stderr: text, or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->envname("LEDGERHOUSE_LOG_FORMAT");
  app.add_flag("-q,--quiet", g.quiet, "No progress lines");
  // Hidden (no group): a test-only projection version, docs/rebuild.md.
  app.add_flag("--test-orders-v2", g.test_orders_v2)->envname("LEDGERHOUSE_TEST_ORDERS_V2")->group("");
  register_generate(app, g);
  register_ingest(app, g);
  register_log(app, g);
  register_quarantine(app, g);
  register_init_db(app, g);
  register_grant_vendor(app, g);
  register_projection(app, g);
  register_run(app, g);
  register_rebuild(app, g);
  register_demo(app, g);
  register_kafka(app, g);
  register_status(app, g);
  register_report(app, g);
  register_config(app, g);
  register_log_admin(app, g);
  app.parse_complete_callback([&g] { init_logging(g); });  // before the command runs
  register_replay(app, g);
  register_drill(app, g);
  try {
    setup_config(app, g, argc, argv);  // after every register_*: it maps the file onto their options
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CommandError& e) {
    if (g.log_format == "json")
      log_message(LogLevel::error, e.what(), {{"exit_code", std::to_string(e.code)}});
    else
      std::fprintf(stderr, "ledgerhouse: %s\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ledgerhouse: internal error: %s\n", e.what());
    return 70;  // EX_SOFTWARE
  }
  return g.exit_code;
}
