// The simulation's frame (simulation.h): the run loop, the world it builds
// before the first event, and the queue of actions, which dispatch() hands to
// the handlers of the other simulation_*.cc files.
#include "tools/simulation.h"

#include <fmt/format.h>

#include <algorithm>

#include "tools/generator_catalog.h"

namespace lh::tools::gen {

Simulation::Simulation(const GeneratorOptions& o, const GeneratorSink& sink, const GeneratorProgressFn& progress)
    : o_(o),
      sink_(sink),
      progress_(progress),
      rng_(o.seed),
      late_rng_(o.seed ^ 0x6c6174652d726e67ULL),   // separate streams: the late and dirty
      dirty_rng_(o.seed ^ 0x64697274792d726eULL),  // rates change nothing else
      tag_(fmt::format("{:x}", o.seed)) {}

Result<GeneratorSummary> Simulation::run() {
  buf_.reserve(kFlushBytes + (64 << 10));
  setup();
  while (!queue_.empty() && status_.ok()) {
    const Action a = queue_.top();
    if (a.time >= end_ms_) break;  // everything left is after the period
    queue_.pop();
    now_ = a.time;
    dispatch(a);
  }
  flush();
  if (!status_.ok()) return status_.error();
  summary_.first_time_us = start_ms_ * 1000;
  summary_.last_time_us = last_ms_ * 1000;
  return summary_;
}

// --------------------------------------------------------------------- setup

void Simulation::setup() {
  start_ms_ = floor_div(o_.start_us, 1000);
  end_ms_ = start_ms_ + o_.days * kDay;
  last_ms_ = start_ms_;
  dirty_p_ = o_.dirty_rate > 0 ? o_.dirty_rate / (1 - o_.dirty_rate) : 0;

  std::vector<double> w;
  for (const auto& c : kCities) w.push_back(c.weight);
  city_table_ = WeightedTable(w);
  w.clear();
  for (const auto& c : kCategories) w.push_back(c.weight);
  category_table_ = WeightedTable(w);
  segment_table_ = WeightedTable({70, 15, 10, 5});
  tier_table_ = WeightedTable({40, 30, 20, 10});
  items_table_ = WeightedTable({45, 28, 15, 8, 4});       // lines per order: 1..5
  quantity_table_ = WeightedTable({70, 22, 5, 3});       // units per line: 1..4
  stars_table_ = WeightedTable({7, 5, 10, 26, 52});      // J-shaped, like real reviews

  setup_vendors();
  setup_products();
  setup_customers();

  // Vendors register in the first two minutes, the initial catalogue in the
  // next half hour, the base of customers in the first hour.
  at(start_ms_, Act::vendor_register, 0);
  initial_products_ = std::max<uint32_t>(1, static_cast<uint32_t>(products_.size() * 9 / 10));
  at(product_time(0), Act::product_create, 0);
  at(customer_time(0), Act::customer_register, 0);

  const double sessions_per_day = o_.orders_per_day / kConversion;
  if (sessions_per_day > 0) {
    double hourly_mean = 0, hourly_max = 0;
    for (double h : kHourly) hourly_mean += h / 24, hourly_max = std::max(hourly_max, h);
    const double week_norm = 7 / (5 + 2 * kWeekendBump);
    rate_base_ = sessions_per_day / kDay / hourly_mean * week_norm;  // per ms, before factors
    rate_max_ = rate_base_ * hourly_max * kWeekendBump;
    at(start_ms_ + 30 * kMinute, Act::session_arrival, 0);
    // Share of logged-in sessions that act for a customer not registered
    // yet, so that ~1% of customers become inferred members downstream.
    const double logged_in = sessions_per_day * o_.days *
                             (kConversion + (1 - kConversion) * kLoggedInBrowsers);
    p_inferred_ = std::min(0.05, kInferredCustomerShare * customers_.size() / logged_in);
  }
  const double per_day = 1.0 / kDay;
  vendor_change_rate_ = vendors_.size() * 0.06 * per_day;
  customer_change_rate_ = customers_.size() * 0.004 * per_day;
  price_change_rate_ = products_.size() * 0.04 / 7 * per_day;
  stock_audit_rate_ = products_.size() * 0.03 * per_day;
  // GDPR deletions: ~0.4% of customers, in the last 15% of the period.
  delete_window_start_ = end_ms_ - (end_ms_ - start_ms_) * 15 / 100;
  customer_delete_rate_ = customers_.size() * 0.004 / std::max<int64_t>(1, end_ms_ - delete_window_start_);
  schedule_poisson(Act::vendor_change, start_ms_ + kHour, vendor_change_rate_);
  schedule_poisson(Act::customer_change, start_ms_ + 2 * kHour, customer_change_rate_);
  schedule_poisson(Act::price_change, start_ms_ + kHour, price_change_rate_);
  schedule_poisson(Act::stock_audit, start_ms_ + kHour, stock_audit_rate_);
  schedule_poisson(Act::customer_delete, delete_window_start_, customer_delete_rate_);
}

void Simulation::setup_vendors() {
  const size_t n = static_cast<size_t>(o_.vendors);
  vendors_.resize(n);
  for (auto& v : vendors_) {
    v.city = static_cast<uint16_t>(city_table_.sample(rng_));
    v.tier = static_cast<uint8_t>(tier_table_.sample(rng_));
    v.commission = kTierCommission[v.tier] + static_cast<int32_t>(rng_.between(-2, 2)) * 5000;
    v.warehouses = static_cast<uint8_t>(1 + rng_.below(3));
  }
  // Popularity: a Zipf law over ranks, ranks shuffled over vendor ids so
  // V-1 is not always the leader.
  vendor_by_rank_.resize(n);
  for (size_t i = 0; i < n; ++i) vendor_by_rank_[i] = static_cast<uint32_t>(i);
  for (size_t i = n; i > 1; --i) std::swap(vendor_by_rank_[i - 1], vendor_by_rank_[rng_.below(i)]);
  rank_of_vendor_.resize(n);
  for (size_t r = 0; r < n; ++r) rank_of_vendor_[vendor_by_rank_[r]] = static_cast<uint32_t>(r);
  vendor_table_ = WeightedTable::zipf(n, 1.1);
}

void Simulation::setup_products() {
  const size_t n = static_cast<size_t>(o_.products);
  const size_t nv = vendors_.size();
  products_.resize(n);
  // Big vendors list more: every vendor gets one product, the rest follow
  // a flatter Zipf over the popularity ranks.
  WeightedTable listing = WeightedTable::zipf(nv, 0.8);
  for (size_t j = 0; j < n; ++j) {
    Product& p = products_[j];
    p.vendor = j < nv ? vendor_by_rank_[j] : vendor_by_rank_[listing.sample(rng_)];
    vendors_[p.vendor].products.push_back(static_cast<uint32_t>(j));
    p.true_category = static_cast<uint8_t>(category_table_.sample(rng_));
    const Category& c = kCategories[p.true_category];
    p.category = p.true_category;
    if (rng_.chance(0.015)) p.category = static_cast<uint8_t>(rng_.below(kCategoryCount));
    p.brand = static_cast<uint8_t>((p.true_category * 7 + rng_.below(6)) % kBrandCount);
    p.brand_typo = rng_.chance(0.015);
    p.price_cents = charm_price(rng_.lognormal(c.median_price, c.price_sigma));
    p.weight_g = static_cast<int32_t>(std::max(5.0, rng_.lognormal(c.median_weight_g, 0.5)));
    p.warehouse = static_cast<uint8_t>(rng_.below(vendors_[p.vendor].warehouses));
  }
  for (auto& v : vendors_) v.product_table = WeightedTable::zipf(v.products.size(), 0.9);
  // Stock sized to expected demand, so popular items can sell out before
  // their restock (lead times are 1-6 days).
  const double lines_per_day = o_.orders_per_day * 1.98 * 1.41;
  for (size_t r = 0; r < nv; ++r) {
    const Vendor& v = vendors_[vendor_by_rank_[r]];
    for (size_t k = 0; k < v.products.size(); ++k) {
      Product& p = products_[v.products[k]];
      const double daily = lines_per_day * vendor_table_.probability(r) * v.product_table.probability(k);
      p.target_stock = static_cast<int64_t>(daily * rng_.uniform(3, 12)) + rng_.between(3, 12);
      p.reorder_point = static_cast<int64_t>(daily * 1.5) + 1;
      p.stock = p.target_stock;
    }
  }
}

void Simulation::setup_customers() {
  const size_t n = static_cast<size_t>(o_.customers);
  customers_.resize(n);
  std::vector<double> activity(n);
  for (size_t i = 0; i < n; ++i) {
    Customer& c = customers_[i];
    c.city = static_cast<uint16_t>(city_table_.sample(rng_));
    c.segment = static_cast<uint8_t>(segment_table_.sample(rng_));
    c.first = static_cast<uint8_t>(rng_.below(kFirstNameCount));
    c.last = static_cast<uint8_t>(rng_.below(kLastNameCount));
    c.mail_suffix = static_cast<uint8_t>(rng_.chance(0.5) ? 0 : rng_.between(1, 99));
    c.domain = static_cast<uint8_t>(rng_.below(3));
    // Some customers come back often: a log-normal activity weight gives a
    // tail of repeat buyers without one customer dominating.
    activity[i] = rng_.lognormal(1, 0.9);
  }
  customer_table_ = WeightedTable(activity);
  base_customers_ = std::max<size_t>(1, n / 2);
}

// Registration times: the base in the first hour, the rest spread evenly
// (with jitter) over the period, in index order.
int64_t Simulation::customer_time(size_t k) {
  const double u = rng_.uniform();
  if (k < base_customers_)
    return start_ms_ + static_cast<int64_t>((k + u) / base_customers_ * kHour);
  const size_t rest = customers_.size() - base_customers_;
  const int64_t span = end_ms_ - start_ms_ - kHour;
  return start_ms_ + kHour + static_cast<int64_t>((k - base_customers_ + u) / rest * span);
}

int64_t Simulation::product_time(size_t j) {
  const double u = rng_.uniform();
  if (j < initial_products_)
    return start_ms_ + 2 * kMinute + static_cast<int64_t>((j + u) / initial_products_ * 28 * kMinute);
  const size_t rest = products_.size() - initial_products_;
  const int64_t span = end_ms_ - start_ms_ - kHour;
  return start_ms_ + kHour + static_cast<int64_t>((j - initial_products_ + u) / rest * span);
}

// ---------------------------------------------------------------- scheduling

bool Simulation::at(int64_t t, Act act, uint32_t a, uint32_t b, int64_t prev) {
  if (t >= end_ms_) return false;  // after the period: never happens
  queue_.push(Action{t, ++seq_, prev, a, b, act});
  return true;
}

void Simulation::schedule_poisson(Act act, int64_t from, double rate_per_ms) {
  if (rate_per_ms <= 0) return;
  at(from + static_cast<int64_t>(rng_.exponential(1 / rate_per_ms)), act, 0);
}

// An order's follow-up: counted so the order's slot is freed after the last.
void Simulation::at_order(int64_t t, Act act, uint32_t slot, uint32_t b, int64_t prev) {
  if (at(t, act, slot, b, prev)) ++orders_[slot].pending;
}

void Simulation::order_done(uint32_t slot) {
  if (--orders_[slot].pending == 0) orders_.remove(slot);
}

void Simulation::dispatch(const Action& a) {
  switch (a.act) {
    case Act::vendor_register: return register_vendor(a.a);
    case Act::product_create: return create_product(a.a);
    case Act::customer_register: return register_customer(a.a);
    case Act::session_arrival: return session_arrival();
    case Act::session_step: return session_step(a.a);
    case Act::order_approve: return order_approve(a);
    case Act::order_cancel: return order_cancel(a);
    case Act::order_ship: return order_ship(a);
    case Act::order_deliver: return order_deliver(a);
    case Act::line_return: return line_return(a);
    case Act::line_review: return line_review(a);
    case Act::vendor_change:
      vendor_change();
      return schedule_poisson(Act::vendor_change, now_, vendor_change_rate_);
    case Act::vendor_reactivate: return vendor_reactivate(a.a);
    case Act::customer_change:
      customer_change();
      return schedule_poisson(Act::customer_change, now_, customer_change_rate_);
    case Act::customer_delete:
      customer_delete();
      return schedule_poisson(Act::customer_delete, now_, customer_delete_rate_);
    case Act::price_change:
      price_change();
      return schedule_poisson(Act::price_change, now_, price_change_rate_);
    case Act::product_fix: return product_fix(a.a);
    case Act::stock_audit:
      stock_audit();
      return schedule_poisson(Act::stock_audit, now_, stock_audit_rate_);
    case Act::restock: return restock(a.a);
  }
}

}  // namespace lh::tools::gen
