#include "tools/replay.h"

#include <chrono>

#include <fmt/format.h>

#include "events/event.h"
#include "projections/ddl.h"
#include "storage/pg_writer.h"

namespace lh::tools {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

Result<storage::ReplayBound> resolve_bound(const storage::EventLog& log, const ReplayRequest& r) {
  storage::ReplayBound b;
  const uint64_t head = log.last_seq();
  if (r.until_seq && r.until_time_us) return Error{"--until-seq and --until-time exclude each other: give one"};
  if (r.until_seq) {
    // 0 (only from callers, the command wants N >= 1): an empty warehouse,
    // e.g. the drill of a warehouse that has applied nothing yet.
    if (*r.until_seq > head)
      return Error{fmt::format("--until-seq {} is beyond the event log's head (last seq {} in {})", *r.until_seq,
                               head, log.dir())};
    b.until_seq = *r.until_seq;
    b.requested = fmt::format("seq {}", b.until_seq);
  } else if (r.until_time_us) {
    auto seq = log.seq_at_time(*r.until_time_us);
    if (!seq.ok()) return Error{"--until-time: " + seq.error().message};
    b.until_seq = *seq;
    b.until_time_us = *r.until_time_us;
    b.requested = "time " + events::format_time_us(*r.until_time_us);
  } else {
    b.until_seq = head;
    b.requested = fmt::format("log head (seq {})", head);
  }
  return b;
}

}  // namespace

Result<int64_t> parse_until_time(std::string_view text) {
  std::string s(text);
  // Accept psql's "+00" / "+0530" offsets and a missing zone (UTC) by
  // normalizing to RFC 3339's "+hh:mm" / "Z".
  size_t t = s.find_first_of("Tt ");
  size_t zone = t == std::string::npos ? std::string::npos : s.find_first_of("+-Zz", t);
  if (t != std::string::npos) {
    if (zone == std::string::npos) {
      s += "Z";
    } else if (s[zone] == '+' || s[zone] == '-') {
      std::string off = s.substr(zone + 1);
      if (off.size() == 2 && all_digits(off)) s += ":00";
      else if (off.size() == 4 && all_digits(off)) s.insert(zone + 3, ":");
    }
  }
  auto us = events::parse_rfc3339_us(s);
  if (!us)
    return Error{fmt::format("--until-time '{}' is not a time: use RFC 3339 (2026-11-20T10:15:00Z, "
                             "2026-11-20T12:15:00.5+02:00) or psql's form (2026-11-20 10:15:00.123456+00)",
                             text)};
  return *us;
}

Result<ReplaySummary> replay_into(const storage::EventLog& log, const ReplayRequest& request) {
  const auto started = Clock::now();
  auto schema = projections::Schema::make(request.target);
  if (!schema.ok()) return Error{"--into: " + schema.error().message};
  const std::string name = projections::quote_ident(request.target.schema);
  auto bound = resolve_bound(log, request);
  if (!bound.ok()) return bound.error();

  auto state = storage::ReplayTarget::inspect(request.dsn, *schema);
  if (!state.ok()) return state.error();
  ReplaySummary summary;
  summary.bound = *bound;
  if (!state->schema_exists) {
    if (auto s = storage::ReplayTarget::create(request.dsn, *schema, *bound, request.defer_indexes); !s.ok())
      return s.error();
  } else if (!state->replay_made) {
    return Error{fmt::format(
        "schema {} already exists and was not made by `replay` ({}): replay into a new schema, or drop it "
        "first (DROP SCHEMA {} CASCADE) if it is to be rebuilt",
        name,
        state->initialized ? fmt::format("a warehouse at seq {}", state->checkpoint_seq) : "not a warehouse",
        name)};
  } else {
    const auto& had = state->bound;
    // No bound given: go on to the bound the schema was started with.
    bool explicit_bound = request.until_seq || request.until_time_us;
    bool same = !explicit_bound || had.requested == bound->requested;
    if (!same && state->complete)
      return Error{fmt::format("schema {} already holds a complete replay to {} (seq {}); replay to {} into "
                               "another schema",
                               name, had.requested, had.until_seq, bound->requested)};
    if (!same)
      return Error{fmt::format("schema {} holds a partial replay to {} (applied up to seq {} of {}); run it again "
                               "with that bound to resume, or drop the schema to replay to {} instead",
                               name, had.requested, state->checkpoint_seq, had.until_seq, bound->requested)};
    summary.bound = had;
    if (state->complete) {
      summary.outcome = ReplaySummary::Outcome::already_complete;
      summary.resumed_after = summary.applied_seq = state->checkpoint_seq;
      summary.total_s = since(started);
      return summary;
    }
  }

  storage::PgOptions po;
  po.dsn = request.dsn;
  po.retry_for_s = 60;
  if (request.synchronous_commit_off) po.session_sql = "SET synchronous_commit = off";
  // A bulk target made now, or resumed (an older one may have none).
  po.bulk_target = state->schema_exists ? state->bulk : request.defer_indexes;
  po.on_retry = [&](const std::string& what, int attempt, int64_t delay_ms) {
    if (request.runner.on_notice)
      request.runner.on_notice(fmt::format("PostgreSQL: {} (attempt {}, retrying in {} ms)", what, attempt, delay_ms));
  };
  // A bulk load holds the rows of the tables whose keys change all the time
  // and writes them once, final, at the end (WarehouseOptions::hold_fact_rows).
  projections::WarehouseOptions run_options = request.target;
  run_options.hold_fact_rows = po.bulk_target;
  auto run_schema = projections::Schema::make(run_options);
  if (!run_schema.ok()) return Error{"--into: " + run_schema.error().message};
  const bool held_rows_owed = po.bulk_target && !(state->schema_exists && state->held_rows_flushed) &&
                              summary.bound.until_seq > 0;
  auto writer = storage::PgWriter::connect(po, *run_schema);
  if (!writer.ok()) return writer.error();
  auto cp = (*writer)->checkpoint();
  if (!cp.ok()) return cp.error();
  summary.resumed_after = cp->last_seq;
  summary.applied_seq = cp->last_seq;
  if (request.on_start) request.on_start(summary.bound, cp->last_seq);

  if (cp->last_seq < summary.bound.until_seq || held_rows_owed) {
    actors::RunnerOptions ro = request.runner;
    ro.start_seq = cp->last_seq;
    ro.until_seq = summary.bound.until_seq;
    ro.until_caught_up = false;
    ro.skips = cp->skips;
    ro.appending = nullptr;
    actors::ProjectionSink sink;
    storage::PgWriter* w = writer->get();
    sink.apply = [w](const std::vector<const projections::RowBatch*>& b) { return w->apply(b); };
    auto r = actors::run_projection(log, *run_schema, std::move(sink), ro);
    summary.load_s = since(started);
    if (!r.ok()) return Error{fmt::format("replay into {}: {}", name, r.error().message)};
    summary.applied_seq = r->last.applied_seq;
    summary.applies = r->last.applies;
    summary.events = r->last.applied_seq - cp->last_seq;
    if (r->stopped && r->last.applied_seq < summary.bound.until_seq) {
      summary.outcome = ReplaySummary::Outcome::interrupted;
      summary.total_s = since(started);
      return summary;
    }
  }
  // A stop that came with the last batch: the indexes are left for the rerun.
  if (request.runner.stop && request.runner.stop->load()) {
    summary.outcome = ReplaySummary::Outcome::interrupted;
    summary.total_s = since(started);
    return summary;
  }
  if (request.on_finishing) request.on_finishing();
  auto t = Clock::now();
  auto finished = storage::ReplayTarget::finish(request.dsn, *schema);
  if (!finished.ok()) return finished.error();
  summary.deferred_repoints = *finished;
  summary.index_s = since(t);
  summary.total_s = since(started);
  return summary;
}

}  // namespace lh::tools
