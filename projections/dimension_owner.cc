// DimensionHost (dimension_host.h) and the customer/product shard owners:
// stage 1 only (their dimension events and the look-ups of their members);
// they take no stage-2 work.
#include <algorithm>

#include <fmt/format.h>

#include "projections/dimension_host.h"
#include "projections/owner_util.h"

namespace lh::projections::detail {

namespace {
Dimension make_dim(Dim d, const Schema& schema) {
  auto made = Dimension::make(d, schema.options().policies[static_cast<int>(d)]);
  // Schema::make validated the policies; a failure here is a bug.
  if (!made.ok()) throw std::logic_error("dimension policy: " + made.error().message);
  return std::move(made).value();
}
// Rough heap cost of one stored change event of a member (scd2.h: ~56 bytes
// per entry plus the packed attribute text, 16 per version key).
constexpr size_t kEntryBytes = 56 + 16;
constexpr size_t kMemberBytes = 96;  // hash node, Member vectors, id string
constexpr size_t kSpanBytes = 64;    // DimensionHost::spans_ node
}  // namespace

DimensionHost::DimensionHost(Dim dim, const Schema& schema)
    : dim_(make_dim(dim, schema)) {
  if (dim == Dim::customer) {
    segment_attr_ = attr_index(dim, "segment");
    region_attr_ = attr_index(dim, "region");
  }
}

void DimensionHost::take(DimChanges& c, int64_t new_sk) {
  for (auto& row : c.upserts) {
    auto [it, fresh] = pending_.try_emplace(row.sk);
    if (fresh) {
      pending_order_.push_back(row.sk);
      // The sk is the current event's (or the member it infers): no earlier
      // event made it, so no earlier batch wrote it. Whatever happens to it
      // until the flush, the table does not have it.
      it->second.is_new = row.sk == new_sk;
    }
    it->second.row = std::move(row);
  }
  for (int64_t sk : c.deleted_sks) {
    auto [it, fresh] = pending_.try_emplace(sk);
    if (fresh) pending_order_.push_back(sk);
    it->second.row.reset();
  }
  // Repoint filter. A fact row of member m at time t got its sk from a
  // look-up (m, t) answered here, so a repoint whose range holds no answered
  // look-up time matches no row and is dropped. An emitted repoint widens
  // the span by its range: the writer may apply the repoints of several
  // batches after all their rows (projections/rows.h, merge_batches), so a
  // row resolved later in the group (against the newer state) can still be
  // hit by this repoint; every later sk change of that range must then be
  // emitted too, to set the row right again. Both rules only ever drop
  // repoints that change no row, so the tables stay the same.
  for (auto& r : c.repoints) {
    auto it = spans_.find(r.natural_id);
    if (it == spans_.end() || r.to_us <= it->second.lo || r.from_us > it->second.hi) {
      continue;
    }
    Span& s = it->second;
    s.lo = std::min(s.lo, r.from_us);
    s.hi = std::max(s.hi, r.to_us == kInfinityUs ? kInfinityUs : r.to_us - 1);
    repoints_.push_back(std::move(r));
  }
  c.upserts.clear();
  c.deleted_sks.clear();
  c.repoints.clear();
}

void DimensionHost::apply(const LoggedEvent& le, const std::string& owner,
                          std::vector<ProjectionError>* errors) {
  guarded(le, "dimensions", owner, errors, [&] {
    auto change = changes_of(le.event);
    if (!change || change->dim != dim_.dim())
      throw RuleViolation(fmt::format("not an event of dim_{}", to_string(dim_.dim())));
    const bool known = dim_.sk_at(change->natural_id, le.event.event_time_us).has_value();
    Status st = dim_.apply(*change, le.event.event_time_us, le.seq, &scratch_);
    if (!st.ok()) {
      scratch_ = DimChanges{};
      throw RuleViolation(st.error().message);
    }
    size_t bytes = kEntryBytes;
    for (const auto& a : change->changes) bytes += a.value.size() + 2;
    if (!known) bytes += kMemberBytes + change->natural_id.size();
    state_bytes_ += bytes;
    take(scratch_, static_cast<int64_t>(le.seq));
  });
}

LookupAnswer DimensionHost::answer(const Lookup& l) {
  LookupAnswer a;
  auto [span, fresh] = spans_.try_emplace(l.natural_id, Span{l.t_us, l.t_us});
  if (fresh) {
    state_bytes_ += kSpanBytes + l.natural_id.size();
  } else {
    span->second.lo = std::min(span->second.lo, l.t_us);
    span->second.hi = std::max(span->second.hi, l.t_us);
  }
  const int64_t new_sk = inferred_sk(l.seq, l.slot);
  a.sk = dim_.sk_for_fact(l.natural_id, l.t_us, static_cast<uint64_t>(new_sk), &scratch_);
  // sk_for_fact appends a row only when it creates an inferred member.
  if (!scratch_.upserts.empty()) state_bytes_ += kEntryBytes + kMemberBytes + l.natural_id.size();
  take(scratch_, new_sk);
  if (l.want_segment_region && segment_attr_ && region_attr_) {
    // Rare (alerts only): fold the member's versions to read the attributes
    // of the one the fact references, as known now.
    for (const auto& v : dim_.versions(l.natural_id)) {
      if (v.sk != a.sk) continue;
      a.segment = v.attrs[*segment_attr_];
      a.region = v.attrs[*region_attr_];
      break;
    }
  }
  return a;
}

void DimensionHost::flush(RowBatch* out) {
  const Table t = dim_table(dim_.dim());
  TableRows& dels = out->deletes[static_cast<size_t>(t)];
  for (int64_t sk : pending_order_) {
    const Pending& p = pending_.at(sk);
    const auto& row = p.row;
    if (!row) {
      // A new sk deleted again before its flush is not in the table either;
      // the delete is harmless and keeps the rule simple.
      CopyLine(dels.copy).integer(sk).end();
      ++dels.rows;
      continue;
    }
    TableRows& ups = p.is_new ? out->inserts[static_cast<size_t>(t)] : out->upserts[static_cast<size_t>(t)];
    CopyLine l(ups.copy);
    l.integer(row->sk).text(row->natural_id);
    for (const auto& a : row->attrs) l.text_or_null(a);
    for (const auto& a : row->previous_attrs) l.text_or_null(a);
    l.time_us(row->valid_from_us).time_us(row->valid_to_us).boolean(row->is_current);
    l.integer(row->version).boolean(row->is_deleted).boolean(row->is_inferred);
    l.end();
    ++ups.rows;
  }
  pending_.clear();
  pending_order_.clear();
  for (auto& r : repoints_) out->repoints.push_back(std::move(r));
  repoints_.clear();
}

size_t DimensionHost::memory_bytes() const { return sizeof(*this) + state_bytes_; }

namespace {

class DimensionShardOwner final : public Owner {
 public:
  DimensionShardOwner(const OwnerKey& key, const Schema& schema)
      : name_(key.to_string()),
        host_(key.kind == OwnerKey::Kind::customer_shard ? Dim::customer : Dim::product, schema) {}

  void stage1(const Plan& plan, const std::vector<WorkItem>& items,
              std::vector<LookupAnswer>* answers) override {
    for (const WorkItem& w : items) {
      if (w.kind == WorkItem::Kind::lookup)
        (*answers)[w.index] = host_.answer(plan.lookups[w.index]);
      else
        host_.apply((*plan.events)[w.index], name_, &errors_);
    }
  }
  void stage2(const Plan&, const std::vector<WorkItem>&, const std::vector<LookupAnswer>&) override {}
  void flush(RowBatch* out) override {
    host_.flush(out);
    for (auto& e : errors_) out->errors.push_back(std::move(e));
    errors_.clear();
  }
  size_t memory_bytes() const override { return sizeof(*this) + host_.memory_bytes(); }

 private:
  std::string name_;
  DimensionHost host_;
  std::vector<ProjectionError> errors_;
};

}  // namespace

std::unique_ptr<Owner> make_dimension_owner(const OwnerKey& key, const Schema& schema) {
  return std::make_unique<DimensionShardOwner>(key, schema);
}

}  // namespace lh::projections::detail
