#include "storage/kafka_partition_queues.h"

#include <algorithm>

#include "storage/kafka_common.h"

namespace lh::storage {
namespace {

int64_t timestamp_of(const rd_kafka_message_t* m) {
  return m->err ? kNoTimestamp : rd_kafka_message_timestamp(m, nullptr);
}

}  // namespace

bool KafkaPartitionQueues::take(const char* topic, int32_t partition) {
  rd_kafka_queue_t* q = rd_kafka_queue_get_partition(rk_, topic, partition);
  if (!q) return false;
  rd_kafka_queue_forward(q, nullptr);
  static const uint64_t one = 1;
  if (wake_fd_ >= 0) rd_kafka_queue_io_event_enable(q, wake_fd_, &one, sizeof one);
  auto e = std::make_unique<Entry>();
  e->queue = q;
  runs_.push_back(&e->run);
  entries_.push_back(std::move(e));
  return true;
}

void KafkaPartitionQueues::release() {
  if (entries_.empty()) return;
  KafkaQueue consumer_queue(rd_kafka_queue_get_consumer(rk_));
  for (auto& e : entries_) {
    for (size_t i = e->run.head; i < e->run.staged.size(); ++i) rd_kafka_message_destroy(e->run.staged[i]);
    e->run.clear();
    rd_kafka_queue_io_event_enable(e->queue, -1, nullptr, 0);
    // Back to the default; what it still holds is stale once the partition
    // goes (the consumer drops it).
    rd_kafka_queue_forward(e->queue, consumer_queue.get());
    rd_kafka_queue_destroy(e->queue);
  }
  entries_.clear();
  runs_.clear();
}

bool KafkaPartitionQueues::pump(size_t batch_records, const std::function<bool(rd_kafka_message_t*)>& handle,
                                const std::function<void()>& on_backlog) {
  // Per partition: the merge's granularity. Staged messages are out of
  // librdkafka's queues, so beyond its prefetch limits: about one batch in
  // all, whatever the number of partitions.
  const size_t stage = std::clamp<size_t>(batch_records / std::max<size_t>(1, entries_.size()), 16, 512);
  if (scratch_.size() < stage) scratch_.resize(stage);
  for (auto& e : entries_) {
    if (!e->run.empty()) continue;
    e->run.clear();
    ssize_t n = rd_kafka_consume_batch_queue(e->queue, 0, scratch_.data(), stage);
    if (n == static_cast<ssize_t>(stage) && on_backlog) on_backlog();  // behind: its queue may fill
    for (ssize_t i = 0; i < n; ++i) e->run.add(scratch_[i], timestamp_of(scratch_[i]));
  }
  return merge_step(runs_, timestamp_of, [&](rd_kafka_message_t* m) {
    KafkaMessage owned(m);
    return handle(m);
  });
}

}  // namespace lh::storage
