// Stock levels (simulation.h): every change is a stock_changed event; sales
// draw stock down to a reorder point, a restock follows days later, and
// inventory audits find the odd unit more or less.
#include "tools/simulation.h"

#include <fmt/format.h>

#include <algorithm>

#include "tools/generator_catalog.h"

namespace lh::tools::gen {

using events::EventType;

void Simulation::emit_stock(uint32_t j, int64_t not_before) {
  const Product& p = products_[j];
  const Vendor& v = vendors_[p.vendor];
  begin(EventType::stock_changed, now_, p.created_ms < now_, std::max(not_before, p.created_ms));
  field_id("vendor_id", 'V', p.vendor + 1);
  field_id("product_id", 'P', j + 1);
  key("warehouse");
  fmt::format_to(out(), "\"WH-{}-{}\"", kCities[v.city].code, p.warehouse + 1);
  field_int("quantity", p.stock);
  end();
  if (p.stock == 0) ++summary_.stockouts;
}

void Simulation::take_stock(uint32_t j, int64_t quantity) {
  Product& p = products_[j];
  p.stock -= quantity;
  emit_stock(j, 0);
  if (p.stock <= p.reorder_point && !p.restock_pending) {
    p.restock_pending = true;
    at(now_ + kHour * rng_.between(24, 144), Act::restock, j);
  }
}

void Simulation::restock(uint32_t j) {
  Product& p = products_[j];
  p.restock_pending = false;
  p.stock = std::max(p.stock, p.target_stock) + rng_.between(0, 5);
  emit_stock(j, 0);
}

void Simulation::stock_audit() {  // inventory counts find shrinkage or misplaced units
  const uint32_t j = static_cast<uint32_t>(rng_.below(products_.size()));
  Product& p = products_[j];
  if (!p.created) return;
  const int64_t delta = rng_.chance(0.6) ? -rng_.between(1, 2) : rng_.between(1, 3);
  if (p.stock + delta < 0) return;
  p.stock += delta;
  emit_stock(j, 0);
}

}  // namespace lh::tools::gen
