// Orders and what follows them (simulation.h): a checkout becomes an order,
// then approval or cancellation, shipping and delivery per vendor, returns and
// reviews per line; each step is an action on the queue for later.
#include "tools/simulation.h"

#include <algorithm>

#include "tools/generator_catalog.h"

namespace lh::tools::gen {

using events::EventType;

void Simulation::place_order(const Session& s) {
  if (s.customer < 0 || customers_[s.customer].deleted) return;
  const uint32_t slot = orders_.add();
  Order& o = orders_[slot];
  o.customer = static_cast<uint32_t>(s.customer);
  o.placed_ms = now_;
  for (uint32_t j : s.cart) {
    const Product& p = products_[j];
    if (vendors_[p.vendor].status != kActive) continue;
    bool seen = false;  // the same product twice in the cart: one line
    for (auto& l : o.lines)
      if (l.product == j) seen = true;
    if (seen) continue;
    const int64_t quantity = std::min<int64_t>(1 + quantity_table_.sample(rng_), p.stock);
    if (quantity <= 0) continue;  // sold out meanwhile
    const int64_t discount = rng_.chance(0.75) ? 0 : rng_.between(5, 25);
    const int64_t unit = std::max<int64_t>(1, (p.price_cents * (100 - discount) + 50) / 100);
    o.lines.push_back(Line{j, p.vendor, static_cast<int32_t>(o.lines.size() + 1), quantity, unit});
  }
  if (o.lines.empty()) {
    orders_.remove(slot);
    return;
  }
  o.number = ++order_counter_;
  for (const auto& l : o.lines)
    if (std::find(o.vendors.begin(), o.vendors.end(), l.vendor) == o.vendors.end())
      o.vendors.push_back(l.vendor);

  begin(EventType::order_placed, now_, false, 0);
  field_txid("order_id", 'O', o.number);
  field_id("customer_id", 'C', o.customer + 1);
  field_raw("currency", "EUR");
  key("lines");
  buf_.push_back('[');
  for (const auto& l : o.lines) {
    if (&l != &o.lines.front()) buf_.push_back(',');
    buf_.push_back('{');
    first_field_ = true;
    field_int("line_no", l.line_no);
    field_id("product_id", 'P', l.product + 1);
    field_id("vendor_id", 'V', l.vendor + 1);
    field_int("quantity", l.quantity);
    field_money("unit_price", l.unit_cents);
    // Free shipping on about half the lines, else by weight.
    const int64_t weight = products_[l.product].weight_g;
    field_money("freight", rng_.chance(0.45) ? 0 : std::min<int64_t>(249 + weight * 90 / 1000, 2999));
    buf_.push_back('}');
  }
  buf_.push_back(']');
  first_field_ = false;
  end();
  for (const auto& l : o.lines) take_stock(l.product, l.quantity);

  // Payment check, then either a cancellation (~3%, before shipping, some
  // before approval) or fulfilment per vendor.
  const int64_t approve = now_ + std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(20 * kMinute, 1.0)),
                                                     30 * kSecond, 12 * kHour);
  if (rng_.chance(0.03)) {
    if (rng_.chance(0.3)) {
      at_order(now_ + rng_.between(5 * kMinute, 2 * kHour), Act::order_cancel, slot, 0, now_);
    } else {
      at_order(approve, Act::order_approve, slot, 1, now_);  // b = 1: to be cancelled
    }
  } else {
    at_order(approve, Act::order_approve, slot, 0, now_);
  }
  if (o.pending == 0) orders_.remove(slot);
}

void Simulation::emit_status(const Order& o, events::OrderStatus status, int64_t vendor, int32_t line_no,
                             int64_t prev) {
  begin(EventType::order_status_changed, now_, true, prev);
  field_txid("order_id", 'O', o.number);
  field_raw("status", events::to_string(status));
  if (vendor >= 0) field_id("vendor_id", 'V', static_cast<uint64_t>(vendor) + 1);
  if (line_no > 0) field_int("line_no", line_no);
  end();
}

void Simulation::order_approve(const Action& a) {
  Order& o = orders_[a.a];
  emit_status(o, events::OrderStatus::approved, -1, 0, a.prev);
  if (a.b == 1) {
    at_order(now_ + rng_.between(10 * kMinute, 20 * kHour), Act::order_cancel, a.a, 0, now_);
  } else {
    for (uint32_t v : o.vendors)  // each vendor ships on its own, in 1-3 days
      at_order(o.placed_ms + rng_.between(kDay, 3 * kDay), Act::order_ship, a.a, v,
               std::max(now_, o.placed_ms));
  }
  order_done(a.a);
}

void Simulation::order_cancel(const Action& a) {
  Order& o = orders_[a.a];
  emit_status(o, events::OrderStatus::cancelled, -1, 0, a.prev);
  for (const auto& l : o.lines) {  // the reserved units go back on the shelf
    products_[l.product].stock += l.quantity;
    emit_stock(l.product, 0);
  }
  order_done(a.a);
}

void Simulation::order_ship(const Action& a) {
  Order& o = orders_[a.a];
  emit_status(o, events::OrderStatus::shipped, a.b, 0, a.prev);
  const int64_t delivered = std::max(now_ + 20 * kHour, o.placed_ms + rng_.between(2 * kDay, 10 * kDay));
  at_order(delivered, Act::order_deliver, a.a, a.b, now_);
  order_done(a.a);
}

void Simulation::order_deliver(const Action& a) {
  Order& o = orders_[a.a];
  emit_status(o, events::OrderStatus::delivered, a.b, 0, a.prev);
  for (uint32_t i = 0; i < o.lines.size(); ++i) {
    if (o.lines[i].vendor != a.b) continue;
    if (rng_.chance(0.02))  // most returns come in the first days, some near the 14-day limit
      at_order(now_ + std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(3 * kDay, 0.8)), 6 * kHour,
                                          14 * kDay),
               Act::line_return, a.a, i, now_);
    if (rng_.chance(0.4))
      at_order(now_ + std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(2 * kDay, 1.0)), kHour,
                                          20 * kDay),
               Act::line_review, a.a, i, now_);
  }
  order_done(a.a);
}

void Simulation::line_return(const Action& a) {
  Order& o = orders_[a.a];
  const Line& l = o.lines[a.b];
  emit_status(o, events::OrderStatus::returned, l.vendor, l.line_no, a.prev);
  products_[l.product].stock += l.quantity;
  emit_stock(l.product, 0);
  order_done(a.a);
}

void Simulation::line_review(const Action& a) {
  Order& o = orders_[a.a];
  const Line& l = o.lines[a.b];
  if (!customers_[o.customer].deleted) {
    const int stars = static_cast<int>(1 + stars_table_.sample(rng_));
    begin(EventType::review_submitted, now_, false, 0);
    field_txid("review_id", 'R', ++review_counter_);
    field_txid("order_id", 'O', o.number);
    field_id("customer_id", 'C', o.customer + 1);
    field_id("product_id", 'P', l.product + 1);
    field_id("vendor_id", 'V', l.vendor + 1);
    field_int("stars", stars);
    if (rng_.chance(0.4)) field_text("comment", kComments[stars][rng_.below(5)]);
    end();
  }
  order_done(a.a);
}

}  // namespace lh::tools::gen
