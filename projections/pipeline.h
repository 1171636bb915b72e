// How a batch of logged events becomes a RowBatch, as pure code: the routing
// (Router), the owners of projection state (Owner) and a single-threaded
// reference driver (Pipeline). The CAF actors (actors/) run exactly these
// steps, with one actor per owner; the reference driver is what the tests and
// the actors are checked against (same log -> same rows).
//
// A batch is processed in two stages, so that facts can reference dimension
// versions owned by other owners without any shared state:
//   stage 1, dimension owners (each vendor, customer shards, product shards):
//     apply their dimension events and answer the batch's look-ups (the sk
//     of the version a fact references; inferred members are created here),
//     interleaved in seq order, so the answers do not depend on where batch
//     boundaries fall;
//   stage 2, fact owners (each vendor, order shards, traffic shards): build
//     facts and aggregates from their events and the look-up answers.
// Every owner then emits the rows it changed during the batch (at most one
// row per key: aggregates are emitted once per batch with their absolute
// values). Owners' keys are disjoint, so the parts concatenate.
//
// Who owns what:
//   vendor V (one owner per vendor: isolation): dim_vendor member V;
//     fact_order_line rows of V's lines, fact_stock of V, fact_vendor_performance
//     of V (orders, lines, units, revenue, cancellations, returns, reviews,
//     stock-outs).
//   customer shard hash(customer_id) % customer_shards: dim_customer members.
//   product shard hash(product_id) % product_shards: dim_product members.
//   order shard hash(order_id) % order_shards: fact_order (accumulating snapshot).
//   traffic shard (5-minute window of the page view) % traffic_shards:
//     fact_clickstream, agg_pageviews_5m, alert_high_latency.
// The hash is FNV-1a 64 of the id bytes (stable across runs and machines).
//
// Determinism: the rows of a batch depend only on the log up to the batch's
// last seq, never on batch boundaries, thread timing or wall clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/event.h"
#include "events/result.h"
#include "projections/rows.h"
#include "projections/schema.h"
#include "projections/scd2.h"

namespace lh::projections {

struct LoggedEvent {
  uint64_t seq = 0;
  int64_t ingest_time_us = 0;
  events::Event event;
};
using EventBatch = std::vector<LoggedEvent>;  // consecutive seqs, ascending

struct OwnerKey {
  enum class Kind : uint8_t { vendor, customer_shard, product_shard, order_shard, traffic_shard };
  Kind kind = Kind::vendor;
  uint32_t shard = 0;     // for the shard kinds
  std::string vendor_id;  // for Kind::vendor
  bool operator==(const OwnerKey& o) const {
    return kind == o.kind && shard == o.shard && vendor_id == o.vendor_id;
  }
  bool operator<(const OwnerKey& o) const;
  std::string to_string() const;  // "vendor V-1", "customer shard 3", ...
};
struct OwnerKeyHash {
  size_t operator()(const OwnerKey& k) const;
};

uint64_t fnv1a64(std::string_view s);

// The sk a fact's look-up gives a member it infers: the fact's seq. One
// event can infer several members of one dimension (an order whose two
// lines name two unknown products), and they must not share it: the k-th
// distinct id of that dimension in the event (slot k, from 0) gets
// seq + k * 2^44. Slot 0 keeps the plain seq. Unique while seqs stay below
// 2^44 (17.6 trillion events) and an event names fewer than 2^19 distinct
// ids of one dimension (a 1 MiB record holds ~20,000 order lines).
inline constexpr int kInferredSlotShift = 44;
inline constexpr uint32_t kMaxInferredSlots = uint32_t{1} << 19;
inline int64_t inferred_sk(uint64_t seq, uint32_t slot) {
  return static_cast<int64_t>(seq + (static_cast<uint64_t>(slot) << kInferredSlotShift));
}

// The dimension version a fact references, asked of the member's owner.
struct Lookup {
  Dim dim = Dim::customer;
  std::string natural_id;
  int64_t t_us = 0;   // the fact's event time
  uint64_t seq = 0;   // the fact's seq
  bool want_segment_region = false;  // alert_high_latency enrichment (customers only)
  uint32_t slot = 0;  // index of natural_id among the event's distinct ids of `dim` (inferred_sk)
};
struct LookupAnswer {
  int64_t sk = 0;
  std::optional<std::string> segment, region;  // when asked for
};

// One unit of an owner's work in a stage: an event of the batch (index into
// the EventBatch), or for stage 1 a look-up (index into Plan::lookups).
struct WorkItem {
  enum class Kind : uint8_t { event, lookup };
  Kind kind = Kind::event;
  uint32_t index = 0;
  // Stage 2 only: the look-ups of this event's facts, Plan::lookups
  // [first_lookup, first_lookup + lookup_count), in the order the router
  // made them (documented in router.cc per event type).
  uint32_t first_lookup = 0, lookup_count = 0;
};

struct Plan {
  std::shared_ptr<const EventBatch> events;
  std::vector<Lookup> lookups;
  // Per owner, its items in seq order (look-ups of an event come right
  // before the event's own position, after lower seqs).
  std::vector<std::pair<OwnerKey, std::vector<WorkItem>>> stage1;
  std::vector<std::pair<OwnerKey, std::vector<WorkItem>>> stage2;
  uint64_t skipped = 0;  // events of the batch passed over (projection skip)
};

// Splits batches into owners' work. Holds the little state routing needs
// (which vendors an order has lines with, for order_status_changed without a
// vendor_id); deterministic; must see every batch in seq order from seq 1.
class Router {
 public:
  explicit Router(const Schema& schema);
  // `skips`: seqs to pass over (ascending); they reach no owner.
  void plan(std::shared_ptr<const EventBatch> batch, const std::vector<uint64_t>& skips, Plan* out);
  size_t memory_bytes() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// One owner's projection state. Not thread-safe: one actor owns it.
class Owner {
 public:
  virtual ~Owner() = default;
  // Stage 1: applies the items (dimension events, look-ups) in order;
  // writes answers[item.index] for each look-up item.
  virtual void stage1(const Plan& plan, const std::vector<WorkItem>& items,
                      std::vector<LookupAnswer>* answers) = 0;
  // Stage 2: builds facts from the items' events and the answers.
  virtual void stage2(const Plan& plan, const std::vector<WorkItem>& items,
                      const std::vector<LookupAnswer>& answers) = 0;
  // Appends the rows this owner changed since the last flush (at most one
  // per key) and its ProjectionErrors to *out, and forgets them.
  virtual void flush(RowBatch* out) = 0;
  // With WarehouseOptions::hold_fact_rows, flush() leaves out the rows of
  // the held tables; this appends them (changed since the last call), once
  // the run's last batch is in.
  virtual void flush_held(RowBatch* out) {}
  virtual size_t memory_bytes() const = 0;
};

// Makes the owner for `key` (a fresh, empty state).
std::unique_ptr<Owner> make_owner(const OwnerKey& key, const Schema& schema);

// The single-threaded reference driver: Router + owners, in process.
class Pipeline {
 public:
  explicit Pipeline(const Schema& schema);
  ~Pipeline();
  // Projects one batch: out->after_seq/last_seq/events/skipped are set, the
  // rows of every owner touched appended (owners in OwnerKey order).
  void project(std::shared_ptr<const EventBatch> batch, const std::vector<uint64_t>& skips,
               RowBatch* out);
  size_t owner_count() const;
  size_t memory_bytes() const;
  // Of the owners of one kind only (estimates, see docs/warehouse.md), and
  // how many there are.
  size_t memory_bytes(OwnerKey::Kind kind) const;
  size_t owner_count(OwnerKey::Kind kind) const;
  size_t router_memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::projections
