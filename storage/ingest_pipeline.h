// NDJSON file -> decode + validate -> event log, as a two-stage pipeline:
// a decoding thread turns blocks of records into append batches (events
// already msgpack-encoded, rejections ready for the quarantine) while the
// calling thread commits the previous batch. On 2 cores this overlaps JSON
// work with LMDB's fsync instead of paying for them one after the other.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "events/json_decoder.h"
#include "events/result.h"
#include "storage/event_log.h"

namespace lh::storage {

struct IngestProgress {
  uint64_t records = 0;      // non-blank lines handled
  uint64_t appended = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;
  uint64_t batches = 0;
  uint64_t bytes = 0;        // bytes of input consumed in this run
  uint64_t offset = 0;       // position in the file after the last committed batch
  uint64_t line = 0;
  uint64_t first_seq = 0, last_seq = 0;  // seqs appended in this run (0 if none)
};

struct IngestOptions {
  size_t batch_records = 10000;     // records per write transaction (group commit)
  events::DecoderOptions decoder;
  // Set (e.g. by a signal handler) to stop after the batch in hand is committed.
  const std::atomic<bool>* stop = nullptr;
  // Called in the caller's thread after every committed batch.
  std::function<void(const IngestProgress&)> on_batch;
  // Called once before reading when a stored position is not used, with why.
  std::function<void(const std::string&)> on_warning;
};

struct IngestSummary {
  IngestProgress totals;
  std::string source;         // "file:/abs/path" or "stdin"
  bool resumed = false;       // started from a stored position
  uint64_t resumed_offset = 0, resumed_line = 0;
  bool stopped = false;       // ended early because of IngestOptions::stop
  double seconds = 0;
};

// Appends the valid events of `path` ("-" = stdin) to `log`, quarantining the
// invalid ones, resuming from the position stored for this file (if the file
// still starts with the same bytes). After a crash at any moment, running it
// again leaves every event of the file in the log exactly once, in file order.
Result<IngestSummary> ingest_ndjson(EventLog& log, const std::string& path,
                                    const IngestOptions& options);

}  // namespace lh::storage
