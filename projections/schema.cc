#include "projections/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace lh::projections {

namespace {

constexpr std::string_view kTableNames[kTableCount] = {
    "dim_vendor",       "dim_customer",       "dim_product",
    "fact_order_line",  "fact_order",         "fact_clickstream",
    "fact_stock",       "fact_vendor_performance", "agg_pageviews_5m",
    "alert_high_latency",
};

ColType attr_type(std::string_view attr) {
  if (attr == "commission_rate" || attr == "list_price") return ColType::numeric;
  if (attr == "weight_g") return ColType::integer;
  return ColType::text;
}

Column col(std::string name, ColType t, bool nullable = true) { return Column{std::move(name), t, nullable}; }
Column sk_col(std::string name) {
  Column c{std::move(name), ColType::bigint, true};
  c.merge_update = false;
  return c;
}

TableSpec dimension_table(Dim d, const Scd2Policy& policy) {
  const DimensionSpec& s = spec(d);
  TableSpec t;
  t.id = dim_table(d);
  t.name = s.table;
  t.columns.push_back(col(s.name + "_sk", ColType::bigint, false));
  t.columns.push_back(col(s.name + "_id", ColType::text, false));
  for (const auto& a : s.attrs) t.columns.push_back(col(a, attr_type(a)));
  // previous_<attr> for type-3 attributes, in attribute order (the order of
  // VersionRow::previous_attrs).
  for (const auto& a : s.attrs) {
    auto it = policy.attrs.find(a);
    if (it != policy.attrs.end() && it->second == AttrPolicy::type3)
      t.columns.push_back(col("previous_" + a, attr_type(a)));
  }
  t.columns.push_back(col("valid_from", ColType::timestamptz, false));
  t.columns.push_back(col("valid_to", ColType::timestamptz, false));
  t.columns.push_back(col("is_current", ColType::boolean, false));
  t.columns.push_back(col("version", ColType::integer, false));
  t.columns.push_back(col("is_deleted", ColType::boolean, false));
  t.columns.push_back(col("is_inferred", ColType::boolean, false));
  t.key_columns = 1;
  if (d == Dim::vendor) t.vendor_column = "vendor_id";
  return t;
}

bool plain_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

}  // namespace

std::string_view to_string(Table t) { return kTableNames[static_cast<size_t>(t)]; }

std::string_view sql_type(ColType t) {
  switch (t) {
    case ColType::bigint: return "bigint";
    case ColType::integer: return "integer";
    case ColType::text: return "text";
    case ColType::numeric: return "numeric";
    case ColType::timestamptz: return "timestamptz";
    case ColType::boolean: return "boolean";
    case ColType::bigint_array: return "bigint[]";
  }
  return "text";
}

std::optional<size_t> TableSpec::column_index(std::string_view n) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == n) return i;
  return std::nullopt;
}

Result<Schema> Schema::make(const WarehouseOptions& options) {
  if (!plain_identifier(options.schema))
    return Error{fmt::format("warehouse schema name '{}': must be a lower-case identifier "
                             "(a-z, 0-9, _; at most 63 characters)", options.schema)};
  for (int d = 0; d < kDimCount; ++d) {
    auto made = Dimension::make(static_cast<Dim>(d), options.policies[d]);
    if (!made.ok()) return made.error();
  }
  if (options.alert_latency_ms < 0) return Error{"alert latency threshold must be >= 0 ms"};
  if (options.date_from_year < 1900 || options.date_to_year > 2200 ||
      options.date_from_year > options.date_to_year)
    return Error{fmt::format("dim_date years {}..{}: must be ordered, within 1900..2200",
                             options.date_from_year, options.date_to_year)};
  for (const auto& h : options.holidays)
    if (!is_date(h)) return Error{fmt::format("holiday '{}': expected YYYY-MM-DD", h)};
  for (int n : {options.customer_shards, options.product_shards, options.order_shards,
                options.traffic_shards})
    if (n < 1 || n > 1024) return Error{fmt::format("shard count {}: must be 1..1024", n)};

  Schema s;
  s.options_ = options;
  for (int d = 0; d < kDimCount; ++d)
    s.tables_.push_back(dimension_table(static_cast<Dim>(d), options.policies[d]));

  TableSpec ol;  // grain: one order line
  ol.id = Table::fact_order_line;
  ol.name = "fact_order_line";
  ol.columns = {col("vendor_id", ColType::text, false), col("order_id", ColType::text, false),
                col("line_no", ColType::integer, false), col("seq", ColType::bigint, false),
                col("order_time", ColType::timestamptz, false), col("date_key", ColType::integer, false),
                col("customer_id", ColType::text, false), sk_col("customer_sk"),
                sk_col("vendor_sk"), col("product_id", ColType::text, false), sk_col("product_sk"),
                col("quantity", ColType::integer, false), col("unit_price", ColType::numeric, false),
                col("amount", ColType::numeric, false), col("freight", ColType::numeric),
                col("currency", ColType::text, false), col("status", ColType::text, false),
                col("status_time", ColType::timestamptz), col("status_seq", ColType::bigint)};
  if (options.test_orders_v2)
    ol.generated.push_back({"gross_amount", ColType::numeric, "amount + coalesce(freight, 0)"});
  ol.key_columns = 3;
  ol.vendor_column = "vendor_id";
  ol.sk_refs = {{Dim::customer, "customer_sk", "customer_id", "order_time"},
                {Dim::vendor, "vendor_sk", "vendor_id", "order_time"},
                {Dim::product, "product_sk", "product_id", "order_time"}};
  s.tables_.push_back(ol);

  TableSpec fo;  // accumulating snapshot: one row per order
  fo.id = Table::fact_order;
  fo.name = "fact_order";
  fo.columns = {col("order_id", ColType::text, false), col("seq", ColType::bigint, false),
                col("customer_id", ColType::text, false), sk_col("customer_sk"),
                col("currency", ColType::text, false), col("lines", ColType::integer, false),
                col("vendors", ColType::integer, false), col("units", ColType::integer, false),
                col("amount", ColType::numeric, false), col("freight", ColType::numeric, false),
                col("date_key", ColType::integer, false), col("placed_time", ColType::timestamptz, false),
                col("approved_time", ColType::timestamptz), col("shipped_time", ColType::timestamptz),
                col("delivered_time", ColType::timestamptz), col("cancelled_time", ColType::timestamptz),
                col("returned_time", ColType::timestamptz), col("status", ColType::text, false)};
  fo.sk_refs = {{Dim::customer, "customer_sk", "customer_id", "placed_time"}};
  s.tables_.push_back(fo);

  TableSpec cs;  // grain: one page view
  cs.id = Table::fact_clickstream;
  cs.name = "fact_clickstream";
  cs.columns = {col("seq", ColType::bigint, false), col("event_id", ColType::text, false),
                col("session_id", ColType::text, false), col("event_time", ColType::timestamptz, false),
                col("date_key", ColType::integer, false), col("url", ColType::text, false),
                col("http_method", ColType::text, false), col("status_code", ColType::integer, false),
                col("latency_ms", ColType::integer, false), col("customer_id", ColType::text),
                sk_col("customer_sk"), col("product_id", ColType::text), sk_col("product_sk"),
                col("vendor_id", ColType::text), sk_col("vendor_sk")};
  cs.vendor_column = "vendor_id";
  cs.insert_only = true;
  cs.sk_refs = {{Dim::customer, "customer_sk", "customer_id", "event_time"},
                {Dim::product, "product_sk", "product_id", "event_time"},
                {Dim::vendor, "vendor_sk", "vendor_id", "event_time"}};
  s.tables_.push_back(cs);

  TableSpec st;  // grain: one stock level change
  st.id = Table::fact_stock;
  st.name = "fact_stock";
  st.columns = {col("vendor_id", ColType::text, false), col("seq", ColType::bigint, false),
                col("event_time", ColType::timestamptz, false), col("date_key", ColType::integer, false),
                col("product_id", ColType::text, false), sk_col("product_sk"),
                col("warehouse", ColType::text, false), col("quantity", ColType::bigint, false),
                col("change", ColType::bigint), col("is_stockout", ColType::boolean, false)};
  st.key_columns = 2;
  st.vendor_column = "vendor_id";
  st.insert_only = true;
  st.sk_refs = {{Dim::product, "product_sk", "product_id", "event_time"}};
  s.tables_.push_back(st);

  // vendor x day (date of the event: order time for orders/lines/units/
  // revenue, status time for cancellations/returns, review and stock times).
  // Revenue is never converted: `currency` is the currency of the day's
  // lines; lines in a second currency make it 'MIXED' and revenue null.
  TableSpec vp;
  vp.id = Table::fact_vendor_performance;
  vp.name = "fact_vendor_performance";
  vp.columns = {col("vendor_id", ColType::text, false), col("date_key", ColType::integer, false),
                col("currency", ColType::text), col("orders", ColType::bigint, false),
                col("lines", ColType::bigint, false), col("units", ColType::bigint, false),
                col("revenue", ColType::numeric), col("cancelled_lines", ColType::bigint, false),
                col("returned_lines", ColType::bigint, false), col("reviews", ColType::bigint, false),
                col("avg_stars", ColType::numeric), col("stockouts", ColType::bigint, false)};
  vp.key_columns = 2;
  vp.vendor_column = "vendor_id";
  s.tables_.push_back(vp);

  TableSpec pv;  // 5-minute window x HTTP method
  pv.id = Table::agg_pageviews_5m;
  pv.name = "agg_pageviews_5m";
  pv.columns = {col("window_start", ColType::timestamptz, false), col("http_method", ColType::text, false),
                col("views", ColType::bigint, false), col("errors", ColType::bigint, false),
                col("avg_latency_ms", ColType::numeric, false), col("max_latency_ms", ColType::bigint, false),
                col("latency_histogram", ColType::bigint_array, false)};
  pv.key_columns = 2;
  s.tables_.push_back(pv);

  TableSpec al;  // one row per page view over the threshold
  al.id = Table::alert_high_latency;
  al.name = "alert_high_latency";
  al.columns = {col("seq", ColType::bigint, false), col("event_time", ColType::timestamptz, false),
                col("session_id", ColType::text, false), col("url", ColType::text, false),
                col("http_method", ColType::text, false), col("status_code", ColType::integer, false),
                col("latency_ms", ColType::integer, false), col("threshold_ms", ColType::integer, false),
                col("customer_id", ColType::text), col("segment", ColType::text),
                col("region", ColType::text), col("vendor_id", ColType::text)};
  al.vendor_column = "vendor_id";
  al.insert_only = true;
  s.tables_.push_back(al);

  s.projections_ = {
      {"dimensions", 1, {Table::dim_vendor, Table::dim_customer, Table::dim_product}},
      {"orders", options.test_orders_v2 ? 2 : 1, {Table::fact_order_line, Table::fact_order}},
      {"clickstream", 1, {Table::fact_clickstream, Table::agg_pageviews_5m, Table::alert_high_latency}},
      {"stock", 1, {Table::fact_stock}},
      {"vendor_performance", 1, {Table::fact_vendor_performance}},
  };
  return s;
}

}  // namespace lh::projections
