#include "projections/ddl.h"

#include <fmt/format.h>

#include <set>

namespace lh::projections {

namespace {

bool is_key_lead(const TableSpec& t, const std::string& column) {
  return t.key_columns > 0 && t.columns[0].name == column;
}

std::string create_table(const Schema& s, const TableSpec& t, bool primary_key) {
  std::string sql = fmt::format("CREATE TABLE IF NOT EXISTS {} (", qualified(s, t.name));
  for (const auto& c : t.columns)
    sql += fmt::format("{} {}{}, ", quote_ident(c.name), sql_type(c.type), c.nullable ? "" : " NOT NULL");
  for (const auto& g : t.generated)
    sql += fmt::format("{} {} GENERATED ALWAYS AS ({}) STORED, ", quote_ident(g.name), sql_type(g.type), g.expression);
  // Upserted rows are updated in place (status changes, counters): free
  // room in each page lets PostgreSQL make those HOT updates (no index
  // entries, when no indexed column changes). Insert-only tables pack full.
  if (primary_key)
    sql += fmt::format("PRIMARY KEY ({})", key_list(t));
  else
    sql.erase(sql.size() - 2);  // the last ", "
  return sql + fmt::format("){}", t.insert_only ? "" : " WITH (fillfactor = 80)");
}

// A btree index <table>_<cols>_idx, or with method "brin" <table>_<cols>_brin.
std::string create_index(const Schema& s, const TableSpec& t, const std::vector<std::string>& cols,
                         const std::string& method = "") {
  std::string name = t.name, list;
  for (const auto& c : cols) {
    name += "_" + c;
    list += (list.empty() ? "" : ", ") + quote_ident(c);
  }
  const std::string suffix = method.empty() ? "_idx" : "_" + method;
  name += suffix;
  if (name.size() > 63) name = name.substr(0, 63 - suffix.size()) + suffix;  // PostgreSQL truncates at 63
  return fmt::format("CREATE INDEX IF NOT EXISTS {} ON {}{} ({})", quote_ident(name), qualified(s, t.name),
                     method.empty() ? "" : " USING " + method, list);
}

// Indexes besides the primary key: the vendor column when it does not lead
// the key (RLS filters on it), a BRIN on each SkRef's time column for
// repoints (unless the id leads the key), and (<dim>_id, valid_from) on
// dimensions for lookups by natural id.
void table_indexes(const Schema& s, const TableSpec& t, std::vector<std::string>& out) {
  if (!t.vendor_column.empty() && !is_key_lead(t, t.vendor_column))
    out.push_back(create_index(s, t, {t.vendor_column}));
  // Facts get no (id, time) btree per SkRef: on fact_clickstream (~70% of
  // the rows) they made the COPY ~2-3x slower (bench/copy), and on
  // fact_order_line/fact_order (session 6) they were half the cost of a new
  // line (bench/project: new-line COPY 2.3 -> 1.05 s, 107k events/s), for
  // repoints that are rare: they are emitted only when a fact can match
  // (dimension_host.h). A BRIN index on each SkRef time column instead (a
  // few pages, next to nothing per COPY; rows arrive roughly in time order):
  // the writer bounds a repoint UPDATE by its ranges' earliest start, so a
  // late change scans the table's recent end, not all of it
  // (docs/postgres.md).
  // An SkRef whose id column leads the primary key (vendor_id of
  // fact_order_line) is served by the key: a repoint reads that member's
  // rows through it and filters them by time. A vendor's rows are few next
  // to the table, and every index more is one more btree insert per new row.
  std::set<std::string> brin;
  for (const auto& r : t.sk_refs) {
    if (!is_key_lead(t, r.id_column) && brin.insert(r.time_column).second)
      out.push_back(create_index(s, t, {r.time_column}, "brin"));
  }
  if (static_cast<int>(t.id) < kDimCount)
    out.push_back(create_index(s, t, {t.columns[1].name, "valid_from"}));
}

void date_dimension(const Schema& s, std::vector<std::string>& out) {
  const auto& o = s.options();
  std::string table = qualified(s, kDateTable);
  out.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (date_key integer PRIMARY KEY, date date NOT NULL UNIQUE, "
      "year integer NOT NULL, quarter integer NOT NULL, month integer NOT NULL, day integer NOT NULL, "
      "weekday integer NOT NULL, is_weekend boolean NOT NULL, is_holiday boolean NOT NULL)",
      table));
  // Holidays were validated as YYYY-MM-DD by Schema::make: safe as literals.
  std::string holidays;
  for (const auto& h : o.holidays) holidays += (holidays.empty() ? "'" : ", '") + h + "'";
  // ON CONFLICT keeps re-runs idempotent, extends a widened range and
  // follows a changed holiday list without rewriting unchanged rows.
  out.push_back(fmt::format(
      "INSERT INTO {0} SELECT to_char(d, 'YYYYMMDD')::integer, d::date, extract(year FROM d)::integer, "
      "extract(quarter FROM d)::integer, extract(month FROM d)::integer, extract(day FROM d)::integer, "
      "extract(isodow FROM d)::integer, extract(isodow FROM d) >= 6, d::date = ANY(ARRAY[{1}]::date[]) "
      "FROM generate_series(DATE '{2:04d}-01-01', DATE '{3:04d}-12-31', INTERVAL '1 day') AS g(d) "
      "ON CONFLICT (date_key) DO UPDATE SET is_holiday = EXCLUDED.is_holiday "
      "WHERE {0}.is_holiday IS DISTINCT FROM EXCLUDED.is_holiday",
      table, holidays, o.date_from_year, o.date_to_year));
}

void bookkeeping(const Schema& s, std::vector<std::string>& out) {
  out.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (projection text PRIMARY KEY, version integer NOT NULL, "
      "last_seq bigint NOT NULL DEFAULT 0, ddl_version integer NOT NULL, paused boolean NOT NULL DEFAULT false, "
      "updated_at timestamptz NOT NULL DEFAULT now())",
      qualified(s, kCheckpointTable)));
  std::string values;
  for (const auto& p : s.projections())
    values += fmt::format("{}('{}', {}, {})", values.empty() ? "" : ", ", p.name, p.version, Schema::kDdlVersion);
  out.push_back(fmt::format("INSERT INTO {} (projection, version, ddl_version) VALUES {} "
                            "ON CONFLICT (projection) DO NOTHING",
                            qualified(s, kCheckpointTable), values));
  out.push_back(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (seq bigint NOT NULL, event_id text NOT NULL, projection text NOT NULL, "
      "owner text NOT NULL, message text NOT NULL)",
      qualified(s, kErrorsTable)));
  out.push_back(fmt::format("CREATE INDEX IF NOT EXISTS projection_errors_seq_idx ON {} (seq)",
                            qualified(s, kErrorsTable)));
  out.push_back(fmt::format("CREATE TABLE IF NOT EXISTS {} (seq bigint PRIMARY KEY, reason text NOT NULL, "
                            "recorded_at timestamptz NOT NULL DEFAULT now())",
                            qualified(s, kSkipsTable)));
  out.push_back(fmt::format("CREATE TABLE IF NOT EXISTS {} (role_name text PRIMARY KEY, vendor_id text NOT NULL)",
                            qualified(s, kVendorRolesTable)));
}

struct View {
  std::string name, body;  // body: SELECT ..., with {s} for the schema
};

const std::vector<View>& views() {
  static const std::vector<View> v = {
      {"v_monthly_sales",
       "SELECT l.vendor_id, date_trunc('month', l.order_time AT TIME ZONE 'UTC')::date AS month, "
       "coalesce(p.category, 'unknown') AS category, coalesce(c.region, 'unknown') AS region, l.currency, "
       "count(DISTINCT l.order_id) AS orders, count(*) AS lines, sum(l.quantity) AS units, "
       "sum(l.amount) AS gross_revenue, "
       "coalesce(sum(l.amount) FILTER (WHERE l.status NOT IN ('cancelled', 'returned')), 0) AS net_revenue "
       "FROM {s}.fact_order_line l LEFT JOIN {s}.dim_product p ON p.product_sk = l.product_sk "
       "LEFT JOIN {s}.dim_customer c ON c.customer_sk = l.customer_sk GROUP BY 1, 2, 3, 4, 5"},
      {"v_top_repeat_customers",
       "SELECT l.vendor_id, l.customer_id, l.currency, count(DISTINCT l.order_id) AS orders, "
       "sum(l.quantity) AS units, sum(l.amount) AS revenue, min(l.order_time) AS first_order_time, "
       "max(l.order_time) AS last_order_time, rank() OVER (PARTITION BY l.vendor_id, l.currency "
       "ORDER BY count(DISTINCT l.order_id) DESC, sum(l.amount) DESC) AS rank "
       "FROM {s}.fact_order_line l GROUP BY l.vendor_id, l.customer_id, l.currency "
       "HAVING count(DISTINCT l.order_id) >= 2"},
      {"v_customers_multi_region",
       "SELECT l.customer_id, count(DISTINCT c.region) AS regions, "
       "string_agg(DISTINCT c.region, ', ' ORDER BY c.region) AS region_list, "
       "count(DISTINCT l.order_id) AS orders, count(DISTINCT l.vendor_id) AS vendors "
       "FROM {s}.fact_order_line l JOIN {s}.dim_customer c ON c.customer_sk = l.customer_sk "
       "WHERE c.region IS NOT NULL GROUP BY l.customer_id HAVING count(DISTINCT c.region) > 1"},
      {"v_product_performance",
       "SELECT l.vendor_id, l.product_id, p.name, p.category, p.brand, l.currency, "
       "count(DISTINCT l.order_id) AS orders, sum(l.quantity) AS units, sum(l.amount) AS revenue, "
       "round(sum(l.amount) / nullif(sum(l.quantity), 0), 2) AS avg_unit_price, "
       "count(*) FILTER (WHERE l.status = 'cancelled') AS cancelled_lines, "
       "count(*) FILTER (WHERE l.status = 'returned') AS returned_lines "
       "FROM {s}.fact_order_line l LEFT JOIN {s}.dim_product p ON p.product_id = l.product_id AND p.is_current "
       "GROUP BY l.vendor_id, l.product_id, p.name, p.category, p.brand, l.currency"},
      {"v_vendor_scorecard",
       "SELECT f.vendor_id, v.name AS vendor_name, v.tier, "
       "make_date(f.date_key / 10000, f.date_key / 100 % 100, 1) AS month, f.currency, "
       "sum(f.orders) AS orders, sum(f.lines) AS lines, sum(f.units) AS units, sum(f.revenue) AS revenue, "
       "sum(f.cancelled_lines) AS cancelled_lines, sum(f.returned_lines) AS returned_lines, "
       "round(sum(f.cancelled_lines)::numeric / nullif(sum(f.lines), 0), 4) AS cancellation_rate, "
       "round(sum(f.returned_lines)::numeric / nullif(sum(f.lines), 0), 4) AS return_rate, "
       "sum(f.reviews) AS reviews, round(sum(f.avg_stars * f.reviews) / "
       "nullif(sum(f.reviews) FILTER (WHERE f.avg_stars IS NOT NULL), 0), 2) AS avg_stars, "
       "sum(f.stockouts) AS stockouts "
       "FROM {s}.fact_vendor_performance f LEFT JOIN {s}.dim_vendor v ON v.vendor_id = f.vendor_id AND v.is_current "
       "GROUP BY f.vendor_id, v.name, v.tier, 4, f.currency"},
  };
  return v;
}

// Row-level security of one vendor-scoped table: ENABLE + FORCE (the owner
// is subject to policies too), a policy giving the owner (the role running
// init-db, which is also the writer's role) every row, and a read-only
// policy giving any other role the rows of the vendor vendor_roles maps it
// to. A role without a mapping gets no rows.
void row_security(const Schema& s, const std::string& table, const std::string& vendor_expr,
                  std::vector<std::string>& out) {
  std::string t = qualified(s, table);
  out.push_back(fmt::format("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", t));
  out.push_back(fmt::format("ALTER TABLE {} FORCE ROW LEVEL SECURITY", t));
  out.push_back(fmt::format("DROP POLICY IF EXISTS owner_all ON {}", t));
  out.push_back(fmt::format("CREATE POLICY owner_all ON {} FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true)", t));
  out.push_back(fmt::format("DROP POLICY IF EXISTS vendor_rows ON {}", t));
  out.push_back(fmt::format("CREATE POLICY vendor_rows ON {} FOR SELECT TO PUBLIC USING ({})", t, vendor_expr));
}

std::string with_schema(std::string body, const std::string& schema) {
  for (size_t at = body.find("{s}"); at != std::string::npos; at = body.find("{s}", at + schema.size()))
    body.replace(at, 3, schema);
  return body;
}

}  // namespace

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string qualified(const Schema& s, std::string_view name) {
  return quote_ident(s.options().schema) + "." + quote_ident(name);
}

std::string key_list(const TableSpec& t) {
  std::string out;
  for (size_t i = 0; i < t.key_columns; ++i) out += (i ? ", " : "") + quote_ident(t.columns[i].name);
  return out;
}

std::string column_list(const TableSpec& t) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i) out += (i ? ", " : "") + quote_ident(t.columns[i].name);
  return out;
}

const std::vector<std::string>& view_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& v : views()) n.push_back(v.name);
    return n;
  }();
  return names;
}

bool bulk_keyless(const TableSpec& t) { return static_cast<int>(t.id) >= kDimCount; }

std::string add_primary_key(const Schema& s, const TableSpec& t) {
  return fmt::format("ALTER TABLE {} ADD PRIMARY KEY ({})", qualified(s, t.name), key_list(t));
}

std::vector<std::string> ddl_statements(const Schema& s, bool bulk) {
  std::vector<std::string> out;
  out.push_back(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s.options().schema)));
  for (const auto& t : s.tables()) {
    out.push_back(create_table(s, t, !(bulk && bulk_keyless(t))));
    if (!bulk) table_indexes(s, t, out);
  }
  date_dimension(s, out);
  bookkeeping(s, out);
  for (const auto& v : views())
    out.push_back(fmt::format("CREATE OR REPLACE VIEW {} WITH (security_invoker = true) AS {}",
                              qualified(s, v.name),
                              with_schema(v.body, quote_ident(s.options().schema))));
  // A vendor role reads its own mapping only; the policies below look it up.
  row_security(s, std::string(kVendorRolesTable), "role_name = current_user", out);
  std::string vendor_of_user = fmt::format("(SELECT r.vendor_id FROM {} r WHERE r.role_name = current_user)",
                                           qualified(s, kVendorRolesTable));
  for (const auto& t : s.tables())
    if (!t.vendor_column.empty())
      row_security(s, t.name, fmt::format("{} = {}", quote_ident(t.vendor_column), vendor_of_user), out);
  return out;
}

std::vector<std::string> vendor_visible_customer_columns(const Schema& s) {
  static const std::set<std::string> pii = {"name", "email", "zip", "previous_name", "previous_email",
                                            "previous_zip"};
  std::vector<std::string> out;
  for (const auto& c : s.table(Table::dim_customer).columns)
    if (!pii.count(c.name)) out.push_back(c.name);
  return out;
}

std::vector<std::string> vendor_grants(const Schema& s, const std::string& role) {
  std::vector<std::string> out;
  out.push_back(fmt::format("GRANT USAGE ON SCHEMA {} TO {}", quote_ident(s.options().schema), role));
  std::vector<std::string> readable = {std::string(kVendorRolesTable), std::string(kDateTable), "dim_product"};
  for (const auto& t : s.tables())
    if (!t.vendor_column.empty()) readable.push_back(t.name);
  for (const auto& v : view_names()) readable.push_back(v);
  for (const auto& name : readable) out.push_back(fmt::format("GRANT SELECT ON {} TO {}", qualified(s, name), role));
  std::string cols;
  for (const auto& c : vendor_visible_customer_columns(s)) cols += (cols.empty() ? "" : ", ") + quote_ident(c);
  out.push_back(fmt::format("GRANT SELECT ({}) ON {} TO {}", cols, qualified(s, "dim_customer"), role));
  return out;
}

}  // namespace lh::projections
