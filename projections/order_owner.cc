// The owner of an order shard: fact_order, the accumulating snapshot of each
// order (placed/approved/shipped/delivered/cancelled/returned times, the
// latest status, counts and money from the lines). Rules: docs/warehouse.md.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "projections/owner_util.h"

namespace lh::projections::detail {

namespace {

using events::Decimal;
using events::OrderStatus;

struct Order {
  uint64_t seq = 0;
  std::string customer_id, currency;
  int64_t customer_sk = 0;
  int32_t lines = 0;
  int64_t units = 0;
  Decimal amount, freight;
  int64_t placed_us = 0;
  std::array<std::optional<int64_t>, 5> status_us;  // earliest time per OrderStatus - 1
  uint8_t status = 0;                               // 0 placed, else OrderStatus
  int64_t status_time_us = 0;
  uint64_t status_seq = 0;
  std::vector<std::string> vendors;                       // sorted, distinct
  std::vector<std::pair<int32_t, uint16_t>> line_vendor;  // line_no -> index into vendors
  bool dirty = false;
  bool flushed = false;  // emitted before: the row may be in the table
};

class OrderOwner final : public Owner {
 public:
  OrderOwner(const OwnerKey& key, const Schema& schema)
      : name_(key.to_string()), hold_(schema.options().hold_fact_rows) {}

  void stage1(const Plan&, const std::vector<WorkItem>&, std::vector<LookupAnswer>*) override {}

  void stage2(const Plan& plan, const std::vector<WorkItem>& items,
              const std::vector<LookupAnswer>& answers) override {
    for (const WorkItem& w : items) {
      const LoggedEvent& le = (*plan.events)[w.index];
      guarded(le, "orders", name_, &errors_, [&] {
        if (const auto* op = std::get_if<events::OrderPlaced>(&le.event.data))
          placed(le, *op, w, answers);
        else if (const auto* sc = std::get_if<events::OrderStatusChanged>(&le.event.data))
          status(le, *sc);
        else
          throw RuleViolation("event data does not match its type (nothing can project it)");
      });
    }
  }

  void flush(RowBatch* out) override {
    if (!hold_) emit_orders(out);
    for (auto& e : errors_) out->errors.push_back(std::move(e));
    errors_.clear();
  }

  void flush_held(RowBatch* out) override { emit_orders(out); }

  size_t memory_bytes() const override {
    return sizeof(*this) + state_bytes_ + orders_.bucket_count() * sizeof(void*) +
           dirty_.capacity() * sizeof(dirty_[0]);
  }

 private:
  // The changed fact_order rows.
  void emit_orders(RowBatch* out) {
    // A new order is a plain insert for the writer (rows.h), a known one merged.
    const auto table = static_cast<size_t>(Table::fact_order);
    for (auto& [id, o] : dirty_) {
      o->dirty = false;
      TableRows& fo = o->flushed ? out->upserts[table] : out->inserts[table];
      o->flushed = true;
      CopyLine c(fo.copy);
      c.text(*id).integer(static_cast<int64_t>(o->seq)).text(o->customer_id).integer(o->customer_sk);
      c.text(o->currency).integer(o->lines).integer(static_cast<int64_t>(o->vendors.size()));
      c.integer(o->units).decimal(o->amount).decimal(o->freight).integer(date_key(o->placed_us));
      c.time_us(o->placed_us);
      for (const auto& t : o->status_us) {
        if (t) c.time_us(*t); else c.null();
      }
      c.text(o->status == 0 ? std::string_view("placed") : events::to_string(static_cast<OrderStatus>(o->status)));
      c.end();
      ++fo.rows;
    }
    dirty_.clear();
  }

  void touch(const std::string& id, Order& o) {
    if (!o.dirty) {
      o.dirty = true;
      dirty_.emplace_back(&id, &o);
    }
  }

  void placed(const LoggedEvent& le, const events::OrderPlaced& d, const WorkItem& w,
              const std::vector<LookupAnswer>& answers) {
    if (orders_.count(d.order_id)) throw RuleViolation(fmt::format("order {} already placed", d.order_id));
    if (d.lines.empty()) throw RuleViolation(fmt::format("order {} has no lines", d.order_id));
    if (w.lookup_count < 1) throw RuleViolation("customer look-up missing (routing bug)");
    if (d.lines.size() > 65535) throw RuleViolation(fmt::format("order {}: more than 65535 lines", d.order_id));
    Order o;
    o.seq = le.seq;
    o.customer_id = d.customer_id;
    o.currency = d.currency;
    o.customer_sk = answers.at(w.first_lookup).sk;
    o.placed_us = le.event.event_time_us;
    const uint8_t scale = static_cast<uint8_t>(events::currency_decimals(d.currency));
    o.amount = dec_zero(scale);
    o.freight = dec_zero(scale);
    for (const auto& l : d.lines) o.vendors.push_back(l.vendor_id);
    std::sort(o.vendors.begin(), o.vendors.end());
    o.vendors.erase(std::unique(o.vendors.begin(), o.vendors.end()), o.vendors.end());
    for (const auto& l : d.lines) {
      for (const auto& seen : o.line_vendor)
        if (seen.first == l.line_no)
          throw RuleViolation(fmt::format("order {}: line_no {} twice", d.order_id, l.line_no));
      auto v = std::lower_bound(o.vendors.begin(), o.vendors.end(), l.vendor_id) - o.vendors.begin();
      o.line_vendor.emplace_back(l.line_no, static_cast<uint16_t>(v));
      auto what = [&](const char* of) { return fmt::format("order {} line {} {}", d.order_id, l.line_no, of); };
      const Decimal amount = dec_mul(l.unit_price, l.quantity, [&] { return what("amount"); });
      o.amount = dec_add(o.amount, amount, [&] { return what("order amount"); });
      if (l.freight) o.freight = dec_add(o.freight, *l.freight, [&] { return what("freight"); });
      if (__builtin_add_overflow(o.units, l.quantity, &o.units)) throw RuleViolation(what("units overflow int64"));
      ++o.lines;
    }
    size_t bytes = sizeof(Order) + 64 + d.order_id.size() + o.customer_id.capacity() +
                   o.line_vendor.capacity() * sizeof(o.line_vendor[0]);
    for (const auto& v : o.vendors) bytes += sizeof(v) + v.capacity();
    state_bytes_ += bytes;
    auto it = orders_.emplace(d.order_id, std::move(o)).first;
    touch(it->first, it->second);
  }

  void status(const LoggedEvent& le, const events::OrderStatusChanged& d) {
    auto it = orders_.find(d.order_id);
    if (it == orders_.end())
      throw RuleViolation(fmt::format("unknown order {} (no order_placed before it in the log)", d.order_id));
    Order& o = it->second;
    std::optional<uint16_t> vendor;
    if (d.vendor_id) {
      auto v = std::lower_bound(o.vendors.begin(), o.vendors.end(), *d.vendor_id);
      if (v == o.vendors.end() || *v != *d.vendor_id)
        throw RuleViolation(fmt::format("order {} has no lines of vendor {}", d.order_id, *d.vendor_id));
      vendor = static_cast<uint16_t>(v - o.vendors.begin());
    }
    if (d.line_no) {
      bool found = false;
      for (const auto& [no, v] : o.line_vendor) found |= no == *d.line_no && (!vendor || v == *vendor);
      if (!found)
        throw RuleViolation(d.vendor_id ? fmt::format("order {} has no line {} of vendor {}", d.order_id,
                                                      *d.line_no, *d.vendor_id)
                                        : fmt::format("order {} has no line {}", d.order_id, *d.line_no));
    }
    check_status(d.status);
    const int64_t t = le.event.event_time_us;
    auto& first = o.status_us[static_cast<size_t>(d.status) - 1];
    if (!first || t < *first) first = t;
    if (o.status_seq == 0 || std::make_pair(t, le.seq) > std::make_pair(o.status_time_us, o.status_seq)) {
      o.status = static_cast<uint8_t>(d.status);
      o.status_time_us = t;
      o.status_seq = le.seq;
    }
    touch(it->first, o);
  }

  std::string name_;
  bool hold_;  // WarehouseOptions::hold_fact_rows
  std::unordered_map<std::string, Order> orders_;
  std::vector<std::pair<const std::string*, Order*>> dirty_;
  std::vector<ProjectionError> errors_;
  size_t state_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Owner> make_order_owner(const OwnerKey& key, const Schema& schema) {
  return std::make_unique<OrderOwner>(key, schema);
}

}  // namespace lh::projections::detail
