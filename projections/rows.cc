#include "projections/rows.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

namespace lh::projections {

namespace {

// Howard Hinnant's civil_from_days.
void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

bool RowBatch::empty_changes() const {
  for (const auto& t : upserts)
    if (!t.empty()) return false;
  for (const auto& t : inserts)
    if (!t.empty()) return false;
  for (const auto& t : deletes)
    if (!t.empty()) return false;
  return repoints.empty() && errors.empty();
}

void RowBatch::clear() {
  after_seq = last_seq = 0;
  for (auto& t : upserts) t.clear();
  for (auto& t : inserts) t.clear();
  for (auto& t : deletes) t.clear();
  repoints.clear();
  errors.clear();
  events = skipped = 0;
  held_rows = false;
}

void TableRows::append(TableRows&& o) {
  if (copy.empty()) {
    copy.swap(o.copy);
  } else {
    copy += o.copy;
  }
  rows += o.rows;
  o.clear();
}

void RowBatch::append(RowBatch&& o) {
  for (int i = 0; i < kTableCount; ++i) {
    upserts[i].append(std::move(o.upserts[i]));
    inserts[i].append(std::move(o.inserts[i]));
    deletes[i].append(std::move(o.deletes[i]));
  }
  repoints.insert(repoints.end(), std::make_move_iterator(o.repoints.begin()),
                  std::make_move_iterator(o.repoints.end()));
  errors.insert(errors.end(), std::make_move_iterator(o.errors.begin()),
                std::make_move_iterator(o.errors.end()));
  events += o.events;
  skipped += o.skipped;
  held_rows = held_rows || o.held_rows;
  o.clear();
}

void CopyLine::sep() {
  if (!first_) out_.push_back('\t');
  first_ = false;
}

CopyLine& CopyLine::text(std::string_view s) {
  sep();
  for (char c : s) {
    switch (c) {
      case '\\': out_ += "\\\\"; break;
      case '\t': out_ += "\\t"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      default: out_.push_back(c);
    }
  }
  return *this;
}

CopyLine& CopyLine::integer(int64_t v) {
  sep();
  fmt::format_int f(v);
  out_.append(f.data(), f.size());
  return *this;
}

CopyLine& CopyLine::decimal(const events::Decimal& d) {
  sep();
  out_ += events::to_string(d);
  return *this;
}

CopyLine& CopyLine::time_us(int64_t us) {
  sep();
  if (us == kInfinityUs) {
    out_ += "infinity";
    return *this;
  }
  if (us == kMinusInfinityUs) {
    out_ += "-infinity";
    return *this;
  }
  int64_t days = floor_div(us, 86400000000LL);
  int64_t rem = us - days * 86400000000LL;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999) {  // outside what the fixed-width form below covers
    int64_t secs = rem / 1000000, micros = rem % 1000000;
    fmt::format_to(std::back_inserter(out_), "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", y, m, d,
                   secs / 3600, (secs / 60) % 60, secs % 60, micros);
    return *this;
  }
  // Hand-written: this runs for every timestamp of every row (fmt's
  // format_to showed up at ~8% of the pipeline's profile).
  char buf[29];  // "YYYY-MM-DD HH:MM:SS.ffffff+00"
  auto put = [&buf](int pos, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) buf[pos + i] = static_cast<char>('0' + v % 10);
  };
  const int64_t secs = rem / 1000000;
  put(0, y, 4);
  buf[4] = '-';
  put(5, m, 2);
  buf[7] = '-';
  put(8, d, 2);
  buf[10] = ' ';
  put(11, secs / 3600, 2);
  buf[13] = ':';
  put(14, (secs / 60) % 60, 2);
  buf[16] = ':';
  put(17, secs % 60, 2);
  buf[19] = '.';
  put(20, rem % 1000000, 6);
  buf[26] = '+';
  buf[27] = '0';
  buf[28] = '0';
  out_.append(buf, sizeof(buf));
  return *this;
}

CopyLine& CopyLine::boolean(bool b) {
  sep();
  out_.push_back(b ? 't' : 'f');
  return *this;
}

CopyLine& CopyLine::null() {
  sep();
  out_ += "\\N";
  return *this;
}

CopyLine& CopyLine::raw(std::string_view s) {
  sep();
  out_ += s;
  return *this;
}

void CopyLine::end() {
  out_.push_back('\n');
  first_ = true;
}

int32_t date_key(int64_t us) {
  int64_t y;
  unsigned m, d;
  civil_from_days(floor_div(us, 86400000000LL), &y, &m, &d);
  return static_cast<int32_t>(y * 10000 + m * 100 + d);
}

}  // namespace lh::projections

namespace lh::projections {

namespace {

// Byte offset of the end of the first n tab-separated fields of `line`
// (COPY text escapes tabs inside values, so a raw tab always separates).
size_t fields_end(std::string_view line, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t tab = line.find('\t', pos);
    if (tab == std::string_view::npos) return line.size();
    pos = tab + 1;
  }
  return pos - 1;
}

// Calls f(line) for every line of `copy`, without its '\n'.
template <class F>
void for_lines(const std::string& copy, F&& f) {
  size_t pos = 0;
  while (pos < copy.size()) {
    size_t nl = copy.find('\n', pos);
    if (nl == std::string::npos) nl = copy.size();
    f(std::string_view(copy).substr(pos, nl - pos));
    pos = nl + 1;
  }
}

// `last` with the values of the merge_update=false columns taken from
// `first` (both complete lines of table t).
std::string keep_fixed_columns(const TableSpec& t, std::string_view first, std::string_view last) {
  std::string out;
  size_t a = 0, b = 0;
  for (size_t c = 0; c < t.columns.size(); ++c) {
    size_t ea = first.find('\t', a), eb = last.find('\t', b);
    if (ea == std::string_view::npos) ea = first.size();
    if (eb == std::string_view::npos) eb = last.size();
    if (c) out.push_back('\t');
    if (t.columns[c].merge_update)
      out.append(last.substr(b, eb - b));
    else
      out.append(first.substr(a, ea - a));
    a = std::min(first.size(), ea + 1);
    b = std::min(last.size(), eb + 1);
  }
  return out;
}

// Folds one keyed table of several batches (see merge_batches).
void merge_keyed(const TableSpec& t, const std::vector<const RowBatch*>& batches, TableRows* ups,
                 TableRows* ins, TableRows* dels) {
  struct State {
    bool deleted = false;        // a delete comes before the current upsert (or alone)
    bool has_upsert = false;
    bool inserted = false;       // the current line began as an insert (new to the table)
    std::string line;            // the current upsert
  };
  std::unordered_map<std::string_view, State> keys;  // views into the batches' text
  std::vector<std::string_view> order;
  bool fixed_columns = false;
  for (const auto& c : t.columns) fixed_columns = fixed_columns || !c.merge_update;
  auto state = [&](std::string_view key) -> State& {
    auto [it, fresh] = keys.try_emplace(key);
    if (fresh) order.push_back(key);
    return it->second;
  };
  const size_t i = static_cast<size_t>(t.id);
  for (const RowBatch* b : batches) {
    // Within one batch a key is never both upserted and deleted (rows.h), so
    // the two lists of one batch commute.
    for_lines(b->deletes[i].copy, [&](std::string_view line) {
      State& s = state(line);
      s.deleted = true;
      s.has_upsert = false;
      s.inserted = false;
      s.line.clear();
    });
    // Within one batch a key is in its inserts or its upserts, not both.
    auto upsert = [&](std::string_view line, bool insert) {
      State& s = state(line.substr(0, fields_end(line, t.key_columns)));
      if (s.has_upsert && fixed_columns)
        s.line = keep_fixed_columns(t, s.line, line);
      else
        s.line.assign(line);
      // An insert after other changes of the key in the group is not new to
      // the table as the group's writer sees it: merged as an upsert.
      if (!s.has_upsert) s.inserted = insert && !s.deleted;
      s.has_upsert = true;
    };
    for_lines(b->inserts[i].copy, [&](std::string_view line) { upsert(line, true); });
    for_lines(b->upserts[i].copy, [&](std::string_view line) { upsert(line, false); });
  }
  for (std::string_view key : order) {
    const State& s = keys.at(key);
    if (s.deleted) {
      dels->copy.append(key);
      dels->copy.push_back('\n');
      ++dels->rows;
    }
    if (s.has_upsert) {
      TableRows* to = s.inserted ? ins : ups;
      to->copy += s.line;
      to->copy.push_back('\n');
      ++to->rows;
    }
  }
}

}  // namespace

// Why repoints may all come after all the upserts of the group: applied
// batch by batch, a repoint R of batch j runs after batch j's rows and
// before those of later batches. Merged, R also runs over (a) rows of later
// batches and (b) after later upserts of earlier rows.
//  (b) an upsert never changes a merge_update=false column, and the sk
//      columns of facts are exactly those, so a later upsert of an existing
//      row leaves what R set; a row first inserted in the group keeps the sk
//      columns of its first line (merge_keyed).
//  (a) a row of a later batch was resolved against a dimension state at
//      least as new as R: its sk is the one of the last sk change of its
//      (member, time) before it was resolved. R covers its time, and every
//      later sk change of a range that an emitted repoint covers is emitted
//      too (the DimensionHost's span rule), so the repoints after R that
//      cover its time end with that same sk (and then those after its
//      resolution, as sequentially). Same final value.
RowBatch merge_batches(const Schema& schema, const std::vector<const RowBatch*>& batches) {
  RowBatch out;
  if (batches.empty()) return out;
  out.after_seq = batches.front()->after_seq;
  out.last_seq = batches.back()->last_seq;
  for (const auto& t : schema.tables()) {
    const size_t i = static_cast<size_t>(t.id);
    bool only_upserts = true;
    for (const RowBatch* b : batches) only_upserts = only_upserts && b->deletes[i].empty() && b->inserts[i].empty();
    if (t.insert_only && only_upserts) {
      size_t bytes = 0;
      for (const RowBatch* b : batches) bytes += b->upserts[i].copy.size();
      out.upserts[i].copy.reserve(bytes);
      for (const RowBatch* b : batches) {
        out.upserts[i].copy += b->upserts[i].copy;
        out.upserts[i].rows += b->upserts[i].rows;
      }
      continue;
    }
    merge_keyed(t, batches, &out.upserts[i], &out.inserts[i], &out.deletes[i]);
  }
  for (const RowBatch* b : batches) {
    out.repoints.insert(out.repoints.end(), b->repoints.begin(), b->repoints.end());
    out.errors.insert(out.errors.end(), b->errors.begin(), b->errors.end());
    out.events += b->events;
    out.skipped += b->skipped;
    out.held_rows = out.held_rows || b->held_rows;
  }
  return out;
}

std::vector<Repoint> collapse_repoints(const std::vector<Repoint>& rs) {
  struct Member {
    const Repoint* first;
    std::map<int64_t, std::pair<int64_t, int64_t>> ranges;  // from -> (to, sk), disjoint
  };
  std::vector<Member> members;
  std::map<std::pair<Dim, std::string_view>, size_t> index;
  for (const Repoint& r : rs) {
    if (r.from_us >= r.to_us) continue;
    auto [at, fresh] = index.try_emplace({r.dim, r.natural_id}, members.size());
    if (fresh) members.push_back(Member{&r, {}});
    auto& m = members[at->second].ranges;
    // A range straddling from_us keeps its part before it (and after to_us).
    auto it = m.lower_bound(r.from_us);
    if (it != m.begin()) {
      auto p = std::prev(it);
      if (p->second.first > r.from_us) {
        auto [to, sk] = p->second;
        p->second.first = r.from_us;
        if (to > r.to_us) m.emplace(r.to_us, std::make_pair(to, sk));
      }
    }
    // Ranges starting inside [from_us, to_us): gone, but for a tail beyond.
    it = m.lower_bound(r.from_us);
    while (it != m.end() && it->first < r.to_us) {
      auto [to, sk] = it->second;
      it = m.erase(it);
      if (to > r.to_us) {
        m.emplace(r.to_us, std::make_pair(to, sk));
        break;
      }
    }
    m.emplace(r.from_us, std::make_pair(r.to_us, r.sk));
  }
  std::vector<Repoint> out;
  for (const Member& m : members)
    for (const auto& [from, v] : m.ranges) out.push_back(Repoint{m.first->dim, m.first->natural_id, from, v.first, v.second});
  return out;
}

}  // namespace lh::projections
