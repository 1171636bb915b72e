// The on-disk layout of the event log (event_log.h documents it), shared by
// the log itself (event_log.cc), its checker (log_verify.cc) and its backup
// (log_backup.cc): integer encodings, the stored record's header, meta
// counter keys, quarantine and position values, and the LMDB handles of an
// open log. Internal to storage/: not for callers of EventLog.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "events/event.h"
#include "events/result.h"
#include "storage/event_log.h"

namespace lh::storage {

// The LMDB handles of an open EventLog. Whoever opens a transaction on `env`
// must hold `map_mu` shared for its whole life (the map grows under it
// exclusively; LMDB forbids resizing with a transaction of this process open).
struct LogHandles {
  MDB_env* env = nullptr;
  MDB_dbi events = 0, event_ids = 0, ingest_time = 0, quarantine = 0, positions = 0, meta = 0;
  std::shared_mutex* map_mu = nullptr;
  std::atomic<int>* live_readers = nullptr;  // LogReaders alive (checked at close)
};
LogHandles log_handles(const EventLog& log);

namespace log_format {

// Record: u32 crc32c LE (of the rest) | u8 format | i64 ingest_time_us LE | msgpack event.
constexpr uint8_t kRecordFormat = 1;    // byte 4 of every stored record
constexpr size_t kRecordHeader = 4 + 1 + 8;

// ---- fixed-width integers in keys (big-endian: LMDB compares bytes) and
// ---- in records and meta values (little-endian)

inline void put_be64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xFF);
}
inline uint64_t get_be64(const void* data) {
  auto p = static_cast<const unsigned char*>(data);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
inline void put_le(char* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8) p[i] = static_cast<char>(v & 0xFF);
}
inline uint64_t get_le(const void* data, int bytes) {
  auto p = static_cast<const unsigned char*>(data);
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline MDB_val val_of(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view view_of(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

inline Error mdb_error(std::string_view op, std::string_view call, int rc) {
  return Error{fmt::format("{}: {}: {}", op, call, mdb_strerror(rc))};
}

// Meta keys of the counters, in a fixed order; values are u64/i64 LE:
// count.unknown_type, count.<type> in kAllEventTypes order, duplicates,
// quarantined, first_ingest_us, last_ingest_us, clock_us, quarantined.<code>
// for code 0..kRejectCodeSlots-1 (by RejectCode value).
const std::vector<std::string>& counter_keys();

// The index of count.<type> in counter_keys() (0 = unknown_type).
inline size_t type_index(events::EventType t) {
  auto i = static_cast<size_t>(t);
  return i >= 1 && i <= static_cast<size_t>(events::kEventTypeCount) ? i : 0;
}

// Quarantine values: msgpack [raw, code, reason, source, line, offset, at_us, seq].
void pack_quarantine(const QuarantineRecord& q, int64_t at_us, std::string& out);
Result<QuarantineRecord> unpack_quarantine(std::string_view data, uint64_t qseq);
// Position values: msgpack [offset, line, fingerprint].
void pack_position(const SourcePosition& p, std::string& out);
std::optional<SourcePosition> unpack_position(std::string_view source, std::string_view data);

// Owns an LMDB transaction: aborted unless released (to commit).
class Txn {
 public:
  Txn() = default;
  ~Txn() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  MDB_txn* get() const { return txn_; }
  MDB_txn** out() { return &txn_; }
  MDB_txn* release() { return std::exchange(txn_, nullptr); }

 private:
  MDB_txn* txn_ = nullptr;
};

// Adopts a map grown by another process (after MDB_MAP_RESIZED): takes the
// map lock exclusively, as every size change must.
inline int adopt_map_size(MDB_env* env, std::shared_mutex& map_mu) {
  std::unique_lock<std::shared_mutex> l(map_mu);
  return mdb_env_set_mapsize(env, 0);
}

// The greatest key of `dbi` as a big-endian u64 (0 when empty).
inline int last_u64_key(MDB_txn* txn, MDB_dbi dbi, uint64_t& out) {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn, dbi, &cur);
  if (rc != 0) return rc;
  MDB_val k, v;
  rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  mdb_cursor_close(cur);
  out = 0;
  if (rc == MDB_NOTFOUND) return 0;
  if (rc == 0 && k.mv_size == 8) out = get_be64(k.mv_data);
  return rc;
}

}  // namespace log_format
}  // namespace lh::storage
