#include "storage/warehouse_fingerprint.h"

#include <chrono>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "projections/ddl.h"
#include "storage/pg_writer.h"

namespace lh::storage {

Result<WarehouseFingerprint> fingerprint_warehouse(const std::string& dsn, const projections::Schema& schema) {
  const auto started = std::chrono::steady_clock::now();
  WarehouseFingerprint fp;
  fp.schema = schema.options().schema;
  std::vector<std::string> tables;
  for (const auto& t : schema.tables()) tables.push_back(t.name);
  tables.emplace_back(projections::kDateTable);
  tables.emplace_back(projections::kErrorsTable);
  std::string step = "connecting";
  try {
    pqxx::connection c(dsn);
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    step = "reading the checkpoint";
    std::string cp = projections::qualified(schema, projections::kCheckpointTable);
    if (!tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", cp)[0].as<bool>())
      return Error{fmt::format("schema {} in PostgreSQL ({}) is not an initialized warehouse",
                               projections::quote_ident(fp.schema), describe_dsn(dsn))};
    fp.checkpoint_seq = tx.exec1("SELECT coalesce(min(last_seq), 0) FROM " + cp)[0].as<uint64_t>();
    for (const auto& t : tables) {
      step = "fingerprinting " + projections::qualified(schema, t);
      // Summed as numeric (no overflow), reduced modulo 2^64, printed in hex.
      auto r = tx.exec1(fmt::format(
          "WITH s AS (SELECT count(*) AS n, ((coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint"
          "::numeric), 0) % 18446744073709551616) + 18446744073709551616) % 18446744073709551616 AS m FROM {} AS t) "
          "SELECT n, lpad(to_hex(floor(m / 4294967296)::bigint), 8, '0') || "
          "lpad(to_hex((m % 4294967296)::bigint), 8, '0') FROM s",
          projections::qualified(schema, t)));
      fp.tables.push_back({t, r[0].as<uint64_t>(), r[1].as<std::string>()});
    }
    tx.commit();
  } catch (const std::exception& e) {
    std::string m = e.what();
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    for (char& ch : m)
      if (ch == '\n') ch = ' ';
    return Error{fmt::format("PostgreSQL ({}) failed {}: {}", describe_dsn(dsn), step, m)};
  }
  fp.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return fp;
}

}  // namespace lh::storage
