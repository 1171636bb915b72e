#include "tools/projection_versions.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include <fmt/format.h>

namespace lh::tools {

std::vector<VersionDiff> version_diffs(const projections::Schema& code, const storage::Checkpoint& cp) {
  std::map<std::string, VersionDiff> all;
  for (const auto& p : code.projections()) all[p.name] = {p.name, 0, p.version};
  for (const auto& p : cp.projections) {
    auto& d = all[p.name];
    d.projection = p.name;
    d.warehouse = p.version;
  }
  std::vector<VersionDiff> out;
  for (const auto& [name, d] : all)
    if (d.warehouse != d.code) out.push_back(d);
  return out;
}

std::string describe(const std::vector<VersionDiff>& diffs) {
  std::string out;
  for (const auto& d : diffs)
    out += fmt::format("{}projection {}: warehouse version {}, this ledgerhouse version {}", out.empty() ? "" : "; ",
                       d.projection, d.warehouse ? std::to_string(d.warehouse) : "(none)",
                       d.code ? std::to_string(d.code) : "(none)");
  return out;
}

namespace {

// What `run` says while it waits: an older warehouse waits for `rebuild`, a
// newer one (swapped in by a newer ledgerhouse) is left alone.
std::string waiting_message(const std::string& schema, const std::vector<VersionDiff>& diffs) {
  bool newer = false;
  for (const auto& d : diffs) newer = newer || d.warehouse > d.code;
  if (newer)
    return fmt::format("schema {} holds a newer warehouse than this ledgerhouse projects ({}): not writing into "
                       "it; waiting (run the newer ledgerhouse instead, or `ledgerhouse rebuild --rollback`)",
                       schema, describe(diffs));
  // One projection: "serving version 1 unchanged"; several: "serving
  // versions orders 1, stock 1 unchanged".
  std::string versions;
  for (const auto& d : diffs)
    if (d.warehouse)
      versions += (versions.empty() ? "" : ", ") +
                  (diffs.size() == 1 ? std::to_string(d.warehouse) : fmt::format("{} {}", d.projection, d.warehouse));
  return fmt::format("schema {}: {}: serving version{} {} unchanged; run `ledgerhouse rebuild` (waiting for it to "
                     "swap in this version)",
                     schema, describe(diffs), diffs.size() > 1 ? "s" : "", versions.empty() ? "(none)" : versions);
}

}  // namespace

std::optional<storage::Checkpoint> await_matching_versions(storage::PgWriter& w, const projections::Schema& code,
                                                           const GlobalOptions& g, const std::atomic<bool>& stop,
                                                           int poll_ms) {
  std::string said;
  for (;;) {
    auto cp = w.checkpoint();
    if (!cp.ok()) throw CommandError("reading the checkpoint: " + cp.error().message);
    if (!cp->initialized)
      throw CommandError("schema '" + g.schema + "' is not initialized: run `ledgerhouse init-db` first");
    if (cp->ddl_version != projections::Schema::kDdlVersion)
      throw CommandError(fmt::format("schema '{}' has DDL version {}, this ledgerhouse expects {}: "
                                     "rebuild it (ledgerhouse projection reset + run)",
                                     g.schema, cp->ddl_version, projections::Schema::kDdlVersion));
    auto diffs = version_diffs(code, *cp);
    if (diffs.empty()) {
      if (!said.empty())
        std::fprintf(stderr, "%sschema %s now has this ledgerhouse's projection versions: projecting\n",
                     progress_enabled(g) ? "\r\033[K" : "", g.schema.c_str());
      return cp.value();
    }
    std::string m = waiting_message(g.schema, diffs);
    if (m != said) std::fprintf(stderr, "%s%s\n", progress_enabled(g) ? "\r\033[K" : "", m.c_str());
    said = m;
    for (int waited = 0; waited < std::max(poll_ms, 500); waited += 50) {
      if (stop) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

SchemaWatch::SchemaWatch(const GlobalOptions& g, const projections::Schema& schema, uint32_t oid,
                         const std::atomic<bool>& stop, std::atomic<bool>& run_stop) {
  storage::PgOptions o;
  o.dsn = g.pg_dsn;
  o.retry_for_s = 0;  // an unreachable server is the run's business, not the watch's
  thread_ = std::thread([this, o, schema, oid, &stop, &run_stop] {
    std::unique_ptr<storage::PgWriter> w;
    for (int tick = 1; !done_; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (stop) run_stop = true;
      if (tick % 20 != 0 || swapped_) continue;
      if (!w) {
        auto c = storage::PgWriter::connect(o, schema);
        if (!c.ok()) continue;
        w = std::move(c.value());
      }
      auto cp = w->checkpoint();
      if (!cp.ok()) {
        w.reset();
        continue;
      }
      if (cp->schema_oid != oid) {
        swapped_ = true;
        run_stop = true;
      }
    }
  });
}

bool SchemaWatch::end() {
  done_ = true;
  if (thread_.joinable()) thread_.join();
  return swapped_;
}

}  // namespace lh::tools
