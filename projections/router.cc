// The Router of pipeline.h: splits a batch into the owners' stage-1 and
// stage-2 work items. Look-ups a fact event makes, in this fixed order
// (stage-2 items carry [first_lookup, first_lookup + lookup_count)):
//   order_placed:          per line, in line order: customer, vendor, product
//                          (3 per line; lookup 3k+0/1/2 belongs to line k)
//   stock_changed:         product
//   page_viewed:           customer, product, vendor, for the ids present,
//                          in that order (the customer look-up asks for
//                          segment/region when the view is an alert)
//   review_submitted, order_status_changed: none
// Stage-2 targets:
//   order_placed:          every vendor with lines (each picks its lines) and
//                          the order shard
//   order_status_changed:  the vendor named, or every vendor of the order
//                          (remembered from its order_placed), and the order
//                          shard; an unknown order without vendor_id reaches
//                          the order shard only (which reports it)
//   review_submitted, stock_changed: the vendor
//   page_viewed:           traffic shard (window_start / 5 min) % traffic_shards
// Dimension events go to stage 1 of the member's owner. Skipped seqs reach
// nobody.
#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "projections/dimension.h"
#include "projections/owner_util.h"
#include "projections/pipeline.h"

namespace lh::projections {

namespace {
uint32_t shard_of(std::string_view id, int shards) {
  return static_cast<uint32_t>(fnv1a64(id) % static_cast<uint64_t>(shards));
}
}  // namespace

struct Router::Impl {
  WarehouseOptions options;
  // order_id -> the vendors it has lines with (sorted, distinct).
  std::unordered_map<std::string, std::vector<std::string>> order_vendors;
  size_t order_vendor_bytes = 0;

  // Per-batch: owner -> index into the plan's stage vectors.
  std::unordered_map<OwnerKey, size_t, OwnerKeyHash> idx1, idx2;
  Plan* plan = nullptr;

  OwnerKey member_owner(Dim d, const std::string& id) const {
    OwnerKey k;
    switch (d) {
      case Dim::vendor: k.kind = OwnerKey::Kind::vendor; k.vendor_id = id; break;
      case Dim::customer:
        k.kind = OwnerKey::Kind::customer_shard;
        k.shard = shard_of(id, options.customer_shards);
        break;
      case Dim::product:
        k.kind = OwnerKey::Kind::product_shard;
        k.shard = shard_of(id, options.product_shards);
        break;
    }
    return k;
  }
  static OwnerKey vendor(const std::string& id) {
    OwnerKey k;
    k.vendor_id = id;
    return k;
  }
  OwnerKey order_shard(const std::string& order_id) const {
    OwnerKey k;
    k.kind = OwnerKey::Kind::order_shard;
    k.shard = shard_of(order_id, options.order_shards);
    return k;
  }

  std::vector<WorkItem>& items(std::unordered_map<OwnerKey, size_t, OwnerKeyHash>& idx,
                               std::vector<std::pair<OwnerKey, std::vector<WorkItem>>>& stage,
                               const OwnerKey& k) {
    // find first: emplace would allocate a node for every item.
    auto it = idx.find(k);
    if (it == idx.end()) {
      it = idx.emplace(k, stage.size()).first;
      stage.emplace_back(k, std::vector<WorkItem>{});
    }
    return stage[it->second].second;
  }
  // The look-ups of the event being routed start here (Lookup::slot).
  size_t event_first_lookup = 0;
  // The slot of `id` among the event's distinct ids of dimension d so far:
  // its earlier slot, or the next one. Linear: only orders name more than
  // one id of a dimension, and a map per event would cost every page view.
  // Orders of many lines switch to a map of the event's ids.
  static constexpr size_t kLinearLookups = 48;
  std::unordered_map<std::string, uint32_t> event_slots[kDimCount];
  uint32_t event_next_slot[kDimCount] = {};
  bool event_slots_on = false;
  uint32_t slot_of(Dim d, const std::string& id) {
    const size_t n = plan->lookups.size() - event_first_lookup;
    uint32_t next = 0;
    if (n < kLinearLookups) {
      for (size_t i = event_first_lookup; i < plan->lookups.size(); ++i) {
        const Lookup& o = plan->lookups[i];
        if (o.dim != d) continue;
        if (o.natural_id == id) return o.slot;
        next = std::max(next, o.slot + 1);
      }
    } else {
      if (!event_slots_on) {  // the event's look-ups so far, once
        event_slots_on = true;
        for (int k = 0; k < kDimCount; ++k) {
          event_slots[k].clear();
          event_next_slot[k] = 0;
        }
        for (size_t i = event_first_lookup; i < plan->lookups.size(); ++i) {
          const Lookup& o = plan->lookups[i];
          const auto k = static_cast<size_t>(o.dim);
          event_slots[k].emplace(o.natural_id, o.slot);
          event_next_slot[k] = std::max(event_next_slot[k], o.slot + 1);
        }
      }
      const auto k = static_cast<size_t>(d);
      auto it = event_slots[k].find(id);
      if (it != event_slots[k].end()) return it->second;
      next = event_next_slot[k];
    }
    if (next >= kMaxInferredSlots)
      throw std::length_error(fmt::format("an event names more than {} distinct {} ids", kMaxInferredSlots,
                                          to_string(d)));
    if (event_slots_on) {
      const auto k = static_cast<size_t>(d);
      event_slots[k].emplace(id, next);
      event_next_slot[k] = next + 1;
    }
    return next;
  }
  void lookup(Dim d, const std::string& id, const LoggedEvent& le, bool want_sr = false) {
    Lookup l{d, id, le.event.event_time_us, le.seq, want_sr, slot_of(d, id)};
    WorkItem w{WorkItem::Kind::lookup, static_cast<uint32_t>(plan->lookups.size())};
    items(idx1, plan->stage1, member_owner(d, id)).push_back(w);
    plan->lookups.push_back(std::move(l));
  }
  void fact(const OwnerKey& k, uint32_t index, uint32_t first, uint32_t count) {
    items(idx2, plan->stage2, k).push_back(WorkItem{WorkItem::Kind::event, index, first, count});
  }

  void route(const LoggedEvent& le, uint32_t index);
};

void Router::Impl::route(const LoggedEvent& le, uint32_t index) {
  using events::EventType;
  const events::Event& e = le.event;
  if (auto change = changes_of(e)) {
    items(idx1, plan->stage1, member_owner(change->dim, change->natural_id))
        .push_back(WorkItem{WorkItem::Kind::event, index});
    return;
  }
  const uint32_t first = static_cast<uint32_t>(plan->lookups.size());
  event_first_lookup = first;
  event_slots_on = false;
  auto count = [&] { return static_cast<uint32_t>(plan->lookups.size()) - first; };
  switch (e.type) {
    case EventType::order_placed: {
      const auto* d = std::get_if<events::OrderPlaced>(&e.data);
      if (!d) break;
      std::vector<std::string> vendors;
      for (const auto& l : d->lines) {
        lookup(Dim::customer, d->customer_id, le);
        lookup(Dim::vendor, l.vendor_id, le);
        lookup(Dim::product, l.product_id, le);
        vendors.push_back(l.vendor_id);
      }
      std::sort(vendors.begin(), vendors.end());
      vendors.erase(std::unique(vendors.begin(), vendors.end()), vendors.end());
      for (const auto& v : vendors) fact(vendor(v), index, first, count());
      fact(order_shard(d->order_id), index, first, count());
      // A second order_placed of the same order is refused by its owners;
      // the first one's vendors stay.
      auto [it, fresh] = order_vendors.emplace(d->order_id, std::move(vendors));
      if (fresh) {
        order_vendor_bytes += sizeof(*it) + 32 + it->first.capacity();
        for (const auto& v : it->second) order_vendor_bytes += sizeof(v) + v.capacity();
      }
      return;
    }
    case EventType::order_status_changed: {
      const auto* d = std::get_if<events::OrderStatusChanged>(&e.data);
      if (!d) break;
      if (d->vendor_id) {
        fact(vendor(*d->vendor_id), index, first, 0);
      } else if (auto it = order_vendors.find(d->order_id); it != order_vendors.end()) {
        for (const auto& v : it->second) fact(vendor(v), index, first, 0);
      }
      fact(order_shard(d->order_id), index, first, 0);
      return;
    }
    case EventType::review_submitted: {
      const auto* d = std::get_if<events::ReviewSubmitted>(&e.data);
      if (!d) break;
      fact(vendor(d->vendor_id), index, first, 0);
      return;
    }
    case EventType::stock_changed: {
      const auto* d = std::get_if<events::StockChanged>(&e.data);
      if (!d) break;
      lookup(Dim::product, d->product_id, le);
      fact(vendor(d->vendor_id), index, first, count());
      return;
    }
    case EventType::page_viewed: {
      const auto* d = std::get_if<events::PageViewed>(&e.data);
      if (!d) break;
      const bool alert = d->latency_ms > static_cast<double>(options.alert_latency_ms);
      if (d->customer_id) lookup(Dim::customer, *d->customer_id, le, alert);
      if (d->product_id) lookup(Dim::product, *d->product_id, le);
      if (d->vendor_id) lookup(Dim::vendor, *d->vendor_id, le);
      OwnerKey k;
      k.kind = OwnerKey::Kind::traffic_shard;
      int64_t w = detail::floor_div(e.event_time_us, detail::kWindowUs);
      int64_t n = options.traffic_shards;
      k.shard = static_cast<uint32_t>(((w % n) + n) % n);
      fact(k, index, first, count());
      return;
    }
    default: break;
  }
  // A type whose data does not match it is the decoder's bug; the traffic
  // of such an event would be lost silently, so give it to an owner that
  // reports it: the order shard 0 (it rejects anything it cannot read).
  OwnerKey k;
  k.kind = OwnerKey::Kind::order_shard;
  fact(k, index, first, 0);
}

Router::Router(const Schema& schema) : impl_(std::make_shared<Impl>()) { impl_->options = schema.options(); }

void Router::plan(std::shared_ptr<const EventBatch> batch, const std::vector<uint64_t>& skips, Plan* out) {
  Impl& m = *impl_;
  out->events = batch;
  out->lookups.clear();
  out->stage1.clear();
  out->stage2.clear();
  out->skipped = 0;
  m.idx1.clear();
  m.idx2.clear();
  m.plan = out;
  auto skip = skips.begin();
  for (uint32_t i = 0; i < batch->size(); ++i) {
    const LoggedEvent& le = (*batch)[i];
    while (skip != skips.end() && *skip < le.seq) ++skip;
    if (skip != skips.end() && *skip == le.seq) {
      ++out->skipped;
      continue;
    }
    m.route(le, i);
  }
  // Owners in key order: the plan, like the rows, does not depend on hashing.
  auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::sort(out->stage1.begin(), out->stage1.end(), by_key);
  std::sort(out->stage2.begin(), out->stage2.end(), by_key);
  m.plan = nullptr;
}

size_t Router::memory_bytes() const {
  return sizeof(Impl) + impl_->order_vendor_bytes + impl_->order_vendors.bucket_count() * sizeof(void*);
}

}  // namespace lh::projections
