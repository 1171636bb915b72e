// Web sessions (simulation.h): arrivals that follow the hour of day and the
// weekday, a path of pages planned at the start (browsing, or a cart that
// ends at checkout), and one page_viewed event per step.
#include "tools/simulation.h"

#include <fmt/format.h>

#include <algorithm>

#include "tools/generator_catalog.h"

namespace lh::tools::gen {

using events::EventType;

// Non-homogeneous Poisson arrivals by thinning: candidates at the peak
// rate, each kept with probability rate(t) / peak.
void Simulation::session_arrival() {
  const int64_t ms_of_day = now_ - floor_div(now_, kDay) * kDay;
  const int64_t weekday = (floor_div(now_, kDay) + 3) % 7;  // 1970-01-01 was a Thursday; 0 = Monday
  const double rate = rate_base_ * kHourly[ms_of_day / kHour] * (weekday >= 5 ? kWeekendBump : 1);
  if (rng_.uniform() * rate_max_ < rate) start_session();
  at(now_ + static_cast<int64_t>(rng_.exponential(1 / rate_max_)), Act::session_arrival, 0);
}

void Simulation::start_session() {
  const uint32_t slot = sessions_.add();
  Session& s = sessions_[slot];
  s.number = ++session_counter_;
  bool converting = rng_.chance(kConversion);
  if (converting || rng_.chance(kLoggedInBrowsers)) s.customer = pick_customer();
  if (s.customer < 0) converting = false;

  const double landing = rng_.uniform();
  if (landing < 0.45) add_step(s, Page::home, 0);
  else if (landing < 0.70) add_step(s, Page::search, static_cast<uint32_t>(rng_.below(kCategoryCount * 4)));
  else if (landing < 0.85) add_step(s, Page::category, static_cast<uint32_t>(category_table_.sample(rng_)));
  else add_product_view(s);

  if (converting) {
    const size_t items = 1 + items_table_.sample(rng_);
    for (size_t i = 0; i < items; ++i) {
      if (rng_.chance(0.4)) add_browse_step(s);
      if (rng_.chance(0.3)) add_product_view(s);  // compared, not taken
      const int64_t p = pick_product(true);
      if (p < 0) continue;
      add_step(s, Page::product, static_cast<uint32_t>(p));
      add_step(s, Page::cart_add, static_cast<uint32_t>(p));
    }
    add_step(s, Page::cart_view, 0);
    if (rng_.chance(0.10)) add_step(s, Page::cart_update, 0);
    if (rng_.chance(0.06)) add_step(s, Page::cart_remove, 0);
    add_step(s, Page::checkout_view, 0);
    add_step(s, Page::checkout_submit, 0);
  } else if (!rng_.chance(0.35)) {  // not a bounce
    size_t extra = 1;
    while (extra < 30 && rng_.chance(0.52)) ++extra;
    for (size_t i = 0; i < extra; ++i) {
      const double r = rng_.uniform();
      if (r < 0.5) {
        add_product_view(s);
        if (rng_.chance(0.05) && s.steps.back().page == Page::product)  // an abandoned cart
          add_step(s, Page::cart_add, s.steps.back().arg);
      } else {
        add_browse_step(s);
      }
    }
  }
  session_step(slot);
}

void Simulation::add_product_view(Session& s) {
  const int64_t p = pick_product(false);
  if (p >= 0) add_step(s, Page::product, static_cast<uint32_t>(p));
  else add_step(s, Page::home, 0);
}

void Simulation::add_browse_step(Session& s) {
  const double r = rng_.uniform();
  if (r < 0.5) add_step(s, Page::category, static_cast<uint32_t>(category_table_.sample(rng_)));
  else if (r < 0.8) add_step(s, Page::search, static_cast<uint32_t>(rng_.below(kCategoryCount * 4)));
  else add_step(s, Page::home, 0);
}

int32_t Simulation::pick_customer() {
  const size_t n = customers_.size();
  if (p_inferred_ > 0 && registered_ < n && rng_.chance(p_inferred_)) {
    Customer& c = customers_[registered_ + rng_.below(n - registered_)];
    if (!c.acted_early) {
      c.acted_early = true;
      ++summary_.inferred_customers;
    }
    return static_cast<int32_t>(&c - customers_.data());
  }
  if (registered_ == 0) return -1;
  for (int t = 0; t < 4; ++t) {
    const size_t k = customer_table_.sample_prefix(rng_, registered_);
    if (!customers_[k].deleted) return static_cast<int32_t>(k);
  }
  return -1;
}

// A product by popularity: vendor first, then one of its listings. For a
// cart the product must be buyable now (listed, vendor active, in stock).
int64_t Simulation::pick_product(bool for_cart) {
  for (int t = 0; t < 6; ++t) {
    const Vendor& v = vendors_[vendor_by_rank_[vendor_table_.sample(rng_)]];
    if (v.products.empty()) continue;
    const uint32_t j = v.products[v.product_table.sample(rng_)];
    const Product& p = products_[j];
    if (!p.created) continue;
    if (for_cart && (v.status != kActive || p.stock == 0)) continue;
    return j;
  }
  return -1;
}

void Simulation::session_step(uint32_t slot) {
  Session& s = sessions_[slot];
  if (s.customer >= 0 && customers_[s.customer].deleted) {  // the account is gone: so is its session
    sessions_.remove(slot);
    return;
  }
  const Step step = s.steps[s.next++];
  const int status = emit_page(s, step);
  if (step.page == Page::cart_add && status < 400) s.cart.push_back(step.arg);
  if (step.page == Page::cart_remove && status < 400 && s.cart.size() > 1) s.cart.pop_back();
  if (step.page == Page::checkout_submit && status < 400) place_order(s);
  if (s.next < s.steps.size()) {
    const int64_t think = std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(20000, 0.8)),
                                              kSecond, 15 * kMinute);
    if (at(now_ + think, Act::session_step, slot)) return;
  }
  sessions_.remove(slot);
}

int Simulation::emit_page(const Session& s, const Step& step) {
  static constexpr double kMedianMs[] = {45, 140, 80, 65, 90, 55, 70, 60, 110, 320};
  static constexpr const char* kMethod[] = {"GET", "GET", "GET", "GET", "POST",
                                            "GET", "PUT", "DELETE", "GET", "POST"};
  const int page = static_cast<int>(step.page);
  const bool get = page < 4 || step.page == Page::cart_view || step.page == Page::checkout_view;
  int status = 200;
  const double r = rng_.uniform();
  if (r < 0.003) status = 500;
  else if (r < 0.005) status = 503;
  else if (get && r < 0.065) status = 304;
  else if ((step.page == Page::product || step.page == Page::search) && r < 0.085) status = 404;

  // Latency: a log-normal body and a Pareto tail (slow queries, GC pauses,
  // cold caches), so p99 is many times the median and a few pass 2 s.
  double median = kMedianMs[page] * (status == 304 ? 0.4 : 1);
  double latency = rng_.chance(0.02) ? rng_.pareto(5 * median, 1.1) : rng_.lognormal(median, 0.45);
  if (status == 503) latency = rng_.pareto(800, 1.5);
  const int64_t tenths = std::min<int64_t>(static_cast<int64_t>(latency * 10), 600000);

  begin(EventType::page_viewed, now_, true, start_ms_);
  field_txid("session_id", 'S', s.number);
  key("url");
  switch (step.page) {
    case Page::home: append("\"/\""); break;
    case Page::search: {
      append("\"/search?q=");
      for (const char* c = kCategories[step.arg / 4].nouns[step.arg % 4]; *c; ++c)
        buf_.push_back(*c == ' ' ? '+' : static_cast<char>(*c >= 'A' && *c <= 'Z' ? *c | 0x20 : *c));
      buf_.push_back('"');
      break;
    }
    case Page::category: fmt::format_to(out(), "\"/c/{}\"", kCategories[step.arg].slug); break;
    case Page::product:
      append("\"/p/P-");
      append_uint(step.arg + 1);
      buf_.push_back('"');
      break;
    case Page::checkout_view:
    case Page::checkout_submit: append("\"/checkout\""); break;
    default: append("\"/cart\""); break;
  }
  field_raw("http_method", kMethod[page]);
  field_int("status_code", status);
  key("latency_ms");
  append_uint(static_cast<uint64_t>(tenths / 10));
  buf_.push_back('.');
  buf_.push_back(static_cast<char>('0' + tenths % 10));
  if (s.customer >= 0) field_id("customer_id", 'C', static_cast<uint64_t>(s.customer) + 1);
  if (step.page == Page::product || step.page == Page::cart_add) {
    field_id("product_id", 'P', step.arg + 1);
    field_id("vendor_id", 'V', products_[step.arg].vendor + 1);
  }
  end();
  return status;
}

}  // namespace lh::tools::gen
