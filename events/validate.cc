#include "events/validate.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace lh::events {

namespace {

bool all_upper(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char ch : s)
    if (ch < 'A' || ch > 'Z') return false;
  return true;
}

// Accumulates the first violation; later checks are skipped once one failed.
class Checker {
 public:
  std::optional<Rejection> result;

  bool ok() const { return !result; }

  void fail(RejectCode code, std::string field, std::string_view what) {
    if (result) return;
    std::string message = field.empty() ? std::string(what) : field + ": " + std::string(what);
    result = Rejection{code, std::move(field), std::move(message)};
  }

  void id(const std::string& v, const std::string& field) {
    if (v.empty()) fail(RejectCode::empty_id, field, "must not be empty");
  }
  void id(const std::optional<std::string>& v, const std::string& field) {
    if (v) id(*v, field);
  }
  void country(const std::optional<std::string>& v, const std::string& field) {
    if (v && !is_country_code(*v))
      fail(RejectCode::bad_value, field, "expected 2 uppercase letters (ISO 3166-1 alpha-2)");
  }
  void currency(const std::string& v, const std::string& field) {
    if (!is_currency_code(v))
      fail(RejectCode::bad_value, field, "expected 3 uppercase letters (ISO 4217)");
  }
  void money(const Decimal& d, int decimals, const std::string& field) {
    if (d.units < 0) fail(RejectCode::bad_money, field, "must be >= 0, got " + to_string(d));
    if (d.scale != decimals)
      fail(RejectCode::bad_money, field,
           fmt::format("scale {} differs from the currency's {} decimals", d.scale, decimals));
  }
};

// First j such that line_no of lines[j] equals that of an earlier line, or -1.
// Sorting keeps this O(n log n) for huge orders; the answer does not depend on
// which method found it.
long first_duplicate_line(const std::vector<OrderLine>& lines) {
  const size_t n = lines.size();
  if (n <= 32) {
    for (size_t j = 1; j < n; ++j)
      for (size_t i = 0; i < j; ++i)
        if (lines[i].line_no == lines[j].line_no) return static_cast<long>(j);
    return -1;
  }
  std::vector<std::pair<int32_t, size_t>> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.emplace_back(lines[i].line_no, i);
  std::sort(v.begin(), v.end());
  long best = -1;
  for (size_t k = 1; k < n; ++k)
    if (v[k].first == v[k - 1].first && (best < 0 || static_cast<long>(v[k].second) < best))
      best = static_cast<long>(v[k].second);
  return best;
}

void check_data(Checker& c, const VendorData& d) {
  c.id(d.vendor_id, "data.vendor_id");
  c.country(d.country, "data.country");
  if (d.commission_rate) {
    const Decimal& r = *d.commission_rate;
    if (r.scale != kCommissionRateScale || r.units < 0 || r.units > 1000000)
      c.fail(RejectCode::bad_value, "data.commission_rate", "must be 0..1 at scale 6, got " + to_string(r));
  }
  if (d.status && !is_vendor_status(*d.status))
    c.fail(RejectCode::bad_value, "data.status", "expected one of active, suspended, closed");
}

void check_data(Checker& c, const CustomerData& d) {
  c.id(d.customer_id, "data.customer_id");
  c.country(d.country, "data.country");
}

void check_data(Checker& c, const CustomerDeleted& d) { c.id(d.customer_id, "data.customer_id"); }

void check_data(Checker& c, const ProductData& d) {
  c.id(d.product_id, "data.product_id");
  c.id(d.vendor_id, "data.vendor_id");
  if (d.currency) c.currency(*d.currency, "data.currency");
  if (d.list_price)
    c.money(*d.list_price, d.currency ? currency_decimals(*d.currency) : 2, "data.list_price");
  if (d.weight_g && *d.weight_g < 0)
    c.fail(RejectCode::bad_value, "data.weight_g", fmt::format("must be >= 0, got {}", *d.weight_g));
}

void check_data(Checker& c, const OrderPlaced& d) {
  c.id(d.order_id, "data.order_id");
  c.id(d.customer_id, "data.customer_id");
  c.currency(d.currency, "data.currency");
  if (d.lines.empty()) c.fail(RejectCode::bad_value, "data.lines", "must not be empty");
  const int decimals = currency_decimals(d.currency);
  for (size_t i = 0; i < d.lines.size() && c.ok(); ++i) {
    const OrderLine& l = d.lines[i];
    const std::string p = fmt::format("data.lines[{}].", i);
    if (l.line_no < 1)
      c.fail(RejectCode::bad_value, p + "line_no", fmt::format("must be > 0, got {}", l.line_no));
    c.id(l.product_id, p + "product_id");
    c.id(l.vendor_id, p + "vendor_id");
    if (l.quantity <= 0)
      c.fail(RejectCode::bad_quantity, p + "quantity", fmt::format("must be > 0, got {}", l.quantity));
    c.money(l.unit_price, decimals, p + "unit_price");
    if (l.freight) c.money(*l.freight, decimals, p + "freight");
  }
  if (!c.ok()) return;
  long dup = first_duplicate_line(d.lines);
  if (dup >= 0)
    c.fail(RejectCode::bad_value, fmt::format("data.lines[{}].line_no", dup),
           fmt::format("duplicate line_no {}", d.lines[static_cast<size_t>(dup)].line_no));
}

void check_data(Checker& c, const OrderStatusChanged& d) {
  c.id(d.order_id, "data.order_id");
  if (!order_status_from_string(to_string(d.status)))
    c.fail(RejectCode::bad_value, "data.status",
           fmt::format("not an order status: {}", static_cast<int>(d.status)));
  c.id(d.vendor_id, "data.vendor_id");
  if (d.line_no && *d.line_no < 1)
    c.fail(RejectCode::bad_value, "data.line_no", fmt::format("must be > 0, got {}", *d.line_no));
}

void check_data(Checker& c, const ReviewSubmitted& d) {
  c.id(d.review_id, "data.review_id");
  c.id(d.order_id, "data.order_id");
  c.id(d.customer_id, "data.customer_id");
  c.id(d.product_id, "data.product_id");
  c.id(d.vendor_id, "data.vendor_id");
  if (d.stars < 1 || d.stars > 5)
    c.fail(RejectCode::bad_stars, "data.stars", fmt::format("must be 1..5, got {}", d.stars));
}

void check_data(Checker& c, const PageViewed& d) {
  c.id(d.session_id, "data.session_id");
  if (!is_http_method(d.http_method))
    c.fail(RejectCode::bad_value, "data.http_method",
           "expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
  if (d.status_code < 100 || d.status_code > 599)
    c.fail(RejectCode::bad_value, "data.status_code",
           fmt::format("must be 100..599, got {}", d.status_code));
  // !(x >= 0) also catches NaN.
  if (!(d.latency_ms >= 0) || !std::isfinite(d.latency_ms) || std::signbit(d.latency_ms))
    c.fail(RejectCode::bad_value, "data.latency_ms",
           fmt::format("must be a finite number >= 0, got {}", d.latency_ms));
  c.id(d.customer_id, "data.customer_id");
  c.id(d.product_id, "data.product_id");
  c.id(d.vendor_id, "data.vendor_id");
}

void check_data(Checker& c, const StockChanged& d) {
  c.id(d.vendor_id, "data.vendor_id");
  c.id(d.product_id, "data.product_id");
  c.id(d.warehouse, "data.warehouse");
  if (d.quantity < 0)
    c.fail(RejectCode::bad_quantity, "data.quantity", fmt::format("must be >= 0, got {}", d.quantity));
}

}  // namespace

bool is_http_method(std::string_view s) {
  return s == "GET" || s == "POST" || s == "PUT" || s == "PATCH" || s == "DELETE" || s == "HEAD" ||
         s == "OPTIONS";
}

bool is_vendor_status(std::string_view s) {
  return s == "active" || s == "suspended" || s == "closed";
}

bool is_currency_code(std::string_view s) { return all_upper(s, 3); }
bool is_country_code(std::string_view s) { return all_upper(s, 2); }

std::optional<Rejection> check_invariants(const Event& e) {
  Checker c;
  if (e.event_id.empty()) c.fail(RejectCode::empty_id, "event_id", "must not be empty");
  if (e.event_id.size() > kMaxEventIdBytes)
    c.fail(RejectCode::bad_value, "event_id",
           fmt::format("longer than {} bytes ({})", kMaxEventIdBytes, e.event_id.size()));
  if (!event_type_from_string(to_string(e.type)))
    c.fail(RejectCode::unknown_type, "type",
           fmt::format("not a v1 event type: {}", static_cast<int>(e.type)));
  if (e.event_time_us < kMinEventTimeUs || e.event_time_us > kMaxEventTimeUs)
    c.fail(RejectCode::bad_timestamp, "event_time",
           fmt::format("outside 1970..9999: {} us", e.event_time_us));
  if (e.schema_version < 1)
    c.fail(RejectCode::bad_value, "schema_version", "must be >= 1, got 0");
  if (e.schema_version > kCurrentSchemaVersion)
    c.fail(RejectCode::unsupported_version, "schema_version",
           fmt::format("version {} is newer than this build supports ({})", e.schema_version,
                       kCurrentSchemaVersion));
  if (!c.ok()) return c.result;
  if (e.data.index() != data_index_for(e.type)) {
    c.fail(RejectCode::bad_value, "data",
           fmt::format("holds alternative {} but type {} needs {}", e.data.index(), to_string(e.type),
                       data_index_for(e.type)));
    return c.result;
  }
  std::visit([&c](const auto& d) { check_data(c, d); }, e.data);
  return c.result;
}

}  // namespace lh::events
