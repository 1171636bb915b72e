// The "data" object of each event type -> its typed alternative, with the
// contract's rules per field (DESIGN.md's table). json_decoder.cc reads the
// envelope and hands the data over to decode_data.
#include "events/json_decoder_internal.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "events/validate.h"

namespace lh::events::detail {
namespace {

// The variant's alternative T, reusing the one `out` holds when it matches.
template <class T>
T& data_as(EventData& d) {
  if (auto* p = std::get_if<T>(&d)) return *p;
  return d.emplace<T>();
}

constexpr DecimalRule money_rule(std::string_view currency, int decimals) {
  return DecimalRule{decimals, RejectCode::bad_money, currency, kInt64Max};
}

// ---------------------------------------------------------------------------
// data, per type (field order as in DESIGN.md's table, which is also the
// order in which problems are reported)

bool decode_vendor(Ctx& c, dom::object obj, VendorData& d) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "vendor_id", "name", "country", "city", "tier", "commission_rate", "status"};
  Members<7> m(c, kNames, "data");
  static constexpr DecimalRule kRate{kCommissionRateScale, RejectCode::bad_value, "", 1000000};
  return m.collect(obj) && m.id(0, d.vendor_id) && m.text(1, d.name) && m.country(2, d.country) &&
         m.text(3, d.city) && m.text(4, d.tier) && m.decimal(5, d.commission_rate, kRate) &&
         m.choice(6, d.status, is_vendor_status, "active, suspended, closed");
}

bool decode_customer(Ctx& c, dom::object obj, CustomerData& d) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "customer_id", "name", "email", "city", "region", "zip", "country", "segment"};
  Members<8> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.customer_id) && m.text(1, d.name) && m.text(2, d.email) &&
         m.text(3, d.city) && m.text(4, d.region) && m.text(5, d.zip) && m.country(6, d.country) &&
         m.text(7, d.segment);
}

bool decode_customer_deleted(Ctx& c, dom::object obj, CustomerDeleted& d) {
  static constexpr std::array<std::string_view, 1> kNames = {"customer_id"};
  Members<1> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.customer_id);
}

bool decode_product(Ctx& c, dom::object obj, ProductData& d) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "product_id", "name", "category", "brand", "vendor_id", "list_price", "currency", "weight_g"};
  Members<8> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.product_id) || !m.text(1, d.name) || !m.text(2, d.category) ||
      !m.text(3, d.brand) || !m.id(4, d.vendor_id))
    return false;
  // The currency decides list_price's scale, so it is read first.
  if (!m.currency(6, d.currency)) return false;
  const std::string_view cur = d.currency ? std::string_view(*d.currency) : std::string_view("the default currency");
  const int decimals = d.currency ? currency_decimals(*d.currency) : 2;
  return m.decimal(5, d.list_price, money_rule(cur, decimals)) &&
         m.integer(7, d.weight_g, 0, kInt64Max, RejectCode::bad_value);
}

// Index of the first line whose line_no repeats an earlier line's, or -1.
// Checked after every line decoded, so the result (and which problem is
// reported first) does not depend on the order's size.
int64_t first_duplicate_line(const std::vector<OrderLine>& lines, std::vector<std::pair<int32_t, size_t>>& scratch) {
  const size_t n = lines.size();
  if (n <= 32) {
    for (size_t j = 1; j < n; ++j)
      for (size_t i = 0; i < j; ++i)
        if (lines[i].line_no == lines[j].line_no) return static_cast<int64_t>(j);
    return -1;
  }
  scratch.clear();
  for (size_t i = 0; i < n; ++i) scratch.emplace_back(lines[i].line_no, i);
  std::sort(scratch.begin(), scratch.end());
  int64_t best = -1;
  for (size_t k = 1; k < n; ++k)
    if (scratch[k].first == scratch[k - 1].first && (best < 0 || static_cast<int64_t>(scratch[k].second) < best))
      best = static_cast<int64_t>(scratch[k].second);
  return best;
}

bool decode_line(Ctx& c, dom::object obj, int64_t index, const DecimalRule& money, OrderLine& l) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "line_no", "product_id", "vendor_id", "quantity", "unit_price", "freight"};
  Members<6> m(c, kNames, "data.lines", index);
  return m.collect(obj) && m.integer(0, l.line_no, 1, kInt32Max, RejectCode::bad_value) &&
         m.id(1, l.product_id) && m.id(2, l.vendor_id) &&
         m.integer(3, l.quantity, 1, kInt64Max, RejectCode::bad_quantity) &&
         m.decimal(4, l.unit_price, money) && m.decimal(5, l.freight, money);
}

bool decode_order(Ctx& c, dom::object obj, OrderPlaced& d,
                  std::vector<std::pair<int32_t, size_t>>& scratch) {
  static constexpr std::array<std::string_view, 4> kNames = {"order_id", "customer_id", "currency", "lines"};
  Members<4> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.order_id) || !m.id(1, d.customer_id) || !m.currency(2, d.currency))
    return false;
  const dom::element* lines = m.required(3);
  if (!lines) return false;
  if (lines->type() != element_type::ARRAY) return c.wrong_type(m.path(3), "array", *lines);
  const DecimalRule money = money_rule(d.currency, currency_decimals(d.currency));
  size_t k = 0;
  // Counted while iterating: dom::array::size() saturates at 2^24 - 1.
  // (A named array: value_unsafe() of a temporary result would dangle in a range-for.)
  const dom::array arr = lines->get_array().value_unsafe();
  for (dom::element e : arr) {
    if (e.type() != element_type::OBJECT)
      return c.wrong_type(Path{"data.lines", static_cast<int64_t>(k), ""}, "object", e);
    if (k == d.lines.size()) d.lines.emplace_back();
    if (!decode_line(c, e.get_object().value_unsafe(), static_cast<int64_t>(k), money, d.lines[k])) return false;
    ++k;
  }
  d.lines.resize(k);
  if (k == 0) return c.fail(RejectCode::bad_value, m.path(3), "must not be empty");
  int64_t dup = first_duplicate_line(d.lines, scratch);
  if (dup >= 0)
    return c.fail(RejectCode::bad_value, Path{"data.lines", dup, "line_no"},
                  fmt::format("duplicate line_no {}", d.lines[static_cast<size_t>(dup)].line_no));
  return true;
}

bool decode_status(Ctx& c, dom::object obj, OrderStatusChanged& d) {
  static constexpr std::array<std::string_view, 4> kNames = {"order_id", "status", "vendor_id", "line_no"};
  Members<4> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.order_id)) return false;
  const dom::element* status = m.required(1);
  if (!status) return false;
  if (status->type() != element_type::STRING) return c.wrong_type(m.path(1), "string", *status);
  auto s = order_status_from_string(status->get_string().value_unsafe());
  if (!s)
    return c.fail(RejectCode::bad_value, m.path(1),
                  fmt::format("expected one of approved, shipped, delivered, cancelled, returned; got {}",
                              show(*status)));
  d.status = *s;
  return m.id(2, d.vendor_id) && m.integer(3, d.line_no, 1, kInt32Max, RejectCode::bad_value);
}

bool decode_review(Ctx& c, dom::object obj, ReviewSubmitted& d) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "review_id", "order_id", "customer_id", "product_id", "vendor_id", "stars", "comment"};
  Members<7> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.review_id) && m.id(1, d.order_id) && m.id(2, d.customer_id) &&
         m.id(3, d.product_id) && m.id(4, d.vendor_id) &&
         m.integer(5, d.stars, 1, 5, RejectCode::bad_stars) && m.text(6, d.comment);
}

bool parse_latency(Ctx& c, const Path& p, dom::element e, double& out) {
  const element_type t = e.type();
  if (t != element_type::DOUBLE && t != element_type::INT64 && t != element_type::UINT64)
    return c.wrong_type(p, "number", e);
  double v = e.get_double().value_unsafe();
  // !(v >= 0) also catches NaN; simdjson never yields inf or NaN, but a
  // measurement that is not a finite, non-negative number is not one.
  if (!(v >= 0) || !std::isfinite(v))
    return c.fail(RejectCode::bad_value, p, fmt::format("must be >= 0, got {}", show(e)));
  out = v + 0.0;  // -0.0 -> +0.0: equal values encode to equal bytes
  return true;
}

bool decode_page_view(Ctx& c, dom::object obj, PageViewed& d) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "session_id", "url", "http_method", "status_code", "latency_ms", "customer_id", "product_id", "vendor_id"};
  Members<8> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.session_id) || !m.text(1, d.url) ||
      !m.choice(2, d.http_method, is_http_method, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS") ||
      !m.integer(3, d.status_code, 100, 599, RejectCode::bad_value))
    return false;
  const dom::element* latency = m.required(4);
  return latency && parse_latency(c, m.path(4), *latency, d.latency_ms) && m.id(5, d.customer_id) &&
         m.id(6, d.product_id) && m.id(7, d.vendor_id);
}

bool decode_stock(Ctx& c, dom::object obj, StockChanged& d) {
  static constexpr std::array<std::string_view, 4> kNames = {"vendor_id", "product_id", "warehouse", "quantity"};
  Members<4> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.vendor_id) && m.id(1, d.product_id) && m.id(2, d.warehouse) &&
         m.integer(3, d.quantity, 0, kInt64Max, RejectCode::bad_quantity);
}

}  // namespace

bool decode_data(Ctx& c, EventType type, dom::object obj, EventData& data,
                 std::vector<std::pair<int32_t, size_t>>& scratch) {
  switch (type) {
    case EventType::vendor_registered:
    case EventType::vendor_updated: return decode_vendor(c, obj, data_as<VendorData>(data));
    case EventType::customer_registered:
    case EventType::customer_updated: return decode_customer(c, obj, data_as<CustomerData>(data));
    case EventType::customer_deleted: return decode_customer_deleted(c, obj, data_as<CustomerDeleted>(data));
    case EventType::product_created:
    case EventType::product_updated: return decode_product(c, obj, data_as<ProductData>(data));
    case EventType::order_placed: return decode_order(c, obj, data_as<OrderPlaced>(data), scratch);
    case EventType::order_status_changed: return decode_status(c, obj, data_as<OrderStatusChanged>(data));
    case EventType::review_submitted: return decode_review(c, obj, data_as<ReviewSubmitted>(data));
    case EventType::page_viewed: return decode_page_view(c, obj, data_as<PageViewed>(data));
    case EventType::stock_changed: return decode_stock(c, obj, data_as<StockChanged>(data));
  }
  // Not reached (decode_event passes known types only); the path is the
  // envelope's "type", as when this switch was in decode_event.
  return c.fail(RejectCode::unknown_type, Path{"", -1, "type"}, "unhandled event type");
}

}  // namespace lh::events::detail
