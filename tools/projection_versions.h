// Projection versions: the code's (projections::Schema) against the
// warehouse's (its checkpoint table). `run` projects only when they are equal
// and otherwise waits, serving the old version unchanged, until `rebuild`
// (or --rollback) swaps in a schema of the code's versions (docs/rebuild.md).
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "projections/schema.h"
#include "storage/pg_writer.h"
#include "tools/command.h"

namespace lh::tools {

struct VersionDiff {
  std::string projection;
  int warehouse = 0;  // 0: the warehouse has no such projection
  int code = 0;       // 0: this code has no such projection
};

// Every projection whose version differs, in name order; empty when equal.
std::vector<VersionDiff> version_diffs(const projections::Schema& code, const storage::Checkpoint& cp);

// "projection orders: warehouse version 1, this ledgerhouse version 2; ..."
std::string describe(const std::vector<VersionDiff>& diffs);

// Reads the checkpoint of `w` until its versions equal the code's, polling
// every poll_ms; the first time (and whenever the reason changes) says on
// stderr what it waits for. Returns the matching checkpoint, or nullopt once
// `stop` is set. An uninitialized schema or another DDL version is a
// CommandError (waiting would not help).
std::optional<storage::Checkpoint> await_matching_versions(storage::PgWriter& w, const projections::Schema& code,
                                                           const GlobalOptions& g, const std::atomic<bool>& stop,
                                                           int poll_ms);

// While a run projects: copies `stop` into `run_stop` every 50 ms, and every
// second reads the schema's OID on a connection of its own; once the name
// means another schema (a rebuild or rollback swapped it) it sets run_stop,
// so an idle run notices the swap too, not only at its next apply.
class SchemaWatch {
 public:
  SchemaWatch(const GlobalOptions& g, const projections::Schema& schema, uint32_t oid,
              const std::atomic<bool>& stop, std::atomic<bool>& run_stop);
  ~SchemaWatch() { end(); }
  // Stops watching; true when a swap was seen.
  bool end();

 private:
  std::atomic<bool> done_{false}, swapped_{false};
  std::thread thread_;
};

}  // namespace lh::tools
