// Kafka topics -> event log, exactly once: a librdkafka high-level consumer
// (a member of a consumer group) whose messages are decoded and appended in
// batches; each batch's topic/partition/offset positions are stored in the
// SAME LMDB transaction as its events (EventLog::append), so the log, not the
// group's committed offsets, says where every partition stands.
//
// - Start and rebalance: an assigned partition starts at
//   max(position stored in the log, the group's committed offset); with
//   neither, at the beginning. (The committed offset only runs ahead of the
//   log when another member of the group consumed the partition into its own
//   log; after a crash of this process it is never ahead, being committed
//   after the log.
//   Exception: a position `restore` marked (kRestoredMark) is used as it is,
//   since after a restore the group's offset is ahead of the log's.)
// - Revocation: the batch in hand is committed to the log, then the group's
//   offsets synchronously, before the partitions are given up.
// - After each log commit the group's offsets are committed asynchronously,
//   for monitoring tools (kafka-consumer-groups, kcat -Q ...).
// - Bad messages (not JSON, invalid event, oversized, null value) go to the
//   quarantine with source "kafka:<topic>/<partition>" and the offset.
// - Broker down: librdkafka reconnects; the consumer waits and goes on.
// - Each assigned partition is read from its own queue and the partitions
//   are merged by message timestamp (kafka_merge.h), so a batch covers one
//   stretch of time; a fetch waker (kafka_fetch_waker.h) keeps librdkafka
//   fetching while the consumer is behind. docs/kafka.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "events/json_decoder.h"
#include "events/result.h"
#include "storage/event_log.h"
#include "storage/ingest_pipeline.h"

namespace lh::storage {

// Turns the value of a message of one topic into an event (e.g. a Debezium
// CDC envelope, events/debezium.h). The default is the event JSON of DESIGN.md.
struct TopicDecoder {
  std::function<bool(std::string_view value, events::Event& out, events::Rejection& why)> decode;
  // Null values are tombstones to skip (Debezium emits one after each delete)
  // instead of bad messages to quarantine.
  bool skip_tombstones = false;
};

struct KafkaIngestOptions {
  std::string brokers;                 // bootstrap.servers
  std::vector<std::string> topics;
  std::string group;                   // group.id
  std::vector<std::string> config;     // librdkafka "key=value" overrides (security, timeouts)
  // Like kcat -e: return once every assigned partition is consumed to its end.
  bool exit_at_end = false;
  // Batches (group commit): a batch goes to the log once it is batch_max_ms
  // old and the committing thread is free; while that thread is still busy
  // with the previous batch the batch keeps growing, up to batch_records
  // (then consuming waits: backpressure). So batches are small when the log
  // keeps up (latency ~batch_max_ms + one commit) and grow under load, which
  // cuts fsyncs and dedupe-index page writes per message (docs/kafka.md).
  size_t batch_records = 65536;        // messages per log transaction at most
  int batch_max_ms = 100;              // age at which a batch is handed to the log (if it is free)
  events::DecoderOptions decoder;      // max_record_bytes: longer values are quarantined
  std::map<std::string, TopicDecoder> topic_decoders;  // topic -> decoder; others: event JSON
  const std::atomic<bool>* stop = nullptr;  // set: commit the batch in hand, leave the group, return
  // After every log commit, from the committing thread (batches are built in
  // the calling thread while the previous one is appended in another).
  std::function<void(const IngestProgress&)> on_batch;
  std::function<void(const std::string&)> on_warning;    // broker trouble, rebalances, ...
};

struct KafkaIngestSummary {
  IngestProgress totals;        // records = messages handled; bytes = value bytes
  uint64_t tombstones = 0;      // null values skipped on CDC topics
  uint64_t stale = 0;           // messages before a partition's start (dropped)
  uint64_t assignments = 0;     // rebalances that gave this member partitions
  bool stopped = false;
  double seconds = 0;
  double append_seconds = 0;    // of which in EventLog::append (incl. fsync)
  double append_cpu_seconds = 0;  // CPU of the appending thread in EventLog::append
  double wait_seconds = 0;      // of which waiting for messages (consumer_poll with a timeout)
  double idle_wait_seconds = 0; // of which the consuming thread waited for the committing one
  uint64_t fetch_wakeups = 0;   // requests sent to wake librdkafka's broker threads (kafka_fetch_waker.h)
};

Result<KafkaIngestSummary> ingest_kafka(EventLog& log, const KafkaIngestOptions& options);

}  // namespace lh::storage
