// The Kafka consumer's assigned partitions, each read from its own librdkafka
// queue and handed on in timestamp order across partitions (kafka_merge.h).
//
// By default every partition's fetch queue feeds the one consumer queue, in
// the order fetches arrive. Catching up on a backlog, librdkafka fetches
// partitions at uneven speeds (confluentinc/librdkafka#1395), so one batch
// mixed partitions hours of event time apart: its event_ids scattered over the
// whole dedupe index and the log's commits cost 2-3x (docs/kafka.md
// "Session 7"). Here a partition's queue is taken off the consumer queue on
// assignment (rd_kafka_queue_forward(q, NULL); librdkafka keeps an
// application's forwarding across fetch starts) and given back before the
// partitions go (the maintainer's advice, librdkafka#1335), and pump() merges
// the partitions by message timestamp, so a batch covers one stretch of time.
// librdkafka's queued.* limits then count per partition (kafka_source.cc).
//
// Used by the consuming thread only (take/release run in its rebalance
// callback).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "storage/kafka_merge.h"

namespace lh::storage {

class KafkaPartitionQueues {
 public:
  explicit KafkaPartitionQueues(rd_kafka_t* rk) : rk_(rk) {}
  ~KafkaPartitionQueues() { release(); }
  KafkaPartitionQueues(const KafkaPartitionQueues&) = delete;
  KafkaPartitionQueues& operator=(const KafkaPartitionQueues&) = delete;

  // librdkafka writes to `fd` (an eventfd) when a taken queue goes from
  // empty to not empty; -1: nothing. Applies to queues taken after it.
  void set_wake_fd(int fd) { wake_fd_ = fd; }
  // Takes the partition's queue off the consumer queue (on assignment).
  // False if librdkafka has no such partition: its messages keep coming
  // through the consumer queue.
  bool take(const char* topic, int32_t partition);
  // Gives every queue back to the consumer queue and drops the messages
  // staged but not handed on (on revocation, and at the end).
  void release();
  size_t size() const { return entries_.size(); }

  // Refills the partitions whose staged run is used up (without waiting; up
  // to about one batch of `batch_records` over all partitions, at most 512
  // each), calling on_backlog() if a partition had a full stage queued (the
  // consumer is behind); then one merge step: each message goes to
  // handle(m), which returns false once the batch is full (pump destroys the
  // message after). False if nothing was staged.
  bool pump(size_t batch_records, const std::function<bool(rd_kafka_message_t*)>& handle,
            const std::function<void()>& on_backlog);

 private:
  struct Entry {
    rd_kafka_queue_t* queue = nullptr;
    StagedRun<rd_kafka_message_t*> run;
  };
  rd_kafka_t* rk_;
  int wake_fd_ = -1;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<StagedRun<rd_kafka_message_t*>*> runs_;  // entries_' runs, same order
  std::vector<rd_kafka_message_t*> scratch_;
};

}  // namespace lh::storage
