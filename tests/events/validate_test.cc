// check_invariants: an Event built by hand (as another decoder or a buggy
// producer might) is judged by the same rules, codes and paths as JSON input.
#include "events/validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace lh::events {
namespace {

Event make(EventType t, EventData d) {
  Event e;
  e.event_id = "ev-1";
  e.type = t;
  e.event_time_us = 1795169700123000;
  e.data = std::move(d);
  return e;
}

Event good_order() {
  return make(EventType::order_placed,
              OrderPlaced{"O-1", "C-1", "EUR",
                          {OrderLine{1, "P-1", "V-1", 2, Decimal{1990, 2}, Decimal{450, 2}},
                           OrderLine{2, "P-2", "V-2", 1, Decimal{5, 2}, {}}}});
}

// Applies `breakit` to a valid event and expects exactly (code, field).
void expect_violation(Event e, const std::function<void(Event&)>& breakit, RejectCode code,
                      const std::string& field) {
  ASSERT_EQ(check_invariants(e), std::nullopt) << "the starting event must be valid";
  breakit(e);
  auto r = check_invariants(e);
  ASSERT_TRUE(r.has_value()) << field;
  EXPECT_EQ(to_string(r->code), to_string(code)) << r->message;
  EXPECT_EQ(r->field, field) << r->message;
  EXPECT_EQ(r->message.rfind(field + ": ", 0), 0u) << r->message;
}

TEST(CheckInvariants, AcceptsAValidEventOfEveryType) {
  EXPECT_EQ(check_invariants(make(EventType::vendor_registered,
                                  VendorData{"V-1", "Acme", "DE", {}, {}, Decimal{150000, 6}, "active"})),
            std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::customer_updated, CustomerData{"C-1", {}, {}, {}, {}, {}, "FR", {}})),
            std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::customer_deleted, CustomerDeleted{"C-1"})), std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::product_created,
                                  ProductData{"P-1", {}, {}, {}, "V-1", Decimal{1200, 0}, "JPY", 0})),
            std::nullopt);
  EXPECT_EQ(check_invariants(good_order()), std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::order_status_changed,
                                  OrderStatusChanged{"O-1", OrderStatus::returned, "V-1", 2})),
            std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::review_submitted, ReviewSubmitted{"R-1", {}, {}, {}, "V-1", 5, {}})),
            std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::page_viewed, PageViewed{"S-1", "/", "HEAD", 599, 0.0, {}, {}, {}})),
            std::nullopt);
  EXPECT_EQ(check_invariants(make(EventType::stock_changed, StockChanged{"V-1", "P-1", "W-1", 0})), std::nullopt);
}

TEST(CheckInvariants, EnvelopeRules) {
  expect_violation(good_order(), [](Event& e) { e.event_id.clear(); }, RejectCode::empty_id, "event_id");
  expect_violation(good_order(), [](Event& e) { e.event_id.assign(kMaxEventIdBytes + 1, 'x'); },
                   RejectCode::bad_value, "event_id");
  expect_violation(good_order(), [](Event& e) { e.type = static_cast<EventType>(99); }, RejectCode::unknown_type,
                   "type");
  expect_violation(good_order(), [](Event& e) { e.event_time_us = -1; }, RejectCode::bad_timestamp, "event_time");
  expect_violation(good_order(), [](Event& e) { e.event_time_us = kMaxEventTimeUs + 1; },
                   RejectCode::bad_timestamp, "event_time");
  expect_violation(good_order(), [](Event& e) { e.schema_version = 0; }, RejectCode::bad_value, "schema_version");
  expect_violation(good_order(), [](Event& e) { e.schema_version = kCurrentSchemaVersion + 1; },
                   RejectCode::unsupported_version, "schema_version");
}

TEST(CheckInvariants, DataMustMatchTheType) {
  expect_violation(good_order(), [](Event& e) { e.type = EventType::order_status_changed; }, RejectCode::bad_value,
                   "data");
  expect_violation(make(EventType::vendor_updated, VendorData{"V-1", {}, {}, {}, {}, {}, {}}),
                   [](Event& e) { e.type = EventType::customer_updated; }, RejectCode::bad_value, "data");
}

TEST(CheckInvariants, OrderLineRulesNameTheLine) {
  auto line = [](Event& e) -> OrderLine& { return std::get<OrderPlaced>(e.data).lines[1]; };
  expect_violation(good_order(), [&](Event& e) { line(e).quantity = 0; }, RejectCode::bad_quantity,
                   "data.lines[1].quantity");
  expect_violation(good_order(), [&](Event& e) { line(e).line_no = 0; }, RejectCode::bad_value,
                   "data.lines[1].line_no");
  expect_violation(good_order(), [&](Event& e) { line(e).line_no = 1; }, RejectCode::bad_value,
                   "data.lines[1].line_no");
  expect_violation(good_order(), [&](Event& e) { line(e).vendor_id.clear(); }, RejectCode::empty_id,
                   "data.lines[1].vendor_id");
  expect_violation(good_order(), [&](Event& e) { line(e).unit_price = Decimal{-1, 2}; }, RejectCode::bad_money,
                   "data.lines[1].unit_price");
  expect_violation(good_order(), [&](Event& e) { line(e).unit_price = Decimal{5, 3}; }, RejectCode::bad_money,
                   "data.lines[1].unit_price");
  expect_violation(good_order(), [&](Event& e) { line(e).freight = Decimal{5, 0}; }, RejectCode::bad_money,
                   "data.lines[1].freight");
  expect_violation(good_order(), [](Event& e) { std::get<OrderPlaced>(e.data).currency = "JPY"; },
                   RejectCode::bad_money, "data.lines[0].unit_price");
  expect_violation(good_order(), [](Event& e) { std::get<OrderPlaced>(e.data).currency = "eur"; },
                   RejectCode::bad_value, "data.currency");
  expect_violation(good_order(), [](Event& e) { std::get<OrderPlaced>(e.data).lines.clear(); },
                   RejectCode::bad_value, "data.lines");
}

TEST(CheckInvariants, DuplicateLineNumbersInLargeOrders) {
  Event e = make(EventType::order_placed, OrderPlaced{"O-1", "C-1", "EUR", {}});
  auto& lines = std::get<OrderPlaced>(e.data).lines;
  for (int i = 1; i <= 200; ++i) lines.push_back(OrderLine{i, "P", "V", 1, Decimal{100, 2}, {}});
  expect_violation(e, [](Event& e) {
    auto& l = std::get<OrderPlaced>(e.data).lines;
    l[150].line_no = 3;
    l[120].line_no = 7;
  }, RejectCode::bad_value, "data.lines[120].line_no");
}

TEST(CheckInvariants, ScalarDomains) {
  Event vendor = make(EventType::vendor_updated, VendorData{"V-1", {}, {}, {}, {}, {}, {}});
  expect_violation(vendor, [](Event& e) { std::get<VendorData>(e.data).commission_rate = Decimal{1000001, 6}; },
                   RejectCode::bad_value, "data.commission_rate");
  expect_violation(vendor, [](Event& e) { std::get<VendorData>(e.data).commission_rate = Decimal{1, 2}; },
                   RejectCode::bad_value, "data.commission_rate");
  expect_violation(vendor, [](Event& e) { std::get<VendorData>(e.data).status = "paused"; },
                   RejectCode::bad_value, "data.status");
  expect_violation(vendor, [](Event& e) { std::get<VendorData>(e.data).country = "DEU"; },
                   RejectCode::bad_value, "data.country");

  Event product = make(EventType::product_updated, ProductData{"P-1", {}, {}, {}, {}, Decimal{100, 2}, {}, {}});
  expect_violation(product, [](Event& e) { std::get<ProductData>(e.data).currency = "KWD"; },
                   RejectCode::bad_money, "data.list_price");
  expect_violation(product, [](Event& e) { std::get<ProductData>(e.data).weight_g = -1; },
                   RejectCode::bad_value, "data.weight_g");
  expect_violation(product, [](Event& e) { std::get<ProductData>(e.data).vendor_id = ""; },
                   RejectCode::empty_id, "data.vendor_id");

  Event review = make(EventType::review_submitted, ReviewSubmitted{"R-1", {}, {}, {}, "V-1", 3, {}});
  expect_violation(review, [](Event& e) { std::get<ReviewSubmitted>(e.data).stars = 6; }, RejectCode::bad_stars,
                   "data.stars");
  expect_violation(review, [](Event& e) { std::get<ReviewSubmitted>(e.data).order_id = ""; },
                   RejectCode::empty_id, "data.order_id");

  Event page = make(EventType::page_viewed, PageViewed{"S-1", "/", "GET", 200, 1.5, {}, {}, {}});
  expect_violation(page, [](Event& e) { std::get<PageViewed>(e.data).http_method = "get"; },
                   RejectCode::bad_value, "data.http_method");
  expect_violation(page, [](Event& e) { std::get<PageViewed>(e.data).status_code = 99; },
                   RejectCode::bad_value, "data.status_code");
  expect_violation(page, [](Event& e) { std::get<PageViewed>(e.data).latency_ms = -0.0; },
                   RejectCode::bad_value, "data.latency_ms");
  expect_violation(page, [](Event& e) { std::get<PageViewed>(e.data).latency_ms = std::nan(""); },
                   RejectCode::bad_value, "data.latency_ms");
  expect_violation(page, [](Event& e) {
    std::get<PageViewed>(e.data).latency_ms = std::numeric_limits<double>::infinity();
  }, RejectCode::bad_value, "data.latency_ms");

  Event status = make(EventType::order_status_changed, OrderStatusChanged{"O-1", OrderStatus::shipped, {}, {}});
  expect_violation(status, [](Event& e) { std::get<OrderStatusChanged>(e.data).status = static_cast<OrderStatus>(0); },
                   RejectCode::bad_value, "data.status");
  expect_violation(status, [](Event& e) { std::get<OrderStatusChanged>(e.data).line_no = 0; },
                   RejectCode::bad_value, "data.line_no");

  Event stock = make(EventType::stock_changed, StockChanged{"V-1", "P-1", "W-1", 5});
  expect_violation(stock, [](Event& e) { std::get<StockChanged>(e.data).quantity = -1; },
                   RejectCode::bad_quantity, "data.quantity");
  expect_violation(stock, [](Event& e) { std::get<StockChanged>(e.data).warehouse.clear(); },
                   RejectCode::empty_id, "data.warehouse");
}

TEST(CheckInvariants, CodeShapes) {
  EXPECT_TRUE(is_currency_code("EUR"));
  EXPECT_FALSE(is_currency_code("EU"));
  EXPECT_FALSE(is_currency_code("EUr"));
  EXPECT_TRUE(is_country_code("DE"));
  EXPECT_FALSE(is_country_code("D1"));
  EXPECT_TRUE(is_http_method("OPTIONS"));
  EXPECT_FALSE(is_http_method("CONNECT"));
  EXPECT_TRUE(is_vendor_status("suspended"));
  EXPECT_FALSE(is_vendor_status("Active"));
}

}  // namespace
}  // namespace lh::events
