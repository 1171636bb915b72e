// The owner of a traffic shard (the 5-minute windows w with w % shards ==
// shard): fact_clickstream, agg_pageviews_5m and alert_high_latency.
// Rules: docs/warehouse.md.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "projections/owner_util.h"

namespace lh::projections::detail {

namespace {

// A latency above this is not a measurement we can sum exactly (in integer
// microseconds, int64) over a window: the view is a ProjectionError.
constexpr double kMaxLatencyMs = 1e9;

struct Agg {
  int64_t views = 0, errors = 0;
  int64_t sum_us = 0;  // latencies in whole microseconds (rounded half away from zero)
  double max_ms = 0;
  std::array<int64_t, kLatencyBuckets> histogram{};
  bool dirty = false;
};

size_t bucket_of(double latency_ms) {
  size_t i = 0;
  while (i < kLatencyBucketBoundsMs.size() && !(latency_ms < static_cast<double>(kLatencyBucketBoundsMs[i]))) ++i;
  return i;
}

class TrafficOwner final : public Owner {
 public:
  TrafficOwner(const OwnerKey& key, const Schema& schema)
      : name_(key.to_string()), threshold_ms_(schema.options().alert_latency_ms) {}

  void stage1(const Plan&, const std::vector<WorkItem>&, std::vector<LookupAnswer>*) override {}

  void stage2(const Plan& plan, const std::vector<WorkItem>& items,
              const std::vector<LookupAnswer>& answers) override {
    for (const WorkItem& w : items) {
      const LoggedEvent& le = (*plan.events)[w.index];
      guarded(le, "clickstream", name_, &errors_, [&] {
        const auto* pv = std::get_if<events::PageViewed>(&le.event.data);
        if (!pv) throw RuleViolation("not a page view");
        view(le, *pv, w, answers);
      });
    }
  }

  void flush(RowBatch* out) override {
    out->upserts[static_cast<size_t>(Table::fact_clickstream)].append(std::move(clicks_));
    out->upserts[static_cast<size_t>(Table::alert_high_latency)].append(std::move(alerts_));
    TableRows& pv = out->upserts[static_cast<size_t>(Table::agg_pageviews_5m)];
    for (auto* entry : dirty_) {
      auto& [key, a] = *entry;
      a.dirty = false;
      CopyLine c(pv.copy);
      c.time_us(key.first).text(key.second).integer(a.views).integer(a.errors);
      // avg in ms with 3 decimals = sum_us / views rounded half-up at 0 decimals of us.
      c.decimal(dec_ratio(a.sum_us, a.views * 1000, 3));
      c.integer(std::llround(a.max_ms));
      std::string hist = "{";
      for (size_t i = 0; i < a.histogram.size(); ++i) {
        if (i) hist.push_back(',');
        hist += std::to_string(a.histogram[i]);
      }
      hist.push_back('}');
      c.raw(hist).end();
      ++pv.rows;
    }
    dirty_.clear();
    for (auto& e : errors_) out->errors.push_back(std::move(e));
    errors_.clear();
  }

  size_t memory_bytes() const override { return sizeof(*this) + windows_.size() * (sizeof(Agg) + 96); }

 private:
  using Windows = std::map<std::pair<int64_t, std::string>, Agg>;

  void view(const LoggedEvent& le, const events::PageViewed& d, const WorkItem& w,
            const std::vector<LookupAnswer>& answers) {
    if (!(d.latency_ms >= 0) || !(d.latency_ms <= kMaxLatencyMs))
      throw RuleViolation(fmt::format("latency_ms {} outside 0..{}", d.latency_ms, kMaxLatencyMs));
    uint32_t next = 0;
    auto take = [&]() -> const LookupAnswer& {
      if (next >= w.lookup_count) throw RuleViolation("look-up missing (routing bug)");
      return answers.at(w.first_lookup + next++);
    };
    const LookupAnswer* customer = d.customer_id ? &take() : nullptr;
    const LookupAnswer* product = d.product_id ? &take() : nullptr;
    const LookupAnswer* vendor = d.vendor_id ? &take() : nullptr;

    const int64_t t = le.event.event_time_us;
    const int64_t start = window_start_us(t);
    const int64_t us = std::llround(d.latency_ms * 1000);
    auto key = std::make_pair(start, d.http_method);
    auto it = windows_.find(key);
    int64_t sum = it == windows_.end() ? 0 : it->second.sum_us;
    if (__builtin_add_overflow(sum, us, &sum))
      throw RuleViolation(fmt::format("latency sum of window {} {} overflows", events::format_time_us(start), d.http_method));
    // Validated: commit.
    if (it == windows_.end()) it = windows_.emplace(std::move(key), Agg{}).first;
    Agg& a = it->second;
    a.views += 1;
    a.errors += d.status_code >= 500;
    a.sum_us = sum;
    a.max_ms = std::max(a.max_ms, d.latency_ms);
    a.histogram[bucket_of(d.latency_ms)] += 1;
    if (!a.dirty) {
      a.dirty = true;
      dirty_.push_back(&*it);
    }

    const int64_t latency = std::llround(d.latency_ms);
    CopyLine c(clicks_.copy);
    c.integer(static_cast<int64_t>(le.seq)).text(le.event.event_id).text(d.session_id).time_us(t);
    c.integer(date_key(t)).text(d.url).text(d.http_method).integer(d.status_code).integer(latency);
    c.text_or_null(d.customer_id);
    if (customer) c.integer(customer->sk); else c.null();
    c.text_or_null(d.product_id);
    if (product) c.integer(product->sk); else c.null();
    c.text_or_null(d.vendor_id);
    if (vendor) c.integer(vendor->sk); else c.null();
    c.end();
    ++clicks_.rows;

    if (d.latency_ms > static_cast<double>(threshold_ms_)) {
      CopyLine al(alerts_.copy);
      al.integer(static_cast<int64_t>(le.seq)).time_us(t).text(d.session_id).text(d.url);
      al.text(d.http_method).integer(d.status_code).integer(latency).integer(threshold_ms_);
      al.text_or_null(d.customer_id);
      if (customer) al.text_or_null(customer->segment).text_or_null(customer->region);
      else al.null().null();
      al.text_or_null(d.vendor_id).end();
      ++alerts_.rows;
    }
  }

  std::string name_;
  int64_t threshold_ms_;
  Windows windows_;
  std::vector<Windows::value_type*> dirty_;
  TableRows clicks_, alerts_;
  std::vector<ProjectionError> errors_;
};

}  // namespace

std::unique_ptr<Owner> make_traffic_owner(const OwnerKey& key, const Schema& schema) {
  return std::make_unique<TrafficOwner>(key, schema);
}

}  // namespace lh::projections::detail
