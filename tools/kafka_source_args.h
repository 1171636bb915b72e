// The Kafka source's command-line options, shared by `ingest --kafka` and
// `run --kafka` (same names, same checks, same consumer options).
#pragma once

#include <string>
#include <vector>

#include "storage/kafka_source.h"
#include "tools/command.h"

namespace lh::tools {

struct KafkaSourceArgs {
  std::string brokers;                   // --kafka
  std::vector<std::string> topics;       // --topic
  std::string group;                     // --group
  std::vector<std::string> config;       // --kafka-config key=value
  bool exit_at_end = false;              // --exit-at-end (ingest only; run: --until-caught-up)
  std::vector<std::string> cdc_topics;   // --cdc-topic
  std::string cdc_mapping;               // --cdc-mapping FILE
  bool enabled() const { return !brokers.empty(); }
};

// Adds --kafka, --topic, --group, --kafka-config, --cdc-topic, --cdc-mapping
// (and --exit-at-end when `exit_at_end_flag`) to `cmd`.
void add_kafka_options(CLI::App* cmd, KafkaSourceArgs& a, bool exit_at_end_flag);

// Throws CommandError (exit 2) when --kafka lacks a topic or a group, or
// --cdc-topic lacks --cdc-mapping. `command` names the command in the message.
void check_kafka_args(const KafkaSourceArgs& a, const std::string& command);

// The consumer's options: brokers, topics (CDC topics with their decoder),
// group, config, exit_at_end. A bad mapping file is a CommandError (exit 2).
storage::KafkaIngestOptions kafka_ingest_options(const KafkaSourceArgs& a, size_t max_record_bytes);

// "kafka t1,t2: 12 messages: 10 appended, ... in 1.20 s (10 messages/s)".
std::string kafka_summary_line(const storage::KafkaIngestOptions& o, const storage::KafkaIngestSummary& s);

}  // namespace lh::tools
