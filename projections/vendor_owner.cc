// The owner of one vendor V: dim_vendor member V (stage 1), and in stage 2
// fact_order_line rows of V's lines, fact_stock of V and
// fact_vendor_performance of V (vendor x date_key). Rules: docs/warehouse.md.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "projections/dimension_host.h"
#include "projections/owner_util.h"

namespace lh::projections::detail {

namespace {

using events::Decimal;
using events::OrderStatus;

struct VLine {
  int32_t line_no = 0;
  std::string product_id;
  int64_t product_sk = 0;
  int64_t quantity = 0;
  Decimal unit_price, amount;
  std::optional<Decimal> freight;
  uint8_t status = 0;  // 0 = placed, else OrderStatus
  int64_t status_time_us = 0;
  uint64_t status_seq = 0;  // 0: no status event yet
  // Earliest time the line entered cancelled / returned (counted once, on that day).
  std::optional<int64_t> cancelled_us, returned_us;
  bool dirty = false;
  bool flushed = false;  // emitted before: the row may be in the table
};

struct VOrder {
  uint64_t seq = 0;
  int64_t order_time_us = 0;
  std::string customer_id, currency;
  int64_t customer_sk = 0, vendor_sk = 0;
  std::vector<VLine> lines;
  bool dirty = false;
};

struct Perf {
  int64_t orders = 0, lines = 0, units = 0;
  std::optional<std::string> currency;  // "MIXED" once a second currency shows up
  Decimal revenue;
  int64_t cancelled = 0, returned = 0, reviews = 0, stars = 0, stockouts = 0;
  bool dirty = false;
  bool flushed = false;  // emitted before: the row may be in the table
};

constexpr std::string_view kMixed = "MIXED";

int64_t checked_sum(int64_t a, int64_t b, const char* what) {
  int64_t s;
  if (__builtin_add_overflow(a, b, &s)) throw RuleViolation(fmt::format("{} overflows int64", what));
  return s;
}

class VendorOwner final : public Owner {
 public:
  VendorOwner(const OwnerKey& key, const Schema& schema)
      : vendor_(key.vendor_id), name_(key.to_string()), host_(Dim::vendor, schema),
        hold_(schema.options().hold_fact_rows) {}

  void stage1(const Plan& plan, const std::vector<WorkItem>& items,
              std::vector<LookupAnswer>* answers) override {
    for (const WorkItem& w : items) {
      if (w.kind == WorkItem::Kind::lookup)
        (*answers)[w.index] = host_.answer(plan.lookups[w.index]);
      else
        host_.apply((*plan.events)[w.index], name_, &errors_);
    }
  }

  void stage2(const Plan& plan, const std::vector<WorkItem>& items,
              const std::vector<LookupAnswer>& answers) override {
    for (const WorkItem& w : items) {
      const LoggedEvent& le = (*plan.events)[w.index];
      const auto& d = le.event.data;
      if (const auto* op = std::get_if<events::OrderPlaced>(&d)) {
        guarded(le, "orders", name_, &errors_, [&] { placed(le, *op, w, answers); });
      } else if (const auto* sc = std::get_if<events::OrderStatusChanged>(&d)) {
        guarded(le, "orders", name_, &errors_, [&] { status(le, *sc); });
      } else if (const auto* rv = std::get_if<events::ReviewSubmitted>(&d)) {
        guarded(le, "vendor_performance", name_, &errors_, [&] { review(le, *rv); });
      } else if (const auto* st = std::get_if<events::StockChanged>(&d)) {
        guarded(le, "stock", name_, &errors_, [&] { stock(le, *st, w, answers); });
      } else {
        guarded(le, "orders", name_, &errors_,
                [&] { throw RuleViolation("not a fact event of a vendor"); });
      }
    }
  }

  void flush(RowBatch* out) override {
    host_.flush(out);
    if (!hold_) emit_facts(out);
    out->upserts[static_cast<size_t>(Table::fact_stock)].append(std::move(stock_rows_));
    for (auto& e : errors_) out->errors.push_back(std::move(e));
    errors_.clear();
  }

  void flush_held(RowBatch* out) override { emit_facts(out); }

  size_t memory_bytes() const override {
    return sizeof(*this) + host_.memory_bytes() + state_bytes_ +
           orders_.bucket_count() * sizeof(void*) + levels_.bucket_count() * sizeof(void*) +
           perf_.size() * (sizeof(Perf) + 48) + dirty_orders_.capacity() * sizeof(dirty_orders_[0]);
  }

 private:
  // The changed fact_order_line and fact_vendor_performance rows.
  void emit_facts(RowBatch* out) {
    // New rows are plain inserts for the writer (rows.h), the others merged.
    const auto ol_table = static_cast<size_t>(Table::fact_order_line);
    for (auto& [id, o] : dirty_orders_) {
      for (VLine& l : o->lines) {
        if (!l.dirty) continue;
        l.dirty = false;
        TableRows& ol = l.flushed ? out->upserts[ol_table] : out->inserts[ol_table];
        l.flushed = true;
        CopyLine c(ol.copy);
        c.text(vendor_).text(*id).integer(l.line_no).integer(static_cast<int64_t>(o->seq));
        c.time_us(o->order_time_us).integer(date_key(o->order_time_us)).text(o->customer_id);
        c.integer(o->customer_sk).integer(o->vendor_sk).text(l.product_id).integer(l.product_sk);
        c.integer(l.quantity).decimal(l.unit_price).decimal(l.amount);
        if (l.freight) c.decimal(*l.freight); else c.null();
        c.text(o->currency);
        if (l.status_seq == 0) {
          c.text("placed").null().null();
        } else {
          c.text(events::to_string(static_cast<OrderStatus>(l.status)));
          c.time_us(l.status_time_us).integer(static_cast<int64_t>(l.status_seq));
        }
        c.end();
        ++ol.rows;
      }
      o->dirty = false;
    }
    dirty_orders_.clear();
    const auto vp_table = static_cast<size_t>(Table::fact_vendor_performance);
    for (int32_t day : dirty_days_) {
      Perf& p = perf_.at(day);
      p.dirty = false;
      TableRows& vp = p.flushed ? out->upserts[vp_table] : out->inserts[vp_table];
      p.flushed = true;
      CopyLine c(vp.copy);
      c.text(vendor_).integer(day).text_or_null(p.currency);
      c.integer(p.orders).integer(p.lines).integer(p.units);
      if (p.currency == kMixed) c.null(); else c.decimal(p.revenue);
      c.integer(p.cancelled).integer(p.returned).integer(p.reviews);
      if (p.reviews > 0) c.decimal(dec_ratio(p.stars, p.reviews, 2)); else c.null();
      c.integer(p.stockouts).end();
      ++vp.rows;
    }
    dirty_days_.clear();
  }

  Perf& day(int32_t key) {
    Perf& p = perf_[key];
    if (!p.dirty) {
      p.dirty = true;
      dirty_days_.push_back(key);
    }
    return p;
  }
  void touch(const std::string& id, VOrder& o) {
    if (!o.dirty) {
      o.dirty = true;
      dirty_orders_.emplace_back(&id, &o);
    }
  }
  static const LookupAnswer& answer(const WorkItem& w, const std::vector<LookupAnswer>& answers,
                                    uint32_t i) {
    if (i >= w.lookup_count) throw RuleViolation(fmt::format("look-up {} missing (routing bug)", i));
    return answers.at(w.first_lookup + i);
  }

  void placed(const LoggedEvent& le, const events::OrderPlaced& d, const WorkItem& w,
              const std::vector<LookupAnswer>& answers) {
    // Validate everything first: nothing changes unless the whole event fits.
    if (orders_.count(d.order_id))
      throw RuleViolation(fmt::format("order {} already placed (vendor {})", d.order_id, vendor_));
    const int64_t t = le.event.event_time_us;
    VOrder o;
    o.seq = le.seq;
    o.order_time_us = t;
    o.customer_id = d.customer_id;
    o.currency = d.currency;
    const int32_t dk = date_key(t);
    auto pit = perf_.find(dk);
    Perf next = pit == perf_.end() ? Perf{} : pit->second;
    bool first = true;
    for (size_t k = 0; k < d.lines.size(); ++k) {
      const events::OrderLine& l = d.lines[k];
      if (l.vendor_id != vendor_) continue;
      for (const VLine& seen : o.lines)
        if (seen.line_no == l.line_no)
          throw RuleViolation(fmt::format("order {}: line_no {} twice", d.order_id, l.line_no));
      if (l.quantity <= 0)
        throw RuleViolation(fmt::format("order {} line {}: quantity {} <= 0", d.order_id, l.line_no, l.quantity));
      VLine v;
      v.line_no = l.line_no;
      v.product_id = l.product_id;
      v.quantity = l.quantity;
      v.unit_price = l.unit_price;
      v.amount = dec_mul(l.unit_price, l.quantity,
                         [&] { return fmt::format("order {} line {} amount", d.order_id, l.line_no); });
      v.freight = l.freight;
      const uint32_t base = static_cast<uint32_t>(3 * k);
      if (first) {
        o.customer_sk = answer(w, answers, base).sk;
        o.vendor_sk = answer(w, answers, base + 1).sk;
        first = false;
      }
      v.product_sk = answer(w, answers, base + 2).sk;
      next.lines = checked_sum(next.lines, 1, "lines");
      next.units = checked_sum(next.units, l.quantity, "units");
      if (!next.currency) {
        next.currency = d.currency;
        next.revenue = v.amount;
      } else if (*next.currency == d.currency) {
        next.revenue = dec_add(next.revenue, v.amount,
                               [&] { return fmt::format("revenue of vendor {} on {}", vendor_, dk); });
      } else {
        next.currency = std::string(kMixed);
      }
      v.dirty = true;
      o.lines.push_back(std::move(v));
    }
    if (o.lines.empty()) throw RuleViolation(fmt::format("order {} has no line of vendor {}", d.order_id, vendor_));
    next.orders += 1;
    // Commit.
    size_t bytes = sizeof(VOrder) + 64 + d.order_id.size() + o.customer_id.capacity() + o.currency.capacity();
    for (const VLine& v : o.lines) bytes += sizeof(VLine) + v.product_id.capacity();
    state_bytes_ += bytes;
    Perf& p = day(dk);
    next.dirty = true;
    p = next;
    auto it = orders_.emplace(d.order_id, std::move(o)).first;
    touch(it->first, it->second);
  }

  void status(const LoggedEvent& le, const events::OrderStatusChanged& d) {
    check_status(d.status);
    auto it = orders_.find(d.order_id);
    const bool addressed = d.vendor_id.has_value();  // the event names this vendor
    if (it == orders_.end())
      throw RuleViolation(fmt::format("order {} has no lines of vendor {}", d.order_id, vendor_));
    VOrder& o = it->second;
    std::vector<VLine*> covered;
    for (VLine& l : o.lines)
      if (!d.line_no || l.line_no == *d.line_no) covered.push_back(&l);
    if (covered.empty()) {
      if (!addressed) return;  // a line of another vendor of the order
      throw RuleViolation(fmt::format("order {} has no line {} of vendor {}", d.order_id, *d.line_no, vendor_));
    }
    const int64_t t = le.event.event_time_us;
    for (VLine* l : covered) {
      if (l->status_seq == 0 || std::make_pair(t, le.seq) > std::make_pair(l->status_time_us, l->status_seq)) {
        l->status = static_cast<uint8_t>(d.status);
        l->status_time_us = t;
        l->status_seq = le.seq;
      }
      if (d.status == OrderStatus::cancelled) enter(l->cancelled_us, t, &Perf::cancelled);
      if (d.status == OrderStatus::returned) enter(l->returned_us, t, &Perf::returned);
      l->dirty = true;
    }
    touch(it->first, o);
  }

  // A line entered a counted status at `t`: counted once, on the day of the
  // earliest such event (a late, earlier one moves the count).
  void enter(std::optional<int64_t>& since, int64_t t, int64_t Perf::*counter) {
    if (since && *since <= t) return;
    if (since) day(date_key(*since)).*counter -= 1;
    since = t;
    day(date_key(t)).*counter += 1;
  }

  void review(const LoggedEvent& le, const events::ReviewSubmitted& d) {
    if (d.stars < 1 || d.stars > 5) throw RuleViolation(fmt::format("review {}: stars {} outside 1..5", d.review_id, d.stars));
    Perf& p = day(date_key(le.event.event_time_us));
    p.reviews += 1;
    p.stars += d.stars;
  }

  void stock(const LoggedEvent& le, const events::StockChanged& d, const WorkItem& w,
             const std::vector<LookupAnswer>& answers) {
    if (d.quantity < 0) throw RuleViolation(fmt::format("stock level {} < 0", d.quantity));
    const int64_t sk = answer(w, answers, 0).sk;
    std::string key = d.product_id;
    key.push_back('\0');
    key += d.warehouse;
    auto it = levels_.find(key);
    std::optional<int64_t> prev;
    if (it != levels_.end()) prev = it->second;
    const bool stockout = d.quantity == 0 && prev && *prev > 0;
    const int64_t t = le.event.event_time_us;
    CopyLine c(stock_rows_.copy);
    c.text(vendor_).integer(static_cast<int64_t>(le.seq)).time_us(t).integer(date_key(t));
    c.text(d.product_id).integer(sk).text(d.warehouse).integer(d.quantity);
    if (prev) c.integer(d.quantity - *prev); else c.null();
    c.boolean(stockout).end();
    ++stock_rows_.rows;
    if (it == levels_.end()) {
      state_bytes_ += 64 + key.capacity();
      levels_.emplace(std::move(key), d.quantity);
    } else {
      it->second = d.quantity;
    }
    if (stockout) day(date_key(t)).stockouts += 1;
  }

  std::string vendor_, name_;
  DimensionHost host_;
  bool hold_;  // WarehouseOptions::hold_fact_rows
  std::unordered_map<std::string, VOrder> orders_;
  std::vector<std::pair<const std::string*, VOrder*>> dirty_orders_;
  std::unordered_map<std::string, int64_t> levels_;  // product \0 warehouse -> level
  std::map<int32_t, Perf> perf_;
  std::vector<int32_t> dirty_days_;
  TableRows stock_rows_;
  std::vector<ProjectionError> errors_;
  size_t state_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Owner> make_vendor_owner(const OwnerKey& key, const Schema& schema) {
  return std::make_unique<VendorOwner>(key, schema);
}

}  // namespace lh::projections::detail
