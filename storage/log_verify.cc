// verify_log: one read snapshot, three passes. The events pass checks each
// record and looks its id up in event_ids; the reverse direction is then a
// count (N events whose id maps to their own seq are N distinct entries, so
// an index with exactly N entries holds nothing else) and only a mismatch
// walks the index to name the strays. The ingest_time index is compared with
// the batch boundaries seen in the records (time changes between seqs).
#include "storage/log_verify.h"

#include <chrono>
#include <set>
#include <utility>

#include "events/msgpack_codec.h"
#include "storage/log_format.h"

namespace lh::storage {
namespace {

using namespace log_format;

class Checker {
 public:
  Checker(const LogHandles& h, MDB_txn* txn, const VerifyOptions& o, VerifyReport& r)
      : h_(h), txn_(txn), o_(o), r_(r) {}

  Status run() {
    if (Status s = check_events(); !s) return s;
    if (Status s = check_event_ids(); !s) return s;
    if (Status s = check_ingest_time(); !s) return s;
    if (Status s = check_quarantine(); !s) return s;
    if (Status s = check_positions(); !s) return s;
    return check_meta();
  }

 private:
  void problem(std::string where, std::string what) {
    ++r_.problem_count;
    if (r_.problems.size() < o_.max_listed) r_.problems.push_back({std::move(where), std::move(what)});
  }
  static std::string at(uint64_t seq) { return fmt::format("seq {}", seq); }
  static std::string time_of(int64_t us) { return fmt::format("{} ({} us)", events::format_time_us(us), us); }

  // A record's header and checksum; the payload on success.
  std::optional<std::string_view> open_record(uint64_t seq, const MDB_val& v, bool report) {
    const auto* p = static_cast<const char*>(v.mv_data);
    if (v.mv_size < kRecordHeader) {
      if (report) problem(at(seq), fmt::format("record of {} bytes, shorter than its {}-byte header",
                                               v.mv_size, kRecordHeader));
      return std::nullopt;
    }
    const auto stored = static_cast<uint32_t>(get_le(p, 4));
    const uint32_t computed = crc32c(std::string_view(p + 4, v.mv_size - 4));
    if (stored != computed) {
      if (report) problem(at(seq), fmt::format("checksum mismatch: stored 0x{:08x}, computed 0x{:08x} "
                                               "over {} bytes", stored, computed, v.mv_size - 4));
      return std::nullopt;
    }
    if (static_cast<uint8_t>(p[4]) != kRecordFormat) {
      if (report) problem(at(seq), fmt::format("record format {}, expected {}",
                                               static_cast<unsigned>(static_cast<uint8_t>(p[4])),
                                               static_cast<unsigned>(kRecordFormat)));
      return std::nullopt;
    }
    return std::string_view(p + kRecordHeader, v.mv_size - kRecordHeader);
  }

  Status check_events() {
    MDB_stat st{};
    if (int rc = mdb_stat(txn_, h_.events, &st); rc != 0) return mdb_error("verify", "mdb_stat(events)", rc);
    const uint64_t total = st.ms_entries;
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn_, h_.events, &cur); rc != 0)
      return mdb_error("verify", "mdb_cursor_open(events)", rc);
    uint64_t expected = 1, done = 0;
    bool have_prev = false;
    int64_t prev_time = 0;
    uint64_t prev_seq = 0;
    events::Event ev;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      if (++done % 65536 == 0 && o_.on_progress) o_.on_progress(done, total);
      ++r_.events;
      r_.bytes += v.mv_size;
      if (k.mv_size != 8) {
        problem("events", fmt::format("a key of {} bytes (seq keys are 8)", k.mv_size));
        continue;
      }
      const uint64_t seq = get_be64(k.mv_data);
      if (seq != expected)
        problem(at(seq), expected == 1 ? fmt::format("the log starts at seq {}, expected 1", seq)
                                       : fmt::format("seq gap: expected seq {}, found seq {} ({} missing)",
                                                     expected, seq, seq - expected));
      expected = seq + 1;
      r_.last_seq = seq;
      auto payload = open_record(seq, v, true);
      if (!payload) {
        bad_seqs_.insert(seq);
        continue;
      }
      const auto ingest = static_cast<int64_t>(get_le(static_cast<const char*>(v.mv_data) + 5, 8));
      if (!have_prev) first_time_ = ingest;
      if (have_prev && ingest < prev_time)
        problem(at(seq), fmt::format("ingest time {} is before seq {}'s {}", time_of(ingest), prev_seq,
                                     time_of(prev_time)));
      if (have_prev && ingest != prev_time) boundaries_.emplace_back(prev_time, prev_seq);
      have_prev = true;
      prev_time = ingest;
      prev_seq = seq;
      if (Status s = events::decode_msgpack(*payload, ev); !s) {
        problem(at(seq), "payload does not decode: " + s.error().message);
        bad_seqs_.insert(seq);
        continue;
      }
      ++per_type_[type_index(ev.type)];
      check_id(seq, ev.event_id);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return mdb_error("verify", "mdb_cursor_get(events)", rc);
    if (have_prev) boundaries_.emplace_back(prev_time, prev_seq);
    last_time_ = prev_time;
    if (o_.on_progress) o_.on_progress(done, total);
    return {};
  }

  void check_id(uint64_t seq, const std::string& id) {
    if (id.empty() || id.size() > static_cast<size_t>(mdb_env_get_maxkeysize(h_.env))) {
      problem(at(seq), fmt::format("event_id of {} bytes cannot be in the event_ids index", id.size()));
      return;
    }
    MDB_val k = val_of(id), v;
    int rc = mdb_get(txn_, h_.event_ids, &k, &v);
    if (rc == MDB_NOTFOUND) {
      problem(at(seq), fmt::format("event_id '{}' is missing from the event_ids index", id));
    } else if (rc != 0) {
      problem(at(seq), fmt::format("event_ids lookup of '{}': {}", id, mdb_strerror(rc)));
    } else if (v.mv_size != 8) {
      problem(fmt::format("event_ids[{}]", id), fmt::format("value of {} bytes (expected 8)", v.mv_size));
    } else if (uint64_t found = get_be64(v.mv_data); found != seq) {
      problem(at(seq), fmt::format("event_ids['{}'] points to seq {}, expected {}", id, found, seq));
    } else {
      ++ids_matched_;
    }
  }

  Status check_event_ids() {
    MDB_stat st{};
    if (int rc = mdb_stat(txn_, h_.event_ids, &st); rc != 0)
      return mdb_error("verify", "mdb_stat(event_ids)", rc);
    r_.event_ids = st.ms_entries;
    if (r_.event_ids == ids_matched_) return {};
    // Some entries point elsewhere than their event: find them.
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn_, h_.event_ids, &cur); rc != 0)
      return mdb_error("verify", "mdb_cursor_open(event_ids)", rc);
    events::Event ev;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      const std::string id(view_of(k));
      const std::string where = fmt::format("event_ids[{}]", id);
      if (v.mv_size != 8) {
        problem(where, fmt::format("value of {} bytes (expected 8)", v.mv_size));
        continue;
      }
      const uint64_t seq = get_be64(v.mv_data);
      if (bad_seqs_.count(seq) != 0) continue;  // its record is reported already
      char key[8];
      put_be64(key, seq);
      MDB_val sk{8, key}, rec;
      int g = mdb_get(txn_, h_.events, &sk, &rec);
      if (g == MDB_NOTFOUND) {
        problem(where, fmt::format("points to seq {}, which is not in the log", seq));
        continue;
      }
      if (g != 0) return mdb_error("verify", "mdb_get(events)", g);
      auto payload = open_record(seq, rec, false);
      if (!payload || !events::decode_msgpack(*payload, ev).ok()) continue;  // reported by the events pass
      if (ev.event_id != id)
        problem(where, fmt::format("points to seq {}, whose event_id is '{}'", seq, ev.event_id));
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return mdb_error("verify", "mdb_cursor_get(event_ids)", rc);
    return {};
  }

  // Both sides sorted by time: the index (keys) and the batch ends seen in
  // the records (times never go back, else reported above).
  Status check_ingest_time() {
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn_, h_.ingest_time, &cur); rc != 0)
      return mdb_error("verify", "mdb_cursor_open(ingest_time)", rc);
    std::vector<std::pair<int64_t, uint64_t>> index;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      ++r_.ingest_times;
      if (k.mv_size != 8 || v.mv_size != 8) {
        problem("ingest_time", fmt::format("an entry of {}-byte key and {}-byte value (expected 8 and 8)",
                                           k.mv_size, v.mv_size));
        continue;
      }
      index.emplace_back(static_cast<int64_t>(get_be64(k.mv_data)), get_be64(v.mv_data));
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return mdb_error("verify", "mdb_cursor_get(ingest_time)", rc);
    size_t i = 0, j = 0;
    const auto where = [&](int64_t t) { return fmt::format("ingest_time[{}]", time_of(t)); };
    while (i < index.size() || j < boundaries_.size()) {
      if (j == boundaries_.size() || (i < index.size() && index[i].first < boundaries_[j].first)) {
        if (bad_seqs_.count(index[i].second) == 0)
          problem(where(index[i].first), fmt::format("points to seq {}, but no batch of the log was "
                                                     "ingested at that time", index[i].second));
        ++i;
      } else if (i == index.size() || boundaries_[j].first < index[i].first) {
        if (bad_seqs_.count(boundaries_[j].second + 1) == 0)
          problem(at(boundaries_[j].second),
                  fmt::format("last event of the batch ingested at {} has no ingest_time entry",
                              time_of(boundaries_[j].first)));
        ++j;
      } else {
        if (index[i].second != boundaries_[j].second && bad_seqs_.count(index[i].second) == 0 &&
            bad_seqs_.count(boundaries_[j].second + 1) == 0)
          problem(where(index[i].first), fmt::format("points to seq {}, expected seq {} (the last "
                                                     "event ingested then)",
                                                     index[i].second, boundaries_[j].second));
        ++i, ++j;
      }
    }
    return {};
  }

  Status check_quarantine() {
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn_, h_.quarantine, &cur); rc != 0)
      return mdb_error("verify", "mdb_cursor_open(quarantine)", rc);
    uint64_t expected = 1;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      ++r_.quarantined;
      if (k.mv_size != 8) {
        problem("quarantine", fmt::format("a key of {} bytes (qseq keys are 8)", k.mv_size));
        continue;
      }
      const uint64_t qseq = get_be64(k.mv_data);
      if (qseq != expected)
        problem(fmt::format("quarantine qseq {}", qseq), fmt::format("qseq gap: expected {}", expected));
      expected = qseq + 1;
      auto q = unpack_quarantine(view_of(v), qseq);
      if (!q) {
        problem(fmt::format("quarantine qseq {}", qseq), "does not decode: " + q.error().message);
        ++undecoded_quarantine_;
      } else {
        auto code = static_cast<size_t>(q->code);
        ++per_code_[code < kRejectCodeSlots ? code : 0];
      }
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return mdb_error("verify", "mdb_cursor_get(quarantine)", rc);
    return {};
  }

  Status check_positions() {
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn_, h_.positions, &cur); rc != 0)
      return mdb_error("verify", "mdb_cursor_open(positions)", rc);
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      ++r_.positions;
      if (!unpack_position(view_of(k), view_of(v)))
        problem(fmt::format("positions[{}]", view_of(k)), "does not decode as [offset, line, fingerprint]");
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return mdb_error("verify", "mdb_cursor_get(positions)", rc);
    return {};
  }

  Status check_meta() {
    const auto& keys = counter_keys();
    std::vector<uint64_t> found(keys.size(), 0);
    for (size_t i = 0; i < keys.size(); ++i) {
      MDB_val k = val_of(keys[i]), v;
      int rc = mdb_get(txn_, h_.meta, &k, &v);
      if (rc == MDB_NOTFOUND) continue;
      if (rc != 0) return mdb_error("verify", "mdb_get(meta)", rc);
      if (v.mv_size != 8) {
        problem("meta " + keys[i], fmt::format("value of {} bytes (expected 8)", v.mv_size));
        continue;
      }
      found[i] = get_le(v.mv_data, 8);
    }
    const auto expect = [&](size_t i, uint64_t want, std::string_view what) {
      if (found[i] != want)
        problem("meta " + keys[i], fmt::format("says {}, the log holds {} {}", found[i], want, what));
    };
    // Records that did not decode have no known type: their counts cannot be
    // checked (the records themselves are reported).
    if (bad_seqs_.empty())
      for (size_t t = 0; t <= static_cast<size_t>(events::kEventTypeCount); ++t)
        expect(t, per_type_[t], "events of that type");
    const size_t base = static_cast<size_t>(events::kEventTypeCount) + 1;
    // base: duplicates (not checkable), +1 quarantined, +2 first, +3 last, +4 clock.
    expect(base + 1, r_.quarantined, "quarantine records");
    // +5.. quarantined.<code>: checked when every record decoded and the log
    // keeps them (logs from before the per-code counters have none at all).
    const size_t code_base = base + 5;
    bool has_code_counters = false;
    for (size_t c = 0; c < kRejectCodeSlots; ++c) has_code_counters |= found[code_base + c] != 0;
    if (undecoded_quarantine_ == 0 && has_code_counters)
      for (size_t c = 1; c < kRejectCodeSlots; ++c)
        expect(code_base + c, per_code_[c], "quarantine records with that reason code");
    if (!boundaries_.empty()) {
      expect(base + 2, static_cast<uint64_t>(first_time_), "as the first record's ingest time (us)");
      expect(base + 3, static_cast<uint64_t>(last_time_), "as the last record's ingest time (us)");
      if (static_cast<int64_t>(found[base + 4]) < last_time_)
        problem("meta " + keys[base + 4],
                fmt::format("{} is before the last record's ingest time {}",
                            time_of(static_cast<int64_t>(found[base + 4])), time_of(last_time_)));
    }
    return {};
  }

  const LogHandles& h_;
  MDB_txn* txn_;
  const VerifyOptions& o_;
  VerifyReport& r_;
  uint64_t per_type_[events::kEventTypeCount + 1] = {};
  uint64_t per_code_[kRejectCodeSlots] = {};  // quarantine records by RejectCode
  uint64_t undecoded_quarantine_ = 0;
  uint64_t ids_matched_ = 0;
  std::set<uint64_t> bad_seqs_;  // records that failed their own checks
  std::vector<std::pair<int64_t, uint64_t>> boundaries_;  // (time, last seq) of each batch
  int64_t first_time_ = 0, last_time_ = 0;
};

}  // namespace

Result<VerifyReport> verify_log(const EventLog& log, const VerifyOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const LogHandles h = log_handles(log);
  VerifyReport report;
  {
    // One snapshot for every pass; the map cannot grow in this process meanwhile.
    std::shared_lock<std::shared_mutex> lock(*h.map_mu);
    Txn txn;
    int rc = mdb_txn_begin(h.env, nullptr, MDB_RDONLY, txn.out());
    if (rc == MDB_MAP_RESIZED) {  // another process grew the map: adopt it
      lock.unlock();
      {
        std::unique_lock<std::shared_mutex> grow(*h.map_mu);
        if (int r = mdb_env_set_mapsize(h.env, 0); r != 0) return mdb_error("verify", "mdb_env_set_mapsize", r);
      }
      lock.lock();
      rc = mdb_txn_begin(h.env, nullptr, MDB_RDONLY, txn.out());
    }
    if (rc != 0) return mdb_error("verify", "mdb_txn_begin", rc);
    Checker checker(h, txn.get(), options, report);
    if (Status s = checker.run(); !s) return s.error();
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace lh::storage
