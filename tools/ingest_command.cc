// `ledgerhouse ingest FILE... | -`: NDJSON into the event log, resumable.
// `ledgerhouse ingest --kafka BROKERS --topic T --group G`: Kafka into the log
// (storage/kafka_source.h), exactly once.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

#include "events/json_encoder.h"
#include "storage/ingest_pipeline.h"
#include "storage/kafka_source.h"
#include "tools/command.h"
#include "tools/kafka_source_args.h"
#include "tools/logging.h"

namespace lh::tools {
namespace {

std::atomic<bool> g_stop{false};

// First SIGINT/SIGTERM: finish the batch in hand, commit, exit cleanly.
// Second: leave at once (the log is consistent at every commit anyway).
extern "C" void on_stop_signal(int) {
  if (g_stop.exchange(true)) _exit(130);
}

struct IngestArgs {
  std::vector<std::string> files;
  std::string durability = "sync";
  size_t batch = 10000;  // files; Kafka: the source's own default unless given
  bool batch_given = false;
  size_t max_record_bytes = 1 << 20;
  bool json = false;
  KafkaSourceArgs kafka;  // --kafka ... (tools/kafka_source_args.h)
};

void print_progress(const storage::IngestProgress& p, double seconds, uint64_t file_size) {
  double rate = seconds > 0 ? p.records / seconds : 0;
  std::string pct;
  if (file_size > 0)
    pct = fmt::format(" {:5.1f}%", 100.0 * static_cast<double>(p.offset) / file_size);
  std::fprintf(stderr, "\r\033[K  %s records%s  %s/s  appended %s  dup %s  quarantined %s",
               human_count(p.records).c_str(), pct.c_str(), human_count(rate).c_str(),
               human_count(p.appended).c_str(), human_count(p.duplicates).c_str(),
               human_count(p.quarantined).c_str());
  std::fflush(stderr);
}

void run_kafka_ingest(const IngestArgs& a, GlobalOptions& g, storage::EventLog& log);

void run_ingest(const IngestArgs& a, GlobalOptions& g) {
  if (!a.kafka.enabled() && a.files.empty())
    throw CommandError("ingest: give NDJSON files (or '-'), or --kafka BROKERS --topic T --group G", 2);
  if (a.kafka.enabled() && !a.files.empty())
    throw CommandError("ingest: give either files or --kafka, not both", 2);
  check_kafka_args(a.kafka, "ingest");
  storage::Durability d;
  if (a.durability == "sync")
    d = storage::Durability::sync;
  else if (a.durability == "nosync")
    d = storage::Durability::nosync;
  else
    throw CommandError("--durability must be sync or nosync, not '" + a.durability + "'", 2);

  auto log = open_log(g, /*read_only=*/false, d);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  if (a.kafka.enabled()) return run_kafka_ingest(a, g, *log);

  storage::IngestOptions opts;
  opts.batch_records = a.batch;
  opts.decoder.max_record_bytes = a.max_record_bytes;
  opts.stop = &g_stop;
  opts.on_warning = [](const std::string& w) { log_message(LogLevel::warn, w); };
  bool progress = progress_enabled(g);

  std::string json = "[";
  for (const auto& file : a.files) {
    uint64_t size = 0;
    if (file != "-") {
      if (FILE* f = std::fopen(file.c_str(), "rb")) {
        std::fseek(f, 0, SEEK_END);
        size = static_cast<uint64_t>(std::ftell(f));
        std::fclose(f);
      }
    }
    auto started = std::chrono::steady_clock::now();
    auto last_print = started;
    if (progress) {
      opts.on_batch = [&](const storage::IngestProgress& p) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_print < std::chrono::milliseconds(200)) return;
        last_print = now;
        print_progress(p, std::chrono::duration<double>(now - started).count(), size);
      };
    }
    auto r = storage::ingest_ndjson(*log, file, opts);
    if (progress) std::fprintf(stderr, "\r\033[K");
    if (!r.ok()) throw CommandError(r.error().message);
    const auto& s = *r;
    const auto& t = s.totals;
    double rate = s.seconds > 0 ? t.records / s.seconds : 0;
    if (a.json) {
      if (json.size() > 1) json += ",";
      json += "{\"source\":";
      events::append_json_string(s.source, json);
      json += fmt::format(
          ",\"records\":{},\"appended\":{},\"duplicates\":{},\"quarantined\":{},"
          "\"first_seq\":{},\"last_seq\":{},\"resumed_at_line\":{},\"stopped\":{},"
          "\"seconds\":{:.3f}}}",
          t.records, t.appended, t.duplicates, t.quarantined, t.first_seq, t.last_seq,
          s.resumed ? s.resumed_line : 0, s.stopped ? "true" : "false", s.seconds);
    } else {
      std::string seqs = t.appended ? fmt::format(" (seq {}..{})", t.first_seq, t.last_seq) : "";
      std::string resumed =
          s.resumed ? fmt::format(", resumed after line {}", s.resumed_line) : std::string();
      std::fprintf(stderr,
                   "%s: %llu records%s: %llu appended%s, %llu duplicates, %llu quarantined "
                   "in %.2f s (%s records/s)%s\n",
                   file == "-" ? "stdin" : file.c_str(),
                   static_cast<unsigned long long>(t.records), resumed.c_str(),
                   static_cast<unsigned long long>(t.appended), seqs.c_str(),
                   static_cast<unsigned long long>(t.duplicates),
                   static_cast<unsigned long long>(t.quarantined), s.seconds,
                   human_count(rate).c_str(), s.stopped ? " (stopped by signal)" : "");
      if (t.quarantined > 0)
        std::fprintf(stderr, "  see them with: ledgerhouse -D %s quarantine list\n",
                     g.data_dir.c_str());
    }
    if (s.stopped) {
      g.exit_code = 130;
      break;
    }
  }
  if (a.json) std::printf("%s]\n", json.c_str());
}

void run_kafka_ingest(const IngestArgs& a, GlobalOptions& g, storage::EventLog& log) {
  storage::KafkaIngestOptions opts = kafka_ingest_options(a.kafka, a.max_record_bytes);
  if (a.batch_given) opts.batch_records = a.batch;
  opts.stop = &g_stop;
  opts.on_warning = [](const std::string& w) { log_message(LogLevel::warn, w); };
  bool progress = progress_enabled(g);
  auto started = std::chrono::steady_clock::now();
  auto last_print = started;
  if (progress) {
    opts.on_batch = [&](const storage::IngestProgress& p) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_print < std::chrono::milliseconds(200)) return;
      last_print = now;
      print_progress(p, std::chrono::duration<double>(now - started).count(), 0);
    };
  }
  auto r = storage::ingest_kafka(log, opts);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!r.ok()) throw CommandError(r.error().message);
  const auto& t = r->totals;
  if (a.json) {
    std::printf(
        "{\"source\":\"kafka\",\"records\":%llu,\"appended\":%llu,\"duplicates\":%llu,"
        "\"quarantined\":%llu,\"tombstones\":%llu,\"first_seq\":%llu,\"last_seq\":%llu,"
        "\"assignments\":%llu,\"stopped\":%s,\"seconds\":%.3f}\n",
        static_cast<unsigned long long>(t.records), static_cast<unsigned long long>(t.appended),
        static_cast<unsigned long long>(t.duplicates), static_cast<unsigned long long>(t.quarantined),
        static_cast<unsigned long long>(r->tombstones), static_cast<unsigned long long>(t.first_seq),
        static_cast<unsigned long long>(t.last_seq), static_cast<unsigned long long>(r->assignments),
        r->stopped ? "true" : "false", r->seconds);
  } else {
    std::fprintf(stderr, "%s\n", kafka_summary_line(opts, *r).c_str());
  }
  if (r->stopped) g.exit_code = 130;
}

}  // namespace

void register_ingest(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<IngestArgs>();
  auto* cmd = app.add_subcommand(
      "ingest",
      "Append NDJSON events to the event log. Each batch of records is decoded, validated and\n"
      "appended in one transaction; invalid records go to the quarantine with their reason and\n"
      "position. Re-running on the same file resumes after the last committed batch and never\n"
      "appends an event twice (positions + event ids).");
  cmd->add_option("files", a->files, "NDJSON files to ingest, '-' for stdin");
  add_kafka_options(cmd, a->kafka, /*exit_at_end_flag=*/true);
  cmd->get_option("--kafka")->envname("LEDGERHOUSE_KAFKA");
  cmd->add_option("--durability", a->durability,
                  "sync: each batch is on disk before it is acknowledged; nosync: faster, a power "
                  "loss may lose the last batches (a process crash loses nothing)")
      ->check(CLI::IsMember({"sync", "nosync"}))
      ->envname("LEDGERHOUSE_DURABILITY");
  cmd->add_option("--batch-size", a->batch,
                  "Records per write transaction (group commit; files: default 10000; Kafka: at "
                  "most this many, default 65536, smaller while the log keeps up)")
      ->check(CLI::Range(1, 10000000));
  cmd->add_option("--max-record-bytes", a->max_record_bytes,
                  "Longer records are quarantined as oversized")
      ->check(CLI::Range(64, 1 << 30));
  cmd->add_flag("--json", a->json, "Print the summary as JSON on stdout");
  cmd->callback([a, &g, cmd] {
    a->batch_given = cmd->count("--batch-size") > 0;
    run_ingest(*a, g);
  });
}

}  // namespace lh::tools
