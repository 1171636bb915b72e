#include "projections/scd2.h"

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace lh::projections {
namespace {

// Packed attribute changes: per change, the attribute index (one byte), the
// value's length as a base-128 varint, then the value's bytes. A customer
// registration packs into ~100 bytes instead of ~300 as a vector of strings.
std::string pack(const std::vector<AttrChange>& changes) {
  size_t size = 0;
  for (const auto& c : changes) size += 1 + 5 + c.value.size();
  std::string out;
  out.reserve(size);
  for (const auto& c : changes) {
    out.push_back(static_cast<char>(c.attr));
    uint32_t n = static_cast<uint32_t>(c.value.size());
    while (n >= 0x80) {
      out.push_back(static_cast<char>((n & 0x7f) | 0x80));
      n >>= 7;
    }
    out.push_back(static_cast<char>(n));
    out.append(c.value);
  }
  out.shrink_to_fit();
  return out;
}

// Calls f(attr, value) for each change packed by pack(), in order.
template <class F>
void for_each_change(std::string_view packed, F&& f) {
  size_t i = 0;
  while (i < packed.size()) {
    uint8_t attr = static_cast<uint8_t>(packed[i++]);
    uint32_t n = 0;
    for (int shift = 0;; shift += 7) {
      uint8_t b = static_cast<uint8_t>(packed[i++]);
      n |= static_cast<uint32_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    f(attr, packed.substr(i, n));
    i += n;
  }
}

bool entry_less(int64_t t1, int64_t s1, int64_t t2, int64_t s2) {
  return std::tie(t1, s1) < std::tie(t2, s2);
}

struct Key {
  int64_t valid_from_us;
  int64_t sk;
};

// sk of the version in effect at t in a version list sorted by valid_from:
// the last version starting at or before t, or the first one if t precedes
// them all. `i` is a cursor for callers scanning t in ascending order.
int64_t sk_in_effect(const std::vector<Key>& v, size_t& i, int64_t t) {
  while (i + 1 < v.size() && v[i + 1].valid_from_us <= t) ++i;
  return v[i].sk;
}

// Appends a Repoint for every maximal time range where the version in effect
// differs between `before` and `after` (both non-empty). The step functions
// only change at valid_froms, so comparing them on the elementary intervals
// between the union of both lists' valid_froms is exact.
void emit_repoints(Dim dim, std::string_view id, const std::vector<Key>& before,
                   const std::vector<Key>& after, std::vector<Repoint>* out) {
  // Both chains share a prefix (the versions opened before the change):
  // the mapping can only differ from the last shared version on.
  size_t same = 0;
  while (same < before.size() && same < after.size() &&
         before[same].valid_from_us == after[same].valid_from_us && before[same].sk == after[same].sk)
    ++same;
  const size_t start = same > 0 ? same - 1 : 0;
  std::vector<int64_t> bounds;
  bounds.reserve(before.size() + after.size() + 1 - 2 * start);
  bounds.push_back(start > 0 ? before[start].valid_from_us : kMinusInfinityUs);
  for (size_t i = start; i < before.size(); ++i) bounds.push_back(before[i].valid_from_us);
  for (size_t i = start; i < after.size(); ++i) bounds.push_back(after[i].valid_from_us);
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  const size_t first = out->size();
  size_t ib = start, ia = start;
  for (size_t k = 0; k < bounds.size(); ++k) {
    int64_t from = bounds[k];
    int64_t to = k + 1 < bounds.size() ? bounds[k + 1] : kInfinityUs;
    int64_t old_sk = sk_in_effect(before, ib, from);
    int64_t new_sk = sk_in_effect(after, ia, from);
    if (old_sk == new_sk) continue;
    if (out->size() > first && out->back().to_us == from && out->back().sk == new_sk) {
      out->back().to_us = to;  // one range per new sk: one UPDATE for the writer
    } else {
      out->push_back(Repoint{dim, std::string(id), from, to, new_sk});
    }
  }
}

}  // namespace

bool VersionRow::operator==(const VersionRow& o) const {
  return dim == o.dim && sk == o.sk && natural_id == o.natural_id && attrs == o.attrs &&
         previous_attrs == o.previous_attrs && valid_from_us == o.valid_from_us &&
         valid_to_us == o.valid_to_us && is_current == o.is_current && version == o.version &&
         is_deleted == o.is_deleted && is_inferred == o.is_inferred;
}

Result<Dimension> Dimension::make(Dim dim, const Scd2Policy& policy) {
  const DimensionSpec& s = spec(dim);
  std::vector<AttrPolicy> per_attr(s.attrs.size(), AttrPolicy::type2);
  for (const auto& [name, p] : policy.attrs) {
    auto i = attr_index(dim, name);
    if (!i) {
      return Error{fmt::format("scd2 policy for {}: unknown attribute '{}' (attributes: {})", s.table,
                               name, fmt::join(s.attrs, ", "))};
    }
    per_attr[*i] = p;
  }
  return Dimension(dim, std::move(per_attr));
}

Dimension::Dimension(Dim dim, std::vector<AttrPolicy> policy)
    : dim_(dim), policy_(std::move(policy)), type3_slot_(policy_.size(), -1) {
  for (size_t i = 0; i < policy_.size(); ++i) {
    if (policy_[i] == AttrPolicy::type3) {
      type3_slot_[i] = static_cast<int>(type3_.size());
      type3_.push_back(static_cast<uint8_t>(i));
    }
  }
}

// The result of a fold. Rows are materialized (strings copied out of the
// packed entries) only where they can differ from the previous fold: a row
// whose end was decided by an entry before the first changed entry `from`
// has the same window, flags, number and type-2/3 content in both folds,
// because the fold up to there saw the same entries. Only type-1 values,
// which every row takes from the member's last setter, can change such a
// row; `type1` lets the caller detect that and fold again from 0.
struct Dimension::Fold {
  std::vector<VersionRow> rows;  // version order; a suffix-ish subset when from > 0
  std::vector<Key> keys;         // every version, version order
  std::vector<std::optional<std::string>> type1;  // final value of each attribute if type 1
};

void Dimension::fold(std::string_view id, const std::vector<Entry>& entries, size_t from, Fold* f) const {
  f->rows.clear();
  f->keys.clear();
  // Views into the entries' packed values: no allocation per entry.
  std::vector<std::optional<std::string_view>> cur(policy_.size()), prev(type3_.size());
  std::vector<std::pair<uint8_t, std::string_view>> pending;  // changed attributes of an entry
  bool open = false, open_inferred = false;
  int64_t closed_to = 0;  // when !open: the delete that closed the last version
  bool closed_inferred = false;

  auto materialize = [&](int64_t to, bool deleted, bool inferred) {
    VersionRow r;
    r.dim = dim_;
    r.sk = f->keys.back().sk;
    r.natural_id = std::string(id);
    r.attrs.reserve(cur.size());
    for (const auto& v : cur) r.attrs.emplace_back(v ? std::optional<std::string>(*v) : std::nullopt);
    r.previous_attrs.reserve(prev.size());
    for (const auto& v : prev) r.previous_attrs.emplace_back(v ? std::optional<std::string>(*v) : std::nullopt);
    r.valid_from_us = f->keys.back().valid_from_us;
    r.valid_to_us = to;
    r.version = static_cast<int32_t>(f->keys.size());
    r.is_deleted = deleted;
    r.is_inferred = inferred;
    f->rows.push_back(std::move(r));
  };
  // The open row ends at `to`: its content is the state now (type-3 and
  // same-instant changes were applied to it in place).
  auto finalize = [&](size_t entry, int64_t to, bool deleted) {
    if (entry >= from) materialize(to, deleted, open_inferred);
  };
  // The last version of the unchanged prefix may be closed already (by a
  // delete) and still differ: it stops being the latest (is_current) when
  // the change opens a version after it. Nothing changes the state while no
  // version is open, so the state now is its content.
  auto materialize_closed_last = [&] {
    if (!open && !f->keys.empty()) materialize(closed_to, true, closed_inferred);
  };

  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i == from) materialize_closed_last();
    switch (e.kind) {
      case EntryKind::inferred:
        // Only exists while the member has no real event (the first one
        // completes it), so nothing is open here; checked all the same.
        if (!open) {
          f->keys.push_back({e.time_us, e.seq});
          open = open_inferred = true;
        }
        break;
      case EntryKind::remove:
        if (open) {
          finalize(i, e.time_us, true);
          open = false;
          closed_to = e.time_us;
          closed_inferred = open_inferred;
        }
        break;
      case EntryKind::set: {
        pending.clear();
        bool type2_changed = false;
        for_each_change(e.sets, [&](uint8_t a, std::string_view v) {
          if (cur[a] && *cur[a] == v) return;  // unchanged: not a change
          if (policy_[a] == AttrPolicy::type2) type2_changed = true;
          pending.emplace_back(a, v);
        });
        // A type-2 change opens a version unless the open one started at the
        // same microsecond: a zero-length window would hold no fact.
        bool opens = !open || (type2_changed && f->keys.back().valid_from_us != e.time_us);
        if (opens && open) finalize(i, e.time_us, false);
        for (const auto& [a, v] : pending) {
          int slot = type3_slot_[a];
          if (slot >= 0) prev[slot] = cur[a];
          cur[a] = v;  // type 1 included: every row gets the final value below
        }
        if (opens) {
          f->keys.push_back({e.time_us, e.seq});
          open = true;
          open_inferred = false;
        }
        break;
      }
    }
  }
  if (from >= entries.size()) materialize_closed_last();
  if (open) finalize(entries.size(), kInfinityUs, false);

  f->type1.assign(policy_.size(), std::nullopt);
  for (size_t a = 0; a < policy_.size(); ++a) {
    if (policy_[a] != AttrPolicy::type1 || !cur[a]) continue;
    f->type1[a] = std::string(*cur[a]);
    for (auto& r : f->rows) r.attrs[a] = f->type1[a];
  }
  for (auto& r : f->rows) r.is_current = static_cast<size_t>(r.version) == f->keys.size();
}

size_t Dimension::upper_bound_index(const std::vector<Entry>& entries, int64_t time_us, int64_t seq) {
  auto pos = std::upper_bound(entries.begin(), entries.end(), std::make_pair(time_us, seq),
                              [](const std::pair<int64_t, int64_t>& k, const Entry& x) {
                                return entry_less(k.first, k.second, x.time_us, x.seq);
                              });
  return static_cast<size_t>(pos - entries.begin());
}

template <class Mutate>
void Dimension::change_member(std::string_view id, Member& m, size_t from, Mutate&& mutate, DimChanges* out) {
  Fold before, after;
  fold(id, m.entries, from, &before);
  mutate(m.entries);
  fold(id, m.entries, from, &after);
  bool all_rows_changed = before.type1 != after.type1;  // a type-1 value is in every row
  if (all_rows_changed && from > 0) fold(id, m.entries, 0, &after);

  // Exact-size copy: the member lives for the whole run, growth slack would not.
  m.keys.assign(after.keys.size(), VersionKey{});
  m.keys.shrink_to_fit();
  for (size_t i = 0; i < after.keys.size(); ++i)
    m.keys[i] = {after.keys[i].valid_from_us, after.keys[i].sk};

  std::vector<int64_t> after_sks;
  after_sks.reserve(after.keys.size());
  for (const auto& k : after.keys) after_sks.push_back(k.sk);
  std::sort(after_sks.begin(), after_sks.end());
  // A vanished version was materialized in `before` (its end was decided at
  // or after `from`, where the folds start to differ).
  for (const auto& r : before.rows) {
    if (!std::binary_search(after_sks.begin(), after_sks.end(), r.sk)) out->deleted_sks.push_back(r.sk);
  }
  std::vector<std::pair<int64_t, size_t>> before_by_sk;
  before_by_sk.reserve(before.rows.size());
  for (size_t i = 0; i < before.rows.size(); ++i) before_by_sk.emplace_back(before.rows[i].sk, i);
  std::sort(before_by_sk.begin(), before_by_sk.end());
  for (auto& r : after.rows) {
    auto it = std::lower_bound(before_by_sk.begin(), before_by_sk.end(), std::make_pair(r.sk, size_t{0}));
    bool same = !all_rows_changed && it != before_by_sk.end() && it->first == r.sk &&
                before.rows[it->second] == r;
    if (!same) out->upserts.push_back(std::move(r));
  }
  // Nothing can reference a member that had no version: no repoints then.
  if (!before.keys.empty()) emit_repoints(dim_, id, before.keys, after.keys, &out->repoints);
}
Status Dimension::apply(const events::Event& e, uint64_t seq, DimChanges* out) {
  auto change = changes_of(e);
  if (!change || change->dim != dim_) {
    return Error{fmt::format("scd2 {}: event {} ({}) is not a {} dimension event", spec(dim_).table,
                             e.event_id, events::to_string(e.type), to_string(dim_))};
  }
  return apply(*change, e.event_time_us, seq, out);
}

Status Dimension::apply(const MemberChange& change, int64_t event_time_us, uint64_t seq,
                        DimChanges* out) {
  if (change.dim != dim_) {
    return Error{fmt::format("scd2 {}: change of member {} belongs to dimension {}", spec(dim_).table,
                             change.natural_id, to_string(change.dim))};
  }
  for (const auto& c : change.changes) {
    if (c.attr >= policy_.size()) {
      return Error{fmt::format("scd2 {}: change of member {} has attribute index {} (of {})",
                               spec(dim_).table, change.natural_id, c.attr, policy_.size())};
    }
  }
  auto it = members_.find(change.natural_id);
  if (it == members_.end()) it = members_.emplace(change.natural_id, Member{}).first;
  Member& m = it->second;
  const std::string& id = change.natural_id;
  const int64_t sk = static_cast<int64_t>(seq);

  if (change.kind == MemberChange::Kind::remove) {
    size_t pos = upper_bound_index(m.entries, event_time_us, sk);
    change_member(id, m, pos, [&](std::vector<Entry>& entries) {
      entries.insert(entries.begin() + pos, Entry{event_time_us, sk, EntryKind::remove, {}});
    }, out);
    return Status::Ok();
  }
  std::string sets = pack(change.changes);
  auto inferred = std::find_if(m.entries.begin(), m.entries.end(),
                               [](const Entry& x) { return x.kind == EntryKind::inferred; });
  if (inferred == m.entries.end()) {
    size_t pos = upper_bound_index(m.entries, event_time_us, sk);
    change_member(id, m, pos, [&](std::vector<Entry>& entries) {
      entries.insert(entries.begin() + pos, Entry{event_time_us, sk, EntryKind::set, std::move(sets)});
    }, out);
    return Status::Ok();
  }
  // The first real event completes the inferred version in place: facts
  // already point at its sk, so it keeps it (and its seq as sort key).
  const size_t old_pos = static_cast<size_t>(inferred - m.entries.begin());
  Entry completed{std::min(inferred->time_us, event_time_us), inferred->seq, EntryKind::set, std::move(sets)};
  // Entries before both the old and the new place are untouched.
  const size_t first_changed = std::min(old_pos, upper_bound_index(m.entries, completed.time_us, completed.seq));
  change_member(id, m, first_changed, [&](std::vector<Entry>& entries) {
    entries.erase(entries.begin() + old_pos);
    size_t pos = upper_bound_index(entries, completed.time_us, completed.seq);
    entries.insert(entries.begin() + pos, std::move(completed));
  }, out);
  return Status::Ok();
}

int64_t Dimension::sk_for_fact(std::string_view id, int64_t t_us, uint64_t seq, DimChanges* out) {
  std::string key(id);
  auto it = members_.find(key);
  if (it != members_.end() && !it->second.keys.empty()) return *sk_at(id, t_us);
  if (it == members_.end()) it = members_.emplace(std::move(key), Member{}).first;
  Member& m = it->second;
  const int64_t sk = static_cast<int64_t>(seq);
  const size_t pos = upper_bound_index(m.entries, t_us, sk);
  change_member(id, m, pos, [&](std::vector<Entry>& entries) {
    entries.insert(entries.begin() + pos, Entry{t_us, sk, EntryKind::inferred, {}});
  }, out);
  return sk;
}

std::optional<int64_t> Dimension::sk_at(std::string_view id, int64_t t_us) const {
  auto it = members_.find(std::string(id));
  if (it == members_.end() || it->second.keys.empty()) return std::nullopt;
  const auto& keys = it->second.keys;
  // First version starting after t; the one before it is in effect.
  auto next = std::upper_bound(keys.begin(), keys.end(), t_us,
                               [](int64_t t, const VersionKey& k) { return t < k.valid_from_us; });
  return next == keys.begin() ? keys.front().sk : std::prev(next)->sk;
}

std::vector<VersionRow> Dimension::versions(std::string_view id) const {
  auto it = members_.find(std::string(id));
  if (it == members_.end()) return {};
  Fold f;
  fold(id, it->second.entries, 0, &f);
  return std::move(f.rows);
}

}  // namespace lh::projections
