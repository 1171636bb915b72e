// Wakes librdkafka's broker threads while a consumer catches up on a backlog.
//
// librdkafka 2.0 stops fetching a partition whose prefetch queue holds
// queued.min.messages or queued.max.messages.kbytes, and looks at it again
// only when the partition's broker thread next wakes for something else, at
// the latest after 1 s (rd_kafka_max_block_ms, a constant; 2.2 adds
// fetch.queue.backoff.ms for this). Reading every partition evenly (the
// timestamp merge), all of a broker's partitions fill together, nothing wakes
// the thread, and catching up idles up to a second at a time; only a large
// prefetch hides it, and a large prefetch costs CPU per message (cache and
// page-fault misses on hundreds of MiB in flight: docs/kafka.md "Session 8").
//
// While the consumer reports a backlog, this thread sends a ListOffsets
// request (rd_kafka_query_watermark_offsets: read-only, no side effect on
// fetching) every `interval` to one assigned partition of each leader broker,
// which wakes that broker's thread, which then re-checks its partitions'
// queues and fetches the ones drained below the limits. Leaders are looked up
// (metadata) every 2 s while it works. Idle without a backlog.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace lh::storage {

class KafkaFetchWaker {
 public:
  KafkaFetchWaker(rd_kafka_t* rk, std::chrono::milliseconds interval);
  ~KafkaFetchWaker();  // stop()
  KafkaFetchWaker(const KafkaFetchWaker&) = delete;
  KafkaFetchWaker& operator=(const KafkaFetchWaker&) = delete;

  // From the consuming thread: a partition's queue held a full stage just
  // now (the consumer is behind). Cheap: one atomic store.
  void backlog();
  // Stops and joins the thread (at most one request timeout, 200 ms, or a
  // metadata timeout, 1 s, when brokers do not answer). Idempotent.
  void stop();
  uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

 private:
  void loop();
  void find_leaders();

  rd_kafka_t* rk_;
  const std::chrono::milliseconds interval_;
  std::atomic<int64_t> backlog_at_ns_{0};  // steady_clock, 0: never
  std::atomic<uint64_t> wakeups_{0};
  std::vector<std::pair<std::string, int32_t>> targets_;  // one partition per leader
  std::chrono::steady_clock::time_point leaders_at_{};
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace lh::storage
