// The dimension specs and the event -> attribute change mapping.
#include "projections/dimension.h"

#include <gtest/gtest.h>

namespace lh::projections {
namespace {

using events::Decimal;
using events::Event;
using events::EventType;

Event make(EventType type, events::EventData data) {
  Event e;
  e.event_id = "ev-1";
  e.type = type;
  e.event_time_us = 1'000'000;
  e.data = std::move(data);
  return e;
}

TEST(Dimension, SpecsNameTablesAndAttributesOfTheContract) {
  EXPECT_EQ(spec(Dim::vendor).table, "dim_vendor");
  EXPECT_EQ(spec(Dim::customer).table, "dim_customer");
  EXPECT_EQ(spec(Dim::product).table, "dim_product");
  EXPECT_EQ(spec(Dim::vendor).name, "vendor");
  EXPECT_EQ(spec(Dim::vendor).attrs,
            (std::vector<std::string>{"name", "country", "city", "tier", "commission_rate", "status"}));
  EXPECT_EQ(spec(Dim::customer).attrs,
            (std::vector<std::string>{"name", "email", "city", "region", "zip", "country", "segment"}));
  EXPECT_EQ(spec(Dim::product).attrs, (std::vector<std::string>{"name", "category", "brand", "vendor_id",
                                                                "list_price", "currency", "weight_g"}));
  for (Dim d : {Dim::vendor, Dim::customer, Dim::product}) EXPECT_EQ(spec(d).dim, d);
}

TEST(Dimension, AttrIndexFindsOnlyTheDimensionsAttributes) {
  EXPECT_EQ(attr_index(Dim::customer, "segment"), 6u);
  EXPECT_EQ(attr_index(Dim::product, "weight_g"), 6u);
  EXPECT_EQ(attr_index(Dim::vendor, "name"), 0u);
  EXPECT_EQ(attr_index(Dim::product, "city"), std::nullopt);
  EXPECT_EQ(attr_index(Dim::customer, "Segment"), std::nullopt);  // names are exact
}

TEST(Dimension, VendorEventCarriesDecimalRateAsExactText) {
  events::VendorData v;
  v.vendor_id = "V-1";
  v.name = "Acme";
  v.commission_rate = Decimal{150000, 6};
  v.status = "active";
  auto c = changes_of(make(EventType::vendor_registered, v));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->dim, Dim::vendor);
  EXPECT_EQ(c->kind, MemberChange::Kind::upsert);
  EXPECT_EQ(c->natural_id, "V-1");
  EXPECT_EQ(c->changes, (std::vector<AttrChange>{{0, "Acme"}, {4, "0.150000"}, {5, "active"}}));
}

TEST(Dimension, UpdateCarriesOnlyThePresentAttributes) {
  events::CustomerData d;
  d.customer_id = "C-7";
  d.city = "Lyon";
  d.segment = "vip";
  auto c = changes_of(make(EventType::customer_updated, d));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->dim, Dim::customer);
  EXPECT_EQ(c->natural_id, "C-7");
  EXPECT_EQ(c->changes, (std::vector<AttrChange>{{2, "Lyon"}, {6, "vip"}}));

  events::CustomerData empty;
  empty.customer_id = "C-7";
  auto none = changes_of(make(EventType::customer_updated, empty));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->changes.empty());
}

TEST(Dimension, CustomerRegistrationMapsEveryAttribute) {
  events::CustomerData d{"C-1", "Ann", "ann@example.com", "Berlin", "BE", "10115", "DE", "retail"};
  auto c = changes_of(make(EventType::customer_registered, d));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->changes, (std::vector<AttrChange>{{0, "Ann"},
                                                 {1, "ann@example.com"},
                                                 {2, "Berlin"},
                                                 {3, "BE"},
                                                 {4, "10115"},
                                                 {5, "DE"},
                                                 {6, "retail"}}));
}

TEST(Dimension, ProductMoneyAndWeightAreDecimalText) {
  events::ProductData p;
  p.product_id = "P-3";
  p.vendor_id = "V-1";
  p.list_price = Decimal{1990, 2};
  p.currency = "EUR";
  p.weight_g = 1200;
  auto c = changes_of(make(EventType::product_created, p));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->dim, Dim::product);
  EXPECT_EQ(c->natural_id, "P-3");
  EXPECT_EQ(c->changes, (std::vector<AttrChange>{{3, "V-1"}, {4, "19.90"}, {5, "EUR"}, {6, "1200"}}));

  p.list_price = Decimal{5, 2};
  p.weight_g = std::nullopt;
  p.currency = std::nullopt;
  p.vendor_id = std::nullopt;
  auto u = changes_of(make(EventType::product_updated, p));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->changes, (std::vector<AttrChange>{{4, "0.05"}}));
}

TEST(Dimension, CustomerDeletedIsARemove) {
  auto c = changes_of(make(EventType::customer_deleted, events::CustomerDeleted{"C-2"}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->dim, Dim::customer);
  EXPECT_EQ(c->kind, MemberChange::Kind::remove);
  EXPECT_EQ(c->natural_id, "C-2");
  EXPECT_TRUE(c->changes.empty());
}

TEST(Dimension, FactEventsAreNotMemberChanges) {
  events::OrderPlaced o;
  o.order_id = "O-1";
  o.customer_id = "C-1";
  o.currency = "EUR";
  EXPECT_FALSE(changes_of(make(EventType::order_placed, o)));
  EXPECT_FALSE(changes_of(make(EventType::stock_changed, events::StockChanged{"V-1", "P-1", "W", 3})));
  // A type whose data does not match is not silently read as another type.
  EXPECT_FALSE(changes_of(make(EventType::vendor_updated, events::CustomerDeleted{"C-1"})));
}

}  // namespace
}  // namespace lh::projections
