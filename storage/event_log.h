// The event log: the durable source of truth, an LMDB environment.
// Writers append batches in one write transaction each (group commit);
// readers iterate committed events from any seq. One writer per log at a time
// (LMDB's write lock, across processes); any number of readers.
//
// Sub-databases:
//   events      u64 seq (big-endian) -> stored record (see below)
//   event_ids   event_id             -> u64 seq (BE)        (dedupe)
//   ingest_time i64 time_us (BE)     -> u64 last seq (BE) of the batch committed then
//   quarantine  u64 qseq (BE)        -> msgpack [raw (bin), code, reason, source,
//                                        line, offset, quarantined_at_us, seq]
//   positions   source name          -> msgpack [offset, line, fingerprint (bin)]
//   meta        name                 -> u64 LE: "format" (1), "count.<type>",
//                                       "duplicates", "quarantined", "quarantined.<code>",
//                                       "first_ingest_us", "last_ingest_us", "clock_us"
// Stored record: u32 crc32c (LE) of the rest | u8 record format (1) |
//                i64 ingest_time_us (LE) | msgpack event (msgpack_codec.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "events/json_decoder.h"
#include "events/result.h"

namespace lh::storage {

enum class Durability { sync, nosync };

struct LogOptions {
  std::string dir;                          // created if missing
  Durability durability = Durability::sync; // sync: a batch is on disk before append() returns
  uint64_t initial_map_bytes = 256ull << 20;  // grows by itself (doubling) when full
  bool read_only = false;
  // Test hook: the wall clock (microseconds since the epoch) the log stamps
  // batches with. Empty = CLOCK_REALTIME. Whatever it returns, ingest times
  // never go backwards (a batch gets max(clock(), the previous batch's time)).
  std::function<int64_t()> clock;
};

// Where a source stands after a batch. For a file: source = "file:" + its
// absolute path, offset = bytes consumed, line = lines consumed, fingerprint
// = a hash of the file's first bytes (so a different file at the same path is
// noticed). For Kafka: source = "kafka:" + topic + "/" + partition, offset =
// the next offset to read; fingerprint = kRestoredMark when `ledgerhouse
// restore` wrote it (this position then wins over the group's committed
// offset; the partition's next batch writes a plain position again).
struct SourcePosition {
  std::string source;
  uint64_t offset = 0;
  uint64_t line = 0;
  std::string fingerprint;
};

// An event ready to append: decoded, with its msgpack payload already encoded
// (encoding happens in the decoding thread, off the writer's path).
inline constexpr std::string_view kRestoredMark = "restored";

struct PendingEvent {
  std::string event_id;
  events::EventType type = events::EventType::vendor_registered;
  std::string payload;  // encode_msgpack(event)
};

// Fills AppendBatch::events batch after batch without giving back the events'
// string capacity: next() hands out the slots in order, cut() moves the
// unfilled ones aside before the append (a vector resized down would free
// their buffers, and the next, longer batch allocate them again), next()
// takes them back.
class PendingEvents {
 public:
  explicit PendingEvents(std::vector<PendingEvent>& events) : events_(events) {}
  PendingEvents(const PendingEvents&) = delete;
  PendingEvents& operator=(const PendingEvents&) = delete;
  // The next slot to fill (its strings hold an earlier event's bytes).
  PendingEvent& next() {
    if (events_.size() <= live_) {
      if (spare_.empty()) {
        events_.emplace_back();
      } else {
        events_.push_back(std::move(spare_.back()));
        spare_.pop_back();
      }
    }
    return events_[live_++];
  }
  // Cuts the vector to the filled slots, ready to append.
  void cut() {
    while (events_.size() > live_) {
      spare_.push_back(std::move(events_.back()));
      events_.pop_back();
    }
  }
  // Starts the next batch in the same vector.
  void reset() { live_ = 0; }

 private:
  std::vector<PendingEvent>& events_;
  std::vector<PendingEvent> spare_;
  size_t live_ = 0;
};

// A record the decoder (or a projection) rejected. Nothing is dropped: the raw
// bytes are kept.
struct QuarantineRecord {
  std::string raw;            // the record as received
  events::RejectCode code = events::RejectCode::bad_json;
  std::string reason;         // Rejection::message
  std::string source;         // e.g. "file:/data/day1.ndjson", "kafka:orders/3"
  uint64_t line = 0;          // 1-based line in a file; 0 if not a file
  uint64_t offset = 0;        // byte offset in the file, or Kafka offset
  int64_t quarantined_at_us = 0;  // filled by the log at commit
  uint64_t qseq = 0;              // filled by the log
  uint64_t seq = 0;               // for projection errors: the event's seq; else 0
};

struct AppendBatch {
  std::vector<PendingEvent> events;          // in source order
  std::vector<QuarantineRecord> rejected;
  std::vector<SourcePosition> positions;     // positions after this batch
};

struct AppendResult {
  uint64_t first_seq = 0;  // 0 if nothing was appended
  uint64_t last_seq = 0;
  uint64_t appended = 0;
  uint64_t duplicates = 0;   // event_id already in the log (or earlier in the batch)
  uint64_t quarantined = 0;
  int64_t ingest_time_us = 0;
};

struct StoredEvent {
  uint64_t seq = 0;
  int64_t ingest_time_us = 0;
  events::Event event;
};

// Slots of LogStats::quarantined_by_code: RejectCode values are 1..15; slot 0
// counts what no per-code counter saw (records quarantined by a build that
// predates them).
constexpr size_t kRejectCodeSlots = 16;

struct LogStats {
  uint64_t first_seq = 0, last_seq = 0, events = 0;
  uint64_t per_type[events::kEventTypeCount + 1] = {};  // indexed by EventType value
  uint64_t duplicates = 0;   // skipped since the log was created
  uint64_t quarantined = 0;
  uint64_t quarantined_by_code[kRejectCodeSlots] = {};  // indexed by RejectCode value
  int64_t first_ingest_us = 0, last_ingest_us = 0;
  uint64_t map_bytes = 0;    // current map size
  uint64_t file_bytes = 0;   // data.mdb size on disk
};

class LogReader;
struct LogHandles;  // storage/log_format.h: for the log's checker and backup

// Threads: every const member may be called from any thread, concurrently
// with append(). Readers (LogReader) may live in any thread but must be
// destroyed before the EventLog that made them.
// Map growth: the map is grown (doubled) by append() when LMDB reports it
// full. LMDB requires that no transaction of this process is open while the
// map size changes, so every transaction this class opens (the writer's, the
// const members', a reader's chunk) is held under a shared lock that the
// growth takes exclusively; no transaction is held between calls.
class EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> open(const LogOptions& options);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends a batch in ONE write transaction: events get consecutive seqs,
  // duplicates are skipped and counted, rejections go to the quarantine, the
  // positions are stored. A full map is grown and the batch retried. With
  // Durability::sync the batch is on disk when this returns. Not thread-safe
  // against other append() calls on the same object.
  Result<AppendResult> append(const AppendBatch& batch);

  std::optional<SourcePosition> position(std::string_view source) const;
  std::vector<SourcePosition> positions() const;

  uint64_t last_seq() const;
  // The last seq whose ingest time is <= t_us (0 if none): the bound of a
  // point-in-time recovery "as of t".
  Result<uint64_t> seq_at_time(int64_t t_us) const;

  Result<LogStats> stats() const;

  // Iterates committed events from `from_seq` (inclusive), in seq order.
  std::unique_ptr<LogReader> reader(uint64_t from_seq = 1) const;

  // Quarantine, in the order records arrived.
  Result<std::vector<QuarantineRecord>> quarantine(uint64_t from_qseq = 1, size_t limit = SIZE_MAX) const;

  const std::string& dir() const;

 private:
  struct Impl;
  explicit EventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend LogHandles log_handles(const EventLog& log);
};

// Reads the log in seq order. Holds an LMDB read transaction only for a chunk
// of records at a time, so a long reader never pins old pages for long.
// A record whose checksum does not match is an error naming its seq; it is
// never skipped.
class LogReader {
 public:
  ~LogReader();
  // Next event; nullopt at the current end of the log (call again later to
  // see events appended since: a tailing reader). An Error on corruption.
  Result<std::optional<StoredEvent>> next();
  // The seq next() will return.
  uint64_t position() const;

 private:
  friend class EventLog;
  struct Impl;
  explicit LogReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// crc32c (Castagnoli) of `data`, continuing from `crc`.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace lh::storage
