// The run history file (run_history.h).
#include "tools/run_history.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <simdjson.h>

namespace lh::tools {

std::string history_path(const std::string& data_dir) { return data_dir + "/run-history.ndjson"; }

namespace {
std::string rotated_path(const std::string& data_dir) { return data_dir + "/run-history.1.ndjson"; }

size_t count_lines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}
}  // namespace

HistoryWriter::HistoryWriter(std::string data_dir, size_t max_lines)
    : path_(std::move(data_dir)), max_lines_(std::max<size_t>(2, max_lines)) {
  lines_ = count_lines(history_path(path_));
}

HistoryWriter::~HistoryWriter() {
  if (f_) std::fclose(f_);
}

Status HistoryWriter::append(const HistorySample& s) {
  const std::string path = history_path(path_);
  if (lines_ >= max_lines_) {
    if (f_) std::fclose(f_);
    f_ = nullptr;
    if (std::rename(path.c_str(), rotated_path(path_).c_str()) != 0 && errno != ENOENT)
      return Error{fmt::format("rotating {}: {}", path, std::strerror(errno))};
    lines_ = 0;
  }
  if (!f_) {
    f_ = std::fopen(path.c_str(), "a");
    if (!f_) return Error{fmt::format("opening {}: {}", path, std::strerror(errno))};
  }
  std::string line = fmt::format(
      "{{\"run\":{},\"t\":{:.3f},\"applied_seq\":{},\"head_seq\":{},\"events_per_s\":{:.1f},"
      "\"lag_events\":{},\"lag_seconds\":{:.3f},\"pg_up\":{}}}\n",
      s.run, s.t, s.applied_seq, s.head_seq, s.events_per_s, s.lag_events, s.lag_seconds,
      s.pg_up ? "true" : "false");
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0)
    return Error{fmt::format("writing {}: {}", path, std::strerror(errno))};
  ++lines_;
  return Status{};
}

Result<std::vector<HistorySample>> read_history(const std::string& data_dir, size_t* bad) {
  std::vector<HistorySample> out;
  size_t bad_lines = 0;
  simdjson::dom::parser parser;
  for (const std::string& path : {rotated_path(data_dir), history_path(data_dir)}) {
    std::ifstream in(path);
    if (!in) continue;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      simdjson::dom::element doc;
      if (parser.parse(line).get(doc)) {
        ++bad_lines;
        continue;
      }
      HistorySample s;
      int64_t run = 0;
      double t = 0, rate = 0, lag_s = 0;
      uint64_t applied = 0, head = 0, lag_e = 0;
      bool pg = false;
      if (doc["run"].get(run) || doc["t"].get(t) || doc["applied_seq"].get(applied) ||
          doc["head_seq"].get(head) || doc["events_per_s"].get(rate) || doc["lag_events"].get(lag_e) ||
          doc["lag_seconds"].get(lag_s) || doc["pg_up"].get(pg)) {
        ++bad_lines;
        continue;
      }
      s.run = run;
      s.t = t;
      s.applied_seq = applied;
      s.head_seq = head;
      s.events_per_s = rate;
      s.lag_events = lag_e;
      s.lag_seconds = lag_s;
      s.pg_up = pg;
      out.push_back(s);
    }
  }
  if (bad) *bad = bad_lines;
  return out;
}

}  // namespace lh::tools
