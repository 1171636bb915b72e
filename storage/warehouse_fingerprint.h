// A warehouse schema's fingerprint: per table the row count and a checksum
// of its rows, read in ONE repeatable-read transaction together with the
// checkpoint seq, so the three describe the same moment. Two schemas with
// the same rows (whatever their physical order) have the same fingerprint:
// the checksum is the sum, modulo 2^64, of the first 64 bits of md5(row as
// text) over the rows. Used by `drill` to prove a recovery equal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/result.h"
#include "projections/schema.h"

namespace lh::storage {

struct TableFingerprint {
  std::string table;     // unqualified
  uint64_t rows = 0;
  std::string checksum;  // 16 hex digits
};

struct WarehouseFingerprint {
  std::string schema;
  uint64_t checkpoint_seq = 0;  // min last_seq over the projections
  std::vector<TableFingerprint> tables;  // every warehouse table, then dim_date and projection_errors
  double seconds = 0;           // how long it took
};

// Fingerprints schema.options().schema; an Error if it is not an initialized
// warehouse or PostgreSQL cannot be reached (the message names the server).
Result<WarehouseFingerprint> fingerprint_warehouse(const std::string& dsn, const projections::Schema& schema);

}  // namespace lh::storage
