#include "tools/kafka_source_args.h"

#include <memory>

#include <fmt/format.h>

#include "events/debezium.h"

namespace lh::tools {

void add_kafka_options(CLI::App* cmd, KafkaSourceArgs& a, bool exit_at_end_flag) {
  cmd->add_option("--kafka", a.brokers, "Consume Kafka: bootstrap brokers (host:port,...)");
  cmd->add_option("--topic", a.topics, "Kafka topic to consume (repeatable)");
  cmd->add_option("--group", a.group, "Kafka consumer group id");
  cmd->add_option("--kafka-config", a.config, "librdkafka property key=value for the consumer (repeatable)");
  if (exit_at_end_flag)
    cmd->add_flag("--exit-at-end", a.exit_at_end,
                  "Kafka: stop once every assigned partition is consumed to its end (like kcat -e)");
  cmd->add_option("--cdc-topic", a.cdc_topics,
                  "Kafka topic of Debezium change envelopes (repeatable; needs --cdc-mapping)");
  cmd->add_option("--cdc-mapping", a.cdc_mapping,
                  "JSON file: table -> event types and field mapping (see docs/kafka.md)");
}

void check_kafka_args(const KafkaSourceArgs& a, const std::string& command) {
  if (!a.enabled()) {
    if (!a.topics.empty() || !a.group.empty() || !a.cdc_topics.empty())
      throw CommandError(command + ": --topic, --group and --cdc-topic need --kafka BROKERS", 2);
    return;
  }
  if ((a.topics.empty() && a.cdc_topics.empty()) || a.group.empty())
    throw CommandError(command + " --kafka needs --topic or --cdc-topic (at least one) and --group", 2);
  if (!a.cdc_topics.empty() && a.cdc_mapping.empty())
    throw CommandError(command + " --cdc-topic needs --cdc-mapping FILE (table -> event type and fields)", 2);
}

storage::KafkaIngestOptions kafka_ingest_options(const KafkaSourceArgs& a, size_t max_record_bytes) {
  storage::KafkaIngestOptions opts;
  opts.decoder.max_record_bytes = max_record_bytes;
  opts.brokers = a.brokers;
  opts.topics = a.topics;
  if (!a.cdc_topics.empty()) {
    auto mapping = events::CdcMapping::load(a.cdc_mapping);
    if (!mapping.ok()) throw CommandError(mapping.error().message, 2);
    auto cdc = std::make_shared<events::DebeziumDecoder>(std::move(*mapping), opts.decoder);
    for (const auto& t : a.cdc_topics) {
      opts.topics.push_back(t);
      opts.topic_decoders[t] = storage::TopicDecoder{
          [cdc](std::string_view v, events::Event& e, events::Rejection& why) { return cdc->decode(v, e, why); },
          /*skip_tombstones=*/true};
    }
  }
  opts.group = a.group;
  opts.config = a.config;
  opts.exit_at_end = a.exit_at_end;
  return opts;
}

std::string kafka_summary_line(const storage::KafkaIngestOptions& o, const storage::KafkaIngestSummary& s) {
  const auto& t = s.totals;
  double rate = s.seconds > 0 ? t.records / s.seconds : 0;
  return fmt::format("kafka {}: {} messages: {} appended, {} duplicates, {} quarantined in {:.2f} s "
                     "({} messages/s){}",
                     fmt::join(o.topics, ","), t.records, t.appended, t.duplicates, t.quarantined, s.seconds,
                     human_count(rate), s.stopped ? " (stopped by signal)" : "");
}

}  // namespace lh::tools
