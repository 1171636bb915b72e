// NDJSON / Kafka value -> Event, with validation. A record is either decoded
// into a typed Event or rejected with a precise reason naming the field; the
// caller adds the source position and puts rejections in the quarantine.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "events/event.h"

namespace lh::events {

// Why a record was rejected. Stable names (to_string) are stored in the
// quarantine and used in metrics, so never renumber or rename.
enum class RejectCode : uint8_t {
  bad_json = 1,         // not JSON, truncated, not an object
  invalid_utf8 = 2,
  oversized = 3,        // record longer than DecoderOptions::max_record_bytes
  missing_field = 4,
  wrong_type = 5,       // field present with the wrong JSON type
  unknown_type = 6,     // "type" is not a v1 event type
  bad_timestamp = 7,
  bad_quantity = 8,     // quantity <= 0 (order line) or < 0 (stock level)
  bad_stars = 9,        // outside 1..5
  bad_money = 10,       // not a decimal number, or more decimals than the currency has
  empty_id = 11,        // an id field that is the empty string
  bad_value = 12,       // any other out-of-domain value (status, method, code, ...)
  unsupported_version = 13,  // schema_version newer than this build knows
  duplicate_event = 14,  // not produced by the decoder: reserved for callers
  projection_error = 15, // not produced by the decoder: a projection threw on it
};
std::string_view to_string(RejectCode code);

struct Rejection {
  RejectCode code = RejectCode::bad_json;
  std::string field;    // JSON path of the offending field, e.g. "data.lines[1].quantity"; may be empty
  std::string message;  // full reason, e.g. "data.lines[1].quantity: must be > 0, got 0"
};

struct DecoderOptions {
  size_t max_record_bytes = 1 << 20;  // 1 MiB
};

// Bytes a caller must keep readable past the end of a record it passes with
// padded=true (simdjson reads ahead; the bytes' values do not matter).
constexpr size_t kDecodePadding = 64;

// Not thread-safe: one decoder per thread (it owns a reusable parser).
class JsonDecoder {
 public:
  explicit JsonDecoder(DecoderOptions options = {});
  ~JsonDecoder();
  JsonDecoder(const JsonDecoder&) = delete;
  JsonDecoder& operator=(const JsonDecoder&) = delete;

  // Decodes one record (one NDJSON line without its newline). On success
  // fills `out` and returns true; otherwise fills `why` and returns false
  // (`out` then holds an unspecified mix: use it only after a true return).
  // Reusing one Event across calls keeps its strings' capacity: no allocation
  // per record once the buffers have grown.
  // With padded=true the caller guarantees kDecodePadding readable bytes after
  // record.data()+record.size(), which saves a copy.
  bool decode(std::string_view record, Event& out, Rejection& why, bool padded = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::events
