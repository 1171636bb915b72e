// The generator's world model (simulation.h): the simulated clock, the
// traffic model, the entities, the sessions and orders in flight and the
// actions of the event queue. Plain data, internal to the generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tools/random.h"

namespace lh::tools::gen {

// The simulation clock counts milliseconds: event_time has millisecond precision.
inline constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;

inline int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Web traffic by hour of day (UTC taken as local time): quiet nights, an
// evening peak.
inline constexpr double kHourly[24] = {0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.60, 0.85, 1.00, 1.10, 1.15,
                                       1.20, 1.15, 1.10, 1.10, 1.15, 1.25, 1.40, 1.60, 1.70, 1.55, 1.10, 0.65};
inline constexpr double kWeekendBump = 1.2;

// Traffic model: sessions per order and their shape (see GeneratorOptions).
inline constexpr double kConversion = 0.3;         // sessions that try to check out
inline constexpr double kLoggedInBrowsers = 0.4;   // of the non-converting sessions
inline constexpr double kInferredCustomerShare = 0.01;

// ------------------------------------------------------------------ entities

enum VendorStatus : uint8_t { kActive = 0, kSuspended = 1, kClosed = 2 };

struct Vendor {
  uint16_t city = 0;
  uint8_t tier = 0;
  uint8_t status = kActive;
  uint8_t warehouses = 1;
  int32_t commission = 0;  // millionths
  int64_t registered_ms = 0;
  std::vector<uint32_t> products;  // in listing order; earlier listings sell more
  WeightedTable product_table;
};

struct Product {
  uint32_t vendor = 0;
  uint8_t category = 0;           // current (possibly wrong until fixed)
  uint8_t true_category = 0;
  uint8_t brand = 0;
  uint8_t warehouse = 0;
  bool brand_typo = false;        // listed in lower case until fixed
  bool created = false;
  bool restock_pending = false;
  int32_t weight_g = 0;
  int64_t price_cents = 0;
  int64_t stock = 0;
  int64_t reorder_point = 0;
  int64_t target_stock = 0;
  int64_t created_ms = 0;
};

struct Customer {
  uint16_t city = 0;
  uint8_t segment = 0;
  uint8_t first = 0, last = 0, mail_suffix = 0, domain = 0;
  bool deleted = false;
  bool acted_early = false;  // active before customer_registered: an inferred member downstream
  int64_t registered_ms = 0;
};

enum class Page : uint8_t {
  home, search, category, product, cart_add, cart_view, cart_update, cart_remove, checkout_view,
  checkout_submit
};
struct Step {
  Page page;
  uint32_t arg;  // product index, category index, or category*4+noun for searches
};
struct Session {
  uint64_t number = 0;
  int32_t customer = -1;  // -1: not logged in
  size_t next = 0;
  std::vector<Step> steps;
  std::vector<uint32_t> cart;
  void reset() {
    customer = -1;
    next = 0;
    steps.clear();
    cart.clear();
  }
};

struct Line {
  uint32_t product;
  uint32_t vendor;
  int32_t line_no;
  int64_t quantity;
  int64_t unit_cents;
};
struct Order {
  uint64_t number = 0;
  uint32_t customer = 0;
  int64_t placed_ms = 0;
  int pending = 0;  // actions in the queue that refer to this order
  std::vector<Line> lines;
  std::vector<uint32_t> vendors;  // distinct, in line order
  void reset() {
    pending = 0;
    lines.clear();
    vendors.clear();
  }
};

// Everything that happens later goes through the queue as an Action.
enum class Act : uint8_t {
  vendor_register, product_create, customer_register, session_arrival, session_step,
  order_approve, order_cancel, order_ship, order_deliver, line_return, line_review,
  vendor_change, vendor_reactivate, customer_change, customer_delete, price_change,
  product_fix, stock_audit, restock
};
struct Action {
  int64_t time;
  uint64_t seq;  // ties broken by scheduling order: deterministic
  int64_t prev;  // time of the step before (status chains: bound for late stamps)
  uint32_t a;    // entity index or slab slot
  uint32_t b;    // vendor index or line index
  Act act;
};
struct Later {
  bool operator()(const Action& x, const Action& y) const {
    return x.time != y.time ? x.time > y.time : x.seq > y.seq;
  }
};

// Slots for things in flight, reused so memory follows what is in flight.
template <class T>
class Slab {
 public:
  uint32_t add() {
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    items_.emplace_back();
    return static_cast<uint32_t>(items_.size() - 1);
  }
  void remove(uint32_t i) {
    items_[i].reset();  // keeps the vectors' capacity for the next user
    free_.push_back(i);
  }
  T& operator[](uint32_t i) { return items_[i]; }

 private:
  std::vector<T> items_;
  std::vector<uint32_t> free_;
};

}  // namespace lh::tools::gen
