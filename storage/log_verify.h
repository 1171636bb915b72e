// The event log's checker (`ledgerhouse verify`): walks every record and
// index of a log in ONE read snapshot and names each inconsistency exactly.
// Read-only: it runs beside a writer (another process appending) and sees
// the log as of the moment it started.
//
// Checked: every record's size, crc32c, format byte and msgpack payload;
// seqs consecutive from 1; event_ids <-> events both ways (each event's id
// maps to its seq, each entry points at an existing event with that id);
// ingest_time (record times never go back, one entry per batch that maps the
// batch's time to its last seq, nothing else); meta counters (count.<type>,
// quarantined, first/last_ingest_us, clock_us); quarantine (qseqs
// consecutive from 1, each decodes); positions (each decodes).
// Not checkable: "duplicates" (skipped events leave no trace).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "events/result.h"
#include "storage/event_log.h"

namespace lh::storage {

// One inconsistency: `where` names the record or key ("seq 42",
// "event_ids[ev-17]", "ingest_time[2026-11-20T10:15:00Z]", "meta count.order_placed",
// "quarantine qseq 3", "positions[kafka:t/0]"), `what` says what was
// expected and what was found.
struct LogProblem {
  std::string where;
  std::string what;
};

struct VerifyOptions {
  size_t max_listed = 100;  // problems kept in the report (all are counted)
  // Called every ~64k records of the events database: (records done, total).
  std::function<void(uint64_t, uint64_t)> on_progress;
};

struct VerifyReport {
  uint64_t last_seq = 0;
  uint64_t events = 0;          // records in the events database
  uint64_t event_ids = 0;       // entries in the event_ids index
  uint64_t ingest_times = 0;    // entries in the ingest_time index
  uint64_t quarantined = 0;     // records in the quarantine
  uint64_t positions = 0;       // source positions
  uint64_t bytes = 0;           // record bytes read (events)
  uint64_t problem_count = 0;   // every problem found
  std::vector<LogProblem> problems;  // the first VerifyOptions::max_listed
  double seconds = 0;
  bool clean() const { return problem_count == 0; }
};

// An Error only when the log cannot be read at all (LMDB failure); every
// inconsistency is a LogProblem in the report.
Result<VerifyReport> verify_log(const EventLog& log, const VerifyOptions& options = {});

}  // namespace lh::storage
