// Test helpers for the codecs: one fixed example event per type (readable
// expectations) and a seeded generator of valid random events (coverage of
// optionals, escaping-heavy unicode text, extreme but valid numbers). Every
// event produced here satisfies the v1 contract, so JsonDecoder accepts the
// canonical JSON of it.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "events/event.h"

namespace lh::events {

// 2026-11-20T10:15:00.123Z
constexpr int64_t kExampleTimeUs = 1795169700123000;

// A fixed, hand-written event of type `t`, all optionals present (except
// where noted), so tests can spell out its exact encodings.
inline Event example_event(EventType t) {
  Event e;
  e.event_id = "ev-" + std::to_string(static_cast<int>(t));
  e.type = t;
  e.event_time_us = kExampleTimeUs;
  switch (t) {
    case EventType::vendor_registered:
      e.data = VendorData{"V-1", "Nordic \"Goods\" AB", "SE", "Malmö", "gold",
                          Decimal{125000, 6}, "active"};
      break;
    case EventType::vendor_updated: {
      VendorData d;  // an update carries only what changed
      d.vendor_id = "V-1";
      d.status = "suspended";
      e.data = d;
      break;
    }
    case EventType::customer_registered:
      e.data = CustomerData{"C-12", "Zoë O'Brien", "zoe@example.com", "Dublin", "Leinster",
                            "D02 X285", "IE", "retail"};
      break;
    case EventType::customer_updated: {
      CustomerData d;
      d.customer_id = "C-12";
      d.city = "Cork";
      d.zip = "T12";
      e.data = d;
      break;
    }
    case EventType::customer_deleted:
      e.data = CustomerDeleted{"C-12"};
      break;
    case EventType::product_created:
      e.data = ProductData{"P-3", "Tea kettle 1.7 l", "kitchen", "Kettlr", "V-1",
                           Decimal{1990, 2}, "EUR", 1250};
      break;
    case EventType::product_updated: {
      ProductData d;
      d.product_id = "P-3";
      d.list_price = Decimal{2490, 0};
      d.currency = "JPY";
      e.data = d;
      break;
    }
    case EventType::order_placed:
      e.data = OrderPlaced{"O-9", "C-12", "EUR",
                           {OrderLine{1, "P-3", "V-1", 2, Decimal{1990, 2}, Decimal{495, 2}},
                            OrderLine{2, "P-4", "V-2", 1, Decimal{100000, 2}, std::nullopt}}};
      break;
    case EventType::order_status_changed:
      e.data = OrderStatusChanged{"O-9", OrderStatus::shipped, std::string("V-1"), 1};
      break;
    case EventType::review_submitted:
      e.data = ReviewSubmitted{"R-5",  "O-9", "C-12", "P-3", "V-1", 4,
                               "Good kettle.\nLid is \\tight\\ \xF0\x9F\x98\x80"};
      break;
    case EventType::page_viewed:
      e.data = PageViewed{"S-77", "/p/P-3?ref=home", "GET", 200, 12.5,
                          std::string("C-12"), std::string("P-3"), std::string("V-1")};
      break;
    case EventType::stock_changed:
      e.data = StockChanged{"V-1", "P-3", "WH-MMX", 0};
      break;
  }
  return e;
}

namespace random_detail {

inline uint64_t below(std::mt19937_64& rng, uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng);
}
inline bool coin(std::mt19937_64& rng) { return rng() & 1; }

// Text built from pieces chosen to stress escaping and UTF-8: quotes,
// backslashes, every kind of control character (NUL included), 2-, 3- and
// 4-byte sequences, JSON-looking fragments.
inline std::string text(std::mt19937_64& rng, size_t max_pieces = 8, bool allow_empty = true) {
  static const char* const kPieces[] = {
      "a", "Z", "0", " ", "-", "_", "/", ".", "\"", "\\", "\\\"", "'", "\n", "\r", "\t",
      "\b", "\f", "\x01", "\x1f", "\x7f", "é", "ß", "Ω",
      "中文", "日本", "€", "\xE2\x80\xA8" /* U+2028 */, "\xF0\x9F\x98\x80" /* emoji */,
      "\xF0\x9F\x87\xB8\xF0\x9F\x87\xAA" /* flag */, "{\"x\":1}", "</script>", "%s", "null",
  };
  constexpr size_t kCount = sizeof(kPieces) / sizeof(kPieces[0]);
  std::string s;
  size_t n = below(rng, max_pieces + 1);
  if (n == 0 && !allow_empty) n = 1;
  for (size_t i = 0; i < n; ++i) {
    size_t k = below(rng, kCount + 1);
    if (k == kCount) {
      s.push_back('\0');  // the table cannot hold a NUL piece through const char*
    } else {
      s += kPieces[k];
    }
  }
  if (s.empty() && !allow_empty) s = "x";
  return s;
}

// Ids: non-empty (the contract rejects empty ids), sometimes plain, sometimes
// long (str8/str16 headers) or exotic. event_id is capped by the decoder at
// 255 bytes; other ids are not.
inline std::string id(std::mt19937_64& rng, const char* prefix, size_t max_long = 300) {
  switch (below(rng, 4)) {
    case 0: return std::string(prefix) + std::to_string(below(rng, 1000000));
    case 1: return std::string(prefix) + std::string(40 + below(rng, max_long), 'x');
    case 2: return std::string(prefix) + text(rng, 6, false);
    default: return std::string(prefix) + std::to_string(rng());
  }
}

inline std::optional<std::string> maybe_text(std::mt19937_64& rng) {
  if (coin(rng)) return std::nullopt;
  return text(rng);
}
inline std::optional<std::string> maybe_id(std::mt19937_64& rng, const char* prefix) {
  if (coin(rng)) return std::nullopt;
  return id(rng, prefix);
}

inline std::string currency(std::mt19937_64& rng) {
  static const char* const kCurrencies[] = {"EUR", "USD", "SEK", "JPY", "KRW", "KWD", "BHD", "GBP"};
  return kCurrencies[below(rng, sizeof(kCurrencies) / sizeof(kCurrencies[0]))];
}

// Non-negative money at the currency's scale: 0, small, typical, and up to
// 18 digits of minor units.
inline Decimal money(std::mt19937_64& rng, const std::string& cur) {
  int64_t units;
  switch (below(rng, 5)) {
    case 0: units = 0; break;
    case 1: units = static_cast<int64_t>(below(rng, 100)); break;
    case 2: units = static_cast<int64_t>(below(rng, 100000000)); break;
    case 3: units = 999999999999999999; break;
    default: units = static_cast<int64_t>(below(rng, 1000000000000000000)); break;
  }
  return Decimal{units, static_cast<uint8_t>(currency_decimals(cur))};
}

inline std::string country(std::mt19937_64& rng) {
  static const char* const kCountries[] = {"SE", "DE", "FR", "IE", "JP", "KW", "US", "BR"};
  return kCountries[below(rng, sizeof(kCountries) / sizeof(kCountries[0]))];
}

inline int64_t time_us(std::mt19937_64& rng) {
  // 1970-01-01 .. 2099-12-31, sometimes on a whole millisecond (the JSON
  // form then has 3 fraction digits instead of 6).
  int64_t t = static_cast<int64_t>(below(rng, 4102444800000000));
  if (coin(rng)) t -= t % 1000;
  return t;
}

}  // namespace random_detail

// A valid random event of a random type.
inline Event random_event(std::mt19937_64& rng) {
  using namespace random_detail;
  Event e;
  e.event_id = id(rng, "ev-", 200);
  e.type = kAllEventTypes[below(rng, kEventTypeCount)];
  e.event_time_us = time_us(rng);
  switch (e.type) {
    case EventType::vendor_registered:
    case EventType::vendor_updated: {
      VendorData d;
      d.vendor_id = id(rng, "V-");
      d.name = maybe_text(rng);
      if (coin(rng)) d.country = country(rng);
      d.city = maybe_text(rng);
      if (coin(rng)) d.tier = below(rng, 2) ? "gold" : "silver";
      if (coin(rng)) d.commission_rate = Decimal{static_cast<int64_t>(below(rng, 1000001)), 6};
      if (coin(rng)) {
        static const char* const kStatus[] = {"active", "suspended", "closed"};
        d.status = kStatus[below(rng, 3)];
      }
      e.data = std::move(d);
      break;
    }
    case EventType::customer_registered:
    case EventType::customer_updated: {
      CustomerData d;
      d.customer_id = id(rng, "C-");
      d.name = maybe_text(rng);
      if (coin(rng)) d.email = "u" + std::to_string(below(rng, 100000)) + "@example.com";
      d.city = maybe_text(rng);
      d.region = maybe_text(rng);
      if (coin(rng)) d.zip = std::to_string(below(rng, 100000));
      if (coin(rng)) d.country = country(rng);
      if (coin(rng)) d.segment = below(rng, 2) ? "retail" : "business";
      e.data = std::move(d);
      break;
    }
    case EventType::customer_deleted:
      e.data = CustomerDeleted{id(rng, "C-")};
      break;
    case EventType::product_created:
    case EventType::product_updated: {
      ProductData d;
      d.product_id = id(rng, "P-");
      d.name = maybe_text(rng);
      d.category = maybe_text(rng);
      d.brand = maybe_text(rng);
      d.vendor_id = maybe_id(rng, "V-");
      if (coin(rng)) d.currency = currency(rng);
      if (coin(rng)) d.list_price = money(rng, d.currency.value_or("EUR"));
      if (coin(rng))
        d.weight_g = below(rng, 8) ? static_cast<int64_t>(below(rng, 100000))
                                   : std::numeric_limits<int64_t>::max();
      e.data = std::move(d);
      break;
    }
    case EventType::order_placed: {
      OrderPlaced d;
      d.order_id = id(rng, "O-");
      d.customer_id = id(rng, "C-");
      d.currency = currency(rng);
      // Mostly a few lines; sometimes enough for an array16 header.
      size_t n = below(rng, 10) ? 1 + below(rng, 5) : 16 + below(rng, 20);
      int32_t line_no = 0;
      for (size_t i = 0; i < n; ++i) {
        OrderLine l;
        line_no += 1 + static_cast<int32_t>(below(rng, 3));
        l.line_no = line_no;
        l.product_id = id(rng, "P-");
        l.vendor_id = id(rng, "V-");
        l.quantity = below(rng, 10) ? 1 + static_cast<int64_t>(below(rng, 9))
                                    : std::numeric_limits<int32_t>::max() + int64_t{1};
        l.unit_price = money(rng, d.currency);
        if (coin(rng)) l.freight = money(rng, d.currency);
        d.lines.push_back(std::move(l));
      }
      e.data = std::move(d);
      break;
    }
    case EventType::order_status_changed: {
      OrderStatusChanged d;
      d.order_id = id(rng, "O-");
      d.status = static_cast<OrderStatus>(1 + below(rng, 5));
      d.vendor_id = maybe_id(rng, "V-");
      if (coin(rng)) d.line_no = 1 + static_cast<int32_t>(below(rng, 200));
      e.data = std::move(d);
      break;
    }
    case EventType::review_submitted: {
      ReviewSubmitted d;
      d.review_id = id(rng, "R-");
      d.order_id = maybe_id(rng, "O-");
      d.customer_id = maybe_id(rng, "C-");
      d.product_id = maybe_id(rng, "P-");
      d.vendor_id = id(rng, "V-");
      d.stars = 1 + static_cast<int32_t>(below(rng, 5));
      if (coin(rng)) d.comment = text(rng, 40);
      e.data = std::move(d);
      break;
    }
    case EventType::page_viewed: {
      PageViewed d;
      static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
      d.session_id = id(rng, "S-");
      d.url = "/" + text(rng, 6);
      d.http_method = kMethods[below(rng, 7)];
      d.status_code = 100 + static_cast<int32_t>(below(rng, 500));
      switch (below(rng, 5)) {
        case 0: d.latency_ms = 0; break;
        case 1: d.latency_ms = static_cast<double>(below(rng, 5000)); break;
        case 2: d.latency_ms = 1e15 * std::uniform_real_distribution<double>(0, 1)(rng); break;
        default: d.latency_ms = std::uniform_real_distribution<double>(0, 3000)(rng); break;
      }
      d.customer_id = maybe_id(rng, "C-");
      d.product_id = maybe_id(rng, "P-");
      d.vendor_id = maybe_id(rng, "V-");
      e.data = std::move(d);
      break;
    }
    case EventType::stock_changed: {
      StockChanged d;
      d.vendor_id = id(rng, "V-");
      d.product_id = id(rng, "P-");
      d.warehouse = id(rng, "WH-");
      d.quantity = below(rng, 8) ? static_cast<int64_t>(below(rng, 1000))
                                 : std::numeric_limits<int64_t>::max();
      e.data = std::move(d);
      break;
    }
  }
  return e;
}

}  // namespace lh::events
