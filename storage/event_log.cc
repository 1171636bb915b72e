// The event log on LMDB (C API): one write transaction per appended batch
// (dedupe, seqs, quarantine, positions and counters commit together), and the
// const look-ups (positions, seq at a time, stats, quarantine). Reading in seq
// order is storage/log_reader.cc. The layout of the sub-databases and of a
// stored record is documented in event_log.h.
#include "storage/event_log.h"

#include <unistd.h>

#include <lmdb.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <system_error>

#include <fmt/format.h>
#include <msgpack.hpp>

#include "events/json_encoder.h"
#include "events/msgpack_codec.h"
#include "storage/log_format.h"

namespace lh::storage {
namespace {

using namespace log_format;  // the layout helpers shared with log_verify and log_backup

constexpr uint64_t kLogFormat = 1;      // meta "format": layout of the sub-databases
// Doubling stops here: a map this large means something else is wrong.
constexpr uint64_t kMaxMapBytes = 1ull << 44;

// ---- meta: counters kept exact inside append's transaction, so stats() is O(1)

struct Counters {
  uint64_t per_type[events::kEventTypeCount + 1] = {};
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;
  uint64_t quarantined_by_code[kRejectCodeSlots] = {};  // indexed by RejectCode value
  int64_t first_ingest_us = 0;  // of the first batch that appended events
  int64_t last_ingest_us = 0;   // of the last batch that appended events
  int64_t clock_us = 0;         // the latest batch time handed out (any batch)
};

const std::string kMetaFormat = "format";

std::vector<uint64_t*> counter_slots(Counters& c) {
  std::vector<uint64_t*> s;
  for (auto& n : c.per_type) s.push_back(&n);
  s.push_back(&c.duplicates);
  s.push_back(&c.quarantined);
  s.push_back(reinterpret_cast<uint64_t*>(&c.first_ingest_us));
  s.push_back(reinterpret_cast<uint64_t*>(&c.last_ingest_us));
  s.push_back(reinterpret_cast<uint64_t*>(&c.clock_us));
  for (auto& n : c.quarantined_by_code) s.push_back(&n);
  return s;
}

size_t code_index(events::RejectCode code) {
  auto i = static_cast<size_t>(code);
  return i < kRejectCodeSlots ? i : 0;
}

}  // namespace

// ---------------------------------------------------------------------------

struct EventLog::Impl {
  LogOptions options;
  MDB_env* env = nullptr;
  bool env_open = false;
  MDB_dbi events = 0, event_ids = 0, ingest_time = 0, quarantine = 0, positions = 0, meta = 0;
  size_t max_key = 0;
  // Shared by every transaction of this process, exclusive while the map
  // size changes (LMDB: no transaction may be open then).
  mutable std::shared_mutex map_mu;
  mutable std::atomic<int> live_readers{0};
  std::string scratch;  // append's reusable msgpack buffer
  std::string max_id;   // append's copy of the greatest event_id stored

  ~Impl() {
    if (env == nullptr) return;
    // MDB_NOSYNC promised durability at close: flush what the commits left.
    if (env_open && !options.read_only && options.durability == Durability::nosync)
      mdb_env_sync(env, 1);
    mdb_env_close(env);
  }

  int64_t now_us() const {
    if (options.clock) return options.clock();
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  }

  // Another process grew the map beyond ours: adopt its size.
  int adopt_map_size() const { return log_format::adopt_map_size(env, map_mu); }

  // Begins a transaction under the shared map lock, adopting a map grown by
  // another process (MDB_MAP_RESIZED) on the way.
  Status begin(std::string_view op, unsigned flags, std::shared_lock<std::shared_mutex>& lock,
               Txn& txn) const {
    for (int attempt = 0;; ++attempt) {
      lock = std::shared_lock<std::shared_mutex>(map_mu);
      int rc = mdb_txn_begin(env, nullptr, flags, txn.out());
      if (rc == MDB_MAP_RESIZED && attempt < 4) {
        lock.unlock();
        if (int r = adopt_map_size(); r != 0) return mdb_error(op, "mdb_env_set_mapsize", r);
        continue;
      }
      if (rc != 0) return mdb_error(op, "mdb_txn_begin", rc);
      return Status::Ok();
    }
  }

  Status grow_map() {
    std::unique_lock<std::shared_mutex> l(map_mu);
    MDB_envinfo info{};
    if (int rc = mdb_env_info(env, &info); rc != 0) return mdb_error("append", "mdb_env_info", rc);
    const uint64_t next = static_cast<uint64_t>(info.me_mapsize) * 2;
    if (next > kMaxMapBytes)
      return Error{fmt::format("append: the map would grow past {} bytes", kMaxMapBytes)};
    if (int rc = mdb_env_set_mapsize(env, next); rc != 0)
      return mdb_error("append", "mdb_env_set_mapsize", rc);
    return Status::Ok();
  }

  Result<Counters> read_counters(MDB_txn* txn, std::string_view op) const {
    Counters c;
    const auto& keys = counter_keys();
    std::vector<uint64_t*> slots = counter_slots(c);
    for (size_t i = 0; i < keys.size(); ++i) {
      MDB_val k = val_of(keys[i]), v;
      int rc = mdb_get(txn, meta, &k, &v);
      if (rc == MDB_NOTFOUND) continue;
      if (rc != 0) return mdb_error(op, "mdb_get(meta)", rc);
      if (v.mv_size != 8)
        return Error{fmt::format("{}: meta {}: corrupt ({} bytes)", op, keys[i], v.mv_size)};
      *slots[i] = get_le(v.mv_data, 8);
    }
    return c;
  }

  int write_counters(MDB_txn* txn, Counters& c) {
    const auto& keys = counter_keys();
    std::vector<uint64_t*> slots = counter_slots(c);
    for (size_t i = 0; i < keys.size(); ++i) {
      char buf[8];
      put_le(buf, *slots[i], 8);
      MDB_val k = val_of(keys[i]), v{8, buf};
      if (int rc = mdb_put(txn, meta, &k, &v, 0); rc != 0) return rc;
    }
    return 0;
  }

  Result<AppendResult> append_once(const AppendBatch& batch, bool& map_full);
  Result<uint64_t> put_quarantine(MDB_txn* txn, const QuarantineRecord& q, int64_t at_us,
                                  uint64_t& qseq, bool& map_full);
};

// One attempt at a batch. On MDB_MAP_FULL the transaction is aborted (by
// Txn's destructor, before the shared lock is released) and map_full is set.
Result<AppendResult> EventLog::Impl::append_once(const AppendBatch& batch, bool& map_full) {
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  if (Status s = begin("append", 0, lock, txn); !s) return s.error();
  const auto fail = [&](std::string_view call, int rc) {
    if (rc == MDB_MAP_FULL) map_full = true;
    return mdb_error("append", call, rc);
  };

  auto counters = read_counters(txn.get(), "append");
  if (!counters) return counters.error();
  Counters& c = *counters;
  uint64_t seq = 0, qseq = 0;
  if (int rc = last_u64_key(txn.get(), events, seq); rc != 0) return fail("mdb_cursor_get(events)", rc);
  if (int rc = last_u64_key(txn.get(), quarantine, qseq); rc != 0)
    return fail("mdb_cursor_get(quarantine)", rc);

  // One time for the whole batch, never earlier than the previous batch's:
  // "as of T" must cut the log at a single seq.
  const int64_t ingest = std::max<int64_t>({now_us(), c.clock_us, 0});
  AppendResult res;
  res.ingest_time_us = ingest;

  // The hot loop: two cursor puts per event, no allocation, no syscall.
  // Cursors rather than mdb_put: a cursor left at the end by an MDB_APPEND
  // appends the next key without searching the tree again.
  MDB_cursor* ev_cur = nullptr;
  MDB_cursor* id_cur = nullptr;  // both closed by LMDB when the write txn ends
  if (int rc = mdb_cursor_open(txn.get(), events, &ev_cur); rc != 0) return fail("mdb_cursor_open(events)", rc);
  if (int rc = mdb_cursor_open(txn.get(), event_ids, &id_cur); rc != 0)
    return fail("mdb_cursor_open(event_ids)", rc);
  // Ids that sort after every stored id (generated, ULID or time-ordered ids:
  // the common case) are appended to the dedupe index: no search, full pages.
  // Any other id takes the exact path (MDB_NOOVERWRITE).
  max_id.clear();
  {
    MDB_val k, v;
    int rc = mdb_cursor_get(id_cur, &k, &v, MDB_LAST);
    if (rc == 0) max_id.assign(static_cast<const char*>(k.mv_data), k.mv_size);
    else if (rc != MDB_NOTFOUND) return fail("mdb_cursor_get(event_ids)", rc);
  }
  char seq_key[8];
  std::vector<size_t> unkeyable;  // events whose id LMDB cannot take as a key
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const PendingEvent& e = batch.events[i];
    if (e.event_id.empty() || e.event_id.size() > max_key) {
      unkeyable.push_back(i);
      continue;
    }
    put_be64(seq_key, seq + 1);
    MDB_val id = val_of(e.event_id), id_seq{8, seq_key};
    // LMDB orders keys by memcmp, then length: as string_view::compare does.
    const bool in_order = std::string_view(e.event_id) > std::string_view(max_id);
    int rc = mdb_cursor_put(id_cur, &id, &id_seq, in_order ? MDB_APPEND : MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST && !in_order) {  // in the log already, or earlier in this batch
      ++res.duplicates;
      continue;
    }
    if (rc != 0) return fail("mdb_put(event_ids)", rc);
    if (in_order) max_id.assign(e.event_id);  // within capacity: no allocation
    ++seq;
    MDB_val key{8, seq_key}, rec{kRecordHeader + e.payload.size(), nullptr};
    // MDB_RESERVE: the record is written straight into the page.
    rc = mdb_cursor_put(ev_cur, &key, &rec, MDB_APPEND | MDB_RESERVE);
    if (rc != 0) return fail("mdb_put(events)", rc);
    char* p = static_cast<char*>(rec.mv_data);
    p[4] = static_cast<char>(kRecordFormat);
    put_le(p + 5, static_cast<uint64_t>(ingest), 8);
    std::memcpy(p + kRecordHeader, e.payload.data(), e.payload.size());
    put_le(p, crc32c(std::string_view(p + 4, rec.mv_size - 4)), 4);
    if (res.first_seq == 0) res.first_seq = seq;
    ++res.appended;
    ++c.per_type[type_index(e.type)];
  }

  for (const QuarantineRecord& q : batch.rejected) {
    auto r = put_quarantine(txn.get(), q, ingest, qseq, map_full);
    if (!r) return r.error();
  }
  // An id longer than LMDB's key limit (or empty) cannot be deduplicated,
  // so it cannot enter the log; it must not fail its batch either.
  for (size_t i : unkeyable) {
    const PendingEvent& e = batch.events[i];
    QuarantineRecord q;
    events::Event ev;
    if (events::decode_msgpack(e.payload, ev).ok()) {
      events::append_json(ev, q.raw);  // readable, and re-ingestible once fixed
    } else {
      q.raw = e.payload;
    }
    q.code = e.event_id.empty() ? events::RejectCode::empty_id : events::RejectCode::bad_value;
    ++c.quarantined_by_code[code_index(q.code)];
    q.reason = e.event_id.empty()
                   ? std::string("event_id: empty")
                   : fmt::format("event_id: {} bytes, longer than the log's key limit of {}",
                                 e.event_id.size(), max_key);
    auto r = put_quarantine(txn.get(), q, ingest, qseq, map_full);
    if (!r) return r.error();
  }
  res.quarantined = batch.rejected.size() + unkeyable.size();
  for (const QuarantineRecord& q : batch.rejected) ++c.quarantined_by_code[code_index(q.code)];

  for (const SourcePosition& p : batch.positions) {
    if (p.source.empty() || p.source.size() > max_key)
      return Error{fmt::format("append: source name of {} bytes (must be 1..{})", p.source.size(),
                               max_key)};
    pack_position(p, scratch);
    MDB_val k = val_of(p.source), v = val_of(scratch);
    if (int rc = mdb_put(txn.get(), positions, &k, &v, 0); rc != 0) return fail("mdb_put(positions)", rc);
  }

  if (res.appended > 0) {
    char tkey[8], tval[8];
    put_be64(tkey, static_cast<uint64_t>(ingest));
    put_be64(tval, seq);
    MDB_val k{8, tkey}, v{8, tval};
    // Equal times (a clock that stood still) overwrite: the later last seq is the bound.
    if (int rc = mdb_put(txn.get(), ingest_time, &k, &v, 0); rc != 0)
      return fail("mdb_put(ingest_time)", rc);
    if (c.first_ingest_us == 0) c.first_ingest_us = ingest;
    c.last_ingest_us = ingest;
    res.last_seq = seq;
  }
  c.duplicates += res.duplicates;
  c.quarantined += res.quarantined;
  c.clock_us = ingest;
  if (int rc = write_counters(txn.get(), c); rc != 0) return fail("mdb_put(meta)", rc);

  if (int rc = mdb_txn_commit(txn.release()); rc != 0) return fail("mdb_txn_commit", rc);
  return res;
}

Result<uint64_t> EventLog::Impl::put_quarantine(MDB_txn* txn, const QuarantineRecord& q,
                                                int64_t at_us, uint64_t& qseq, bool& map_full) {
  pack_quarantine(q, at_us, scratch);
  char key[8];
  put_be64(key, ++qseq);
  MDB_val k{8, key}, v = val_of(scratch);
  if (int rc = mdb_put(txn, quarantine, &k, &v, MDB_APPEND); rc != 0) {
    if (rc == MDB_MAP_FULL) map_full = true;
    return mdb_error("append", "mdb_put(quarantine)", rc);
  }
  return qseq;
}

// ---------------------------------------------------------------------------

EventLog::EventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EventLog::~EventLog() {
  assert(impl_->live_readers.load() == 0 && "a LogReader outlived its EventLog");
}

Result<std::unique_ptr<EventLog>> EventLog::open(const LogOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const std::string& dir = options.dir;
  const std::string op = "open " + dir;

  struct stat st{};
  if (options.read_only) {
    if (::stat((dir + "/data.mdb").c_str(), &st) != 0)
      return Error{fmt::format("no event log in {} (run ingest first)", dir)};
  } else {
    std::error_code ec;
    const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return Error{fmt::format("{}: mkdir: {}", op, std::strerror(errno))};
  }

  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != 0) return mdb_error(op, "mdb_env_create", rc);
  impl->env = env;
  if (int rc = mdb_env_set_maxdbs(env, 8); rc != 0) return mdb_error(op, "mdb_env_set_maxdbs", rc);
  if (options.initial_map_bytes > 0) {
    // An existing log keeps at least the size its data needs (LMDB raises it).
    if (int rc = mdb_env_set_mapsize(env, options.initial_map_bytes); rc != 0)
      return mdb_error(op, "mdb_env_set_mapsize", rc);
  }
  // MDB_NOTLS: read transactions belong to objects, not threads, so a reader
  // may be used by whichever thread holds it.
  unsigned flags = MDB_NOTLS;
  if (options.read_only) flags |= MDB_RDONLY;
  if (options.durability == Durability::nosync) flags |= MDB_NOSYNC;
  if (int rc = mdb_env_open(env, dir.c_str(), flags, 0644); rc != 0)
    return mdb_error(op, "mdb_env_open", rc);
  impl->env_open = true;
  impl->max_key = static_cast<size_t>(mdb_env_get_maxkeysize(env));

  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  if (Status s = impl->begin(op, options.read_only ? MDB_RDONLY : 0, lock, txn); !s) return s.error();
  const unsigned create = options.read_only ? 0 : MDB_CREATE;
  const std::pair<const char*, MDB_dbi*> dbis[] = {
      {"events", &impl->events},         {"event_ids", &impl->event_ids},
      {"ingest_time", &impl->ingest_time}, {"quarantine", &impl->quarantine},
      {"positions", &impl->positions},   {"meta", &impl->meta}};
  for (const auto& [name, dbi] : dbis) {
    int rc = mdb_dbi_open(txn.get(), name, create, dbi);
    if (rc == MDB_NOTFOUND)
      return Error{fmt::format("{}: not an event log (no '{}' database)", op, name)};
    if (rc != 0) return mdb_error(op, fmt::format("mdb_dbi_open({})", name), rc);
  }

  MDB_val k = val_of(kMetaFormat), v;
  int rc = mdb_get(txn.get(), impl->meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    uint64_t last = 0;
    if (int r = last_u64_key(txn.get(), impl->events, last); r != 0)
      return mdb_error(op, "mdb_cursor_get(events)", r);
    if (options.read_only || last != 0)
      return Error{fmt::format("{}: no format version in meta (not an event log?)", op)};
    char buf[8];
    put_le(buf, kLogFormat, 8);
    MDB_val fv{8, buf};
    if (int r = mdb_put(txn.get(), impl->meta, &k, &fv, 0); r != 0) return mdb_error(op, "mdb_put(meta)", r);
  } else if (rc != 0) {
    return mdb_error(op, "mdb_get(meta)", rc);
  } else {
    const uint64_t found = v.mv_size == 8 ? get_le(v.mv_data, 8) : 0;
    if (found != kLogFormat)
      return Error{fmt::format("{}: event log format {} (this build reads format {})", op,
                               v.mv_size == 8 ? std::to_string(found) : "<corrupt>", kLogFormat)};
  }
  // Committing (also the read-only one) keeps the dbi handles open for the env.
  if (int r = mdb_txn_commit(txn.release()); r != 0) return mdb_error(op, "mdb_txn_commit", r);
  lock.unlock();
  return std::unique_ptr<EventLog>(new EventLog(std::move(impl)));
}

Result<AppendResult> EventLog::append(const AppendBatch& batch) {
  if (impl_->options.read_only) return Error{"append: the log was opened read-only"};
  for (;;) {
    bool map_full = false;
    Result<AppendResult> r = impl_->append_once(batch, map_full);
    if (!map_full) return r;
    // The failed transaction is gone; grow and replay the whole batch.
    if (Status s = impl_->grow_map(); !s) return s.error();
  }
}

std::optional<SourcePosition> EventLog::position(std::string_view source) const {
  if (source.empty() || source.size() > impl_->max_key) return std::nullopt;
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  if (!impl_->begin("position", MDB_RDONLY, lock, txn)) return std::nullopt;
  MDB_val k = val_of(source), v;
  if (mdb_get(txn.get(), impl_->positions, &k, &v) != 0) return std::nullopt;
  return unpack_position(source, view_of(v));
}

std::vector<SourcePosition> EventLog::positions() const {
  std::vector<SourcePosition> out;
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  MDB_cursor* cur = nullptr;
  if (!impl_->begin("positions", MDB_RDONLY, lock, txn)) return out;
  if (mdb_cursor_open(txn.get(), impl_->positions, &cur) != 0) return out;
  MDB_val k, v;
  for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (auto p = unpack_position(view_of(k), view_of(v))) out.push_back(std::move(*p));
  }
  mdb_cursor_close(cur);
  return out;
}

uint64_t EventLog::last_seq() const {
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  uint64_t last = 0;
  if (!impl_->begin("last_seq", MDB_RDONLY, lock, txn)) return 0;
  if (last_u64_key(txn.get(), impl_->events, last) != 0) return 0;
  return last;
}

Result<uint64_t> EventLog::seq_at_time(int64_t t_us) const {
  if (t_us < 0) return uint64_t{0};  // ingest times are never negative
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  if (Status s = impl_->begin("seq_at_time", MDB_RDONLY, lock, txn); !s) return s.error();
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_cursor_open(txn.get(), impl_->ingest_time, &cur); rc != 0)
    return mdb_error("seq_at_time", "mdb_cursor_open(ingest_time)", rc);
  // The first batch after t, then one step back: the last batch at or before t.
  char key[8];
  MDB_val k{8, key}, v;
  int rc = MDB_NOTFOUND;
  if (t_us < INT64_MAX) {
    put_be64(key, static_cast<uint64_t>(t_us) + 1);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  }
  if (rc == 0) {
    rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
  } else if (rc == MDB_NOTFOUND) {
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  }
  mdb_cursor_close(cur);
  if (rc == MDB_NOTFOUND) return uint64_t{0};
  if (rc != 0) return mdb_error("seq_at_time", "mdb_cursor_get(ingest_time)", rc);
  if (v.mv_size != 8) return Error{"seq_at_time: corrupt ingest_time value"};
  return get_be64(v.mv_data);
}

Result<LogStats> EventLog::stats() const {
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  if (Status s = impl_->begin("stats", MDB_RDONLY, lock, txn); !s) return s.error();
  auto counters = impl_->read_counters(txn.get(), "stats");
  if (!counters) return counters.error();
  LogStats st;
  std::copy(std::begin(counters->per_type), std::end(counters->per_type), st.per_type);
  st.duplicates = counters->duplicates;
  st.quarantined = counters->quarantined;
  uint64_t by_code = 0;
  for (size_t i = 1; i < kRejectCodeSlots; ++i) by_code += st.quarantined_by_code[i] = counters->quarantined_by_code[i];
  // Logs written before the per-code counters existed: the rest is uncounted.
  st.quarantined_by_code[0] = st.quarantined > by_code ? st.quarantined - by_code : 0;
  st.first_ingest_us = counters->first_ingest_us;
  st.last_ingest_us = counters->last_ingest_us;

  MDB_stat ms{};
  if (int rc = mdb_stat(txn.get(), impl_->events, &ms); rc != 0) return mdb_error("stats", "mdb_stat(events)", rc);
  st.events = ms.ms_entries;
  if (int rc = last_u64_key(txn.get(), impl_->events, st.last_seq); rc != 0)
    return mdb_error("stats", "mdb_cursor_get(events)", rc);
  st.first_seq = st.events > 0 ? 1 : 0;  // seqs start at 1 and are never removed
  MDB_envinfo info{};
  if (int rc = mdb_env_info(impl_->env, &info); rc != 0) return mdb_error("stats", "mdb_env_info", rc);
  st.map_bytes = info.me_mapsize;
  struct stat fst{};
  if (::stat((impl_->options.dir + "/data.mdb").c_str(), &fst) == 0)
    st.file_bytes = static_cast<uint64_t>(fst.st_size);
  return st;
}

Result<std::vector<QuarantineRecord>> EventLog::quarantine(uint64_t from_qseq, size_t limit) const {
  std::vector<QuarantineRecord> out;
  std::shared_lock<std::shared_mutex> lock;
  Txn txn;
  if (Status s = impl_->begin("quarantine", MDB_RDONLY, lock, txn); !s) return s.error();
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_cursor_open(txn.get(), impl_->quarantine, &cur); rc != 0)
    return mdb_error("quarantine", "mdb_cursor_open(quarantine)", rc);
  char key[8];
  put_be64(key, std::max<uint64_t>(from_qseq, 1));
  MDB_val k{8, key}, v;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  for (; rc == 0 && out.size() < limit; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    auto q = unpack_quarantine(view_of(v), k.mv_size == 8 ? get_be64(k.mv_data) : 0);
    if (!q) {
      mdb_cursor_close(cur);
      return q.error();
    }
    out.push_back(std::move(*q));
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND) return mdb_error("quarantine", "mdb_cursor_get(quarantine)", rc);
  return out;
}

const std::string& EventLog::dir() const { return impl_->options.dir; }

LogHandles log_handles(const EventLog& log) {
  const EventLog::Impl& i = *log.impl_;
  return LogHandles{i.env,        i.events, i.event_ids, i.ingest_time, i.quarantine, i.positions,
                    i.meta,       &i.map_mu, &i.live_readers};
}

}  // namespace lh::storage
