// PgWriter: connection, retries and apply(). Admin verbs: pg_admin.cc.
#include "storage/pg_writer.h"

#include <libpq-fe.h>
#include <pqxx/tablewriter>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "projections/ddl.h"
#include "storage/pg_writer_impl.h"
#include "storage/replay_target.h"

namespace lh::storage {

using projections::CopyLine;
using projections::quote_ident;
using projections::Repoint;
using projections::RowBatch;
using projections::TableSpec;

namespace {

// First line of a libpq/libpqxx message, without "ERROR:  " and the newline.
std::string first_line(std::string m) {
  if (m.rfind("ERROR:  ", 0) == 0) m.erase(0, 8);
  auto nl = m.find('\n');
  if (nl != std::string::npos) m.erase(nl);
  return m;
}

// Whole libpq message on one line (connection failures span two lines).
std::string one_line(std::string m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  std::string out;
  for (char c : m) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// SQLSTATE class 08 (connection exception) and 57P01..57P03 (admin/crash
// shutdown, cannot connect now): the server went away or is (re)starting.
bool connection_state(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

// A refused login (wrong password, unknown role or database, pg_hba) does
// not heal by waiting: fail at once instead of retrying for minutes.
bool permanent_connect_failure(const std::string& m) {
  for (const char* s : {"authentication failed", "does not exist", "no pg_hba.conf entry", "password is missing",
                        "invalid sslmode", "permission denied for database"})
    if (m.find(s) != std::string::npos) return true;
  return false;
}

std::string stage_name(const TableSpec& t, const char* kind) { return fmt::format("pg_temp.lh_{}_{}", kind, t.name); }
constexpr const char* kRepointStage = "pg_temp.lh_repoint";

// Temporary staging tables of this session: per upserted table its shape
// (LIKE), per table its key (deletes), and the repoints. ON COMMIT DELETE
// ROWS empties them at every commit.
void create_staging(PgWriter::Impl& w, pqxx::work& tx) {
  w.step = "creating the temporary staging tables";
  for (const auto& t : w.schema.tables()) {
    if (!t.insert_only)
      // The written columns only: generated ones (schema.h) are computed.
      tx.exec0(fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {} WITH NO DATA",
                           stage_name(t, "up"), projections::column_list(t), w.q(t.name)));
    tx.exec0(fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {} WITH NO DATA",
                         stage_name(t, "del"), projections::key_list(t), w.q(t.name)));
  }
  create_repoint_stage(tx);
}

std::string key_match(const TableSpec& t, const char* a, const char* b) {
  std::string out;
  for (size_t i = 0; i < t.key_columns; ++i)
    out += fmt::format("{}{}.{} = {}.{}", i ? " AND " : "", a, quote_ident(t.columns[i].name), b,
                       quote_ident(t.columns[i].name));
  return out;
}

// INSERT ... ON CONFLICT DO UPDATE of the merge_update columns only (the sk
// columns of facts keep what repoints gave them), skipping rows that would
// not change.
std::string merge_sql(PgWriter::Impl& w, const TableSpec& t) {
  std::string set, mine, theirs;
  for (size_t i = t.key_columns; i < t.columns.size(); ++i) {
    if (!t.columns[i].merge_update) continue;
    std::string c = quote_ident(t.columns[i].name);
    set += fmt::format("{}{} = EXCLUDED.{}", set.empty() ? "" : ", ", c, c);
    mine += fmt::format("{}t.{}", mine.empty() ? "" : ", ", c);
    theirs += fmt::format("{}EXCLUDED.{}", theirs.empty() ? "" : ", ", c);
  }
  std::string action = set.empty() ? "NOTHING"
                                   : fmt::format("UPDATE SET {} WHERE ROW({}) IS DISTINCT FROM ROW({})", set,
                                                 mine, theirs);
  return fmt::format("INSERT INTO {} AS t ({}) SELECT * FROM {} ON CONFLICT ({}) DO {}", w.q(t.name),
                     projections::column_list(t), stage_name(t, "up"), projections::key_list(t), action);
}

// A bulk target (PgOptions::bulk_target): appends the repoints, in order, to
// its replay_repoints table, whose identity column keeps their order across
// batches.
void defer_repoints(PgWriter::Impl& w, pqxx::work& tx, const std::vector<Repoint>& rs) {
  if (rs.empty()) return;
  std::string lines;
  for (const Repoint& r : rs) {
    CopyLine l(lines);
    l.integer(static_cast<int>(r.dim)).text(r.natural_id).integer(r.from_us).integer(r.to_us).integer(r.sk).end();
  }
  const std::string table = w.q(kReplayRepointsTable);
  w.step = "deferring repoints to " + table;
  copy_lines(tx, table + " (dim, natural_id, from_us, to_us, sk)", lines);
}

void apply_errors(PgWriter::Impl& w, pqxx::work& tx, const std::vector<projections::ProjectionError>& errors) {
  if (errors.empty()) return;
  std::string lines;
  for (const auto& e : errors) {
    CopyLine l(lines);
    l.integer(static_cast<int64_t>(e.seq)).text(e.event_id).text(e.projection).text(e.owner).text(e.message).end();
  }
  w.step = fmt::format("recording projection errors in {}", w.q(projections::kErrorsTable));
  copy_lines(tx, w.q(projections::kErrorsTable), lines);
}

// One batch: deletes, inserts (straight COPY), upserts (staging + merge, or
// straight COPY for insert_only tables), repoints in order, errors. `dirty` marks staging
// tables already filled in this transaction (several batches).
void apply_batch(PgWriter::Impl& w, pqxx::work& tx, const RowBatch& b, std::vector<bool>& dirty) {
  const auto& tables = w.schema.tables();
  for (size_t i = 0; i < tables.size(); ++i) {
    const TableSpec& t = tables[i];
    if (!b.deletes[i].empty()) {
      w.step = fmt::format("deleting from {}", w.q(t.name));
      std::string stage = stage_name(t, "del");
      if (dirty[2 * i + 1]) tx.exec0("TRUNCATE " + stage);
      copy_lines(tx, stage, b.deletes[i].copy);
      dirty[2 * i + 1] = true;
      tx.exec0(fmt::format("DELETE FROM {} AS t USING {} AS d WHERE {}", w.q(t.name), stage, key_match(t, "t", "d")));
    }
    if (!b.inserts[i].empty()) {
      // New to the table (rows.h): no staging, no ON CONFLICT. A key that is
      // already there is a producer bug and fails the apply.
      w.step = fmt::format("copying new rows into {}", w.q(t.name));
      copy_lines(tx, w.q(t.name), b.inserts[i].copy);  // generated columns: computed
    }
    if (b.upserts[i].empty()) continue;
    if (w.options.bulk_target && bulk_folded(t)) {
      // Changes of known rows: collected in order, folded by
      // ReplayTarget::finish (PgOptions::bulk_target).
      w.step = fmt::format("collecting rows of {} in {}", w.q(t.name), w.q(replay_rows_table(t)));
      copy_lines(tx, w.q(replay_rows_table(t)) + " (" + projections::column_list(t) + ")", b.upserts[i].copy);
      continue;
    }
    if (t.insert_only) {
      w.step = fmt::format("copying rows into {}", w.q(t.name));
      copy_lines(tx, w.q(t.name), b.upserts[i].copy);
      continue;
    }
    w.step = fmt::format("merging upserts into {}", w.q(t.name));
    std::string stage = stage_name(t, "up");
    if (dirty[2 * i]) tx.exec0("TRUNCATE " + stage);
    copy_lines(tx, stage, b.upserts[i].copy);
    dirty[2 * i] = true;
    tx.exec0(merge_sql(w, t));
  }
  if (w.options.bulk_target) {
    defer_repoints(w, tx, b.repoints);
  } else {
    apply_repoints(tx, w.schema, b.repoints, w.step);
    if (!b.repoints.empty()) tx.exec0(std::string("TRUNCATE ") + kRepointStage);
  }
  apply_errors(w, tx, b.errors);
}

std::string libpq_default(const char* env, const char* fallback) {
  const char* v = std::getenv(env);
  return v && *v ? v : fallback;
}

}  // namespace

void create_repoint_stage(pqxx::work& tx) {
  tx.exec0(fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} (dim smallint NOT NULL, natural_id text NOT NULL, "
                       "from_ts timestamptz NOT NULL, to_ts timestamptz NOT NULL, sk bigint NOT NULL) "
                       "ON COMMIT DELETE ROWS",
                       kRepointStage));
}

void apply_repoints(pqxx::work& tx, const projections::Schema& schema, const std::vector<Repoint>& in,
                    std::string& step) {
  // Disjoint per member (rows.h): one UPDATE per SkRef, whatever the order.
  const std::vector<Repoint> rs = projections::collapse_repoints(in);
  if (rs.empty()) return;
  std::string lines;
  bool dims[projections::kDimCount] = {};
  // Per dimension, the span all its ranges lie in: a redundant bound that
  // lets PostgreSQL use a BRIN index on the time column (ddl.cc).
  int64_t lo[projections::kDimCount], hi[projections::kDimCount];
  for (const Repoint& r : rs) {
    CopyLine l(lines);
    l.integer(static_cast<int>(r.dim)).text(r.natural_id).time_us(r.from_us).time_us(r.to_us).integer(r.sk).end();
    const int d = static_cast<int>(r.dim);
    lo[d] = dims[d] ? std::min(lo[d], r.from_us) : r.from_us;
    hi[d] = dims[d] ? std::max(hi[d], r.to_us) : r.to_us;
    dims[d] = true;
  }
  auto literal = [](int64_t us) {
    std::string s;
    CopyLine(s).time_us(us);
    return "'" + s + "'::timestamptz";
  };
  step = "staging repoints";
  copy_lines(tx, kRepointStage, lines);
  // Without statistics the planner takes the temp table for ~1,000 rows and
  // joins it to a whole fact table; with them (a handful of rows, most
  // often) it probes the member's rows through the id index instead.
  tx.exec0(std::string("ANALYZE ") + kRepointStage);
  for (const auto& t : schema.tables())
    for (const auto& ref : t.sk_refs) {
      if (!dims[static_cast<int>(ref.dim)]) continue;
      const std::string table = projections::qualified(schema, t.name);
      step = fmt::format("repointing {}.{}", table, ref.sk_column);
      std::string sk = quote_ident(ref.sk_column), id = quote_ident(ref.id_column),
                  time = quote_ident(ref.time_column);
      const int d = static_cast<int>(ref.dim);
      std::string span;
      if (lo[d] != projections::kMinusInfinityUs) span += fmt::format(" AND t.{} >= {}", time, literal(lo[d]));
      if (hi[d] != projections::kInfinityUs) span += fmt::format(" AND t.{} < {}", time, literal(hi[d]));
      tx.exec0(fmt::format("UPDATE {} AS t SET {} = r.sk FROM {} r WHERE r.dim = {} AND t.{} = r.natural_id "
                           "AND t.{} >= r.from_ts AND t.{} < r.to_ts AND t.{} IS DISTINCT FROM r.sk{}",
                           table, sk, kRepointStage, d, id, time, time, sk, span));
    }
}

std::string describe_dsn(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (!opts) {
    std::string m = err ? one_line(err) : "out of memory";
    PQfreemem(err);
    return "malformed connection string (" + m + ")";
  }
  std::map<std::string, std::string> kv;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (o->val && *o->val) kv[o->keyword] = o->val;
  PQconninfoFree(opts);
  auto get = [&](const char* k, const char* env, const char* fallback) {
    auto it = kv.find(k);
    return it != kv.end() ? it->second : libpq_default(env, fallback);
  };
  return fmt::format("host={} port={} dbname={} user={}", get("host", "PGHOST", "/var/run/postgresql"),
                     get("port", "PGPORT", "5432"), get("dbname", "PGDATABASE", "(user name)"),
                     get("user", "PGUSER", "(OS user)"));
}

void copy_lines(pqxx::work& tx, const std::string& table, const std::string& lines) {
  if (lines.empty()) return;
  // COPY's protocol does not tie messages to rows, so several lines go in one
  // write. tablewriter is libpqxx 6.4's public raw-line COPY writer
  // (stream_to's write_raw_line is private); it adds the final newline.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter out(tx, table);
  constexpr size_t kChunk = 1 << 20;
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t end = std::min(lines.size(), pos + kChunk);
    if (end < lines.size()) end = lines.find('\n', end - 1) + 1;  // whole lines per chunk
    out.write_raw_line(lines.substr(pos, end - pos - 1));         // without the last '\n'
    pos = end;
  }
  out.complete();
#pragma GCC diagnostic pop
}

std::string PgWriter::Impl::q(std::string_view name) const { return projections::qualified(schema, name); }

bool PgWriter::Impl::initialized(pqxx::work& tx) {
  step = "reading the checkpoint";
  return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", q(projections::kCheckpointTable))[0].as<bool>();
}

Status PgWriter::Impl::run(const std::function<Status(pqxx::connection&, int)>& body) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  int64_t delay_ms = 100;
  for (int attempt = 1;; ++attempt) {
    std::string failure;
    try {
      if (!conn || !conn->is_open()) {
        step = "connecting";
        conn = std::make_unique<pqxx::connection>(options.dsn);
        // IF NOT EXISTS would print a NOTICE per existing object. Staging
        // tables live in temp_buffers (default 8 MB): room for large batches
        // (settable only before the session's first temp table access).
        pqxx::nontransaction(*conn).exec0("SET client_min_messages = warning; SET temp_buffers = '256MB'");
        if (!options.session_sql.empty()) pqxx::nontransaction(*conn).exec0(options.session_sql);
      }
      return body(*conn, attempt);
    } catch (const pqxx::broken_connection& e) {
      failure = one_line(e.what());
      if (step == "connecting" && permanent_connect_failure(failure))
        return Error{fmt::format("PostgreSQL ({}) refused the connection: {}", where, failure)};
    } catch (const pqxx::in_doubt_error& e) {
      failure = "commit outcome unknown: " + one_line(e.what());
    } catch (const pqxx::sql_error& e) {
      // A server going away mid-statement can surface as an sql_error
      // without a SQLSTATE: the connection being gone is what tells.
      if (!connection_state(e.sqlstate()) && conn && conn->is_open())
        return Error{fmt::format("PostgreSQL ({}) failed {}: {}{}", where, step, first_line(e.what()),
                                 e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")")};
      failure = first_line(e.what());
    } catch (const std::exception& e) {
      if (conn && conn->is_open())
        return Error{fmt::format("PostgreSQL ({}) failed {}: {}", where, step, first_line(e.what()))};
      failure = first_line(e.what());  // the connection is lost: retried like a broken one
    }
    conn.reset();
    staged_backend = 0;
    auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (elapsed_ms + delay_ms > int64_t{options.retry_for_s} * 1000)
      return Error{fmt::format("cannot reach PostgreSQL ({}) while {}: {}{}", where, step, failure,
                               options.retry_for_s > 0
                                   ? fmt::format(" (gave up after {} attempts in {:.1f} s)", attempt, elapsed_ms / 1e3)
                                   : "")};
    if (options.on_retry) options.on_retry(failure, attempt, delay_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    delay_ms = std::min<int64_t>(delay_ms * 2, 5000);
  }
}

Result<std::unique_ptr<PgWriter>> PgWriter::connect(const PgOptions& options, const projections::Schema& schema) {
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.dsn.c_str(), &err);
  if (!parsed) {
    std::string m = err ? one_line(err) : "out of memory";
    PQfreemem(err);
    return Error{fmt::format("PostgreSQL connection string '{}' is malformed: {}", options.dsn, m)};
  }
  PQconninfoFree(parsed);
  auto impl = std::make_unique<Impl>(options, schema);
  impl->where = describe_dsn(options.dsn);
  Status st = impl->run([](pqxx::connection&, int) { return Status::Ok(); });
  if (!st.ok()) return st.error();
  return std::unique_ptr<PgWriter>(new PgWriter(std::move(impl)));
}

std::string apply_lock_key(const std::string& schema) { return "ledgerhouse apply " + schema; }

void PgWriter::expect_schema(uint32_t oid) {
  impl_->expected_oid = oid;
  impl_->swapped = false;
}
bool PgWriter::schema_swapped() const { return impl_->swapped; }

PgWriter::PgWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgWriter::~PgWriter() = default;

Status PgWriter::apply(const std::vector<const RowBatch*>& batches) {
  if (batches.empty()) return Status::Ok();
  for (size_t i = 1; i < batches.size(); ++i)
    if (batches[i]->after_seq != batches[i - 1]->last_seq)
      return Error{fmt::format("apply: batch {} starts after seq {} but batch {} ended at seq {} (not consecutive)",
                               i, batches[i]->after_seq, i - 1, batches[i - 1]->last_seq)};
  const uint64_t after = batches.front()->after_seq, last = batches.back()->last_seq;
  if (impl_->options.bulk_target)
    for (const RowBatch* b : batches)
      for (const auto& t : impl_->schema.tables())
        if (bulk_folded(t) && !b->deletes[static_cast<size_t>(t.id)].empty())
          return Error{fmt::format("apply: batch ({}, {}] deletes rows of {}, which a bulk replay target collects "
                                   "without keys (storage/replay_target.h); nothing written",
                                   b->after_seq, b->last_seq, impl_->q(t.name))};
  // One COPY and one merge per table for the whole group (rows.h).
  RowBatch merged;
  if (batches.size() > 1) merged = projections::merge_batches(impl_->schema, batches);
  Impl& w = *impl_;
  return w.run([&](pqxx::connection& c, int attempt) -> Status {
    pqxx::work tx(c);
    // A rebuild's swap takes this lock exclusively: it waits for this
    // transaction, and this one waits for the swap. Then the schema's OID
    // says whether the name still means the schema this writer started on.
    w.step = "taking the apply lock";
    tx.exec_params("SELECT pg_advisory_xact_lock_shared(hashtext($1))", apply_lock_key(w.schema.options().schema));
    if (w.expected_oid != 0) {
      w.step = "checking the schema's identity";
      auto oid = tx.exec_params1("SELECT coalesce((SELECT oid FROM pg_namespace WHERE nspname = $1), 0)",
                                 w.schema.options().schema)[0].as<uint32_t>();
      if (oid != w.expected_oid) {
        w.swapped = true;
        return Error{fmt::format("warehouse schema {} ({}) was swapped by `ledgerhouse rebuild` (or --rollback) "
                                 "since this writer read its checkpoint; nothing written",
                                 quote_ident(w.schema.options().schema), w.where)};
      }
    }
    if (!w.initialized(tx))
      return Error{fmt::format("warehouse schema {} in PostgreSQL ({}) is not initialized: run `ledgerhouse init-db`",
                               quote_ident(w.schema.options().schema), w.where)};
    auto rows = tx.exec(fmt::format("SELECT projection, last_seq FROM {} ORDER BY projection FOR UPDATE",
                                    w.q(projections::kCheckpointTable)));
    bool all_after = true, all_last = true;
    std::string seen;
    for (const auto& r : rows) {
      auto seq = r[1].as<uint64_t>();
      all_after = all_after && seq == after;
      all_last = all_last && seq == last;
      seen += fmt::format("{}{}={}", seen.empty() ? "" : ", ", r[0].c_str(), seq);
    }
    // A retry after a commit whose acknowledgement was lost finds the
    // checkpoint already moved: the batches are in, nothing to do.
    if (attempt > 1 && all_last && !rows.empty()) return Status::Ok();
    if (!all_after || rows.empty())
      return Error{fmt::format("apply: batches start after seq {} but the warehouse checkpoint is {} ({}); "
                               "nothing written",
                               after, seen.empty() ? "empty" : seen, w.q(projections::kCheckpointTable))};
    if (w.staged_backend != c.backendpid()) create_staging(w, tx);
    std::vector<bool> dirty(2 * w.schema.tables().size(), false);
    const RowBatch& all = batches.size() == 1 ? *batches.front() : merged;
    apply_batch(w, tx, all, dirty);
    if (all.held_rows && w.options.bulk_target) {
      // The held rows are in: a resumed replay must not wait for them again.
      w.step = "recording the held rows in " + w.q(kReplayStateTable);
      tx.exec0(fmt::format("UPDATE {} SET held_rows_flushed = true", w.q(kReplayStateTable)));
    }
    w.step = "updating the checkpoint";
    tx.exec_params0(fmt::format("UPDATE {} SET last_seq = $1, updated_at = now()", w.q(projections::kCheckpointTable)),
                    static_cast<int64_t>(last));
    w.step = "committing";
    tx.commit();
    w.staged_backend = c.backendpid();
    return Status::Ok();
  });
}

}  // namespace lh::storage
