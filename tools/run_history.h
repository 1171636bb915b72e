// The run history: what `run` samples every few seconds, appended to
// <data-dir>/run-history.ndjson, for `ledgerhouse report` to plot. One JSON
// object per line:
//   {"run":<start, unix s>,"t":<unix s>,"applied_seq":N,"head_seq":N,
//    "events_per_s":X,"lag_events":N,"lag_seconds":X,"pg_up":true}
// Bounded: when the file passes max_lines it is renamed to
// run-history.1.ndjson (the one previous generation kept) and a new one begun.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "events/result.h"

namespace lh::tools {

struct HistorySample {
  int64_t run = 0;  // the run's start time, unix seconds: identifies the run
  double t = 0;     // unix seconds
  uint64_t applied_seq = 0, head_seq = 0, lag_events = 0;
  double events_per_s = 0, lag_seconds = 0;
  bool pg_up = false;
};

std::string history_path(const std::string& data_dir);

class HistoryWriter {
 public:
  HistoryWriter(std::string data_dir, size_t max_lines = 20000);
  ~HistoryWriter();
  // Appends and flushes one line; rotates when full.
  Status append(const HistorySample& s);

 private:
  std::string path_;
  size_t max_lines_, lines_ = 0;
  FILE* f_ = nullptr;
};

// Every sample of both generations, oldest first. A line that is not a
// sample (a torn last line after a crash) is skipped and counted in *bad.
Result<std::vector<HistorySample>> read_history(const std::string& data_dir, size_t* bad = nullptr);

}  // namespace lh::tools
