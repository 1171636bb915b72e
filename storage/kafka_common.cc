#include "storage/kafka_common.h"

#include <climits>

#include <fmt/format.h>

namespace lh::storage {

void KafkaDeleter::operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }

Status kafka_conf_set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    return Error{fmt::format("kafka config {}={}: {}", key, value, err)};
  return {};
}

Result<KafkaConf> kafka_conf(const std::string& brokers, const std::vector<std::string>& overrides) {
  KafkaConf conf(rd_kafka_conf_new());
  if (auto s = kafka_conf_set(conf.get(), "bootstrap.servers", brokers); !s.ok()) return s.error();
  for (const auto& kv : overrides) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error{fmt::format("kafka config '{}': expected key=value", kv)};
    if (auto s = kafka_conf_set(conf.get(), kv.substr(0, eq), kv.substr(eq + 1)); !s.ok())
      return s.error();
  }
  return conf;
}

std::string kafka_source_name(std::string_view topic, int32_t partition) {
  return fmt::format("kafka:{}/{}", topic, partition);
}

bool parse_kafka_source(std::string_view source, std::string& topic, int32_t& partition) {
  constexpr std::string_view kPrefix = "kafka:";
  if (source.substr(0, kPrefix.size()) != kPrefix) return false;
  source.remove_prefix(kPrefix.size());
  auto slash = source.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == source.size()) return false;
  int64_t p = 0;
  for (char c : source.substr(slash + 1)) {
    if (c < '0' || c > '9' || p > INT32_MAX / 10) return false;
    p = p * 10 + (c - '0');
  }
  if (p > INT32_MAX) return false;
  topic.assign(source.substr(0, slash));
  partition = static_cast<int32_t>(p);
  return true;
}

namespace {
// A plain client (a consumer handle outside any group) for look-ups.
Result<KafkaHandle> kafka_client(const std::string& brokers, const std::vector<std::string>& overrides) {
  auto conf = kafka_conf(brokers, overrides);
  if (!conf.ok()) return conf.error();
  char err[512];
  KafkaHandle rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), err, sizeof err));
  if (!rk) return Error{fmt::format("kafka {}: creating a client: {}", brokers, err)};
  conf->release();  // owned by the handle now
  return rk;
}
}  // namespace

Result<std::vector<int64_t>> kafka_high_watermarks(const std::string& brokers,
                                                   const std::vector<std::string>& overrides,
                                                   const std::vector<KafkaPartitionRef>& partitions,
                                                   int timeout_ms) {
  std::vector<int64_t> out;
  if (partitions.empty()) return out;
  auto client = kafka_client(brokers, overrides);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();
  for (const auto& p : partitions) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t e =
        rd_kafka_query_watermark_offsets(rk, p.topic.c_str(), p.partition, &low, &high, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Error{fmt::format("kafka {}: high watermark of {}/{}: {}", brokers, p.topic, p.partition,
                               rd_kafka_err2str(e))};
    out.push_back(high);
  }
  return out;
}

Result<int> kafka_partition_count(const std::string& brokers, const std::vector<std::string>& overrides,
                                  const std::vector<std::string>& topics, int timeout_ms) {
  auto client = kafka_client(brokers, overrides);
  if (!client.ok()) return client.error();
  rd_kafka_t* rk = client->get();
  int count = 0;
  for (const auto& t : topics) {
    std::unique_ptr<rd_kafka_topic_t, void (*)(rd_kafka_topic_t*)> rkt(
        rd_kafka_topic_new(rk, t.c_str(), nullptr), rd_kafka_topic_destroy);
    if (!rkt) return Error{fmt::format("kafka {}: topic {}: {}", brokers, t, rd_kafka_err2str(rd_kafka_last_error()))};
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt.get(), &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      return Error{fmt::format("kafka {}: metadata of topic {}: {}", brokers, t, rd_kafka_err2str(e))};
    for (int i = 0; i < md->topic_cnt; ++i)
      if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) count += md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  return count;
}

namespace {
Status mock_status(rd_kafka_resp_err_t err, std::string_view what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  return Error{fmt::format("mock cluster: {}: {}", what, rd_kafka_err2str(err))};
}
}  // namespace

Result<std::unique_ptr<MockKafkaCluster>> MockKafkaCluster::start(int brokers) {
  if (brokers < 1 || brokers > 64)
    return Error{fmt::format("mock cluster: --brokers must be in 1..64, got {}", brokers)};
  std::unique_ptr<MockKafkaCluster> m(new MockKafkaCluster());
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; it never connects anywhere.
  rd_kafka_conf_set(conf, "log_level", "3", nullptr, 0);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Error{fmt::format("mock cluster: cannot create its client handle: {}", err)};
  }
  m->handle_.reset(rk);
  m->cluster_ = rd_kafka_mock_cluster_new(rk, brokers);
  if (!m->cluster_) return Error{"mock cluster: rd_kafka_mock_cluster_new failed"};
  return m;
}

MockKafkaCluster::~MockKafkaCluster() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
}

std::string MockKafkaCluster::bootstrap_servers() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

Status MockKafkaCluster::create_topic(const std::string& topic, int partitions, int rf) {
  return mock_status(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, rf),
                     fmt::format("create topic {} ({} partitions)", topic, partitions));
}

Status MockKafkaCluster::broker_down(int32_t id) {
  return mock_status(rd_kafka_mock_broker_set_down(cluster_, id), fmt::format("broker {} down", id));
}

Status MockKafkaCluster::broker_up(int32_t id) {
  return mock_status(rd_kafka_mock_broker_set_up(cluster_, id), fmt::format("broker {} up", id));
}

Status MockKafkaCluster::set_rtt(int32_t id, int rtt_ms) {
  return mock_status(rd_kafka_mock_broker_set_rtt(cluster_, id, rtt_ms),
                     fmt::format("broker {} rtt {} ms", id, rtt_ms));
}

Status MockKafkaCluster::set_leader(const std::string& topic, int32_t partition, int32_t id) {
  return mock_status(rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, id),
                     fmt::format("leader of {}/{} -> broker {}", topic, partition, id));
}

}  // namespace lh::storage
