// PgWriter's administrative verbs: init-db, the checkpoint, projection
// control (pause, reset, skip) and vendor roles. apply(): pg_writer.cc.
#include <libpq-fe.h>

#include <fmt/format.h>

#include "projections/ddl.h"
#include "storage/pg_writer.h"
#include "storage/pg_writer_impl.h"

namespace lh::storage {

using projections::quote_ident;

namespace {

Status not_initialized(const PgWriter::Impl& w) {
  return Error{fmt::format("warehouse schema {} in PostgreSQL ({}) is not initialized: run `ledgerhouse init-db`",
                           quote_ident(w.schema.options().schema), w.where)};
}

// The password's verifier (SCRAM-SHA-256 or md5, as the server's
// password_encryption says), computed client-side by libpq so the plain
// password never reaches the server's statement log.
Result<std::string> password_verifier(const PgWriter::Impl& w, const std::string& role, const std::string& password) {
  PGconn* c = PQconnectdb(w.options.dsn.c_str());
  std::string err;
  std::string verifier;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else if (char* v = PQencryptPasswordConn(c, password.c_str(), role.c_str(), nullptr)) {
    verifier = v;
    PQfreemem(v);
  } else {
    err = PQerrorMessage(c);
  }
  PQfinish(c);
  if (verifier.empty())
    return Error{fmt::format("grant-vendor: cannot hash the password of role {} with PostgreSQL ({}): {}", role,
                             w.where, err)};
  return verifier;
}

}  // namespace

Status PgWriter::init_db() {
  Impl& w = *impl_;
  return w.run([&](pqxx::connection& c, int) -> Status {
    pqxx::work tx(c);
    // Two init-db at once would race on CREATE ... IF NOT EXISTS.
    w.step = "locking the warehouse schema";
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", "ledgerhouse init-db " + w.schema.options().schema);
    if (w.initialized(tx)) {
      w.step = "checking the DDL version";
      auto r = tx.exec(fmt::format("SELECT coalesce(min(ddl_version), 0), coalesce(max(ddl_version), 0) FROM {}",
                                   w.q(projections::kCheckpointTable)));
      int lo = r[0][0].as<int>(), hi = r[0][1].as<int>();
      if (lo != hi || (hi != 0 && hi != projections::Schema::kDdlVersion))
        return Error{fmt::format("warehouse schema {} ({}) has DDL version {}..{}, this ledgerhouse writes version "
                                 "{}: rebuild it into a new schema (--schema) instead of upgrading in place",
                                 quote_ident(w.schema.options().schema), w.where, lo, hi,
                                 projections::Schema::kDdlVersion)};
    }
    for (const auto& sql : projections::ddl_statements(w.schema)) {
      w.step = "running `" + sql.substr(0, std::min<size_t>(sql.size(), 90)) + "`";
      tx.exec0(sql);
    }
    w.step = "committing";
    tx.commit();
    return Status::Ok();
  });
}

Result<Checkpoint> PgWriter::checkpoint() {
  Impl& w = *impl_;
  Checkpoint cp;
  Status st = w.run([&](pqxx::connection& c, int) -> Status {
    cp = Checkpoint{};
    pqxx::work tx(c);
    if (!w.initialized(tx)) return Status::Ok();
    cp.initialized = true;
    cp.schema_oid = tx.exec_params1("SELECT oid FROM pg_namespace WHERE nspname = $1",
                                    w.schema.options().schema)[0].as<uint32_t>();
    auto rows = tx.exec(fmt::format("SELECT projection, version, last_seq, paused, ddl_version FROM {} ORDER BY projection",
                                    w.q(projections::kCheckpointTable)));
    for (const auto& r : rows) {
      cp.projections.push_back({r[0].as<std::string>(), r[1].as<int>(), r[2].as<uint64_t>(), r[3].as<bool>()});
      cp.ddl_version = std::max(cp.ddl_version, r[4].as<int>());
      cp.last_seq = cp.projections.size() == 1 ? cp.projections.back().last_seq
                                               : std::min(cp.last_seq, cp.projections.back().last_seq);
    }
    w.step = "reading the recorded skips";
    for (const auto& r : tx.exec(fmt::format("SELECT seq FROM {} ORDER BY seq", w.q(projections::kSkipsTable))))
      cp.skips.push_back(r[0].as<uint64_t>());
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return cp;
}

Status PgWriter::set_paused(const std::string& projection, bool paused) {
  Impl& w = *impl_;
  return w.run([&](pqxx::connection& c, int) -> Status {
    pqxx::work tx(c);
    if (!w.initialized(tx)) return not_initialized(w);
    w.step = fmt::format("{} projection {}", paused ? "pausing" : "resuming", projection);
    auto r = tx.exec_params(fmt::format("UPDATE {} SET paused = $2, updated_at = now() WHERE projection = $1",
                                        w.q(projections::kCheckpointTable)),
                            projection, paused);
    if (r.affected_rows() == 0) {
      std::string known;
      for (const auto& p : w.schema.projections()) known += (known.empty() ? "" : ", ") + p.name;
      return Error{fmt::format("no projection named '{}' in {} (known: {})", projection,
                               w.q(projections::kCheckpointTable), known)};
    }
    tx.commit();
    return Status::Ok();
  });
}

Status PgWriter::reset() {
  Impl& w = *impl_;
  return w.run([&](pqxx::connection& c, int) -> Status {
    pqxx::work tx(c);
    if (!w.initialized(tx)) return not_initialized(w);
    std::string tables;
    for (const auto& t : w.schema.tables()) tables += (tables.empty() ? "" : ", ") + w.q(t.name);
    w.step = "truncating the projected tables";
    tx.exec0("TRUNCATE " + tables + ", " + w.q(projections::kErrorsTable));
    w.step = "resetting the checkpoints";
    tx.exec0(fmt::format("UPDATE {} SET last_seq = 0, updated_at = now()", w.q(projections::kCheckpointTable)));
    tx.commit();
    return Status::Ok();
  });
}

Status PgWriter::record_skip(uint64_t seq, const std::string& reason) {
  if (seq == 0) return Error{"projection skip: seq must be >= 1 (the log starts at seq 1)"};
  if (reason.empty()) return Error{"projection skip: a reason is required (--reason)"};
  Impl& w = *impl_;
  return w.run([&](pqxx::connection& c, int) -> Status {
    pqxx::work tx(c);
    if (!w.initialized(tx)) return not_initialized(w);
    w.step = fmt::format("recording the skip of seq {}", seq);
    tx.exec_params0(fmt::format("INSERT INTO {} (seq, reason) VALUES ($1, $2) ON CONFLICT (seq) DO UPDATE "
                                "SET reason = EXCLUDED.reason, recorded_at = now()",
                                w.q(projections::kSkipsTable)),
                    static_cast<int64_t>(seq), reason);
    tx.commit();
    return Status::Ok();
  });
}

Status PgWriter::grant_vendor(const std::string& vendor_id, const std::string& role, const std::string& password) {
  if (vendor_id.empty()) return Error{"grant-vendor: the vendor id is empty"};
  if (role.empty() || role.size() > 63 || role.rfind("pg_", 0) == 0)
    return Error{fmt::format("grant-vendor: role name '{}' must be 1..63 characters and not start with pg_", role)};
  Impl& w = *impl_;
  std::string verifier;
  if (!password.empty()) {
    auto v = password_verifier(w, role, password);
    if (!v.ok()) return v.error();
    verifier = v.value();
  }
  return w.run([&](pqxx::connection& c, int) -> Status {
    pqxx::work tx(c);
    if (!w.initialized(tx)) return not_initialized(w);
    w.step = fmt::format("looking up role {}", role);
    auto r = tx.exec_params(
        "SELECT r.rolsuper, r.rolbypassrls, r.rolname = current_user, "
        "EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = $2 AND n.nspowner = r.oid) "
        "FROM pg_roles r WHERE r.rolname = $1",
        role, w.schema.options().schema);
    const std::string quoted = quote_ident(role);
    if (!r.empty()) {
      // An existing powerful role would bypass row-level security (or own
      // the tables): refuse rather than demote it.
      if (r[0][0].as<bool>() || r[0][1].as<bool>() || r[0][2].as<bool>() || r[0][3].as<bool>())
        return Error{fmt::format("grant-vendor: role '{}' is a superuser, bypasses RLS or owns the warehouse; "
                                 "vendor roles must be dedicated login roles",
                                 role)};
    } else {
      w.step = fmt::format("creating role {}", role);
      tx.exec0(fmt::format("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT", quoted));
    }
    w.step = fmt::format("configuring role {}", role);
    tx.exec0(fmt::format("ALTER ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT{}", quoted,
                         verifier.empty() ? "" : " PASSWORD " + tx.quote(verifier)));
    for (const auto& sql : projections::vendor_grants(w.schema, quoted)) {
      w.step = "granting `" + sql + "`";
      tx.exec0(sql);
    }
    w.step = fmt::format("mapping role {} to vendor {}", role, vendor_id);
    tx.exec_params0(fmt::format("INSERT INTO {} (role_name, vendor_id) VALUES ($1, $2) ON CONFLICT (role_name) "
                                "DO UPDATE SET vendor_id = EXCLUDED.vendor_id",
                                w.q(projections::kVendorRolesTable)),
                    role, vendor_id);
    tx.commit();
    return Status::Ok();
  });
}

}  // namespace lh::storage
