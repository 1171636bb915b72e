#include "storage/kafka_source.h"

#include <chrono>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "events/msgpack_codec.h"
#include "storage/kafka_common.h"

namespace lh::storage {
namespace {

using Clock = std::chrono::steady_clock;
using TopicPartition = std::pair<std::string, int32_t>;

class Consumer {
 public:
  Consumer(EventLog& log, const KafkaIngestOptions& o) : log_(log), o_(o), decoder_(o.decoder) {}

  Status open();
  Result<KafkaIngestSummary> run();

  // librdkafka's rebalance callback (called from inside consumer_poll/close).
  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);

 private:
  void warn(const std::string& w) {
    if (o_.on_warning) o_.on_warning(w);
  }
  void handle(const rd_kafka_message_t* m);
  void quarantine(const TopicPartition& tp, int64_t offset, std::string_view raw,
                  events::RejectCode code, std::string reason);
  // Commits the batch in hand to the log, then the group's offsets (sync or
  // async). A failure is kept in error_ (the loop returns it).
  void flush(bool sync_group_commit);
  bool all_at_end() const;
  int64_t start_offset(const std::string& topic, int32_t partition, int64_t committed);

  EventLog& log_;
  const KafkaIngestOptions& o_;
  events::JsonDecoder decoder_;
  KafkaHandle rk_;
  events::Event event_;
  events::Rejection why_;

  AppendBatch batch_;
  uint64_t batch_records_ = 0, batch_bytes_ = 0;
  Clock::time_point batch_started_;
  std::map<TopicPartition, int64_t> batch_next_;  // partitions touched by the batch -> next offset

  std::map<TopicPartition, int64_t> next_;  // assigned partition -> next offset expected
  std::set<TopicPartition> at_end_;
  std::optional<Error> error_;
  KafkaIngestSummary summary_;
  std::string last_warning_;
  Clock::time_point last_warning_at_;
};

extern "C" void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<Consumer*>(opaque)->rebalance(err, parts);
}

Status Consumer::open() {
  std::vector<std::string> cfg = {
      "group.id=" + o_.group, "enable.auto.commit=false", "enable.auto.offset.store=false",
      "auto.offset.reset=earliest", "enable.partition.eof=true",
      // Messages larger than the limit must still arrive, to be quarantined.
      fmt::format("fetch.message.max.bytes={}", std::max<size_t>(1 << 20, o_.decoder.max_record_bytes + 1024)),
      "log_level=3"};
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
  if (auto stored = log_.position(kafka_source_name(topic, partition)))
    start = static_cast<int64_t>(stored->offset);
  if (committed >= 0 && committed > start) start = committed;
  return start;
}

void Consumer::rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
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
      TopicPartition tp{p.topic, p.partition};
      next_[tp] = p.offset < 0 ? 0 : p.offset;
      at_end_.erase(tp);
      where.push_back(fmt::format("{}/{}@{}", p.topic, p.partition,
                                  p.offset < 0 ? std::string("start") : std::to_string(p.offset)));
    }
    ++summary_.assignments;
    warn(fmt::format("kafka: assigned {}", where.empty() ? "nothing" : fmt::format("{}", fmt::join(where, " "))));
    rd_kafka_assign(rk_.get(), parts);
  } else {
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      flush(/*sync_group_commit=*/true);
      warn(fmt::format("kafka: {} partitions revoked", parts->cnt));
    } else {
      warn(fmt::format("kafka: rebalance error: {}", rd_kafka_err2str(err)));
    }
    rd_kafka_assign(rk_.get(), nullptr);
    next_.clear();
    at_end_.clear();
  }
}

void Consumer::quarantine(const TopicPartition& tp, int64_t offset, std::string_view raw,
                          events::RejectCode code, std::string reason) {
  QuarantineRecord q;
  q.raw.assign(raw);
  q.code = code;
  q.reason = std::move(reason);
  q.source = kafka_source_name(tp.first, tp.second);
  q.offset = static_cast<uint64_t>(offset);
  batch_.rejected.push_back(std::move(q));
}

void Consumer::handle(const rd_kafka_message_t* m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (m->rkt) at_end_.insert({rd_kafka_topic_name(m->rkt), m->partition});
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
  TopicPartition tp{rd_kafka_topic_name(m->rkt), m->partition};
  auto it = next_.find(tp);
  if (it == next_.end() || m->offset < it->second) {
    ++summary_.stale;  // fetched before a seek or a revocation: not ours to append
    return;
  }
  it->second = m->offset + 1;
  at_end_.erase(tp);
  if (batch_records_ == 0 && batch_next_.empty()) batch_started_ = Clock::now();
  batch_next_[tp] = m->offset + 1;
  ++batch_records_;
  batch_bytes_ += m->len;

  auto td = o_.topic_decoders.find(tp.first);
  const TopicDecoder* custom = td == o_.topic_decoders.end() ? nullptr : &td->second;
  if (!m->payload) {
    if (custom && custom->skip_tombstones) {
      ++summary_.tombstones;
      return;
    }
    quarantine(tp, m->offset, {}, events::RejectCode::bad_json,
               fmt::format("null message value (tombstone) at {} offset {}",
                           kafka_source_name(tp.first, tp.second), m->offset));
    return;
  }
  std::string_view value(static_cast<const char*>(m->payload), m->len);
  bool ok = custom ? custom->decode(value, event_, why_) : decoder_.decode(value, event_, why_);
  if (!ok) {
    // Keep at most the decoder's limit of an oversized value's bytes.
    quarantine(tp, m->offset, value.substr(0, std::max<size_t>(o_.decoder.max_record_bytes, 1024)),
               why_.code, why_.message);
    return;
  }
  batch_.events.emplace_back();
  PendingEvent& p = batch_.events.back();
  p.event_id = event_.event_id;
  p.type = event_.type;
  events::encode_msgpack(event_, p.payload);
}

void Consumer::flush(bool sync_group_commit) {
  if (batch_next_.empty() || error_) return;
  batch_.positions.clear();
  for (const auto& [tp, next] : batch_next_)
    batch_.positions.push_back(
        SourcePosition{kafka_source_name(tp.first, tp.second), static_cast<uint64_t>(next), 0, {}});
  auto r = log_.append(batch_);
  if (!r.ok()) {
    error_ = r.error();
    return;
  }
  IngestProgress& t = summary_.totals;
  t.records += batch_records_;
  t.bytes += batch_bytes_;
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
  KafkaPartitions offsets(rd_kafka_topic_partition_list_new(static_cast<int>(batch_next_.size())));
  for (const auto& [tp, next] : batch_next_)
    rd_kafka_topic_partition_list_add(offsets.get(), tp.first.c_str(), tp.second)->offset = next;
  rd_kafka_resp_err_t ce = rd_kafka_commit(rk_.get(), offsets.get(), sync_group_commit ? 0 : 1);
  if (ce != RD_KAFKA_RESP_ERR_NO_ERROR && sync_group_commit)
    warn(fmt::format("kafka: committing the group's offsets failed ({}); the log has the batch",
                     rd_kafka_err2str(ce)));
  batch_.events.clear();
  batch_.rejected.clear();
  batch_next_.clear();
  batch_records_ = batch_bytes_ = 0;
  if (o_.on_batch) o_.on_batch(t);
}

bool Consumer::all_at_end() const {
  if (next_.empty()) return false;
  for (const auto& [tp, next] : next_)
    if (!at_end_.count(tp)) return false;
  return true;
}

Result<KafkaIngestSummary> Consumer::run() {
  auto started = Clock::now();
  const auto max_age = std::chrono::milliseconds(std::max(1, o_.batch_max_ms));
  const size_t batch_records = std::max<size_t>(1, o_.batch_records);
  batch_.events.reserve(batch_records);
  while (!error_) {
    if (o_.stop && o_.stop->load()) {
      summary_.stopped = true;
      break;
    }
    int timeout_ms = 100;
    if (!batch_next_.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(batch_started_ + max_age - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(100, left.count())));
    }
    KafkaMessage m(rd_kafka_consumer_poll(rk_.get(), timeout_ms));
    if (m) handle(m.get());
    if (!batch_next_.empty() &&
        (batch_records_ >= batch_records || Clock::now() - batch_started_ >= max_age))
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
  // Leaves the group; the revocation callback commits anything left.
  rd_kafka_consumer_close(rk_.get());
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
