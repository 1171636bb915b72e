// A discrete-event simulation of the marketplace: every future happening
// (the next page of a session, an order's shipment days later, a restock) is
// an action in one priority queue keyed by (time, sequence number), so the
// stream comes out in time order and is the same on every run. Entities live
// in flat vectors; sessions and orders in flight live in slabs that are
// recycled, which keeps memory bounded by what is in flight.
// Internal to generate() (generator.h); the methods live in simulation*.cc,
// one file per concern, as the sections below say.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "tools/generator.h"
#include "tools/generator_model.h"
#include "tools/random.h"

namespace lh::tools::gen {

// The output goes to the sink whenever the buffer passes this size.
inline constexpr size_t kFlushBytes = 1 << 20;
// Digits of an event_id's counter ("e2a-0000000001"): ten sort in order up to
// 10^10 events per seed and keep the id in std::string's inline buffer.
inline constexpr size_t kEventIdDigits = 10;

class Simulation {
 public:
  Simulation(const GeneratorOptions& o, const GeneratorSink& sink, const GeneratorProgressFn& progress);

  Result<GeneratorSummary> run();

 private:
  // ------------------------------------ setup and scheduling (simulation.cc)

  void setup();
  void setup_vendors();
  void setup_products();
  void setup_customers();
  int64_t customer_time(size_t k);
  int64_t product_time(size_t j);

  bool at(int64_t t, Act act, uint32_t a, uint32_t b = 0, int64_t prev = 0);
  void schedule_poisson(Act act, int64_t from, double rate_per_ms);
  void at_order(int64_t t, Act act, uint32_t slot, uint32_t b, int64_t prev);
  void order_done(uint32_t slot);
  void dispatch(const Action& a);

  // ----------------------------------- dimensions (simulation_dimensions.cc)

  void register_vendor(uint32_t i);
  void create_product(uint32_t j);
  void write_brand(const Product& p);
  void register_customer(uint32_t k);
  void write_email(const Customer& c);
  void write_address(uint16_t city_index, bool with_country);
  void vendor_change();
  void begin_vendor_update(uint32_t i);
  void vendor_reactivate(uint32_t i);
  void customer_change();
  void customer_delete();
  void price_change();
  void product_fix(uint32_t j);

  // --------------------------------------------- stock (simulation_stock.cc)

  void emit_stock(uint32_t j, int64_t not_before);
  void take_stock(uint32_t j, int64_t quantity);
  void restock(uint32_t j);
  void stock_audit();

  // --------------------------------------- sessions (simulation_sessions.cc)

  void session_arrival();
  void start_session();
  void add_step(Session& s, Page page, uint32_t arg) { s.steps.push_back(Step{page, arg}); }
  void add_product_view(Session& s);
  void add_browse_step(Session& s);
  int32_t pick_customer();
  int64_t pick_product(bool for_cart);
  void session_step(uint32_t slot);
  int emit_page(const Session& s, const Step& step);

  // ------------------------------------------- orders (simulation_orders.cc)

  void place_order(const Session& s);
  void emit_status(const Order& o, events::OrderStatus status, int64_t vendor, int32_t line_no, int64_t prev);
  void order_approve(const Action& a);
  void order_cancel(const Action& a);
  void order_ship(const Action& a);
  void order_deliver(const Action& a);
  void line_return(const Action& a);
  void line_review(const Action& a);

  // --------------------------------- the NDJSON lines (simulation_output.cc)

  fmt::appender out() { return fmt::appender(buf_); }
  void append(std::string_view s) { buf_.append(s.data(), s.data() + s.size()); }
  void append_escaped(std::string_view s);
  void begin(events::EventType type, int64_t now, bool late_eligible, int64_t not_before);
  void end();
  std::string_view time_text(int64_t ms, char (&dst)[24]);
  void append_time(int64_t ms);
  void key(std::string_view k);
  void field_id(std::string_view k, char prefix, uint64_t n);
  void field_txid(std::string_view k, char prefix, uint64_t n);
  void field_raw(std::string_view k, std::string_view v);  // v needs no escaping
  void field_text(std::string_view k, std::string_view v);
  void field_int(std::string_view k, int64_t v);
  void append_uint(uint64_t v, size_t min_digits = 0);
  void field_money(std::string_view k, int64_t cents);
  void field_rate(std::string_view k, int32_t millionths);
  void flush();

  // ---------------------------------------- dirty data (simulation_dirty.cc)

  void add_dirty_records();
  void corrupt(DirtyKind kind, std::string& s);
  void synthesize(DirtyKind kind, std::string& s);

  // ------------------------------------------------------------------- state

  const GeneratorOptions& o_;
  const GeneratorSink& sink_;
  const GeneratorProgressFn& progress_;
  Rng rng_, late_rng_, dirty_rng_;
  const std::string tag_;  // the seed in hex, in every id that must not collide across seeds
  Status status_;
  GeneratorSummary summary_;

  int64_t start_ms_ = 0, end_ms_ = 0, now_ = 0, last_ms_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Action, std::vector<Action>, Later> queue_;

  std::vector<Vendor> vendors_;
  std::vector<uint32_t> vendor_by_rank_, rank_of_vendor_;
  std::vector<Product> products_;
  std::vector<Customer> customers_;
  size_t base_customers_ = 0, initial_products_ = 0, registered_ = 0;
  Slab<Session> sessions_;
  Slab<Order> orders_;

  WeightedTable city_table_, category_table_, segment_table_, tier_table_, items_table_, quantity_table_,
      stars_table_, vendor_table_, customer_table_;
  double rate_base_ = 0, rate_max_ = 0, p_inferred_ = 0;
  double vendor_change_rate_ = 0, customer_change_rate_ = 0, price_change_rate_ = 0, stock_audit_rate_ = 0,
         customer_delete_rate_ = 0;
  int64_t delete_window_start_ = 0;
  uint64_t event_counter_ = 0, session_counter_ = 0, order_counter_ = 0, review_counter_ = 0;

  fmt::memory_buffer buf_;
  size_t line_start_ = 0;
  bool first_field_ = true;
  events::EventType type_ = events::EventType::vendor_registered;
  int64_t cached_day_ = INT64_MIN;
  std::string day_prefix_;

  double dirty_p_ = 0;
  uint64_t dirty_counter_ = 0, dirty_id_counter_ = 0;
  static constexpr size_t kRecent = 32;
  std::string recent_[kRecent];
  uint64_t recent_next_ = 0;
  std::string scratch_;
};

}  // namespace lh::tools::gen
