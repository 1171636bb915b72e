// Read-only queries for `ledgerhouse status` (see pg_status.h).
#include "storage/pg_status.h"

#include <pqxx/pqxx>

#include "storage/pg_writer.h"

namespace lh::storage {

Result<ProjectionErrorSummary> read_projection_errors(const std::string& dsn, const std::string& schema) {
  try {
    pqxx::connection c(dsn);
    pqxx::read_transaction tx(c);
    std::string table = tx.quote_name(schema) + ".projection_errors";
    ProjectionErrorSummary s;
    s.count = tx.exec1("SELECT count(*) FROM " + table)[0].as<uint64_t>();
    auto r = tx.exec("SELECT seq, event_id, projection, owner, message FROM " + table +
                     " ORDER BY seq DESC LIMIT 1");
    if (!r.empty())
      s.newest = ProjectionErrorRow{r[0][0].as<uint64_t>(), r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                                    r[0][3].as<std::string>(), r[0][4].as<std::string>()};
    return s;
  } catch (const std::exception& e) {
    std::string what = e.what();
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    return Error{"reading " + schema + ".projection_errors (" + describe_dsn(dsn) + "): " + what};
  }
}

}  // namespace lh::storage
