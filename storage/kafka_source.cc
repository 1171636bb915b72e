#include "storage/kafka_source.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "events/msgpack_codec.h"
#include "storage/kafka_common.h"
#include "storage/kafka_fetch_waker.h"
#include "storage/kafka_partition_queues.h"

namespace lh::storage {
namespace {

using Clock = std::chrono::steady_clock;
using TopicPartition = std::pair<std::string, int32_t>;

// What the consumer knows of one partition it has seen.
struct Part {
  std::string topic;
  int32_t partition = 0;
  std::string source;             // kafka_source_name()
  const TopicDecoder* decoder = nullptr;  // nullptr: the event JSON
  bool assigned = false;
  bool at_end = false;
  int64_t next = 0;               // next offset expected (messages before it are stale)
  int64_t batch_next = -1;        // next offset after the batch in hand; -1: not in it
};

// A batch: built by the consuming thread, appended to the log by the
// committing thread while the next one is built (two alternate, so JSON work
// overlaps LMDB's writes and fsync). Strings keep their capacity: no
// allocation per message in the steady state.
struct Work {
  AppendBatch batch;
  PendingEvents events{batch.events};
  uint64_t records = 0, bytes = 0;
  KafkaPartitions offsets;  // the group's offsets, committed after the log
};

class Consumer {
 public:
  Consumer(EventLog& log, const KafkaIngestOptions& o) : log_(log), o_(o), decoder_(o.decoder) {}

  Status open();
  // Appends librdkafka's prefetch limits, sized for the topics' partitions.
  void prefetch_limits(std::vector<std::string>& cfg);
  Result<KafkaIngestSummary> run();

  // librdkafka's rebalance callback (called from inside consumer_poll/close).
  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);

 private:
  void warn(const std::string& w) {
    if (o_.on_warning) o_.on_warning(w);
  }
  void handle(const rd_kafka_message_t* m);
  Part& part(const char* topic, int32_t partition);
  Part* part_of(const rd_kafka_message_t* m);
  void quarantine(const Part& p, int64_t offset, std::string_view raw, events::RejectCode code,
                  std::string reason);
  // Seals the batch in hand and hands it to the committing thread; with
  // `sync`, appends it here and commits the group's offsets synchronously,
  // so it is in the log when this returns. A failure is kept in error_.
  void flush(bool sync);
  // Waits until the committing thread has nothing in hand.
  void wait_idle();
  bool committer_busy() {
    std::lock_guard<std::mutex> l(mu_);
    return pending_ != nullptr;
  }
  // Log append, totals, then the group's offsets. Runs in either thread,
  // never in both at once (the consuming thread calls it only when idle).
  Status commit(Work& w, bool sync);
  void commit_loop();
  bool all_at_end() const;
  int64_t start_offset(const std::string& topic, int32_t partition, int64_t committed);
  // Commits the log's positions of the revoked partitions to the group,
  // synchronously, before they go (see the .cc).
  void commit_revoked(const rd_kafka_topic_partition_list_t* parts);
  // Handles messages of the assigned partitions' queues in timestamp order
  // until the batch in hand is full or nothing is staged; true if any.
  bool pump();
  // Blocks until a queue has something new, the committing thread is done,
  // or timeout_ms pass.
  void wait_for_messages(int timeout_ms);
  void wake();

  EventLog& log_;
  const KafkaIngestOptions& o_;
  events::JsonDecoder decoder_;
  KafkaHandle rk_;
  events::Event event_;
  events::Rejection why_;

  Work works_[2];
  Work* cur_ = &works_[0];       // the batch in hand
  Clock::time_point batch_started_;
  std::vector<Part*> in_batch_;  // partitions touched by the batch in hand

  std::thread committer_;
  std::mutex mu_;
  std::condition_variable cv_;
  Work* pending_ = nullptr;      // handed to the committer, not yet in the log
  int wake_fd_ = -1;             // eventfd: a queue became non-empty, or the committer is done
  bool quit_ = false;
  std::optional<Error> commit_error_;
  std::atomic<bool> commit_failed_{false};

  std::map<TopicPartition, Part> parts_;
  std::unique_ptr<KafkaPartitionQueues> queues_;  // the assigned partitions' own queues
  std::unique_ptr<KafkaFetchWaker> waker_;  // while run() consumes
  const rd_kafka_topic_t* last_rkt_ = nullptr;  // the last message's partition, cached
  int32_t last_partition_ = -1;
  Part* last_part_ = nullptr;
  std::optional<Error> error_;
  KafkaIngestSummary summary_;
  std::string last_warning_;
  Clock::time_point last_warning_at_;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

extern "C" void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<Consumer*>(opaque)->rebalance(err, parts);
}

// Prefetch. Each partition has its own queue (kafka_partition_queues.h), so librdkafka's
// queued.min.messages and queued.max.messages.kbytes count per partition. A
// partition whose queue holds either is not fetched until its broker thread
// next wakes (librdkafka 2.0: up to 1 s later; nothing wakes it when the
// application drains the queue), which the fetch waker takes care of while
// the consumer is behind (kafka_fetch_waker.h). So the prefetch only needs
// to cover the waker's interval and a fetch, and smaller is cheaper: with
// 64 MiB in flight instead of 256 MiB the ingest's CPU per message fell by
// about a quarter (docs/kafka.md "Session 8"). A budget of 256,000 messages
// and 64 MiB is split evenly over the partitions of the subscribed topics,
// which a metadata request counts (64 if the brokers do not answer), with
// at least 1,000 messages and 1 MiB per partition. A user's queued.*
// settings (-X) win and apply per partition. docs/kafka.md "Prefetch".
void Consumer::prefetch_limits(std::vector<std::string>& cfg) {
  for (const auto& kv : o_.config)
    if (kv.rfind("queued.min.messages=", 0) == 0 || kv.rfind("queued.max.messages.kbytes=", 0) == 0) return;
  int partitions = 64;
  auto n = kafka_partition_count(o_.brokers, o_.config, o_.topics, 3000);
  if (n.ok() && *n > 0) partitions = *n;
  else if (!n.ok()) warn(fmt::format("{}; sizing the prefetch for {} partitions", n.error().message, partitions));
  cfg.push_back(fmt::format("queued.min.messages={}", std::max(1000, 256000 / partitions)));
  cfg.push_back(fmt::format("queued.max.messages.kbytes={}", std::max(1024, 65536 / partitions)));
}

Status Consumer::open() {
  std::vector<std::string> cfg = {
      "group.id=" + o_.group, "enable.auto.commit=false", "enable.auto.offset.store=false",
      "auto.offset.reset=earliest", "enable.partition.eof=true",
      // Measured on the mock cluster: the default 500 ms left the consumer
      // waiting for fetches (bench/kafka: ~170k -> ~230k msg/s).
      "fetch.wait.max.ms=100",
      // Messages larger than the limit must still arrive, to be quarantined.
      fmt::format("fetch.message.max.bytes={}", std::max<size_t>(1 << 20, o_.decoder.max_record_bytes + 1024)),
      "log_level=3"};
  prefetch_limits(cfg);
  cfg.insert(cfg.end(), o_.config.begin(), o_.config.end());
  auto conf = kafka_conf(o_.brokers, cfg);
  if (!conf.ok()) return conf.error();
  rd_kafka_conf_set_rebalance_cb(conf->get(), rebalance_cb);
  rd_kafka_conf_set_opaque(conf->get(), this);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), err, sizeof err);
  if (!rk) return Error{fmt::format("kafka consumer: {}", err)};
  conf->release();
  rk_.reset(rk);
  queues_ = std::make_unique<KafkaPartitionQueues>(rk);
  rd_kafka_poll_set_consumer(rk);
  KafkaPartitions topics(rd_kafka_topic_partition_list_new(static_cast<int>(o_.topics.size())));
  for (const auto& t : o_.topics)
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto e = rd_kafka_subscribe(rk, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Error{fmt::format("kafka: cannot subscribe to {}: {}", fmt::join(o_.topics, ", "),
                             rd_kafka_err2str(e))};
  return {};
}

int64_t Consumer::start_offset(const std::string& topic, int32_t partition, int64_t committed) {
  int64_t start = RD_KAFKA_OFFSET_BEGINNING;
  auto stored = log_.position(kafka_source_name(topic, partition));
  if (stored) start = static_cast<int64_t>(stored->offset);
  // A restored log's position wins: the group's offset ran ahead of the
  // backup, and starting there would lose the events in between. The mark
  // goes with the partition's next batch (a plain position is written).
  if (stored && stored->fingerprint == kRestoredMark) {
    if (committed > start)
      warn(fmt::format("kafka: {}/{}: restored log: starting at its position {}, behind the group's "
                       "offset {}", topic, partition, start, committed));
    return start;
  }
  if (committed >= 0 && committed > start) start = committed;
  return start;
}

void Consumer::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    wait_idle();  // the log's positions must include every batch handed over
    // The group's committed offsets, to compare with the log's positions.
    KafkaPartitions committed(rd_kafka_topic_partition_list_copy(parts));
    bool have_committed =
        rd_kafka_committed(rk_.get(), committed.get(), 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!have_committed) warn("kafka: could not fetch the group's committed offsets; starting "
                              "from the log's positions");
    std::vector<std::string> where;
    for (int i = 0; i < parts->cnt; ++i) {
      auto& p = parts->elems[i];
      int64_t c = have_committed ? committed->elems[i].offset : -1;
      p.offset = start_offset(p.topic, p.partition, c);
      Part& st = part(p.topic, p.partition);
      st.assigned = true;
      st.at_end = false;
      st.next = p.offset < 0 ? 0 : p.offset;
      queues_->take(p.topic, p.partition);
      where.push_back(fmt::format("{}/{}@{}", p.topic, p.partition,
                                  p.offset < 0 ? std::string("start") : std::to_string(p.offset)));
    }
    ++summary_.assignments;
    warn(fmt::format("kafka: assigned {}", where.empty() ? "nothing" : fmt::format("{}", fmt::join(where, " "))));
    rd_kafka_assign(rk_.get(), parts);
  } else {
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      flush(/*sync_group_commit=*/true);
      commit_revoked(parts);
      warn(fmt::format("kafka: {} partitions revoked", parts->cnt));
    } else {
      warn(fmt::format("kafka: rebalance error: {}", rd_kafka_err2str(err)));
    }
    queues_->release();
    rd_kafka_assign(rk_.get(), nullptr);
    for (auto& [tp, st] : parts_) st.assigned = false;
  }
}

// The next owner of a revoked partition (another member, with its own log)
// starts at the group's committed offset. Batches commit the group's offsets
// asynchronously, and when the batch in hand is empty, flush() commits
// nothing: the last async commit may not have landed (or was refused while
// the group rebalanced), and the next owner would read those messages again
// into its log (KafkaTrouble.TwoMembers... under load, 2026-12-02). So the
// log's position of every revoked partition goes to the group synchronously
// here, while this member still owns them.
void Consumer::commit_revoked(const rd_kafka_topic_partition_list_t* parts) {
  if (error_) return;
  KafkaPartitions offsets(rd_kafka_topic_partition_list_new(parts->cnt));
  for (int i = 0; i < parts->cnt; ++i) {
    const auto& p = parts->elems[i];
    auto stored = log_.position(kafka_source_name(p.topic, p.partition));
    if (stored) rd_kafka_topic_partition_list_add(offsets.get(), p.topic, p.partition)->offset =
        static_cast<int64_t>(stored->offset);
  }
  if (offsets->cnt == 0) return;
  rd_kafka_resp_err_t ce = rd_kafka_commit(rk_.get(), offsets.get(), /*async=*/0);
  if (ce != RD_KAFKA_RESP_ERR_NO_ERROR && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
    warn(fmt::format("kafka: committing the revoked partitions' offsets failed ({}); their next owner may "
                     "read again what this log already holds", rd_kafka_err2str(ce)));
}

bool Consumer::pump() {
  const size_t batch_records = std::max<size_t>(1, o_.batch_records);
  return queues_->pump(
      batch_records,
      [&](rd_kafka_message_t* m) {
        if (!error_) handle(m);
        return cur_->records < batch_records && !error_;
      },
      [&] { waker_->backlog(); });
}

void Consumer::wait_for_messages(int timeout_ms) {
  pollfd pfd{wake_fd_, POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms) > 0) {
    uint64_t v;
    [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
  }
}

void Consumer::wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
}

Part& Consumer::part(const char* topic, int32_t partition) {
  auto [it, fresh] = parts_.try_emplace(TopicPartition{topic, partition});
  Part& p = it->second;
  if (fresh) {
    p.topic = topic;
    p.partition = partition;
    p.source = kafka_source_name(p.topic, partition);
    auto td = o_.topic_decoders.find(p.topic);
    p.decoder = td == o_.topic_decoders.end() ? nullptr : &td->second;
  }
  return p;
}

Part* Consumer::part_of(const rd_kafka_message_t* m) {
  if (!m->rkt) return nullptr;
  if (m->rkt != last_rkt_ || m->partition != last_partition_) {
    last_part_ = &part(rd_kafka_topic_name(m->rkt), m->partition);
    last_rkt_ = m->rkt;
    last_partition_ = m->partition;
  }
  return last_part_;
}

void Consumer::quarantine(const Part& p, int64_t offset, std::string_view raw,
                          events::RejectCode code, std::string reason) {
  QuarantineRecord q;
  q.raw.assign(raw);
  q.code = code;
  q.reason = std::move(reason);
  q.source = p.source;
  q.offset = static_cast<uint64_t>(offset);
  cur_->batch.rejected.push_back(std::move(q));
}

void Consumer::handle(const rd_kafka_message_t* m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (Part* p = part_of(m)) p->at_end = true;
    return;
  }
  if (m->err) {
    std::string what = m->rkt ? fmt::format("kafka: {}/{}: {}", rd_kafka_topic_name(m->rkt),
                                            m->partition, rd_kafka_message_errstr(m))
                              : fmt::format("kafka: {}", rd_kafka_message_errstr(m));
    if (o_.exit_at_end && (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                           m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)) {
      error_ = Error{what};
      return;
    }
    // Transient (broker down, transport): librdkafka retries; say so, not too often.
    auto now = Clock::now();
    if (what != last_warning_ || now - last_warning_at_ > std::chrono::seconds(10)) {
      warn(what + " (waiting; librdkafka reconnects)");
      last_warning_ = what;
      last_warning_at_ = now;
    }
    return;
  }
  Part* pp = part_of(m);
  if (!pp || !pp->assigned || m->offset < pp->next) {
    ++summary_.stale;  // fetched before a seek or a revocation: not ours to append
    return;
  }
  Part& p = *pp;
  p.next = m->offset + 1;
  p.at_end = false;
  Work& w = *cur_;
  if (w.records == 0) batch_started_ = Clock::now();
  if (p.batch_next < 0) in_batch_.push_back(&p);
  p.batch_next = m->offset + 1;
  ++w.records;
  w.bytes += m->len;

  if (!m->payload) {
    if (p.decoder && p.decoder->skip_tombstones) {
      ++summary_.tombstones;
      return;
    }
    quarantine(p, m->offset, {}, events::RejectCode::bad_json,
               fmt::format("null message value (tombstone) at {} offset {}", p.source, m->offset));
    return;
  }
  std::string_view value(static_cast<const char*>(m->payload), m->len);
  bool ok = p.decoder ? p.decoder->decode(value, event_, why_) : decoder_.decode(value, event_, why_);
  if (!ok) {
    // Keep at most the decoder's limit of an oversized value's bytes.
    quarantine(p, m->offset, value.substr(0, std::max<size_t>(o_.decoder.max_record_bytes, 1024)),
               why_.code, why_.message);
    return;
  }
  PendingEvent& e = w.events.next();
  e.event_id = event_.event_id;
  e.type = event_.type;
  e.payload.clear();
  events::encode_msgpack(event_, e.payload);
}

void Consumer::flush(bool sync) {
  if (in_batch_.empty() || error_) {
    if (sync) wait_idle();
    return;
  }
  Work& w = *cur_;
  w.batch.positions.clear();
  w.offsets.reset(rd_kafka_topic_partition_list_new(static_cast<int>(in_batch_.size())));
  for (Part* p : in_batch_) {
    w.batch.positions.push_back(SourcePosition{p->source, static_cast<uint64_t>(p->batch_next), 0, {}});
    rd_kafka_topic_partition_list_add(w.offsets.get(), p->topic.c_str(), p->partition)->offset = p->batch_next;
    p->batch_next = -1;
  }
  in_batch_.clear();
  w.events.cut();
  wait_idle();  // the previous batch is in the log: batches commit in order
  if (error_) return;
  if (sync || !committer_.joinable()) {
    if (auto st = commit(w, true); !st.ok()) error_ = st.error();
    return;
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    pending_ = &w;
  }
  cv_.notify_all();
  cur_ = cur_ == &works_[0] ? &works_[1] : &works_[0];  // idle: wait_idle() above
}

void Consumer::wait_idle() {
  std::unique_lock<std::mutex> l(mu_);
  auto t0 = Clock::now();
  cv_.wait(l, [&] { return pending_ == nullptr; });
  summary_.idle_wait_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  if (commit_error_ && !error_) error_ = commit_error_;
}

Status Consumer::commit(Work& w, bool sync) {
  auto t0 = Clock::now();
  const double c0 = thread_cpu_seconds();
  auto r = log_.append(w.batch);
  summary_.append_cpu_seconds += thread_cpu_seconds() - c0;
  summary_.append_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  if (!r.ok()) return r.error();
  IngestProgress& t = summary_.totals;
  t.records += w.records;
  t.bytes += w.bytes;
  t.appended += r->appended;
  t.duplicates += r->duplicates;
  t.quarantined += r->quarantined;
  ++t.batches;
  if (r->appended > 0) {
    if (t.first_seq == 0) t.first_seq = r->first_seq;
    t.last_seq = r->last_seq;
  }
  // The log has them: now the group's offsets, for monitoring (a failure here
  // loses nothing; the log's positions win on the next start).
  rd_kafka_resp_err_t ce = rd_kafka_commit(rk_.get(), w.offsets.get(), sync ? 0 : 1);
  if (ce != RD_KAFKA_RESP_ERR_NO_ERROR && sync)
    warn(fmt::format("kafka: committing the group's offsets failed ({}); the log has the batch",
                     rd_kafka_err2str(ce)));
  w.events.reset();
  w.records = w.bytes = 0;
  w.batch.rejected.clear();
  if (o_.on_batch) o_.on_batch(t);
  return {};
}

void Consumer::commit_loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [&] { return pending_ != nullptr || quit_; });
    if (!pending_) return;
    Work* w = pending_;
    l.unlock();
    Status st = commit(*w, false);
    l.lock();
    if (!st.ok() && !commit_error_) {
      commit_error_ = st.error();
      commit_failed_ = true;
    }
    pending_ = nullptr;
    cv_.notify_all();
    // A batch past its age may be waiting for this thread: end the poll.
    wake();
  }
}

bool Consumer::all_at_end() const {
  bool any = false;
  for (const auto& [tp, p] : parts_) {
    if (!p.assigned) continue;
    if (!p.at_end) return false;
    any = true;
  }
  return any;
}

Result<KafkaIngestSummary> Consumer::run() {
  auto started = Clock::now();
  const auto max_age = std::chrono::milliseconds(std::max(1, o_.batch_max_ms));
  const size_t batch_records = std::max<size_t>(1, o_.batch_records);
  // One eventfd wakes this thread: librdkafka writes to it when the consumer
  // queue (rebalances, errors) or a partition's queue goes from empty to not
  // empty, the committing thread when it is done with a batch.
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Error{fmt::format("kafka: eventfd: {}", std::strerror(errno))};
  KafkaQueue queue(rd_kafka_queue_get_consumer(rk_.get()));
  static const uint64_t one = 1;
  rd_kafka_queue_io_event_enable(queue.get(), wake_fd_, &one, sizeof one);
  queues_->set_wake_fd(wake_fd_);
  std::vector<rd_kafka_message_t*> msgs(1000);
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lh:log-append");  // for top -H, perf --sort comm
    commit_loop();
  });
  waker_ = std::make_unique<KafkaFetchWaker>(rk_.get(), std::chrono::milliseconds(50));
  while (!error_) {
    if (commit_failed_) {
      wait_idle();
      break;
    }
    if (o_.stop && o_.stop->load()) {
      summary_.stopped = true;
      break;
    }
    // The consumer queue: rebalance callbacks are served inside, and it
    // carries errors (and messages of a partition whose queue was not taken).
    size_t want = std::min(msgs.size(), std::max<size_t>(1, batch_records - cur_->records));
    ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, msgs.data(), want);
    if (n < 0) {
      error_ = Error{fmt::format("kafka: consume failed: {}", rd_kafka_err2str(rd_kafka_last_error()))};
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      KafkaMessage m(msgs[i]);
      if (!error_) handle(m.get());
    }
    const bool full = cur_->records >= batch_records;
    const bool pumped = !error_ && !full && pump();
    if (n == 0 && !pumped && !full) {
      int timeout_ms = 100;
      if (cur_->records > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(batch_started_ + max_age - Clock::now());
        // Past its age the batch waits for the committing thread, which
        // wakes this thread when it is done.
        timeout_ms = left.count() > 0 ? static_cast<int>(std::min<int64_t>(100, left.count())) : 10;
      }
      auto t0 = Clock::now();
      wait_for_messages(timeout_ms);
      summary_.wait_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    // Group commit: a batch past its age goes to the log as soon as the
    // committing thread is free; while it is busy the batch keeps growing,
    // up to batch_records (then this thread waits: backpressure). So batches
    // grow with the load and the fsyncs per message fall.
    if (cur_->records >= batch_records ||
        (cur_->records > 0 && Clock::now() - batch_started_ >= max_age && !committer_busy()))
      flush(false);
    if (o_.exit_at_end && all_at_end()) {
      flush(false);
      break;
    }
    if (rd_kafka_fatal_error(rk_.get(), nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      char reason[512];
      rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
      error_ = Error{fmt::format("kafka: fatal error: {}", reason)};
    }
  }
  flush(true);
  {
    std::lock_guard<std::mutex> l(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  committer_.join();
  summary_.fetch_wakeups = waker_->wakeups();
  waker_.reset();  // before the handle closes
  // Leaves the group; the revocation callback commits anything left and
  // gives the partitions' queues back.
  rd_kafka_consumer_close(rk_.get());
  queues_->release();  // if no revocation came (e.g. a fatal error)
  rd_kafka_queue_io_event_enable(queue.get(), -1, nullptr, 0);
  queue.reset();
  ::close(wake_fd_);
  wake_fd_ = -1;
  summary_.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (error_) return *error_;
  return summary_;
}

}  // namespace

Result<KafkaIngestSummary> ingest_kafka(EventLog& log, const KafkaIngestOptions& options) {
  if (options.topics.empty()) return Error{"kafka: no topic given"};
  if (options.group.empty()) return Error{"kafka: no consumer group given"};
  if (options.brokers.empty()) return Error{"kafka: no brokers given"};
  Consumer c(log, options);
  if (auto s = c.open(); !s.ok()) return s.error();
  return c.run();
}

}  // namespace lh::storage
