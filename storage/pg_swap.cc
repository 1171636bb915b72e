// Schema swaps (pg_swap.h): one connection, one transaction per swap.
#include "storage/pg_swap.h"

#include <unistd.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "projections/ddl.h"

namespace lh::storage {

using projections::quote_ident;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

Result<std::string> suffixed(const std::string& live, const char* suffix) {
  std::string name = live + suffix;
  if (name.size() > 63)
    return Error{fmt::format("schema name '{}' is too long for its rebuild companion '{}' (PostgreSQL allows 63 "
                             "bytes): use a warehouse schema name of at most {} characters",
                             live, name, 63 - std::string(suffix).size())};
  return name;
}

std::string first_line(std::string m) {
  if (m.rfind("ERROR:  ", 0) == 0) m.erase(0, 8);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  for (auto& c : m)
    if (c == '\n') c = ' ';
  return m;
}

// Runs body with a fresh connection; libpqxx errors become an Error naming
// `step` (what the statement was doing).
template <typename T, typename F>
Result<T> with_connection(const PgOptions& o, std::string& step, F&& body) {
  step = "connecting";
  try {
    pqxx::connection c(o.dsn);
    pqxx::nontransaction(c).exec0("SET client_min_messages = warning");
    return body(c);
  } catch (const pqxx::sql_error& e) {
    return Error{fmt::format("PostgreSQL ({}) failed {}: {}{}", describe_dsn(o.dsn), step, first_line(e.what()),
                             e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")")};
  } catch (const std::exception& e) {
    return Error{fmt::format("PostgreSQL ({}) failed {}: {}", describe_dsn(o.dsn), step, first_line(e.what()))};
  }
}

uint64_t min_seq(pqxx::work& tx, const std::string& schema) {
  return tx.exec(fmt::format("SELECT coalesce(min(last_seq), 0) FROM {}.{}", quote_ident(schema),
                             quote_ident(projections::kCheckpointTable)))[0][0]
      .as<uint64_t>();
}

// What the live schema knows that the incoming one must keep: vendor roles
// (rows and grants), paused flags, recorded skips.
void carry_over(pqxx::work& tx, const SwapRequest& r, std::string& step) {
  auto q = [](const std::string& schema, std::string_view table) {
    return quote_ident(schema) + "." + quote_ident(table);
  };
  step = "carrying over vendor_roles";
  tx.exec0(fmt::format("INSERT INTO {} (role_name, vendor_id) SELECT role_name, vendor_id FROM {} "
                       "ON CONFLICT (role_name) DO UPDATE SET vendor_id = EXCLUDED.vendor_id",
                       q(r.incoming, projections::kVendorRolesTable), q(r.live, projections::kVendorRolesTable)));
  auto roles = tx.exec(fmt::format("SELECT v.role_name FROM {} v JOIN pg_roles p ON p.rolname = v.role_name "
                                   "ORDER BY 1",
                                   q(r.live, projections::kVendorRolesTable)));
  for (const auto& row : roles) {
    for (const auto& sql : projections::vendor_grants(*r.incoming_schema, quote_ident(row[0].c_str()))) {
      step = "granting `" + sql + "`";
      tx.exec0(sql);
    }
  }
  step = "carrying over paused flags";
  tx.exec0(fmt::format("UPDATE {0} i SET paused = l.paused FROM {1} l WHERE l.projection = i.projection "
                       "AND i.paused IS DISTINCT FROM l.paused",
                       q(r.incoming, projections::kCheckpointTable), q(r.live, projections::kCheckpointTable)));
  step = "carrying over projection_skips";
  tx.exec0(fmt::format("INSERT INTO {} (seq, reason, recorded_at) SELECT seq, reason, recorded_at FROM {} "
                       "ON CONFLICT (seq) DO NOTHING",
                       q(r.incoming, projections::kSkipsTable), q(r.live, projections::kSkipsTable)));
}

}  // namespace

Result<std::string> shadow_schema_name(const std::string& live) { return suffixed(live, "_shadow"); }
Result<std::string> prev_schema_name(const std::string& live) { return suffixed(live, "_prev"); }

Result<bool> schema_exists(const PgOptions& options, const std::string& name) {
  std::string step;
  return with_connection<bool>(options, step, [&](pqxx::connection& c) -> Result<bool> {
    step = "looking up schema " + name;
    pqxx::nontransaction tx(c);
    return tx.exec_params1("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name)[0].as<bool>();
  });
}

Status drop_schema(const PgOptions& options, const std::string& name) {
  std::string step;
  auto r = with_connection<bool>(options, step, [&](pqxx::connection& c) -> Result<bool> {
    step = "dropping schema " + name;
    pqxx::work tx(c);
    // A rebuild's swap may be renaming it right now: wait for it.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", apply_lock_key(name));
    tx.exec0("DROP SCHEMA IF EXISTS " + quote_ident(name) + " CASCADE");
    tx.commit();
    return true;
  });
  if (!r.ok()) return r.error();
  return Status{};
}

struct RebuildLock::Impl {
  pqxx::connection conn;
  explicit Impl(const std::string& dsn) : conn(dsn) {}
};

RebuildLock::RebuildLock(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RebuildLock::~RebuildLock() = default;

Result<std::unique_ptr<RebuildLock>> RebuildLock::take(const PgOptions& options, const std::string& live) {
  std::string step = "connecting";
  try {
    auto impl = std::make_unique<Impl>(options.dsn);
    step = "taking the rebuild lock of " + live;
    pqxx::nontransaction tx(impl->conn);
    bool got = tx.exec_params1("SELECT pg_try_advisory_lock(hashtext($1))", "ledgerhouse rebuild " + live)[0]
                   .as<bool>();
    if (!got)
      return Error{fmt::format("another `ledgerhouse rebuild` of schema {} is running (PostgreSQL {}): wait for "
                               "it or stop it",
                               live, describe_dsn(options.dsn))};
    return std::unique_ptr<RebuildLock>(new RebuildLock(std::move(impl)));
  } catch (const std::exception& e) {
    return Error{fmt::format("PostgreSQL ({}) failed {}: {}", describe_dsn(options.dsn), step, first_line(e.what()))};
  }
}

Result<SwapResult> swap_schemas(const PgOptions& options, const SwapRequest& r) {
  if (!r.incoming_schema || r.incoming_schema->options().schema != r.incoming)
    return Error{"swap_schemas: incoming_schema must describe schema '" + r.incoming + "'"};
  if (r.live == r.incoming || r.live == r.outgoing)
    return Error{"swap_schemas: the live schema '" + r.live + "' cannot also be the incoming or outgoing one"};
  // An older outgoing schema is dropped before the lock: dropping many
  // tables would otherwise lengthen the time live applies wait.
  if (r.outgoing != r.incoming)
    if (Status s = drop_schema(options, r.outgoing); !s.ok()) return s.error();
  std::string step;
  return with_connection<SwapResult>(options, step, [&](pqxx::connection& c) -> Result<SwapResult> {
    SwapResult out;
    pqxx::work tx(c);
    for (const auto& name : {r.live, r.incoming}) {
      step = "looking up schema " + name;
      if (!tx.exec_params1("SELECT to_regclass($1) IS NOT NULL",
                           quote_ident(name) + "." + quote_ident(projections::kCheckpointTable))[0]
               .as<bool>())
        return Error{fmt::format("schema {} is not an initialized warehouse schema (no checkpoint table)",
                                 quote_ident(name))};
    }
    step = "taking the apply lock of " + r.live;
    auto waiting = Clock::now();
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", apply_lock_key(r.live));
    out.lock_wait_ms = ms_since(waiting);
    auto locked = Clock::now();
    step = "reading the checkpoints";
    out.live_seq = min_seq(tx, r.live);
    out.incoming_seq = min_seq(tx, r.incoming);
    // The live run is blocked now; the incoming schema's runner is not:
    // give it the moment it needs to reach the live checkpoint.
    if (r.catch_up_timeout_ms >= 0) {
      while (out.incoming_seq < out.live_seq && ms_since(locked) < r.catch_up_timeout_ms) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        out.incoming_seq = min_seq(tx, r.incoming);
      }
    }
    step = "taking the apply lock of " + r.incoming;
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))", apply_lock_key(r.incoming));
    out.incoming_seq = min_seq(tx, r.incoming);
    if (r.catch_up_timeout_ms >= 0 && out.incoming_seq < out.live_seq) {
      tx.abort();
      out.swap_ms = ms_since(locked);
      return out;  // not caught up: nothing changed
    }
    carry_over(tx, r, step);
    std::string tmp = fmt::format("lh_swap_{}", c.backendpid());
    step = "renaming the schemas";
    tx.exec0(fmt::format("ALTER SCHEMA {} RENAME TO {}", quote_ident(r.incoming), quote_ident(tmp)));
    tx.exec0(fmt::format("ALTER SCHEMA {} RENAME TO {}", quote_ident(r.live), quote_ident(r.outgoing)));
    tx.exec0(fmt::format("ALTER SCHEMA {} RENAME TO {}", quote_ident(tmp), quote_ident(r.live)));
    step = "committing the swap";
    tx.commit();
    out.swap_ms = ms_since(locked);
    out.swapped = true;
    return out;
  });
}

}  // namespace lh::storage
