// Schema swaps of `ledgerhouse rebuild`: a warehouse schema built beside the
// live one (the shadow) replaces it in ONE transaction, the live one is kept
// under another name for rollback, and --rollback swaps that one back.
//
// The swap transaction takes the apply lock of both schemas exclusively
// (apply_lock_key, pg_writer.h; every PgWriter::apply takes it shared), so no
// apply is half-way through either schema while the names move, and every
// apply after it notices the new OID (PgWriter::expect_schema) instead of
// writing rows made for the old schema. Readers see the old schema or the
// new one, never a mix of half-built tables: renames are catalog changes,
// visible at commit. Design and measurements: docs/rebuild.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "events/result.h"
#include "projections/schema.h"
#include "storage/pg_writer.h"

namespace lh::storage {

// "<live>_shadow", "<live>_prev": where rebuild builds, where the replaced
// schema goes. An Error when the name would pass PostgreSQL's 63 bytes.
Result<std::string> shadow_schema_name(const std::string& live);
Result<std::string> prev_schema_name(const std::string& live);

// True when schema `name` exists in the database (empty or not).
Result<bool> schema_exists(const PgOptions& options, const std::string& name);
// DROP SCHEMA IF EXISTS name CASCADE.
Status drop_schema(const PgOptions& options, const std::string& name);

struct SwapRequest {
  std::string live;     // the schema readers and `run` use ("dwh")
  std::string incoming; // the schema taking its name (the shadow, or the _prev of a rollback)
  std::string outgoing; // the name the live schema gets ("dwh_prev"); an older one is dropped
                        // first unless it is `incoming`
  // The incoming schema as the code that built it sees it: vendor roles of
  // the live schema are granted on its objects (projections::vendor_grants).
  const projections::Schema* incoming_schema = nullptr;
  // Rebuild: under the lock, wait up to this long for the incoming schema's
  // checkpoint to reach the live one's (its runner keeps applying); if it
  // does not, nothing changes and the result says not caught up. < 0: no
  // such condition (rollback: the incoming schema is older on purpose).
  int catch_up_timeout_ms = 5000;
};

struct SwapResult {
  bool swapped = false;   // false: the incoming schema did not catch up in time
  uint64_t live_seq = 0;  // the live checkpoint when locked
  uint64_t incoming_seq = 0;
  double lock_wait_ms = 0;  // waiting for the live apply in flight
  double swap_ms = 0;       // lock held: live applies blocked this long
};

// Held by `rebuild` (and --rollback) for its whole run, on its own
// connection: a second one on the same schema refuses to start instead of
// projecting into the same shadow. Released by the destructor (or when the
// process dies: the session ends).
class RebuildLock {
 public:
  // An Error naming the schema when another rebuild holds it.
  static Result<std::unique_ptr<RebuildLock>> take(const PgOptions& options, const std::string& live);
  ~RebuildLock();
  struct Impl;

 private:
  explicit RebuildLock(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Renames live -> outgoing and incoming -> live in one transaction, carrying
// over from the live schema: vendor_roles rows and their grants, the
// checkpoint's paused flags per projection and projection_skips.
// projection_errors are the incoming schema's own (made by its projection).
Result<SwapResult> swap_schemas(const PgOptions& options, const SwapRequest& request);

}  // namespace lh::storage
