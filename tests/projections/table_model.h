// Test-only in-memory model of the warehouse tables: applies RowBatches the
// way the PostgreSQL writer will (upsert by key keeping merge_update=false
// columns of an existing row, delete by key, insert_only rows inserted once,
// repoints in order via the tables' SkRefs, after the batch's upserts), and
// records every broken RowBatch invariant (rows.h) as a problem.
#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "projections/rows.h"
#include "projections/schema.h"

namespace lh::projections::testing {

using Fields = std::vector<std::string>;

inline std::vector<std::string> split_lines(const std::string& copy) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < copy.size()) {
    size_t nl = copy.find('\n', pos);
    if (nl == std::string::npos) nl = copy.size();
    out.push_back(copy.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

inline Fields split_fields(const std::string& line) {
  Fields f;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    f.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) break;
    pos = tab + 1;
  }
  return f;
}

inline std::string time_text(int64_t us) {
  std::string s;
  CopyLine(s).time_us(us);
  return s;
}

// a < b for COPY timestamptz texts, with -infinity/infinity.
inline bool time_less(const std::string& a, const std::string& b) {
  auto rank = [](const std::string& s) { return s == "-infinity" ? 0 : s == "infinity" ? 2 : 1; };
  int ra = rank(a), rb = rank(b);
  if (ra != rb) return ra < rb;
  return ra == 1 && a < b;
}

class TableModel {
 public:
  explicit TableModel(const Schema& schema) : schema_(schema) {}

  // merged: b comes from merge_batches (a key may be deleted then upserted).
  void apply(const RowBatch& b, bool merged = false) {
    for (const auto& spec : schema_.tables()) {
      const size_t t = static_cast<size_t>(spec.id);
      const auto ups = split_lines(b.upserts[t].copy);
      const auto ins = split_lines(b.inserts[t].copy);
      const auto dels = split_lines(b.deletes[t].copy);
      if (ups.size() != b.upserts[t].rows || ins.size() != b.inserts[t].rows || dels.size() != b.deletes[t].rows)
        problem(spec, "row count does not match the lines");
      // Deletes first, as the writer applies them. A key in both lists is a
      // broken invariant, except in a batch of merge_batches (rows.h), where
      // it means "deleted, then upserted".
      for (const auto& line : dels) rows_[t].erase(split_fields(line));
      std::set<Fields> seen;
      // Inserts (new keys: the writer COPYs them, a key already there fails),
      // then upserts.
      for (const auto* lines : {&ins, &ups}) {
        const bool insert = lines == &ins;
        for (const auto& line : *lines) {
          Fields f = split_fields(line);
          if (f.size() != spec.columns.size()) {
            problem(spec, std::string(insert ? "insert" : "upsert") + " with " + std::to_string(f.size()) +
                              " fields: " + line);
            continue;
          }
          Fields key(f.begin(), f.begin() + spec.key_columns);
          if (!seen.insert(key).second) problem(spec, "key twice in one batch: " + line);
          if (insert && rows_[t].count(key)) problem(spec, "insert of a key already in the table: " + line);
          upsert(spec, std::move(key), std::move(f));
        }
      }
      for (const auto& line : dels) {
        Fields key = split_fields(line);
        if (key.size() != spec.key_columns) problem(spec, "delete with a wrong key: " + line);
        if (!merged && seen.count(key)) problem(spec, "key both upserted and deleted: " + line);
      }
    }
    for (const auto& r : b.repoints) repoint(r);
    for (const auto& e : b.errors) errors.push_back(e);
  }

  const std::map<Fields, Fields>& rows(Table t) const { return rows_[static_cast<size_t>(t)]; }
  // The row with this key (its first key_columns values), or nullptr.
  const Fields* find(Table t, const Fields& key) const {
    auto it = rows_[static_cast<size_t>(t)].find(key);
    return it == rows_[static_cast<size_t>(t)].end() ? nullptr : &it->second;
  }
  // The value of `column` in the row with `key`; "<no row>" if absent.
  std::string value(Table t, const Fields& key, const std::string& column) const {
    const Fields* r = find(t, key);
    if (!r) return "<no row>";
    return (*r)[*schema_.table(t).column_index(column)];
  }
  // Every table as text, for whole-warehouse comparisons.
  std::string dump() const {
    std::ostringstream out;
    for (const auto& spec : schema_.tables()) {
      out << "## " << spec.name << '\n';
      for (const auto& [k, f] : rows_[static_cast<size_t>(spec.id)]) {
        for (size_t i = 0; i < f.size(); ++i) out << (i ? "\t" : "") << f[i];
        out << '\n';
      }
    }
    return out.str();
  }

  std::vector<std::string> problems;
  std::vector<ProjectionError> errors;

 private:
  void problem(const TableSpec& spec, const std::string& what) { problems.push_back(spec.name + ": " + what); }

  void upsert(const TableSpec& spec, Fields key, Fields f) {
    auto& rows = rows_[static_cast<size_t>(spec.id)];
    auto it = rows.find(key);
    if (it == rows.end()) {
      for (size_t r = 0; r < spec.sk_refs.size(); ++r) {
        const std::string& id = f[*spec.column_index(spec.sk_refs[r].id_column)];
        index_[{spec.id, r}][id].push_back(key);
      }
      rows.emplace(std::move(key), std::move(f));
      return;
    }
    if (spec.insert_only) problem(spec, "insert_only row emitted twice");
    for (size_t c = 0; c < f.size(); ++c)
      if (spec.columns[c].merge_update) it->second[c] = std::move(f[c]);
  }

  void repoint(const Repoint& r) {
    const std::string from = time_text(r.from_us), to = time_text(r.to_us);
    for (const auto& spec : schema_.tables()) {
      for (size_t i = 0; i < spec.sk_refs.size(); ++i) {
        const SkRef& ref = spec.sk_refs[i];
        if (ref.dim != r.dim) continue;
        auto idx = index_.find({spec.id, i});
        if (idx == index_.end()) continue;
        auto keys = idx->second.find(r.natural_id);
        if (keys == idx->second.end()) continue;
        const size_t tc = *spec.column_index(ref.time_column), sc = *spec.column_index(ref.sk_column);
        for (const Fields& key : keys->second) {
          auto row = rows_[static_cast<size_t>(spec.id)].find(key);
          if (row == rows_[static_cast<size_t>(spec.id)].end()) continue;
          const std::string& t = row->second[tc];
          if (!time_less(t, from) && time_less(t, to)) row->second[sc] = std::to_string(r.sk);
        }
      }
    }
  }

  const Schema& schema_;
  std::map<Fields, Fields> rows_[kTableCount];
  // (table, sk_ref index) -> natural id -> keys of the rows holding it.
  std::map<std::pair<Table, size_t>, std::unordered_map<std::string, std::vector<Fields>>> index_;
};

}  // namespace lh::projections::testing

namespace lh::projections::testing {
// The row with `key` as one tab-separated line, "<no row>" if absent.
inline std::string row_text(const TableModel& m, Table t, const Fields& key) {
  const Fields* f = m.find(t, key);
  if (!f) return "<no row>";
  std::string s;
  for (size_t i = 0; i < f->size(); ++i) s += (i ? "\t" : "") + (*f)[i];
  return s;
}
}  // namespace lh::projections::testing
