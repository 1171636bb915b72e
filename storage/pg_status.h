// Read-only health facts of a warehouse schema that PgWriter::checkpoint()
// does not give: the projection errors it recorded (count and newest).
// Used by `ledgerhouse status`; never writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "events/result.h"

namespace lh::storage {

struct ProjectionErrorRow {
  uint64_t seq = 0;
  std::string event_id, projection, owner, message;
};

struct ProjectionErrorSummary {
  uint64_t count = 0;                       // rows of <schema>.projection_errors
  std::optional<ProjectionErrorRow> newest; // highest seq
};

// One connection, no retry (libpq's connect_timeout / PGCONNECT_TIMEOUT
// bound the wait). An Error names the server (describe_dsn) and the cause;
// a schema without the table (init-db never ran) is an Error too.
Result<ProjectionErrorSummary> read_projection_errors(const std::string& dsn, const std::string& schema);

}  // namespace lh::storage
