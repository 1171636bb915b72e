#include "tools/command.h"

#include <unistd.h>

#include <fmt/format.h>

namespace lh::tools {

bool progress_enabled(const GlobalOptions& g) { return !g.quiet && isatty(STDERR_FILENO); }

std::unique_ptr<storage::EventLog> open_log(const GlobalOptions& g, bool read_only,
                                            storage::Durability durability) {
  storage::LogOptions o;
  o.dir = g.data_dir;
  o.read_only = read_only;
  o.durability = durability;
  auto log = storage::EventLog::open(o);
  if (!log.ok()) throw CommandError(log.error().message);
  return std::move(*log);
}

std::string human_count(double n) {
  if (n >= 1e9) return fmt::format("{:.2f}G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string human_bytes(double n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", n) : fmt::format("{:.1f} {}", n, units[u]);
}

projections::Schema warehouse_schema(const GlobalOptions& g) {
  projections::WarehouseOptions wo = g.warehouse;
  wo.schema = g.schema;
  wo.test_orders_v2 = g.test_orders_v2;
  auto schema = projections::Schema::make(wo);
  if (!schema.ok()) throw CommandError("warehouse options: " + schema.error().message, 2);
  return std::move(*schema);
}

}  // namespace lh::tools
