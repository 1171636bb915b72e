#include "storage/kafka_fetch_waker.h"

#include <pthread.h>

#include <map>
#include <memory>

namespace lh::storage {
namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// A backlog seen within this long keeps the waker working.
constexpr std::chrono::milliseconds kBacklogHold{200};
constexpr std::chrono::seconds kLeadersEvery{2};

}  // namespace

KafkaFetchWaker::KafkaFetchWaker(rd_kafka_t* rk, std::chrono::milliseconds interval)
    : rk_(rk), interval_(interval) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "lh:fetch-waker");
    loop();
  });
}

KafkaFetchWaker::~KafkaFetchWaker() { stop(); }

void KafkaFetchWaker::backlog() { backlog_at_ns_.store(now_ns(), std::memory_order_relaxed); }

void KafkaFetchWaker::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void KafkaFetchWaker::find_leaders() {
  targets_.clear();
  leaders_at_ = Clock::now();
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(rk_, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || !assigned) return;
  std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)> own(
      assigned, rd_kafka_topic_partition_list_destroy);
  if (assigned->cnt == 0) return;
  const rd_kafka_metadata_t* md = nullptr;
  // The topics this handle knows (the subscribed ones), from the brokers.
  if (rd_kafka_metadata(rk_, 0, nullptr, &md, 1000) != RD_KAFKA_RESP_ERR_NO_ERROR || !md) return;
  std::map<int32_t, std::pair<std::string, int32_t>> by_leader;
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& a = assigned->elems[i];
    for (int t = 0; t < md->topic_cnt; ++t) {
      const auto& mt = md->topics[t];
      if (std::string(mt.topic) != a.topic) continue;
      for (int p = 0; p < mt.partition_cnt; ++p)
        if (mt.partitions[p].id == a.partition && mt.partitions[p].leader >= 0)
          by_leader.emplace(mt.partitions[p].leader, std::make_pair(std::string(a.topic), a.partition));
    }
  }
  rd_kafka_metadata_destroy(md);
  for (auto& [leader, tp] : by_leader) targets_.push_back(std::move(tp));
}

void KafkaFetchWaker::loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!quit_) {
    cv_.wait_for(l, interval_, [&] { return quit_; });
    if (quit_) break;
    const int64_t seen = backlog_at_ns_.load(std::memory_order_relaxed);
    if (seen == 0 || now_ns() - seen > std::chrono::nanoseconds(kBacklogHold).count()) continue;
    l.unlock();
    if (targets_.empty() || Clock::now() - leaders_at_ >= kLeadersEvery) find_leaders();
    for (const auto& [topic, partition] : targets_) {
      int64_t low = 0, high = 0;
      // The answer does not matter: the request wakes the leader's thread.
      rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &low, &high, 200);
      wakeups_.fetch_add(1, std::memory_order_relaxed);
    }
    l.lock();
  }
}

}  // namespace lh::storage
