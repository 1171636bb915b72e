// NDJSON file -> Kafka topic: each non-blank line is one message value, keyed
// by the event's vendor (events::vendor_of: data.vendor_id, or the first order
// line's); lines that do not decode, or have no vendor, go without a key.
// librdkafka batches (linger.ms, batch.num.messages); the end waits for every
// delivery report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/result.h"

namespace lh::storage {

struct ProduceOptions {
  std::string brokers;
  std::string topic;
  std::vector<std::string> config;  // librdkafka "key=value" overrides
  int32_t partition = -1;           // -1: by key (librdkafka's partitioner)
};

struct ProduceSummary {
  uint64_t messages = 0;   // delivered
  uint64_t keyed = 0;      // of which had a vendor key
  uint64_t bytes = 0;      // value bytes
  double seconds = 0;
};

// Fails (naming the first failed delivery's reason) if any message was not
// delivered.
Result<ProduceSummary> produce_ndjson(const std::string& path, const ProduceOptions& options);

}  // namespace lh::storage
