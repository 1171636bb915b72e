#include "storage/ingest_pipeline.h"

#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "events/msgpack_codec.h"
#include "storage/ndjson_reader.h"

namespace lh::storage {
namespace {

// A batch travelling from the decoding thread to the committing thread. The
// objects are recycled through a free list so their strings keep their
// capacity: no allocation per event in the steady state.
struct Work {
  AppendBatch batch;
  PendingEvents events{batch.events};
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t end_offset = 0, end_line = 0;
};

template <class T>
class Channel {
 public:
  explicit Channel(size_t cap) : cap_(cap) {}
  // False when closed.
  bool push(T v) {
    std::unique_lock<std::mutex> l(m_);
    not_full_.wait(l, [&] { return q_.size() < cap_ || closed_; });
    if (closed_) return false;
    q_.push_back(std::move(v));
    not_empty_.notify_one();
    return true;
  }
  std::optional<T> pop() {
    std::unique_lock<std::mutex> l(m_);
    not_empty_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return v;
  }
  void close() {
    std::lock_guard<std::mutex> l(m_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  size_t cap_;
  std::mutex m_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> q_;
  bool closed_ = false;
};

std::string oversized_reason(uint64_t size, size_t limit) {
  return fmt::format("record of {} bytes exceeds the limit of {} bytes", size, limit);
}

}  // namespace

Result<IngestSummary> ingest_ndjson(EventLog& log, const std::string& path,
                                    const IngestOptions& options) {
  IngestSummary summary;
  auto warn = [&](const std::string& w) {
    if (options.on_warning) options.on_warning(w);
  };

  // Where to start: the stored position, if this is still the same file.
  uint64_t start_offset = 0, start_line = 0;
  std::string fingerprint;
  bool is_stdin = path == "-";
  if (!is_stdin) {
    auto probe = NdjsonReader::open(path);
    if (!probe.ok()) return probe.error();
    summary.source = (*probe)->source();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Error{fmt::format("{}: cannot stat", path)};
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (auto stored = log.position(summary.source)) {
      uint64_t n = 0;
      std::sscanf(stored->fingerprint.c_str(), "%lu:", &n);
      auto now = file_fingerprint(path, n);
      if (!now.ok()) return now.error();
      if (*now == stored->fingerprint && stored->offset <= size) {
        start_offset = stored->offset;
        start_line = stored->line;
        fingerprint = stored->fingerprint;
        summary.resumed = true;
        summary.resumed_offset = start_offset;
        summary.resumed_line = start_line;
      } else {
        warn(fmt::format("{}: the file changed since it was last ingested (its first bytes or its "
                         "size differ); reading it from the start, events already in the log are "
                         "skipped as duplicates",
                         path));
      }
    }
    if (fingerprint.empty()) {
      auto fp = file_fingerprint(path, size);
      if (!fp.ok()) return fp.error();
      fingerprint = *fp;
    }
  } else {
    summary.source = "stdin";
  }

  NdjsonReaderOptions ropts;
  ropts.max_record_bytes = options.decoder.max_record_bytes;
  auto opened = NdjsonReader::open(path, ropts, start_offset, start_line);
  if (!opened.ok()) return opened.error();
  std::unique_ptr<NdjsonReader> reader = std::move(*opened);

  const size_t batch_records = std::max<size_t>(1, options.batch_records);
  Channel<std::unique_ptr<Work>> full(2), free_list(4);
  for (int i = 0; i < 3; ++i) free_list.push(std::make_unique<Work>());

  std::optional<Error> producer_error;
  auto started = std::chrono::steady_clock::now();

  // Stage 1: read + decode + encode.
  std::thread producer([&] {
    events::JsonDecoder decoder(options.decoder);
    events::Event event;
    events::Rejection why;
    NdjsonRecord rec;
    bool more = true;
    while (more) {
      if (options.stop && options.stop->load()) break;
      auto w = free_list.pop();
      if (!w) break;
      Work& work = **w;
      work.events.reset();
      work.records = 0;
      work.batch.rejected.clear();
      uint64_t start = reader->offset();
      while (work.records < batch_records) {
        auto got = reader->next(rec);
        if (!got.ok()) {
          producer_error = got.error();
          more = false;
          break;
        }
        if (!*got) {
          more = false;
          break;
        }
        ++work.records;
        bool ok = false;
        if (rec.oversized) {
          why.code = events::RejectCode::oversized;
          why.field.clear();
          why.message = oversized_reason(rec.full_size, options.decoder.max_record_bytes);
        } else {
          ok = decoder.decode(rec.data, event, why, /*padded=*/true);
        }
        if (ok) {
          PendingEvent& p = work.events.next();
          p.event_id = event.event_id;
          p.type = event.type;
          p.payload.clear();
          events::encode_msgpack(event, p.payload);
        } else {
          QuarantineRecord q;
          q.raw.assign(rec.data);
          q.code = why.code;
          q.reason = why.message;
          q.source = reader->source();
          q.line = rec.line;
          q.offset = rec.offset;
          work.batch.rejected.push_back(std::move(q));
        }
      }
      if (producer_error) break;
      work.events.cut();
      work.bytes = reader->offset() - start;
      work.end_offset = reader->offset();
      work.end_line = reader->line();
      work.batch.positions.clear();
      if (!is_stdin)
        work.batch.positions.push_back(
            SourcePosition{reader->source(), reader->offset(), reader->line(), fingerprint});
      if (work.records == 0) {
        free_list.push(std::move(*w));
        break;
      }
      if (!full.push(std::move(*w))) break;
    }
    full.close();
  });

  // Stage 2: commit, in this thread.
  std::optional<Error> append_error;
  IngestProgress& t = summary.totals;
  t.offset = start_offset;
  t.line = start_line;
  while (auto w = full.pop()) {
    auto r = log.append((*w)->batch);
    if (!r.ok()) {
      append_error = r.error();
      full.close();
      free_list.close();
      break;
    }
    t.records += (*w)->records;
    t.appended += r->appended;
    t.duplicates += r->duplicates;
    t.quarantined += r->quarantined;
    t.bytes += (*w)->bytes;
    t.offset = (*w)->end_offset;
    t.line = (*w)->end_line;
    ++t.batches;
    if (r->appended > 0) {
      if (t.first_seq == 0) t.first_seq = r->first_seq;
      t.last_seq = r->last_seq;
    }
    if (options.on_batch) options.on_batch(t);
    free_list.push(std::move(*w));
  }
  free_list.close();
  producer.join();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary.stopped = options.stop && options.stop->load();
  if (append_error) return *append_error;
  if (producer_error) return *producer_error;
  return summary;
}

}  // namespace lh::storage
