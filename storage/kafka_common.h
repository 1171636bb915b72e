// Shared pieces of the Kafka code: librdkafka handles as RAII objects, client
// configuration from brokers + "key=value" overrides, the log's source name of
// a partition, and librdkafka's mock cluster (a real Kafka protocol server on
// 127.0.0.1, for tests, demos and benchmarks).
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.h"

namespace lh::storage {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const;
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using KafkaPartitions = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;

// A configuration with bootstrap.servers = brokers, then each "key=value" of
// `overrides` applied in order (e.g. "security.protocol=SASL_SSL"). An error
// names the property and librdkafka's reason.
Result<KafkaConf> kafka_conf(const std::string& brokers, const std::vector<std::string>& overrides);
Status kafka_conf_set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value);

// The log's source name of a partition: "kafka:" + topic + "/" + partition.
std::string kafka_source_name(std::string_view topic, int32_t partition);
// The inverse: true and (topic, partition) for a name kafka_source_name made.
bool parse_kafka_source(std::string_view source, std::string& topic, int32_t& partition);

struct KafkaPartitionRef {
  std::string topic;
  int32_t partition = 0;
};
// The high watermark (the offset the next message will get) of each
// partition, asked of the brokers (ListOffsets), at most timeout_ms per
// partition: consumer lag = high watermark - the log's position. An Error
// names the partition and librdkafka's reason (e.g. brokers unreachable).
Result<std::vector<int64_t>> kafka_high_watermarks(const std::string& brokers,
                                                   const std::vector<std::string>& overrides,
                                                   const std::vector<KafkaPartitionRef>& partitions,
                                                   int timeout_ms);

// How many partitions `topics` have together (a metadata request, at most
// timeout_ms); a topic that does not exist counts 0. An Error names the
// brokers and librdkafka's reason (e.g. brokers unreachable).
Result<int> kafka_partition_count(const std::string& brokers, const std::vector<std::string>& overrides,
                                  const std::vector<std::string>& topics, int timeout_ms);

// librdkafka's mock cluster (rdkafka_mock.h), owned with the client handle it
// needs for its bookkeeping. Brokers have ids 1..brokers and listen on
// ephemeral ports of 127.0.0.1.
class MockKafkaCluster {
 public:
  static Result<std::unique_ptr<MockKafkaCluster>> start(int brokers);
  ~MockKafkaCluster();
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  std::string bootstrap_servers() const;
  Status create_topic(const std::string& topic, int partitions, int replication_factor = 1);
  Status broker_down(int32_t broker_id);  // -1 = every broker
  Status broker_up(int32_t broker_id);
  Status set_rtt(int32_t broker_id, int rtt_ms);  // -1 = every broker
  Status set_leader(const std::string& topic, int32_t partition, int32_t broker_id);
  rd_kafka_mock_cluster_t* raw() const { return cluster_; }

 private:
  MockKafkaCluster() = default;
  KafkaHandle handle_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace lh::storage
