// The warehouse model of ../shared/DESIGN.md as data: every projected table,
// its columns in COPY order, its key, its vendor scoping and its links to the
// SCD dimensions. This is the contract between the projection logic (which
// produces rows in this column order, rows.h) and the PostgreSQL writer
// (storage/pg_writer.h, which creates and merges the tables from it).
//
// Projected tables hold no wall-clock column: a replay of the same log gives
// the same rows byte for byte. Lineage is the source seq; load times live in
// the checkpoint table only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.h"
#include "projections/dimension.h"
#include "projections/scd2.h"

namespace lh::projections {

enum class Table : uint8_t {
  dim_vendor,
  dim_customer,
  dim_product,
  fact_order_line,
  fact_order,
  fact_clickstream,
  fact_stock,
  fact_vendor_performance,
  agg_pageviews_5m,
  alert_high_latency,
};
constexpr int kTableCount = 10;
std::string_view to_string(Table t);
constexpr Table dim_table(Dim d) { return static_cast<Table>(static_cast<int>(d)); }

enum class ColType : uint8_t { bigint, integer, text, numeric, timestamptz, boolean, bigint_array };
std::string_view sql_type(ColType t);

struct Column {
  std::string name;
  ColType type;
  bool nullable = true;
  // false: the column is written when the row is first inserted and is then
  // changed only by repoints (the sk columns of facts), never by a later
  // upsert of the same key.
  bool merge_update = true;
};

// A fact's reference to an SCD dimension: the writer applies a Repoint of
// `dim` as UPDATE <table> SET <sk_column> = sk WHERE <id_column> = natural_id
// AND <time_column> in [from, to).
struct SkRef {
  Dim dim;
  std::string sk_column;
  std::string id_column;
  std::string time_column;
};

// A column PostgreSQL computes (GENERATED ALWAYS AS (expression) STORED):
// not part of the COPY order, never written by the writer.
struct GeneratedColumn {
  std::string name;
  ColType type;
  std::string expression;  // SQL over the table's columns
};

struct TableSpec {
  Table id;
  std::string name;             // unqualified; the schema name is an option
  std::vector<Column> columns;  // in COPY order
  size_t key_columns = 1;       // the first key_columns columns are the primary key
  // Column holding the vendor for row-level security; empty when the table is
  // not vendor-scoped. When set it leads the primary key or, if it is
  // nullable, an index of its own.
  std::string vendor_column;
  // Rows are emitted once and never again (an event's own fact): COPY
  // straight into the table. Otherwise rows are upserted by key.
  bool insert_only = false;
  std::vector<SkRef> sk_refs;
  std::vector<GeneratedColumn> generated;  // after `columns` in the table
  std::optional<size_t> column_index(std::string_view name) const;
};

// The projections that `projection list` shows. All are fed by one pipeline
// and checkpointed in the same transaction; each has its own version so that
// a schema change of one can be rebuilt (issue 4).
struct ProjectionSpec {
  std::string name;
  int version;
  std::vector<Table> tables;
};

// Latency histogram of agg_pageviews_5m: bucket i counts views with
// latency_ms < kLatencyBucketBoundsMs[i] (and >= the previous bound); the last
// bucket counts everything above the last bound.
inline constexpr std::array<int64_t, 11> kLatencyBucketBoundsMs = {10,  25,   50,   100,  250, 500,
                                                                   1000, 2500, 5000, 10000, 30000};
constexpr size_t kLatencyBuckets = kLatencyBucketBoundsMs.size() + 1;

struct WarehouseOptions {
  std::string schema = "dwh";
  std::array<Scd2Policy, kDimCount> policies;  // per Dim; attributes not listed are type 2
  int64_t alert_latency_ms = 2000;             // alert_high_latency: page views slower than this
  std::vector<std::string> holidays;           // "YYYY-MM-DD", for dim_date.is_holiday
  int date_from_year = 2015, date_to_year = 2035;  // dim_date range
  int customer_shards = 4, product_shards = 4, order_shards = 2, traffic_shards = 2;
  // TEST ONLY (docs/rebuild.md): projection `orders` at version 2, whose
  // fact_order_line gains gross_amount = amount + freight (a generated
  // column). Lets tests rebuild a real schema change; never set in production.
  bool test_orders_v2 = false;
  // Bulk replay only (storage/replay_target.h): the owners hold the rows of
  // fact_order, fact_order_line and fact_vendor_performance (whose keys
  // change with every status event, review, ...) instead of flushing them
  // with each batch, and emit them once, final, from Owner::flush_held at
  // the end of a bounded run. Changes no DDL.
  bool hold_fact_rows = false;
};

class Schema {
 public:
  // Validates the options (policies name real attributes, schema is a plain
  // identifier, years ordered, holidays are dates); an Error names the bad one.
  static Result<Schema> make(const WarehouseOptions& options);

  const WarehouseOptions& options() const { return options_; }
  const std::vector<TableSpec>& tables() const { return tables_; }
  const TableSpec& table(Table t) const { return tables_[static_cast<size_t>(t)]; }
  const std::vector<ProjectionSpec>& projections() const { return projections_; }
  // Version of the whole warehouse DDL (checked by init-db and run).
  static constexpr int kDdlVersion = 1;

 private:
  WarehouseOptions options_;
  std::vector<TableSpec> tables_;  // indexed by Table
  std::vector<ProjectionSpec> projections_;
};

}  // namespace lh::projections
