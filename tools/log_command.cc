// `ledgerhouse log stat|dump`: look inside the event log.
#include <cstdio>

#include <fmt/format.h>

#include "events/json_encoder.h"
#include "tools/command.h"

namespace lh::tools {
namespace {

std::string time_or_null(int64_t us, bool json) {
  if (us == 0) return json ? "null" : "-";
  std::string t = events::format_time_us(us);
  return json ? "\"" + t + "\"" : t;
}

std::string json_string(std::string_view s) {
  std::string out;
  events::append_json_string(s, out);
  return out;
}

void run_stat(GlobalOptions& g, bool json) {
  auto log = open_log(g, /*read_only=*/true);
  auto st = log->stats();
  if (!st.ok()) throw CommandError(st.error().message);
  const auto& s = *st;
  auto positions = log->positions();
  if (json) {
    std::string out = fmt::format(
        "{{\"data_dir\":{},\"first_seq\":{},\"last_seq\":{},\"events\":{},\"duplicates\":{},"
        "\"quarantined\":{},\"first_ingest_time\":{},\"last_ingest_time\":{},\"file_bytes\":{},"
        "\"map_bytes\":{},\"per_type\":{{",
        json_string(log->dir()), s.first_seq, s.last_seq, s.events, s.duplicates, s.quarantined,
        time_or_null(s.first_ingest_us, true), time_or_null(s.last_ingest_us, true),
        s.file_bytes, s.map_bytes);
    bool first = true;
    for (auto t : events::kAllEventTypes) {
      out += fmt::format("{}\"{}\":{}", first ? "" : ",", events::to_string(t),
                         s.per_type[static_cast<size_t>(t)]);
      first = false;
    }
    out += "},\"sources\":[";
    first = true;
    for (const auto& p : positions) {
      out += first ? "{\"source\":" : ",{\"source\":";
      events::append_json_string(p.source, out);
      out += fmt::format(",\"offset\":{},\"line\":{}}}", p.offset, p.line);
      first = false;
    }
    out += "]}";
    std::printf("%s\n", out.c_str());
    return;
  }
  std::printf("event log      %s\n", log->dir().c_str());
  std::printf("seq            %llu .. %llu (%llu events)\n",
              static_cast<unsigned long long>(s.first_seq),
              static_cast<unsigned long long>(s.last_seq),
              static_cast<unsigned long long>(s.events));
  std::printf("ingest time    %s .. %s\n", time_or_null(s.first_ingest_us, false).c_str(),
              time_or_null(s.last_ingest_us, false).c_str());
  std::printf("duplicates     %llu skipped\n", static_cast<unsigned long long>(s.duplicates));
  std::printf("quarantined    %llu\n", static_cast<unsigned long long>(s.quarantined));
  std::printf("size on disk   %s (map %s)\n", human_bytes(s.file_bytes).c_str(),
              human_bytes(s.map_bytes).c_str());
  std::printf("events by type\n");
  for (auto t : events::kAllEventTypes)
    std::printf("  %-22s %12llu\n", std::string(events::to_string(t)).c_str(),
                static_cast<unsigned long long>(s.per_type[static_cast<size_t>(t)]));
  if (!positions.empty()) {
    std::printf("sources\n");
    for (const auto& p : positions)
      std::printf("  %s  line %llu, byte %llu\n", p.source.c_str(),
                  static_cast<unsigned long long>(p.line),
                  static_cast<unsigned long long>(p.offset));
  }
}

void run_dump(GlobalOptions& g, uint64_t from, uint64_t to) {
  auto log = open_log(g, /*read_only=*/true);
  uint64_t last = log->last_seq();
  if (to == 0 || to > last) to = last;
  auto reader = log->reader(from == 0 ? 1 : from);
  std::string buf;
  buf.reserve(1 << 20);
  std::string lead;
  while (true) {
    auto r = reader->next();
    if (!r.ok()) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      throw CommandError(r.error().message);
    }
    if (!r->has_value() || (*r)->seq > to) break;
    const auto& se = **r;
    lead = fmt::format("\"seq\":{},\"ingest_time\":\"{}\",", se.seq,
                       events::format_time_us(se.ingest_time_us));
    events::append_json(se.event, buf, lead);
    buf += '\n';
    if (buf.size() > (1 << 20) - 4096) {
      if (std::fwrite(buf.data(), 1, buf.size(), stdout) != buf.size()) return;  // EPIPE: reader gone
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), stdout);
}

}  // namespace

void register_log(CLI::App& app, GlobalOptions& g) {
  auto* log = app.add_subcommand("log", "Inspect the event log");
  log->require_subcommand(1);

  auto json = std::make_shared<bool>(false);
  auto* stat = log->add_subcommand(
      "stat", "First/last seq, events per type, ingest times, duplicates, quarantine, size");
  stat->add_flag("--json", *json, "Machine-readable output");
  stat->callback([json, &g] { run_stat(g, *json); });

  auto from = std::make_shared<uint64_t>(1);
  auto to = std::make_shared<uint64_t>(0);
  auto* dump = log->add_subcommand(
      "dump", "Write events as NDJSON on stdout: each event with its seq and ingest time");
  dump->add_option("--from", *from, "First seq (inclusive)");
  dump->add_option("--to", *to, "Last seq (inclusive); 0 = the end of the log");
  dump->callback([from, to, &g] { run_dump(g, *from, *to); });
}

}  // namespace lh::tools
