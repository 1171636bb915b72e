// The dimensions' events (simulation.h): vendors, products and customers
// registering, and their changes over time (tier, commission, city, status,
// address, segment, e-mail, price, fixed listings) and GDPR deletions.
#include "tools/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "tools/generator_catalog.h"

namespace lh::tools::gen {

using events::EventType;

void Simulation::register_vendor(uint32_t i) {
  Vendor& v = vendors_[i];
  v.registered_ms = now_;
  const City& city = kCities[v.city];
  begin(EventType::vendor_registered, now_, false, 0);
  field_id("vendor_id", 'V', i + 1);
  key("name");
  fmt::format_to(out(), "\"{} {} {}\"", kVendorWords1[rng_.below(16)], kVendorWords2[rng_.below(16)],
                 company_suffix(city.country));
  field_raw("country", city.country);
  field_text("city", city.name);
  field_raw("tier", kTiers[v.tier]);
  field_rate("commission_rate", v.commission);
  field_raw("status", kVendorStatus[v.status]);
  end();
  if (i + 1 < vendors_.size())
    at(start_ms_ + static_cast<int64_t>((i + 1) * (2 * kMinute) / vendors_.size()),
       Act::vendor_register, i + 1);
}

void Simulation::create_product(uint32_t j) {
  Product& p = products_[j];
  const Category& c = kCategories[p.true_category];
  p.created = true;
  p.created_ms = now_;
  begin(EventType::product_created, now_, false, 0);
  field_id("product_id", 'P', j + 1);
  key("name");
  fmt::format_to(out(), "\"{} {} {} {}{}\"", kBrands[p.brand], kProductAdjectives[rng_.below(12)],
                 c.nouns[rng_.below(4)], static_cast<char>('A' + rng_.below(26)), 10 * rng_.between(1, 99));
  field_text("category", kCategories[p.category].name);
  key("brand");
  write_brand(p);
  field_id("vendor_id", 'V', p.vendor + 1);
  field_money("list_price", p.price_cents);
  field_raw("currency", "EUR");
  field_int("weight_g", p.weight_g);
  end();
  emit_stock(j, 0);
  if (p.category != p.true_category || p.brand_typo)  // someone notices, sooner or later
    at(now_ + static_cast<int64_t>(rng_.exponential(3 * kDay)), Act::product_fix, j);
  if (j + 1 < products_.size()) at(product_time(j + 1), Act::product_create, j + 1);
}

void Simulation::write_brand(const Product& p) {
  buf_.push_back('"');
  for (const char* s = kBrands[p.brand]; *s; ++s)
    buf_.push_back(p.brand_typo ? static_cast<char>(*s | 0x20) : *s);  // ASCII lower case
  buf_.push_back('"');
}

void Simulation::register_customer(uint32_t k) {
  Customer& c = customers_[k];
  c.registered_ms = now_;
  registered_ = k + 1;
  begin(EventType::customer_registered, now_, false, 0);
  field_id("customer_id", 'C', k + 1);
  key("name");
  buf_.push_back('"');
  append_escaped(kFirstNames[c.first].display);
  buf_.push_back(' ');
  append_escaped(kLastNames[c.last].display);
  buf_.push_back('"');
  write_email(c);
  write_address(c.city, true);
  field_raw("segment", kSegments[c.segment]);
  end();
  if (k + 1 < customers_.size()) at(customer_time(k + 1), Act::customer_register, k + 1);
}

void Simulation::write_email(const Customer& c) {
  key("email");
  fmt::format_to(out(), "\"{}.{}", kFirstNames[c.first].ascii, kLastNames[c.last].ascii);
  if (c.mail_suffix) fmt::format_to(out(), "{}", c.mail_suffix);
  fmt::format_to(out(), "@{}\"", kEmailDomains[c.domain]);
}

void Simulation::write_address(uint16_t city_index, bool with_country) {
  const City& city = kCities[city_index];
  field_text("city", city.name);
  field_text("region", city.region);
  key("zip");
  buf_.push_back('"');
  for (const char* s = city.zip; *s; ++s)
    buf_.push_back(*s == '#' ? static_cast<char>('0' + rng_.below(10)) : *s);
  buf_.push_back('"');
  if (with_country) field_raw("country", city.country);
}

void Simulation::vendor_change() {
  const uint32_t i = static_cast<uint32_t>(rng_.below(vendors_.size()));
  Vendor& v = vendors_[i];
  if (v.status == kClosed || v.registered_ms == 0) return;
  const double r = rng_.uniform();
  if (r < 0.35) {  // tier change, and the commission that comes with it
    const int up = v.tier == 0 ? 1 : v.tier == 3 ? -1 : (rng_.chance(0.6) ? 1 : -1);
    v.tier = static_cast<uint8_t>(v.tier + up);
    v.commission = kTierCommission[v.tier] + static_cast<int32_t>(rng_.between(-2, 2)) * 5000;
    begin_vendor_update(i);
    field_raw("tier", kTiers[v.tier]);
    field_rate("commission_rate", v.commission);
  } else if (r < 0.60) {  // renegotiated commission
    v.commission = std::clamp<int32_t>(v.commission + static_cast<int32_t>(rng_.between(-4, 4)) * 2500,
                                       30000, 300000);
    begin_vendor_update(i);
    field_rate("commission_rate", v.commission);
  } else if (r < 0.75) {  // moved to another city of its country
    uint16_t city = v.city;
    for (int t = 0; t < 8 && (city == v.city || std::strcmp(kCities[city].country,
                                                          kCities[v.city].country) != 0); ++t)
      city = static_cast<uint16_t>(rng_.below(kCityCount));
    if (city == v.city || std::strcmp(kCities[city].country, kCities[v.city].country) != 0) return;
    v.city = city;
    begin_vendor_update(i);
    field_text("city", kCities[city].name);
  } else if (v.status == kActive && (r < 0.97 || rank_of_vendor_[i] < vendors_.size() / 3)) {
    // Suspended (policy breach, unpaid fees), back in a few hours to days.
    v.status = kSuspended;
    begin_vendor_update(i);
    field_raw("status", kVendorStatus[kSuspended]);
    at(now_ + kHour * rng_.between(6, 96), Act::vendor_reactivate, i);
  } else if (v.status == kActive) {  // a small vendor closes its shop
    v.status = kClosed;
    begin_vendor_update(i);
    field_raw("status", kVendorStatus[kClosed]);
  } else {
    return;
  }
  end();
}

void Simulation::begin_vendor_update(uint32_t i) {
  begin(EventType::vendor_updated, now_, true, vendors_[i].registered_ms);
  field_id("vendor_id", 'V', i + 1);
}

void Simulation::vendor_reactivate(uint32_t i) {
  if (vendors_[i].status != kSuspended) return;
  vendors_[i].status = kActive;
  begin_vendor_update(i);
  field_raw("status", kVendorStatus[kActive]);
  end();
}

void Simulation::customer_change() {
  if (registered_ == 0) return;
  const uint32_t k = static_cast<uint32_t>(rng_.below(registered_));
  Customer& c = customers_[k];
  if (c.deleted) return;
  const double r = rng_.uniform();
  begin(EventType::customer_updated, now_, true, c.registered_ms);
  field_id("customer_id", 'C', k + 1);
  if (r < 0.55) {  // moved; now and then to another country
    uint16_t city = c.city;
    while (city == c.city) city = static_cast<uint16_t>(city_table_.sample(rng_));
    const bool new_country = std::strcmp(kCities[city].country, kCities[c.city].country) != 0;
    c.city = city;
    write_address(city, new_country);
  } else if (r < 0.80) {
    uint8_t seg = c.segment;
    while (seg == c.segment) seg = static_cast<uint8_t>(segment_table_.sample(rng_));
    c.segment = seg;
    field_raw("segment", kSegments[seg]);
  } else {
    c.domain = static_cast<uint8_t>((c.domain + 1 + rng_.below(2)) % 3);
    c.mail_suffix = static_cast<uint8_t>(rng_.between(1, 99));
    write_email(c);
  }
  end();
}

void Simulation::customer_delete() {
  if (registered_ == 0) return;
  const uint32_t k = static_cast<uint32_t>(rng_.below(registered_));
  Customer& c = customers_[k];
  if (c.deleted) return;
  c.deleted = true;
  begin(EventType::customer_deleted, now_, false, 0);
  field_id("customer_id", 'C', k + 1);
  end();
}

void Simulation::price_change() {
  const uint32_t j = static_cast<uint32_t>(rng_.below(products_.size()));
  Product& p = products_[j];
  if (!p.created) return;
  // Mostly small repricing, sometimes a sale.
  const double factor = rng_.chance(0.3) ? rng_.uniform(0.7, 0.9)
                                         : std::clamp(1 + 0.08 * rng_.normal(), 0.8, 1.3);
  const int64_t cents = charm_price(p.price_cents * factor / 100);
  if (cents == p.price_cents) return;
  p.price_cents = cents;
  begin(EventType::product_updated, now_, true, p.created_ms);
  field_id("product_id", 'P', j + 1);
  field_money("list_price", cents);
  end();
}

void Simulation::product_fix(uint32_t j) {
  Product& p = products_[j];
  begin(EventType::product_updated, now_, true, p.created_ms);
  field_id("product_id", 'P', j + 1);
  if (p.category != p.true_category) {
    p.category = p.true_category;
    field_text("category", kCategories[p.category].name);
  }
  if (p.brand_typo) {
    p.brand_typo = false;
    key("brand");
    write_brand(p);
  }
  end();
}

}  // namespace lh::tools::gen
