// ReplayTarget: the replay's target schema and its replay_state row.
#include "storage/replay_target.h"

#include <pqxx/pqxx>

#include <fmt/format.h>

#include "projections/ddl.h"
#include "storage/pg_writer.h"
#include "storage/pg_writer_impl.h"

namespace lh::storage {

using projections::quote_ident;

namespace {

std::string one_line(std::string m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  for (char& c : m)
    if (c == '\n' || c == '\t') c = ' ';
  if (m.rfind("ERROR:  ", 0) == 0) m.erase(0, 8);
  return m;
}

// Runs body in a connection to dsn; libpqxx exceptions become an Error
// naming the server and what was being done.
Status with_connection(const std::string& dsn, const std::string& what,
                       const std::function<void(pqxx::connection&)>& body) {
  try {
    pqxx::connection c(dsn);
    pqxx::nontransaction(c).exec0("SET client_min_messages = warning");
    body(c);
    return Status::Ok();
  } catch (const pqxx::broken_connection& e) {
    return Error{fmt::format("cannot reach PostgreSQL ({}) while {}: {}", describe_dsn(dsn), what, one_line(e.what()))};
  } catch (const std::exception& e) {
    return Error{fmt::format("PostgreSQL ({}) failed {}: {}", describe_dsn(dsn), what, one_line(e.what()))};
  }
}

// Folds table t's replay_rows_ table into t: per key, the row t holds (if
// any: it came as an insert) and then the collected lines in pos order fold
// to the last line with the merge_update=false columns of the first. One
// sort by (key, pos) serves both window functions.
void fold(pqxx::work& tx, const projections::Schema& schema, const projections::TableSpec& t) {
  const std::string table = projections::qualified(schema, t.name);
  const std::string rows = projections::qualified(schema, replay_rows_table(t));
  if (!tx.exec1("SELECT EXISTS (SELECT 1 FROM " + rows + ")")[0].as<bool>()) return;
  std::string inner, keys, match;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const std::string c = quote_ident(t.columns[i].name);
    if (i < t.key_columns) {
      keys += (keys.empty() ? "" : ", ") + c;
      match += fmt::format("{}a.{} = b.{}", match.empty() ? "" : " AND ", c, c);
    }
    inner += i < t.key_columns || t.columns[i].merge_update ? c : fmt::format("first_value({0}) OVER w AS {0}", c);
    inner += ", ";
  }
  const std::string cols = projections::column_list(t);
  tx.exec0(fmt::format("CREATE TEMP TABLE lh_fold ON COMMIT DROP AS SELECT {0}, 0::bigint AS pos FROM {1} a "
                       "WHERE EXISTS (SELECT 1 FROM {2} b WHERE {3}) UNION ALL SELECT {0}, pos FROM {2}",
                       cols, table, rows, match));
  tx.exec0(fmt::format("DELETE FROM {} a USING (SELECT DISTINCT {} FROM lh_fold WHERE pos = 0) b WHERE {}", table,
                       keys, match));
  tx.exec0(fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM (SELECT {2}row_number() OVER w AS lh_rn, "
                       "count(*) OVER w AS lh_n FROM lh_fold WINDOW w AS (PARTITION BY {3} ORDER BY pos ROWS "
                       "BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) x WHERE lh_rn = lh_n",
                       table, cols, inner, keys));
  tx.exec0("DROP TABLE lh_fold");
}

}  // namespace

bool bulk_folded(const projections::TableSpec& t) { return projections::bulk_keyless(t) && !t.insert_only; }
std::string replay_rows_table(const projections::TableSpec& t) { return "replay_rows_" + t.name; }

Result<ReplayTargetState> ReplayTarget::inspect(const std::string& dsn, const projections::Schema& schema) {
  ReplayTargetState st;
  const std::string& name = schema.options().schema;
  Status s = with_connection(dsn, "inspecting schema " + quote_ident(name), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    st.schema_exists = tx.exec_params1("SELECT count(*) FROM pg_namespace WHERE nspname = $1", name)[0].as<int>() > 0;
    if (!st.schema_exists) return;
    std::string cp = projections::qualified(schema, projections::kCheckpointTable);
    std::string rs = projections::qualified(schema, kReplayStateTable);
    st.initialized = tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", cp)[0].as<bool>();
    st.replay_made = tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", rs)[0].as<bool>();
    st.bulk = tx.exec_params1("SELECT to_regclass($1) IS NOT NULL",
                              projections::qualified(schema, kReplayRepointsTable))[0].as<bool>();
    if (st.initialized)
      st.checkpoint_seq = tx.exec1("SELECT coalesce(min(last_seq), 0) FROM " + cp)[0].as<uint64_t>();
    if (st.replay_made) {
      auto r = tx.exec("SELECT requested, until_seq, coalesce((extract(epoch FROM until_time) * 1000000)::bigint, 0), "
                       "completed_at IS NOT NULL, indexes_deferred, "
                       "coalesce((to_jsonb(s) ->> 'held_rows_flushed')::boolean, false) FROM " + rs + " s");
      if (r.size() == 1) {
        st.bound.requested = r[0][0].as<std::string>();
        st.bound.until_seq = r[0][1].as<uint64_t>();
        st.bound.until_time_us = r[0][2].as<int64_t>();
        st.complete = r[0][3].as<bool>();
        st.indexes_deferred = r[0][4].as<bool>();
        st.held_rows_flushed = r[0][5].as<bool>();
      } else {
        st.replay_made = false;  // not ours after all: treated as a foreign schema
      }
    }
  });
  if (!s.ok()) return s.error();
  return st;
}

Status ReplayTarget::create(const std::string& dsn, const projections::Schema& schema, const ReplayBound& bound,
                            bool bulk) {
  const std::string& name = schema.options().schema;
  return with_connection(dsn, "creating the replay schema " + quote_ident(name), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    // Two replays into one new name: the second waits here, then fails on
    // the existing schema below instead of interleaving DDL.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "ledgerhouse init-db " + name);
    if (tx.exec_params1("SELECT count(*) FROM pg_namespace WHERE nspname = $1", name)[0].as<int>() > 0)
      throw std::runtime_error("schema " + quote_ident(name) + " already exists");
    for (const auto& sql : projections::ddl_statements(schema, bulk)) tx.exec0(sql);
    if (bulk) {
      tx.exec0(fmt::format("CREATE TABLE {} (pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                           "dim smallint NOT NULL, natural_id text NOT NULL, from_us bigint NOT NULL, "
                           "to_us bigint NOT NULL, sk bigint NOT NULL)",
                           projections::qualified(schema, kReplayRepointsTable)));
      // The written columns (generated ones are computed by the fold's
      // INSERT) and the order they came in.
      for (const auto& t : schema.tables())
        if (bulk_folded(t)) {
          const std::string rows = projections::qualified(schema, replay_rows_table(t));
          tx.exec0(fmt::format("CREATE TABLE {} AS SELECT {} FROM {} WITH NO DATA", rows, projections::column_list(t),
                               projections::qualified(schema, t.name)));
          tx.exec0(fmt::format("ALTER TABLE {} ADD COLUMN pos bigint GENERATED ALWAYS AS IDENTITY", rows));
        }
    }
    tx.exec0(fmt::format("CREATE TABLE {} (requested text NOT NULL, until_seq bigint NOT NULL, "
                         "until_time timestamptz, indexes_deferred boolean NOT NULL, "
                         "held_rows_flushed boolean NOT NULL DEFAULT false, "
                         "started_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz)",
                         projections::qualified(schema, kReplayStateTable)));
    tx.exec_params0(fmt::format("INSERT INTO {} (requested, until_seq, until_time, indexes_deferred) "
                                "VALUES ($1, $2, CASE WHEN $3::bigint = 0 THEN NULL "
                                "ELSE timestamptz 'epoch' + $3::bigint * interval '1 microsecond' END, $4)",
                                projections::qualified(schema, kReplayStateTable)),
                    bound.requested, static_cast<int64_t>(bound.until_seq), bound.until_time_us, bulk);
    tx.commit();
  });
}

Result<uint64_t> ReplayTarget::finish(const std::string& dsn, const projections::Schema& schema) {
  const std::string& name = schema.options().schema;
  uint64_t applied = 0;
  std::string step = "building the indexes of " + quote_ident(name);
  Status s = with_connection(dsn, "finishing the replay into " + quote_ident(name), [&](pqxx::connection& c) {
    // Index builds sort in maintenance_work_mem: more of it, fewer passes.
    pqxx::nontransaction(c).exec0("SET maintenance_work_mem = '512MB'");
    pqxx::work tx(c);
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "ledgerhouse init-db " + name);
    const std::string deferred = projections::qualified(schema, kReplayRepointsTable);
    std::vector<projections::Repoint> repoints;
    if (tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", deferred)[0].as<bool>()) {
      // Sorting a table's rows by key in memory rather than in runs on disk.
      tx.exec0("SET LOCAL work_mem = '1GB'");
      for (const auto& t : schema.tables()) {
        if (!bulk_folded(t)) continue;
        step = "folding " + projections::qualified(schema, replay_rows_table(t)) + " into its table";
        fold(tx, schema, t);
        tx.exec0("DROP TABLE " + projections::qualified(schema, replay_rows_table(t)));
      }
      step = "reading the deferred repoints";
      for (const auto& r : tx.exec("SELECT dim, natural_id, from_us, to_us, sk FROM " + deferred + " ORDER BY pos")) {
        projections::Repoint p;
        p.dim = static_cast<projections::Dim>(r[0].as<int>());
        p.natural_id = r[1].as<std::string>();
        p.from_us = r[2].as<int64_t>();
        p.to_us = r[3].as<int64_t>();
        p.sk = r[4].as<int64_t>();
        repoints.push_back(std::move(p));
      }
      tx.exec0("DROP TABLE " + deferred);
      for (const auto& t : schema.tables()) {
        if (!projections::bulk_keyless(t)) continue;
        step = "adding the primary key of " + projections::qualified(schema, t.name);
        tx.exec0(projections::add_primary_key(schema, t));
      }
    }
    step = "building the indexes of " + quote_ident(name);
    for (const auto& sql : projections::ddl_statements(schema)) tx.exec0(sql);
    // After the indexes: the BRIN ones let each repoint UPDATE skip the
    // block ranges before its earliest start (ddl.cc).
    if (!repoints.empty()) {
      create_repoint_stage(tx);
      apply_repoints(tx, schema, repoints, step);
      applied = repoints.size();
    }
    tx.exec0(fmt::format("UPDATE {} SET completed_at = now() WHERE completed_at IS NULL",
                         projections::qualified(schema, kReplayStateTable)));
    tx.commit();
  });
  if (!s.ok()) return Error{s.error().message + " (while " + step + ")"};
  return applied;
}

}  // namespace lh::storage
