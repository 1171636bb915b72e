// The SCD Type 2 engine: the history of every member of one dimension
// (dim_vendor, dim_customer or dim_product), as a pure function of the
// dimension events and fact look-ups it is given. An entity actor hosts a
// Dimension (or a shard of one) and hands the row changes it returns to the
// projector, which writes them to PostgreSQL.
//
// Determinism: the output depends only on the events and their seqs, in the
// order they are applied. Surrogate key (sk) = seq of the event that opened
// the version, so a replay of the log reproduces every row byte for byte.
//
// The model. Per member, the engine keeps the member's change events sorted
// by (event_time, seq) and derives its versions by folding that list from the
// start; a late event (earlier event_time than events already seen) is
// inserted in its place and the chain is folded again. The rows that differ
// from the previous fold are emitted as upserts, vanished versions as deletes,
// and every time range whose valid version changed as a Repoint.
//
// The fold, entry by entry in (event_time, seq) order:
//  - registered/created/updated: attributes are compared with the member's
//    current values; an attribute whose value is unchanged is ignored.
//      * a changed type-2 attribute opens a new version at the event's time
//        (sk = the event's seq) and closes the open one (valid_to = that time);
//        if the open version started at the very same microsecond, the change
//        is merged into it instead (no zero-length versions);
//      * a changed type-3 attribute alone updates the open version in place,
//        with previous_<attr> = the value before the change; a version opened
//        by the same or a later event carries that previous value forward;
//      * a type-1 attribute is overwritten in every version of the member:
//        every version shows the value of the last (in event_time order) event
//        that set it;
//      * when no version is open (new member, or after a delete) the event
//        opens one whatever it changes (first version, or re-activation).
//    An event that changes nothing opens nothing and emits nothing; it is
//    still kept, because a later re-fold can turn it into a real change.
//  - customer_deleted: closes the open version (valid_to = the delete's time)
//    and marks it is_deleted; that version stays the member's latest version.
//    A delete with no open version is a no-op.
//  - inferred (see sk_for_fact): opens an inferred version (attributes null).
//    The member's first real event completes it in place: the version keeps
//    its sk, takes the event's attributes, is_inferred = false, and
//    valid_from = min(inferred valid_from, event's time).
//  - versions are numbered 1, 2, 3... in valid_from order; is_current marks the
//    member's latest version (also when that version is deleted: is_current
//    means "latest", not "alive"; is_deleted tells the rest).
//
// Memory: a member keeps all its change events (packed attribute text plus
// ~56 bytes per event) and 16 bytes per version for sk_at; version rows are
// not stored but folded again when needed. So a member's state is linear in
// its number of change events, and kept whole because any of them may be
// needed by a re-fold: an event can arrive arbitrarily late. Measured
// (Scd2.MemoryPerTypicalMember): ~530 heap bytes for a customer with a full
// registration and two updates, so 250,000 members take ~130 MB. Folding
// history older than a lateness horizon into a snapshot would bound it
// further, at the price of a rule for events later than the horizon.
//
// Cost of a change: two walks over the member's events that copy no
// attribute text (O(events)), plus materializing only the rows the change
// can affect (usually one or two); a change of a type-1 attribute's final
// value re-materializes every row, since each row holds it. sk_at is a hash
// look-up and a binary search.
//
// Thread safety: none; a Dimension is owned by one actor.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/event.h"
#include "events/result.h"
#include "projections/dimension.h"

namespace lh::projections {

// valid_to of a member's latest version (the writer prints 'infinity').
constexpr int64_t kInfinityUs = std::numeric_limits<int64_t>::max();
// Start of a Repoint range that begins before the member's first version
// (the writer prints '-infinity').
constexpr int64_t kMinusInfinityUs = std::numeric_limits<int64_t>::min();

enum class AttrPolicy : uint8_t {
  type1,  // overwrite in every version, no history
  type2,  // a change opens a new version (the default)
  type3,  // no new version; previous_<attr> keeps the value before the change
};

// Per-dimension attribute policy, from configuration. Attributes not listed
// are type 2. Names must be attributes of the dimension (spec(dim).attrs).
struct Scd2Policy {
  std::map<std::string, AttrPolicy> attrs;
};

// One row of dim_<name>.
struct VersionRow {
  Dim dim = Dim::vendor;
  int64_t sk = 0;          // seq of the event that opened the version
  std::string natural_id;  // vendor_id / customer_id / product_id
  std::vector<std::optional<std::string>> attrs;           // spec(dim).attrs order; null = never set
  std::vector<std::optional<std::string>> previous_attrs;  // one per Dimension::type3_attrs(), same order
  int64_t valid_from_us = 0;
  int64_t valid_to_us = kInfinityUs;  // exclusive
  bool is_current = false;            // latest version of the member
  int32_t version = 0;                // 1, 2, 3... in valid_from order
  bool is_deleted = false;
  bool is_inferred = false;
  bool operator==(const VersionRow& o) const;
  bool operator!=(const VersionRow& o) const { return !(*this == o); }
};

// Facts of member `natural_id` whose event time is in [from_us, to_us) must
// reference `sk` from now on. from_us may be kMinusInfinityUs, to_us
// kInfinityUs. Emitted whenever the version in effect changes for some
// range, also for an ordinary in-order change ([its time, infinity)): facts
// with a later event time may have been resolved before the change arrived.
struct Repoint {
  Dim dim = Dim::vendor;
  std::string natural_id;
  int64_t from_us = 0, to_us = 0;
  int64_t sk = 0;
  bool operator==(const Repoint& o) const {
    return dim == o.dim && natural_id == o.natural_id && from_us == o.from_us && to_us == o.to_us &&
           sk == o.sk;
  }
};

// The row changes of one call. Within one call an sk appears at most once,
// either in upserts or in deleted_sks, so the writer may apply the two lists
// in any order. Repoints are disjoint ranges in time order; the writer
// applies them after inserting the facts resolved before them. When a caller
// accumulates several calls in one DimChanges, a later entry for an sk
// supersedes an earlier one and repoints must be applied in order.
struct DimChanges {
  std::vector<VersionRow> upserts;  // in version order
  std::vector<int64_t> deleted_sks;
  std::vector<Repoint> repoints;
  bool empty() const { return upserts.empty() && deleted_sks.empty() && repoints.empty(); }
};

// All members of one dimension (or the shard of them an actor owns).
class Dimension {
 public:
  // Validates `policy` against spec(dim): an unknown attribute name is an
  // Error naming it and the dimension.
  static Result<Dimension> make(Dim dim, const Scd2Policy& policy);

  Dim dim() const { return dim_; }
  // Indices (into spec(dim).attrs) of the type-3 attributes, ascending:
  // VersionRow::previous_attrs[j] belongs to attribute type3_attrs()[j].
  const std::vector<uint8_t>& type3_attrs() const { return type3_; }

  // Applies a dimension event of this dimension (registered/created/updated,
  // customer_deleted) whose log seq is `seq`, appending its row changes to
  // *out. Seqs must be unique (the log's). An event of another type or
  // dimension is an Error and changes nothing.
  Status apply(const events::Event& e, uint64_t seq, DimChanges* out);
  // The same, for a change already extracted with changes_of() (the router
  // needs the natural id anyway).
  Status apply(const MemberChange& change, int64_t event_time_us, uint64_t seq, DimChanges* out);

  // The sk a fact of member `id` at event time `t_us` must reference. If the
  // member has no version yet, creates an inferred version (sk = `seq`, the
  // fact event's seq; valid_from = t_us), appends its row to *out and
  // returns `seq`.
  int64_t sk_for_fact(std::string_view id, int64_t t_us, uint64_t seq, DimChanges* out);

  // The sk of the version whose [valid_from, valid_to) contains t_us. Before
  // the first version: the first version (Kimball's "earliest known member"
  // rule: a fact older than anything we know of the member still needs a
  // key). After a delete (gap or past the deleted latest version): the last
  // version that started at or before t_us. nullopt if the member has no
  // version (unknown: the caller asks sk_for_fact for an inferred member).
  // O(log versions).
  std::optional<int64_t> sk_at(std::string_view id, int64_t t_us) const;

  // The member's version rows in version order (empty if unknown), folded
  // afresh: O(changes of the member). For tests, debugging and rebuilds.
  std::vector<VersionRow> versions(std::string_view id) const;

  size_t member_count() const { return members_.size(); }

 private:
  enum class EntryKind : uint8_t { set, remove, inferred };
  // One change event of a member. `sets` packs its AttrChanges (attr byte,
  // varint length, bytes) to keep a member small.
  struct Entry {
    int64_t time_us;
    int64_t seq;
    EntryKind kind;
    std::string sets;
  };
  struct VersionKey {
    int64_t valid_from_us;
    int64_t sk;
  };
  struct Member {
    std::vector<Entry> entries;     // sorted by (time_us, seq)
    std::vector<VersionKey> keys;   // the folded versions, in version order
  };

  struct Fold;  // scd2.cc

  Dimension(Dim dim, std::vector<AttrPolicy> policy);
  // Folds `entries`; materializes only the rows that entries [from, end)
  // can have changed (see scd2.cc), every version's key always.
  void fold(std::string_view id, const std::vector<Entry>& entries, size_t from, Fold* f) const;
  // Replaces the member's entries [from, ...) by way of `mutate`, folds
  // again and appends the difference to *out.
  template <class Mutate>
  void change_member(std::string_view id, Member& m, size_t from, Mutate&& mutate, DimChanges* out);
  static size_t upper_bound_index(const std::vector<Entry>& entries, int64_t time_us, int64_t seq);

  Dim dim_;
  std::vector<AttrPolicy> policy_;  // per attribute index
  std::vector<uint8_t> type3_;
  std::vector<int> type3_slot_;     // attribute index -> slot in previous_attrs, or -1
  std::unordered_map<std::string, Member> members_;  // never iterated into output
};

}  // namespace lh::projections
