// Row changes: what the projections hand to the PostgreSQL writer.
//
// A RowBatch holds every change that the events (after_seq, last_seq] of the
// log make to the warehouse, so the writer can apply it in one transaction
// together with the checkpoint last_seq. Rows are PostgreSQL COPY text lines
// (tab-separated, \N for null, backslash escapes, '\n' at the end) with the
// values in TableSpec::columns order (schema.h): the projection logic formats
// each value once and the writer streams the lines unchanged.
//
// Invariants the producers keep (the writer may rely on them):
//  - within one batch, a key appears at most once in a table's inserts and
//    upserts together, and never both there and in its deletes;
//  - a key in a table's inserts has never been emitted before (in an
//    earlier batch): the writer COPYs these rows straight into the table,
//    without staging or ON CONFLICT, so a key already there fails the apply;
//  - rows of insert_only tables are emitted once over the life of the log
//    (in the batch that holds their event);
//  - repoints are in the order they were produced, and must be applied in
//    that order, after the batch's upserts;
//  - a batch never depends on rows of a later batch.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"
#include "projections/schema.h"
#include "projections/scd2.h"

namespace lh::projections {

struct TableRows {
  std::string copy;   // COPY text lines, each ending with '\n'
  uint32_t rows = 0;  // number of lines in `copy`
  bool empty() const { return rows == 0; }
  void clear() { copy.clear(); rows = 0; }
  // Moves o's lines to the end of these (a buffer swap when this is empty).
  void append(TableRows&& o);
};

// An event that made a projection throw (a poison event): it is recorded in
// the warehouse's projection_errors table, in the same transaction, and the
// projection goes on without it.
struct ProjectionError {
  uint64_t seq = 0;
  std::string event_id;
  std::string projection;  // ProjectionSpec::name
  std::string owner;       // "vendor V-1", "customer shard 3", ...
  std::string message;
};

struct RowBatch {
  uint64_t after_seq = 0;  // the checkpoint before this batch
  uint64_t last_seq = 0;   // the checkpoint after it
  std::array<TableRows, kTableCount> upserts;
  // Rows their owner never emitted before (new orders, lines, days): plain
  // INSERTs for the writer. Producers may always use upserts instead.
  std::array<TableRows, kTableCount> inserts;
  std::array<TableRows, kTableCount> deletes;  // key columns only
  std::vector<Repoint> repoints;
  std::vector<ProjectionError> errors;
  uint64_t events = 0;   // events of (after_seq, last_seq] that were projected
  uint64_t skipped = 0;  // events passed over by `projection skip`
  // Holds the owners' held rows (WarehouseOptions::hold_fact_rows), emitted
  // once after the last batch of a bounded run (after_seq == last_seq).
  bool held_rows = false;
  bool empty_changes() const;
  void clear();
  // Moves `other`'s rows, repoints and errors to the end of this batch
  // (tables' lines are concatenated). The caller keeps the invariants above:
  // `other` comes from an owner whose keys are disjoint from this batch's.
  void append(RowBatch&& other);
};

// The batches (consecutive: each one's after_seq is the previous one's
// last_seq) as ONE batch with the same effect on the tables, so the writer
// issues one COPY and one merge per table per transaction instead of one per
// batch. Per table: insert_only rows are concatenated; inserts, upserts and
// deletes are folded per key (the first key_columns fields of a line), last
// change wins: a key ends up upserted (its last line, with the merge_update=
// false columns of its first line since the last delete, which is what an
// INSERT followed by ON CONFLICT updates would leave), deleted, or both —
// deleted then upserted, when a delete precedes its last upsert (the writer
// applies a table's deletes before its inserts and upserts). A key whose
// first change in the group is an insert, never deleted in it, stays an
// insert (with its folded line). Keys keep their first-seen order.
// Repoints stay in order, after all the upserts (see the .cc for why that
// is the same final state); errors concatenated; events/skipped summed.
// The result breaks one invariant above: a key may be both deleted and
// upserted, meaning delete first.
RowBatch merge_batches(const Schema& schema, const std::vector<const RowBatch*>& batches);

// The repoints `rs`, meant to be applied in their order, as disjoint ranges
// per member with the same effect: a fact ends on the sk of the last
// repoint covering its (member, time), so a later range overwrites an
// earlier one where they overlap. The result may be applied in any order,
// hence as one UPDATE per SkRef. Members keep their first-seen order,
// ranges ascend; empty ranges vanish.
std::vector<Repoint> collapse_repoints(const std::vector<Repoint>& rs);

// Formats COPY text values into one line. Usage:
//   CopyLine l(rows.copy); l.text(id); l.integer(n); l.null(); l.end(); ++rows.rows;
class CopyLine {
 public:
  explicit CopyLine(std::string& out) : out_(out) {}
  CopyLine& text(std::string_view s);  // escaped per COPY text format
  CopyLine& text_or_null(const std::optional<std::string>& s) { return s ? text(*s) : null(); }
  CopyLine& integer(int64_t v);
  CopyLine& decimal(const events::Decimal& d);  // exact text, e.g. 19.90
  CopyLine& time_us(int64_t us);  // 2026-11-01 00:00:00.123456+00; kInfinityUs -> infinity
  CopyLine& boolean(bool b);      // t / f
  CopyLine& null();
  CopyLine& raw(std::string_view s);  // already COPY-escaped text (e.g. an array literal)
  void end();                         // terminates the line with '\n'

 private:
  void sep();
  std::string& out_;
  bool first_ = true;
};

// yyyymmdd of a UTC instant (the date_key of dim_date and the facts).
int32_t date_key(int64_t us);

}  // namespace lh::projections
