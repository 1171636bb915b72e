// `ledgerhouse backup DEST`, `restore SRC [--force]`, `verify [--json]`:
// the event log's safety net (storage/log_backup.h, storage/log_verify.h).
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "events/json_encoder.h"
#include "storage/log_backup.h"
#include "storage/log_verify.h"
#include "tools/command.h"

namespace lh::tools {
namespace {

std::string json_str(std::string_view s) {
  std::string out;
  events::append_json_string(s, out);
  return out;
}

std::string describe(const storage::SourcePosition& p) {
  if (p.source.rfind("kafka:", 0) == 0)
    return fmt::format("{} offset {}{}", p.source, p.offset,
                       p.fingerprint == storage::kRestoredMark ? " (restored: wins over the group's offset)" : "");
  return fmt::format("{} line {}, byte {}", p.source, p.line, p.offset);
}

// "\r  verified 1.2M of 3.4M records (35%)" on a terminal.
std::function<void(uint64_t, uint64_t)> progress_line(const GlobalOptions& g, const char* verb) {
  if (!progress_enabled(g)) return {};
  return [verb](uint64_t done, uint64_t total) {
    std::fprintf(stderr, "\r\033[K  %s %s of %s records (%.0f%%)", verb, human_count(double(done)).c_str(),
                 human_count(double(total)).c_str(), total ? 100.0 * double(done) / double(total) : 100.0);
  };
}

void end_progress(const GlobalOptions& g) {
  if (progress_enabled(g)) std::fprintf(stderr, "\r\033[K");
}

void run_backup(GlobalOptions& g, const std::string& dest) {
  auto log = open_log(g, /*read_only=*/true);
  if (progress_enabled(g)) std::fprintf(stderr, "  copying %s ...", log->dir().c_str());
  auto r = storage::backup_log(*log, dest, storage::BackupOptions{kVersion});
  end_progress(g);
  if (!r) throw CommandError(r.error().message);
  const auto& b = *r;
  std::printf("backup %s\n", b.dest.c_str());
  std::printf("  seq 1..%llu: %llu events, %llu quarantined\n", static_cast<unsigned long long>(b.last_seq),
              static_cast<unsigned long long>(b.events), static_cast<unsigned long long>(b.quarantined));
  std::printf("  data.mdb %s (compacted; the live log's file: %s), %.2f s\n", human_bytes(double(b.bytes)).c_str(),
              human_bytes(double(b.live_bytes)).c_str(), b.seconds);
  for (const auto& p : b.positions) std::printf("  position %s\n", describe(p).c_str());
}

void run_restore(GlobalOptions& g, const std::string& src, bool force) {
  storage::RestoreOptions o;
  o.force = force;
  o.verify.on_progress = progress_line(g, "verified");
  auto r = storage::restore_log(src, g.data_dir, o);
  end_progress(g);
  if (!r) throw CommandError(r.error().message);
  const auto& i = *r;
  if (!i.moved_aside.empty()) std::printf("moved the previous log aside to %s\n", i.moved_aside.c_str());
  std::printf("restored %s into %s\n", src.c_str(), i.log_dir.c_str());
  std::printf("  verified: seq 1..%llu, %llu events, %llu quarantined, clean\n",
              static_cast<unsigned long long>(i.last_seq), static_cast<unsigned long long>(i.events),
              static_cast<unsigned long long>(i.verify.quarantined));
  for (const auto& p : i.positions) std::printf("  position %s\n", describe(p).c_str());
  std::printf("  ingestion resumes from these positions (%zu Kafka partitions marked as restored), %.2f s\n",
              i.kafka_marked, i.seconds);
}

void run_verify(GlobalOptions& g, bool json, size_t max_listed) {
  auto log = open_log(g, /*read_only=*/true);
  storage::VerifyOptions o;
  o.max_listed = max_listed;
  o.on_progress = progress_line(g, "verified");
  auto r = storage::verify_log(*log, o);
  end_progress(g);
  if (!r) throw CommandError(r.error().message);
  const auto& v = *r;
  const double rate = v.seconds > 0 ? double(v.events) / v.seconds : 0;
  if (json) {
    std::string out = fmt::format(
        "{{\"data_dir\":{},\"clean\":{},\"last_seq\":{},\"events\":{},\"event_ids\":{},\"ingest_times\":{},"
        "\"quarantined\":{},\"positions\":{},\"bytes\":{},\"seconds\":{:.3f},\"problem_count\":{},\"problems\":[",
        json_str(log->dir()), v.clean() ? "true" : "false", v.last_seq, v.events, v.event_ids, v.ingest_times,
        v.quarantined, v.positions, v.bytes, v.seconds, v.problem_count);
    for (size_t i = 0; i < v.problems.size(); ++i)
      out += fmt::format("{}{{\"where\":{},\"what\":{}}}", i ? "," : "", json_str(v.problems[i].where),
                         json_str(v.problems[i].what));
    out += "]}";
    std::printf("%s\n", out.c_str());
  } else {
    for (const auto& p : v.problems) std::printf("%s: %s\n", p.where.c_str(), p.what.c_str());
    if (v.problem_count > v.problems.size())
      std::printf("... and %llu more problems\n",
                  static_cast<unsigned long long>(v.problem_count - v.problems.size()));
    std::printf("%s: %s: seq 1..%llu, %llu events, %llu event_ids, %llu ingest times, %llu quarantined, "
                "%llu positions; %s in %.2f s (%s events/s)\n",
                log->dir().c_str(),
                v.clean() ? "clean" : fmt::format("{} problems", v.problem_count).c_str(),
                static_cast<unsigned long long>(v.last_seq), static_cast<unsigned long long>(v.events),
                static_cast<unsigned long long>(v.event_ids), static_cast<unsigned long long>(v.ingest_times),
                static_cast<unsigned long long>(v.quarantined), static_cast<unsigned long long>(v.positions),
                human_bytes(double(v.bytes)).c_str(), v.seconds, human_count(rate).c_str());
  }
  if (!v.clean()) g.exit_code = 1;
}

}  // namespace

void register_log_admin(CLI::App& app, GlobalOptions& g) {
  auto dest = std::make_shared<std::string>();
  auto* backup = app.add_subcommand(
      "backup", "Copy the event log (hot, consistent, compacted) into DEST, a new or empty directory");
  backup->add_option("DEST", *dest, "Backup directory")->required();
  backup->callback([dest, &g] { run_backup(g, *dest); });

  auto src = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto* restore = app.add_subcommand(
      "restore", "Verify the backup in SRC and make it the event log of -D (ingestion resumes from its positions)");
  restore->add_option("SRC", *src, "Backup directory (made by `backup`)")->required();
  restore->add_flag("--force", *force, "Move an existing log in -D aside (never deleted) instead of refusing");
  restore->callback([src, force, &g] { run_restore(g, *src, *force); });

  auto json = std::make_shared<bool>(false);
  auto max = std::make_shared<size_t>(100);
  auto* verify = app.add_subcommand(
      "verify", "Check every record's checksum and encoding, the seq sequence, the indexes and counters; "
                "exit 1 if anything is wrong");
  verify->add_flag("--json", *json, "Machine-readable output");
  verify->add_option("--max-problems", *max, "Problems listed (all are counted)");
  verify->callback([json, max, &g] { run_verify(g, *json, *max); });
}

}  // namespace lh::tools
