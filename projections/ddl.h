// The warehouse DDL as SQL text, generated from the Schema (schema.h): the
// tables, their keys and indexes, dim_date, the bookkeeping tables, the
// analysts' views and row-level security. storage/pg_writer runs it (init-db)
// and grants vendor roles; this file only builds text, it opens no connection.
//
// Every statement is idempotent (IF NOT EXISTS, CREATE OR REPLACE, DROP
// POLICY IF EXISTS + CREATE in the same transaction), so init-db can run on
// an existing warehouse and changes nothing. Decisions: docs/postgres.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "projections/schema.h"

namespace lh::projections {

// "dwh"."fact_order_line": a table (or view, or function) of the warehouse
// schema, quoted.
std::string qualified(const Schema& s, std::string_view name);
// Double-quoted SQL identifier ("a""b" for a"b).
std::string quote_ident(std::string_view name);
// "vendor_id", "order_id", "line_no": the first key_columns columns.
std::string key_list(const TableSpec& t);
// Every column, in COPY order, comma-separated and quoted.
std::string column_list(const TableSpec& t);

// The statements of init-db, in order. They run in one transaction.
// bulk: for a fresh schema a replay bulk-loads (storage/replay_target.h):
// no secondary indexes, and the fact and aggregate tables without their
// primary keys (bulk_keyless); the replay adds them (add_primary_key) and
// then runs the full statements, which build the rest.
std::vector<std::string> ddl_statements(const Schema& s, bool bulk = false);

// Created without a primary key in a bulk load: the fact and aggregate
// tables (every table but the dimensions).
bool bulk_keyless(const TableSpec& t);
// ALTER TABLE ... ADD PRIMARY KEY (key columns): the same constraint and
// index (<table>_pkey) as the CREATE TABLE of ddl_statements.
std::string add_primary_key(const Schema& s, const TableSpec& t);

// Names of the analysts' views (unqualified), each with a vendor_id column
// except v_customers_multi_region (see docs/postgres.md).
const std::vector<std::string>& view_names();

// Bookkeeping tables (unqualified names).
inline constexpr std::string_view kCheckpointTable = "checkpoint";
inline constexpr std::string_view kErrorsTable = "projection_errors";
inline constexpr std::string_view kSkipsTable = "projection_skips";
inline constexpr std::string_view kVendorRolesTable = "vendor_roles";
inline constexpr std::string_view kDateTable = "dim_date";

// What a vendor role may read, as GRANT statements to `role` (a quoted
// identifier): USAGE on the schema, SELECT on the vendor-scoped tables (RLS
// filters them), on dim_product and dim_date, on the non-PII columns of
// dim_customer, and on the views. Never any write privilege.
std::vector<std::string> vendor_grants(const Schema& s, const std::string& quoted_role);

// dim_customer columns a vendor role may read: everything but name, email
// and zip (and their previous_ columns).
std::vector<std::string> vendor_visible_customer_columns(const Schema& s);

}  // namespace lh::projections
