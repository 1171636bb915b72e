// Debezium CDC envelopes -> v1 events, per a table mapping. Debezium's JSON
// converter writes {"before","after","source","op","ts_ms"}, wrapped as
// {"schema":...,"payload":{...}} when schemas.enable=true; both are accepted.
//
//   op c (create), r (snapshot read) -> the table's `created` type
//   op u (update)                    -> `updated`; with a "before" image only
//                                       the fields that changed (+ the id)
//   op d (delete)                    -> `deleted`, or a rejection (bad_value)
//                                       when the table's entity has no delete
//   event_time = source.ts_ms (when the database committed the change), else
//                the envelope's ts_ms
//   event_id   = "cdc:" + source.name + ":" + table + ":" + position + ":" + id
//                where position is source.lsn (PostgreSQL), file:pos:row
//                (MySQL binlog) or the change time; id is the row's mapped
//                entity id (a snapshot's rows share one lsn). A redelivered
//                envelope gets the same event_id: the log skips it.
//
// The mapping file (JSON):
//   {"tables": {
//     "public.customers": {                 // source.schema + "." + source.table, or source.table
//       "created": "customer_registered", "updated": "customer_updated",
//       "deleted": "customer_deleted",      // optional
//       "fields": {                         // event data field <- column; the FIRST is the entity id
//         "customer_id": "id",              // numbers mapped to *_id fields become strings
//         "name": "full_name",
//         "weight_g": {"column": "weight", "as": "number"}   // as: string | number | auto (default)
//       },
//       "constants": {"currency": "EUR"}    // optional: data fields with fixed values
//     }}}
// Column values: strings, numbers, booleans; null columns are left out.
// Connect Decimal columns (base64 bytes with a "scale" in the envelope's
// schema) become decimal strings.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "events/json_decoder.h"
#include "events/result.h"

namespace lh::events {

struct CdcField {
  enum class As { auto_, string, number };
  std::string field;   // the event's data field
  std::string column;  // the table's column
  As as = As::auto_;
};

struct CdcTable {
  EventType created = EventType::customer_registered;
  EventType updated = EventType::customer_updated;
  std::optional<EventType> deleted;
  std::vector<CdcField> fields;  // fields[0] is the entity id
  std::vector<std::pair<std::string, std::string>> constants;
};

struct CdcMapping {
  std::map<std::string, CdcTable> tables;  // "schema.table" or "table"
  // Errors name the table and field at fault.
  static Result<CdcMapping> parse(std::string_view json);
  static Result<CdcMapping> load(const std::string& path);
};

// Not thread-safe: one per thread (it owns parsers).
class DebeziumDecoder {
 public:
  explicit DebeziumDecoder(CdcMapping mapping, DecoderOptions options = {});
  ~DebeziumDecoder();
  DebeziumDecoder(const DebeziumDecoder&) = delete;
  DebeziumDecoder& operator=(const DebeziumDecoder&) = delete;

  // One envelope -> one event, or a rejection naming what is wrong.
  bool decode(std::string_view envelope, Event& out, Rejection& why);

  // The v1 event JSON the last successful decode() validated (for tests and
  // debugging).
  const std::string& last_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::events
