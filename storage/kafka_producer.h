// NDJSON file -> Kafka topic: each non-blank line is one message value, keyed
// by kafka_key(event); lines that do not decode go without a key.
// librdkafka batches (linger.ms, batch.num.messages); the end waits for every
// delivery report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/result.h"

namespace lh::storage {

// The message key of an event: its vendor (events::vendor_of; a multi-vendor
// order: its first line's vendor), else the entity whose events must stay in
// order (customer_id, product_id, order_id, session_id), else the event_id.
// Equal events (duplicates) get equal keys, so they land in one partition.
std::string_view kafka_key(const events::Event& e);

struct ProduceOptions {
  std::string brokers;
  std::string topic;
  std::vector<std::string> config;  // librdkafka "key=value" overrides
  int32_t partition = -1;           // -1: by key (librdkafka's partitioner)
};

struct ProduceSummary {
  uint64_t messages = 0;   // delivered
  uint64_t keyed = 0;      // of which were valid events (with a key)
  uint64_t bytes = 0;      // value bytes
  double seconds = 0;
};

// Fails (naming the first failed delivery's reason) if any message was not
// delivered.
Result<ProduceSummary> produce_ndjson(const std::string& path, const ProduceOptions& options);

}  // namespace lh::storage
