// Reading the event log in seq order (LogReader, declared in event_log.h):
// chunks of verified records copied out of short read transactions, decoded
// outside them. The writer and the look-ups are storage/event_log.cc.
#include <sys/mman.h>
#include <unistd.h>

#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "events/msgpack_codec.h"
#include "storage/event_log.h"
#include "storage/log_format.h"

namespace lh::storage {
namespace {

using namespace log_format;

// A reader's chunk: bounded in records and bytes, so neither many small nor
// a few huge records pin a snapshot (and old pages) for long.
constexpr size_t kChunkRecords = 4096;
constexpr size_t kChunkBytes = 4u << 20;

}  // namespace

// A reader copies a chunk of verified records out of one read transaction,
// then resets it: no snapshot is held between next() calls (so the map can
// grow, and old pages are not pinned by a slow consumer), and decoding runs
// outside the transaction.
struct LogReader::Impl {
  LogHandles log;  // of the EventLog that made this reader (it outlives us)
  uint64_t next_seq = 1;
  MDB_txn* txn = nullptr;        // reset between chunks, renewed for the next
  MDB_cursor* cursor = nullptr;  // renewed with txn
  struct Entry {
    uint64_t seq;
    int64_t ingest_us;
    size_t offset, size;  // of the payload in `bytes`
  };
  std::vector<Entry> chunk;
  size_t pos = 0;
  std::string bytes;
  std::optional<Error> error;  // found right after the buffered records

  ~Impl() {
    if (cursor != nullptr) mdb_cursor_close(cursor);
    if (txn != nullptr) mdb_txn_abort(txn);
    log.live_readers->fetch_sub(1);
  }

  void drop_txn() {
    if (cursor != nullptr) mdb_cursor_close(cursor);
    if (txn != nullptr) mdb_txn_abort(txn);
    cursor = nullptr;
    txn = nullptr;
  }

  Error read_error(std::string_view call, int rc) {
    return mdb_error(fmt::format("read at seq {}", next_seq), call, rc);
  }

  int start(std::shared_lock<std::shared_mutex>& lock) {
    for (int attempt = 0;; ++attempt) {
      lock = std::shared_lock<std::shared_mutex>(*log.map_mu);
      int rc = txn != nullptr ? mdb_txn_renew(txn) : mdb_txn_begin(log.env, nullptr, MDB_RDONLY, &txn);
      if (rc == 0) {
        rc = cursor != nullptr ? mdb_cursor_renew(txn, cursor) : mdb_cursor_open(txn, log.events, &cursor);
        if (rc == 0) return 0;
      }
      drop_txn();
      if (rc != MDB_MAP_RESIZED || attempt >= 4) return rc;
      lock.unlock();
      if (int r = adopt_map_size(log.env, *log.map_mu); r != 0) return r;
    }
  }

  // Refills `chunk` from next_seq. Verification failures land in `error`.
  void fill() {
    chunk.clear();
    bytes.clear();
    pos = 0;
    error.reset();
    std::shared_lock<std::shared_mutex> lock;
    if (int rc = start(lock); rc != 0) {
      error = read_error("mdb_txn_begin", rc);
      return;
    }
    char key[8];
    put_be64(key, next_seq);
    MDB_val k{8, key}, v;
    uint64_t expected = next_seq;
    const char* lo = nullptr;  // the map's bytes this chunk read (release_pages)
    const char* hi = nullptr;
    int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
    for (; rc == 0 && chunk.size() < kChunkRecords && bytes.size() < kChunkBytes;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT), ++expected) {
      const uint64_t found = k.mv_size == 8 ? get_be64(k.mv_data) : 0;
      if (found != expected) {  // a hole in the log is corruption: never skip it
        error = Error{fmt::format("seq gap: expected {}, found {}", expected, found)};
        break;
      }
      const auto* p = static_cast<const char*>(v.mv_data);
      if (v.mv_size < kRecordHeader) {
        error = Error{fmt::format("seq {}: record too short ({} bytes)", expected, v.mv_size)};
        break;
      }
      const auto stored = static_cast<uint32_t>(get_le(p, 4));
      const uint32_t computed = crc32c(std::string_view(p + 4, v.mv_size - 4));
      if (stored != computed) {
        error = Error{fmt::format("seq {}: checksum mismatch (stored 0x{:08x}, computed 0x{:08x})",
                                  expected, stored, computed)};
        break;
      }
      if (static_cast<uint8_t>(p[4]) != kRecordFormat) {
        error = Error{fmt::format("seq {}: unknown record format {}", expected,
                                  static_cast<unsigned>(static_cast<uint8_t>(p[4])))};
        break;
      }
      const size_t size = v.mv_size - kRecordHeader;
      lo = lo == nullptr ? p : std::min(lo, p);
      hi = std::max(hi, p + v.mv_size);
      chunk.push_back(Entry{expected, static_cast<int64_t>(get_le(p + 5, 8)), bytes.size(), size});
      bytes.append(p + kRecordHeader, size);
    }
    if (rc != 0 && rc != MDB_NOTFOUND && !error) error = read_error("mdb_cursor_get(events)", rc);
    mdb_txn_reset(txn);
    release_pages(lo, hi);  // still under the map lock: the map cannot move
  }

  // The records are copied into `bytes`: the map's pages they came from
  // leave this process's resident set (MADV_DONTNEED on a read-only shared
  // file mapping drops only the page-table entries; the data stays in the
  // page cache and a later access maps it again). Without it a reader that
  // walks the log shows the whole file in its RSS (bench/project: ~575 of
  // ~1000 MiB). The range may cover other pages of the file (indexes,
  // interleaved): they fault back in when used.
  static void release_pages(const char* lo, const char* hi) {
    if (lo == nullptr || hi <= lo) return;
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t a = reinterpret_cast<uintptr_t>(lo) & ~(page - 1);
    const uintptr_t b = (reinterpret_cast<uintptr_t>(hi) + page - 1) & ~(page - 1);
    madvise(reinterpret_cast<void*>(a), b - a, MADV_DONTNEED);  // advice: a failure changes nothing
  }
};

LogReader::LogReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogReader::~LogReader() = default;

std::unique_ptr<LogReader> EventLog::reader(uint64_t from_seq) const {
  auto r = std::make_unique<LogReader::Impl>();
  r->log = log_handles(*this);
  r->next_seq = std::max<uint64_t>(from_seq, 1);
  r->log.live_readers->fetch_add(1);
  return std::unique_ptr<LogReader>(new LogReader(std::move(r)));
}

Result<std::optional<StoredEvent>> LogReader::next() {
  Impl& r = *impl_;
  if (r.pos == r.chunk.size()) {
    // Refilling from next_seq also re-finds an error reported before: a
    // corrupt record stops the reader at its seq on every call.
    r.fill();
    if (r.chunk.empty()) {
      if (r.error) return *r.error;
      return std::optional<StoredEvent>();
    }
  }
  const Impl::Entry& e = r.chunk[r.pos];
  std::optional<StoredEvent> out(std::in_place);
  out->seq = e.seq;
  out->ingest_time_us = e.ingest_us;
  if (Status s = events::decode_msgpack(std::string_view(r.bytes).substr(e.offset, e.size), out->event); !s)
    return Error{fmt::format("seq {}: {}", e.seq, s.error().message)};
  ++r.pos;
  r.next_seq = e.seq + 1;
  return out;
}

uint64_t LogReader::position() const { return impl_->next_seq; }

}  // namespace lh::storage
