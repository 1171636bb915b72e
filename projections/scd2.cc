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
  std::vector<int64_t> bounds;
  bounds.reserve(before.size() + after.size() + 1);
  bounds.push_back(kMinusInfinityUs);
  for (const auto& k : before) bounds.push_back(k.valid_from_us);
  for (const auto& k : after) bounds.push_back(k.valid_from_us);
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  const size_t first = out->size();
  size_t ib = 0, ia = 0;
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

std::vector<Key> keys_of(const std::vector<VersionRow>& rows) {
  std::vector<Key> keys;
  keys.reserve(rows.size());
  for (const auto& r : rows) keys.push_back({r.valid_from_us, r.sk});
  return keys;
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

void Dimension::fold(std::string_view id, const Member& m, std::vector<VersionRow>* rows) const {
  rows->clear();
  std::vector<std::optional<std::string>> cur(policy_.size()), prev(type3_.size());
  std::vector<std::pair<uint8_t, std::string_view>> pending;  // changed type-2/3 attributes
  bool open = false;  // the last row is open (not closed by a delete)

  auto open_version = [&](const Entry& e, bool inferred) {
    if (open) rows->back().valid_to_us = e.time_us;
    VersionRow r;
    r.dim = dim_;
    r.sk = e.seq;
    r.natural_id = std::string(id);
    r.attrs = cur;
    r.previous_attrs = prev;
    r.valid_from_us = e.time_us;
    r.is_inferred = inferred;
    rows->push_back(std::move(r));
    open = true;
  };

  for (const Entry& e : m.entries) {
    switch (e.kind) {
      case EntryKind::inferred:
        // Only exists while the member has no real event (the first one
        // completes it), so nothing can be open here but a re-fold is cheap
        // to keep safe.
        if (!open) open_version(e, true);
        break;
      case EntryKind::remove:
        if (open) {
          rows->back().valid_to_us = e.time_us;
          rows->back().is_deleted = true;
          open = false;
        }
        break;
      case EntryKind::set: {
        pending.clear();
        bool type2_changed = false;
        for_each_change(e.sets, [&](uint8_t a, std::string_view v) {
          if (cur[a] && *cur[a] == v) return;  // unchanged: not a change
          switch (policy_[a]) {
            case AttrPolicy::type1:
              cur[a] = std::string(v);  // every row gets the final value below
              break;
            case AttrPolicy::type2:
              type2_changed = true;
              pending.emplace_back(a, v);
              break;
            case AttrPolicy::type3:
              pending.emplace_back(a, v);
              break;
          }
        });
        for (const auto& [a, v] : pending) {
          int slot = type3_slot_[a];
          if (slot >= 0) prev[slot] = std::move(cur[a]);
          cur[a] = std::string(v);
        }
        // A type-2 change opens a version unless the open one started at the
        // same microsecond: a zero-length window would hold no fact.
        bool opens = !open || (type2_changed && rows->back().valid_from_us != e.time_us);
        if (opens) {
          open_version(e, false);
        } else if (!pending.empty()) {
          rows->back().attrs = cur;
          rows->back().previous_attrs = prev;
        }
        break;
      }
    }
  }

  for (size_t a = 0; a < policy_.size(); ++a) {
    if (policy_[a] != AttrPolicy::type1) continue;
    for (auto& r : *rows) r.attrs[a] = cur[a];
  }
  for (size_t i = 0; i < rows->size(); ++i) {
    (*rows)[i].version = static_cast<int32_t>(i + 1);
    (*rows)[i].is_current = i + 1 == rows->size();
  }
}

void Dimension::insert_sorted(Member& m, Entry e) {
  auto pos = std::upper_bound(m.entries.begin(), m.entries.end(), e, [](const Entry& a, const Entry& b) {
    return entry_less(a.time_us, a.seq, b.time_us, b.seq);
  });
  m.entries.insert(pos, std::move(e));
}

void Dimension::refold(std::string_view id, Member& m, const std::vector<VersionRow>& before,
                       DimChanges* out) {
  std::vector<VersionRow> after;
  fold(id, m, &after);

  // Exact-size copy: the member lives for the whole run, growth slack would not.
  m.keys.assign(after.size(), VersionKey{});
  m.keys.shrink_to_fit();
  for (size_t i = 0; i < after.size(); ++i) m.keys[i] = {after[i].valid_from_us, after[i].sk};

  std::vector<std::pair<int64_t, size_t>> before_by_sk;
  before_by_sk.reserve(before.size());
  for (size_t i = 0; i < before.size(); ++i) before_by_sk.emplace_back(before[i].sk, i);
  std::sort(before_by_sk.begin(), before_by_sk.end());
  std::vector<int64_t> after_sks;
  after_sks.reserve(after.size());
  for (const auto& r : after) after_sks.push_back(r.sk);
  std::sort(after_sks.begin(), after_sks.end());

  for (const auto& k : before) {
    if (!std::binary_search(after_sks.begin(), after_sks.end(), k.sk)) out->deleted_sks.push_back(k.sk);
  }
  std::vector<Key> before_keys = keys_of(before), after_keys = keys_of(after);
  for (auto& r : after) {
    auto it = std::lower_bound(before_by_sk.begin(), before_by_sk.end(), std::make_pair(r.sk, size_t{0}));
    bool same = it != before_by_sk.end() && it->first == r.sk && before[it->second] == r;
    if (!same) out->upserts.push_back(std::move(r));
  }
  // Nothing can reference a member that had no version: no repoints then.
  if (!before.empty()) emit_repoints(dim_, id, before_keys, after_keys, &out->repoints);
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
  std::vector<VersionRow> before;
  fold(change.natural_id, m, &before);

  Entry e{event_time_us, static_cast<int64_t>(seq),
          change.kind == MemberChange::Kind::remove ? EntryKind::remove : EntryKind::set,
          change.kind == MemberChange::Kind::remove ? std::string() : pack(change.changes)};
  auto inferred = std::find_if(m.entries.begin(), m.entries.end(),
                               [](const Entry& x) { return x.kind == EntryKind::inferred; });
  if (e.kind == EntryKind::set && inferred != m.entries.end()) {
    // The first real event completes the inferred version in place: facts
    // already point at its sk, so it keeps it (and its seq as sort key).
    Entry completed{std::min(inferred->time_us, e.time_us), inferred->seq, EntryKind::set,
                    std::move(e.sets)};
    m.entries.erase(inferred);
    insert_sorted(m, std::move(completed));
  } else {
    insert_sorted(m, std::move(e));
  }
  refold(change.natural_id, m, before, out);
  return Status::Ok();
}

int64_t Dimension::sk_for_fact(std::string_view id, int64_t t_us, uint64_t seq, DimChanges* out) {
  std::string key(id);
  auto it = members_.find(key);
  if (it != members_.end() && !it->second.keys.empty()) return *sk_at(id, t_us);
  if (it == members_.end()) it = members_.emplace(std::move(key), Member{}).first;
  Member& m = it->second;
  std::vector<VersionRow> before;  // deletes only, if anything: no rows
  fold(id, m, &before);
  insert_sorted(m, Entry{t_us, static_cast<int64_t>(seq), EntryKind::inferred, {}});
  refold(id, m, before, out);
  return static_cast<int64_t>(seq);
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
  std::vector<VersionRow> rows;
  auto it = members_.find(std::string(id));
  if (it != members_.end()) fold(id, it->second, &rows);
  return rows;
}

}  // namespace lh::projections
