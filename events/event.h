// The v1 event contract of ../shared/DESIGN.md as plain C++ types.
// Sources decode into these (json_decoder.h), the log stores them
// (msgpack_codec.h), projections consume them. Money and rates are exact
// decimals (integer units + scale); no double on the way to the warehouse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lh::events {

constexpr uint32_t kCurrentSchemaVersion = 1;

enum class EventType : uint8_t {
  vendor_registered = 1,
  vendor_updated = 2,
  customer_registered = 3,
  customer_updated = 4,
  customer_deleted = 5,
  product_created = 6,
  product_updated = 7,
  order_placed = 8,
  order_status_changed = 9,
  review_submitted = 10,
  page_viewed = 11,
  stock_changed = 12,
};
constexpr int kEventTypeCount = 12;
// All types in declaration order, for iteration (stats, tests).
extern const EventType kAllEventTypes[kEventTypeCount];

std::string_view to_string(EventType t);
std::optional<EventType> event_type_from_string(std::string_view name);

// An exact decimal: value = units / 10^scale. Money is normalised to its
// currency's number of decimals (EUR 2, JPY 0, KWD 3), so two equal amounts
// compare equal field by field.
struct Decimal {
  int64_t units = 0;
  uint8_t scale = 0;
  friend bool operator==(const Decimal& a, const Decimal& b) {
    return a.units == b.units && a.scale == b.scale;
  }
  friend bool operator!=(const Decimal& a, const Decimal& b) { return !(a == b); }
};
// "19.90", "-0.5", "1200": the decimal's text at its own scale.
std::string to_string(const Decimal& d);

// ISO 4217 minor-unit digits for a currency code (2 for codes not in the table).
int currency_decimals(std::string_view currency);

enum class OrderStatus : uint8_t { approved = 1, shipped, delivered, cancelled, returned };
std::string_view to_string(OrderStatus s);
std::optional<OrderStatus> order_status_from_string(std::string_view name);

// vendor_registered, vendor_updated. An *_updated event carries only the
// attributes that changed: absent optionals mean "unchanged".
struct VendorData {
  std::string vendor_id;
  std::optional<std::string> name, country, city, tier;
  std::optional<Decimal> commission_rate;  // 0..1, scale 6
  std::optional<std::string> status;       // active, suspended, closed
  bool operator==(const VendorData&) const;
};

// customer_registered, customer_updated.
struct CustomerData {
  std::string customer_id;
  std::optional<std::string> name, email, city, region, zip, country, segment;
  bool operator==(const CustomerData&) const;
};

struct CustomerDeleted {
  std::string customer_id;
  bool operator==(const CustomerDeleted&) const;
};

// product_created, product_updated.
struct ProductData {
  std::string product_id;
  std::optional<std::string> name, category, brand, vendor_id;
  std::optional<Decimal> list_price;  // scale = currency_decimals(currency or "EUR")
  std::optional<std::string> currency;
  std::optional<int64_t> weight_g;
  bool operator==(const ProductData&) const;
};

struct OrderLine {
  int32_t line_no = 0;
  std::string product_id;
  std::string vendor_id;
  int64_t quantity = 0;          // > 0
  Decimal unit_price;            // scale = currency_decimals(order currency)
  std::optional<Decimal> freight;
  bool operator==(const OrderLine&) const;
};

struct OrderPlaced {
  std::string order_id;
  std::string customer_id;
  std::string currency;
  std::vector<OrderLine> lines;  // at least one
  bool operator==(const OrderPlaced&) const;
};

struct OrderStatusChanged {
  std::string order_id;
  OrderStatus status = OrderStatus::approved;
  std::optional<std::string> vendor_id;  // only that vendor's lines
  std::optional<int32_t> line_no;        // only that line
  bool operator==(const OrderStatusChanged&) const;
};

struct ReviewSubmitted {
  std::string review_id;
  std::optional<std::string> order_id, customer_id, product_id;
  std::string vendor_id;
  int32_t stars = 0;  // 1..5
  std::optional<std::string> comment;
  bool operator==(const ReviewSubmitted&) const;
};

struct PageViewed {
  std::string session_id;
  std::string url;
  std::string http_method;  // GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS
  int32_t status_code = 0;  // 100..599
  double latency_ms = 0;    // >= 0; a measurement, not money
  std::optional<std::string> customer_id, product_id, vendor_id;
  bool operator==(const PageViewed&) const;
};

struct StockChanged {
  std::string vendor_id;
  std::string product_id;
  std::string warehouse;
  int64_t quantity = 0;  // stock level, >= 0
  bool operator==(const StockChanged&) const;
};

using EventData = std::variant<VendorData, CustomerData, CustomerDeleted, ProductData, OrderPlaced,
                               OrderStatusChanged, ReviewSubmitted, PageViewed, StockChanged>;

struct Event {
  std::string event_id;     // the idempotency key, non-empty
  EventType type = EventType::vendor_registered;
  int64_t event_time_us = 0;  // microseconds since the Unix epoch, UTC
  uint32_t schema_version = kCurrentSchemaVersion;
  EventData data;
  bool operator==(const Event&) const;
  bool operator!=(const Event& o) const { return !(*this == o); }
};

// The variant alternative a type's data must hold (e.g. vendor_updated -> VendorData).
size_t data_index_for(EventType t);

// The vendor an event belongs to, when it has exactly one (vendor events,
// stock, reviews, page views with a vendor, product events with a vendor).
// Orders may span vendors: returns nullopt for them.
std::optional<std::string_view> vendor_of(const Event& e);

// Microseconds since the epoch -> "2026-11-20T10:15:00.123456Z" (fraction
// trimmed to milliseconds when the microseconds are zero).
std::string format_time_us(int64_t t_us);
// RFC 3339 ("2026-11-20T10:15:00.123Z", "...+02:00", up to 9 fraction digits,
// truncated to microseconds) -> microseconds since the epoch; nullopt if invalid.
std::optional<int64_t> parse_rfc3339_us(std::string_view text);

}  // namespace lh::events
