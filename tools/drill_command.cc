// `ledgerhouse drill [--out DIR] [--at T] [--destructive] [--keep]`: the
// "test the backup" procedure, made real. Fingerprints the live warehouse
// (rows + checksum per table and its checkpoint seq S, one snapshot),
// simulates the disaster — by default on a scratch copy: the warehouse is
// recovered by replay into <schema>_drill up to S; with --destructive the
// live schema itself is dropped and recovered in place — and times the
// recovery (RTO). The recovered schema is fingerprinted and compared table
// by table; RPO = events <= S missing after recovery (must be 0). With --at T
// also a point-in-time recovery into <schema>_drill_pitr. Writes report.md
// and report.json; exits 1 on any mismatch.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "events/event.h"
#include "projections/ddl.h"
#include "storage/replay_target.h"
#include "storage/warehouse_fingerprint.h"
#include "tools/command.h"
#include "tools/replay.h"

namespace lh::tools {
namespace {

struct DrillArgs {
  std::string out = "drill-report";
  std::string at;
  bool destructive = false;
  bool keep = false;
};

struct TableResult {
  std::string table;
  uint64_t rows_before = 0, rows_after = 0;
  std::string sum_before, sum_after;
  bool match() const { return rows_before == rows_after && sum_before == sum_after; }
};

struct DrillResult {
  std::string schema, recovered_into, mode;
  uint64_t checkpoint_seq = 0, recovered_seq = 0, rpo_events = 0;
  double fingerprint_s = 0, rto_s = 0;
  std::vector<TableResult> tables;
  bool pitr = false;
  std::string pitr_at, pitr_schema;
  uint64_t pitr_seq = 0;
  double pitr_s = 0;
  std::vector<storage::TableFingerprint> pitr_tables;
  bool ok() const {
    if (rpo_events != 0) return false;
    for (const auto& t : tables)
      if (!t.match()) return false;
    return true;
  }
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void drop_schema(const std::string& dsn, const std::string& name) {
  try {
    pqxx::connection c(dsn);
    pqxx::work tx(c);
    tx.exec0("DROP SCHEMA IF EXISTS " + projections::quote_ident(name) + " CASCADE");
    tx.commit();
  } catch (const std::exception& e) {
    throw CommandError(fmt::format("dropping schema {}: {}", name, e.what()));
  }
}

// A scratch schema left by an earlier drill (--keep) is made by replay:
// dropped. Anything else of that name is not ours: refused.
void clear_scratch(const std::string& dsn, const std::string& name) {
  auto s = projections::Schema::make([&] {
    projections::WarehouseOptions wo;
    wo.schema = name;
    return wo;
  }());
  if (!s.ok()) throw CommandError("scratch schema " + name + ": " + s.error().message, 2);
  auto st = storage::ReplayTarget::inspect(dsn, *s);
  if (!st.ok()) throw CommandError(st.error().message);
  if (!st->schema_exists) return;
  if (!st->replay_made)
    throw CommandError(fmt::format("schema {} exists and was not made by a drill or replay: drop or rename it, "
                                   "the drill uses that name for its scratch copy",
                                   name));
  drop_schema(dsn, name);
}

ReplaySummary timed_replay(const storage::EventLog& log, const GlobalOptions& g, const std::string& into,
                           std::optional<uint64_t> until_seq, std::optional<int64_t> until_time) {
  ReplayRequest req;
  req.dsn = g.pg_dsn;
  req.target.schema = into;
  req.until_seq = until_seq;
  req.until_time_us = until_time;
  req.runner.on_notice = [](const std::string& w) { std::fprintf(stderr, "%s\n", w.c_str()); };
  auto r = replay_into(log, req);
  if (!r.ok()) throw CommandError("drill: recovering into " + into + ": " + r.error().message);
  return *r;
}

void write_reports(const DrillResult& d, const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::string now = events::format_time_us(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  std::ofstream md(dir + "/report.md");
  md << "# Recovery drill " << now << "\n\n"
     << "- warehouse schema: `" << d.schema << "`, checkpoint seq S = " << d.checkpoint_seq << "\n"
     << "- mode: " << d.mode << "; recovered into `" << d.recovered_into << "` by replay up to S\n"
     << fmt::format("- **RTO** (replay + index build): {:.2f} s\n", d.rto_s)
     << "- **RPO**: " << d.rpo_events << " events <= S missing after recovery (recovered to seq "
     << d.recovered_seq << ")\n"
     << "- result: " << (d.ok() ? "**PASS**: every table matches" : "**FAIL**: see the mismatches below") << "\n\n"
     << "| table | rows before | rows after | checksum before | checksum after | match |\n"
     << "| --- | ---: | ---: | --- | --- | --- |\n";
  for (const auto& t : d.tables)
    md << fmt::format("| {} | {} | {} | {} | {} | {} |\n", t.table, t.rows_before, t.rows_after, t.sum_before,
                      t.sum_after, t.match() ? "yes" : "**NO**");
  if (d.pitr) {
    md << fmt::format("\n## Point-in-time recovery to {}\n\nInto `{}`: seq {} in {:.2f} s.\n\n| table | rows |\n"
                      "| --- | ---: |\n",
                      d.pitr_at, d.pitr_schema, d.pitr_seq, d.pitr_s);
    for (const auto& t : d.pitr_tables) md << "| " << t.table << " | " << t.rows << " |\n";
  }
  md << fmt::format("\nFingerprinting took {:.2f} s per schema. Checksum: sum mod 2^64 of the first 64 bits of "
                    "md5(row) (storage/warehouse_fingerprint.h).\n",
                    d.fingerprint_s);
  std::ofstream js(dir + "/report.json");
  js << "{\"time\": " << json_string(now) << ", \"schema\": " << json_string(d.schema)
     << ", \"mode\": " << json_string(d.mode) << ", \"recovered_into\": " << json_string(d.recovered_into)
     << ", \"checkpoint_seq\": " << d.checkpoint_seq << ", \"recovered_seq\": " << d.recovered_seq
     << fmt::format(", \"rto_seconds\": {:.3f}", d.rto_s) << ", \"rpo_events\": " << d.rpo_events
     << ", \"ok\": " << (d.ok() ? "true" : "false") << ", \"tables\": [";
  for (size_t i = 0; i < d.tables.size(); ++i) {
    const auto& t = d.tables[i];
    js << (i ? ", " : "") << "{\"table\": " << json_string(t.table) << ", \"rows_before\": " << t.rows_before
       << ", \"rows_after\": " << t.rows_after << ", \"checksum_before\": " << json_string(t.sum_before)
       << ", \"checksum_after\": " << json_string(t.sum_after) << ", \"match\": " << (t.match() ? "true" : "false")
       << "}";
  }
  js << "]";
  if (d.pitr) {
    js << ", \"pitr\": {\"at\": " << json_string(d.pitr_at) << ", \"schema\": " << json_string(d.pitr_schema)
       << ", \"seq\": " << d.pitr_seq << fmt::format(", \"seconds\": {:.3f}", d.pitr_s) << ", \"tables\": [";
    for (size_t i = 0; i < d.pitr_tables.size(); ++i)
      js << (i ? ", " : "") << "{\"table\": " << json_string(d.pitr_tables[i].table)
         << ", \"rows\": " << d.pitr_tables[i].rows << "}";
    js << "]}";
  }
  js << "}\n";
}

storage::WarehouseFingerprint fingerprint(const GlobalOptions& g, const std::string& name) {
  projections::WarehouseOptions wo;
  wo.schema = name;
  auto s = projections::Schema::make(wo);
  if (!s.ok()) throw CommandError(s.error().message, 2);
  auto fp = storage::fingerprint_warehouse(g.pg_dsn, *s);
  if (!fp.ok()) throw CommandError("drill: " + fp.error().message);
  return *fp;
}

void drill_command(const DrillArgs& a, GlobalOptions& g) {
  warehouse_schema(g);  // validates --schema
  std::optional<int64_t> at;
  if (!a.at.empty()) {
    auto t = parse_until_time(a.at);
    if (!t.ok()) throw CommandError("--at: " + t.error().message, 2);
    at = *t;
  }
  auto log = open_log(g, /*read_only=*/true);
  DrillResult d;
  d.schema = g.schema;
  d.mode = a.destructive ? "destructive (live schema dropped and recovered in place)"
                         : "scratch copy (live schema untouched)";
  d.recovered_into = a.destructive ? g.schema : g.schema + "_drill";

  auto before = fingerprint(g, g.schema);
  d.checkpoint_seq = before.checkpoint_seq;
  d.fingerprint_s = before.seconds;
  if (!g.quiet)
    std::fprintf(stderr, "fingerprinted %s at seq %llu (%zu tables) in %.2f s\n", g.schema.c_str(),
                 static_cast<unsigned long long>(d.checkpoint_seq), before.tables.size(), before.seconds);
  if (d.checkpoint_seq > log->last_seq())
    throw CommandError(fmt::format("drill: the warehouse checkpoint (seq {}) is ahead of the event log {} (last "
                                   "seq {}): is this the log the warehouse was built from?",
                                   d.checkpoint_seq, g.data_dir, log->last_seq()));
  if (a.destructive) {
    if (!g.quiet) std::fprintf(stderr, "disaster: DROP SCHEMA %s CASCADE\n", g.schema.c_str());
    drop_schema(g.pg_dsn, g.schema);
  } else {
    clear_scratch(g.pg_dsn, d.recovered_into);
  }
  auto t = std::chrono::steady_clock::now();
  timed_replay(*log, g, d.recovered_into, d.checkpoint_seq, std::nullopt);
  d.rto_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  auto after = fingerprint(g, d.recovered_into);
  d.recovered_seq = after.checkpoint_seq;
  d.rpo_events = d.recovered_seq < d.checkpoint_seq ? d.checkpoint_seq - d.recovered_seq : 0;
  for (size_t i = 0; i < before.tables.size(); ++i)
    d.tables.push_back({before.tables[i].table, before.tables[i].rows, after.tables[i].rows,
                        before.tables[i].checksum, after.tables[i].checksum});
  if (at) {
    d.pitr = true;
    d.pitr_at = events::format_time_us(*at);
    d.pitr_schema = g.schema + "_drill_pitr";
    clear_scratch(g.pg_dsn, d.pitr_schema);
    auto r = timed_replay(*log, g, d.pitr_schema, std::nullopt, at);
    d.pitr_seq = r.applied_seq;
    d.pitr_s = r.total_s;
    d.pitr_tables = fingerprint(g, d.pitr_schema).tables;
  }
  write_reports(d, a.out);
  if (!a.keep) {
    if (!a.destructive) drop_schema(g.pg_dsn, d.recovered_into);
    if (d.pitr) drop_schema(g.pg_dsn, d.pitr_schema);
  }
  size_t bad = 0;
  for (const auto& tr : d.tables)
    if (!tr.match()) {
      ++bad;
      std::fprintf(stderr, "MISMATCH %s: %llu rows (checksum %s) before, %llu rows (checksum %s) after recovery\n",
                   tr.table.c_str(), static_cast<unsigned long long>(tr.rows_before), tr.sum_before.c_str(),
                   static_cast<unsigned long long>(tr.rows_after), tr.sum_after.c_str());
    }
  std::printf("drill %s: RTO %.2f s, RPO %llu events, %zu/%zu tables match (S = seq %llu); report in %s/report.md "
              "and report.json\n",
              d.ok() ? "PASSED" : "FAILED", d.rto_s, static_cast<unsigned long long>(d.rpo_events),
              d.tables.size() - bad, d.tables.size(), static_cast<unsigned long long>(d.checkpoint_seq),
              a.out.c_str());
  if (!d.ok()) g.exit_code = 1;
}

}  // namespace

void register_drill(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<DrillArgs>();
  auto* cmd = app.add_subcommand(
      "drill",
      "Recovery drill: fingerprint every table of the warehouse (--schema) with its checkpoint S,\n"
      "recover it by replay up to S (into <schema>_drill, or with --destructive into the live\n"
      "schema after dropping it), compare table by table, and write report.md + report.json with\n"
      "the RTO and the RPO. Exit 1 on any mismatch. The fingerprint is one snapshot, so `run` may\n"
      "go on during a scratch drill; stop it before a --destructive one.");
  cmd->add_option("--out", a->out, "Directory for report.md and report.json");
  cmd->add_option("--at", a->at, "Also recover the warehouse as of this time into <schema>_drill_pitr");
  cmd->add_flag("--destructive", a->destructive, "Drop the live schema itself and recover it in place");
  cmd->add_flag("--keep", a->keep, "Keep the scratch schemas for inspection");
  cmd->callback([a, &g] { drill_command(*a, g); });
}

}  // namespace lh::tools
