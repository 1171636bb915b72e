// `ledgerhouse run`: the event log projected into PostgreSQL by the actors
// (actors/projection_runner.h). Shared with `demo`, which runs it too.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "projections/schema.h"
#include "storage/pg_writer.h"
#include "tools/command.h"
#include "tools/kafka_source_args.h"
#include "tools/run_instruments.h"

namespace lh::tools {

struct RunArgs {
  bool until_caught_up = false;
  size_t batch_events = 4096;
  size_t max_in_flight = 16;
  size_t threads = 0;
  int poll_ms = 200;
  std::vector<std::string> ingest;  // NDJSON files to ingest first
  KafkaSourceArgs kafka;            // or: consume Kafka into the log while projecting
  MetricsArgs metrics;              // --metrics, /healthz bounds, run history
};

// Connects to g.pg_dsn (retrying per PgOptions, retries reported on stderr
// and to `on_retry` when given, also for the writer's later retries).
std::unique_ptr<storage::PgWriter> connect_warehouse(const GlobalOptions& g,
                                                     const projections::Schema& schema,
                                                     std::function<void()> on_retry = {});

// Runs `run` with these arguments; throws CommandError on failure. A stop by
// SIGINT/SIGTERM is a success (exit 0) once the batch in hand is applied.
void run_projection_command(const RunArgs& a, GlobalOptions& g);

}  // namespace lh::tools
