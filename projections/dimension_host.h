// Internal to projections/: a Dimension (scd2.h) as an owner hosts it —
// applies the owner's dimension events under the poison-event guard,
// answers look-ups, and accumulates the row changes of a batch until flush
// (upserts deduplicated per sk, later wins; deletes; repoints in order).
// Used by the customer and product shards and by each vendor owner.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "projections/pipeline.h"
#include "projections/scd2.h"

namespace lh::projections::detail {

class DimensionHost {
 public:
  DimensionHost(Dim dim, const Schema& schema);

  // A dimension event of this dimension; a failure becomes a ProjectionError
  // of projection "dimensions" owned by `owner`.
  void apply(const LoggedEvent& le, const std::string& owner, std::vector<ProjectionError>* errors);
  // The sk of the version valid at the look-up's time (an inferred member
  // is created when the member is unknown); segment/region when asked.
  LookupAnswer answer(const Lookup& l);
  // Appends the accumulated dim_<name> rows and repoints, and forgets them.
  void flush(RowBatch* out);
  size_t memory_bytes() const;
  const Dimension& dimension() const { return dim_; }

 private:
  // new_sk: the sk a version opened by the current event (or a member it
  // infers) gets; a row with it cannot be in the table yet.
  void take(DimChanges& changes, int64_t new_sk);

  Dimension dim_;
  DimChanges scratch_;
  // sk -> its latest row in this batch (nullopt: deleted); order = first seen.
  struct Pending {
    std::optional<VersionRow> row;
    // First emitted for the event that made the sk: never flushed before,
    // so flush() hands it over as an insert (COPY, no ON CONFLICT merge).
    bool is_new = false;
  };
  std::unordered_map<int64_t, Pending> pending_;
  std::vector<int64_t> pending_order_;
  std::vector<Repoint> repoints_;
  // Per member, the span of event times that can have a fact row pointing
  // at one of its versions: [min, max] of the look-up times answered, widened
  // by the range of every repoint emitted (see take()). A repoint that does
  // not intersect it cannot match a fact and is not emitted.
  struct Span {
    int64_t lo, hi;  // inclusive; hi may be kInfinityUs
  };
  std::unordered_map<std::string, Span> spans_;
  size_t state_bytes_ = 0;  // estimate of the Dimension's heap, see memory_bytes()
  std::optional<size_t> segment_attr_, region_attr_;
};

}  // namespace lh::projections::detail
