// The marketplace event generator behind `ledgerhouse generate`: simulates
// vendors, products, customers, web sessions, orders and their fulfilment,
// and writes the resulting v1 events (../shared/DESIGN.md) as NDJSON. It
// feeds demos, tests and benchmarks with data that gives SCD2, facts and
// aggregates real work: updates of every dimension, inferred members, late
// events, skewed popularity, stock-outs and, on request, dirty records.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string_view>

#include "events/event.h"
#include "events/result.h"

namespace lh::tools {

struct GeneratorOptions {
  int days = 7;                 // simulated period, from `start`
  int vendors = 50;
  int customers = 5000;
  int products = 2000;
  // Orders placed per average day. Web traffic scales with it: one session
  // in ~3.3 converts and a session has ~4.5 page views, so a day carries
  // ~15 page views per order (fewer at night, more on weekends).
  int orders_per_day = 2000;
  uint64_t seed = 42;
  // Share of output lines that are bad records (0 <= dirty_rate <= 0.5).
  // They are added next to the valid events, drawn from their own random
  // stream: the valid events are the same bytes whatever the dirty rate.
  double dirty_rate = 0;
  // Share of late-eligible events (page views, stock changes, status
  // changes, *_updated) whose event_time is 1 minute to 3 hours earlier than
  // their neighbours in the stream.
  double late_rate = 0.01;
  int64_t start_us = 1793491200000000;  // 2026-11-01T00:00:00Z
};

// The kinds of bad records dirty_rate produces, evenly (round robin). Each
// is rejected by the decoder with one RejectCode (see the test); duplicates
// are valid lines and counted apart.
enum class DirtyKind : uint8_t {
  truncated_json,      // a valid line cut short (bad_json)
  invalid_utf8,        // invalid bytes inside a string (invalid_utf8)
  missing_field,       // the first required data field removed (missing_field)
  bad_quantity,        // order line quantity <= 0 or negative stock (bad_quantity)
  bad_stars,           // stars 0 or 7 (bad_stars)
  money_too_precise,   // "19.905" in EUR (bad_money)
  money_not_a_number,  // "abc", "12,50" (bad_money)
  unknown_type,        // a type v1 does not have (unknown_type)
  bad_timestamp,       // impossible or unparseable event_time (bad_timestamp)
  empty_id,            // an id that is "" (empty_id)
};
constexpr int kDirtyKindCount = 10;
std::string_view to_string(DirtyKind kind);

struct GeneratorSummary {
  uint64_t lines = 0;  // = valid events + invalid records + duplicates
  uint64_t bytes = 0;
  std::array<uint64_t, events::kEventTypeCount> valid_by_type{};  // [int(type) - 1]
  std::array<uint64_t, kDirtyKindCount> invalid_by_kind{};
  uint64_t duplicates = 0;  // byte-identical re-emissions of earlier lines
  uint64_t late_events = 0;
  uint64_t inferred_customers = 0;  // customers active before their customer_registered
  uint64_t stockouts = 0;           // stock_changed events that reach level 0
  int64_t first_time_us = 0, last_time_us = 0;  // simulated clock of the valid events

  uint64_t valid_events() const;
  uint64_t invalid_records() const;
  uint64_t valid(events::EventType t) const { return valid_by_type[static_cast<int>(t) - 1]; }
};

struct GeneratorProgress {
  uint64_t lines = 0;
  int64_t sim_time_us = 0;  // the simulated clock
};

// Receives the output in blocks of whole lines (each ends with '\n'). A
// non-ok Status stops the run and is returned.
using GeneratorSink = std::function<Status(std::string_view block)>;
using GeneratorProgressFn = std::function<void(const GeneratorProgress&)>;

// Checks ranges: days, vendors, products, customers >= 1, orders_per_day >= 0,
// rates in range. The message names the option.
Status validate(const GeneratorOptions& options);

// Runs the simulation and hands the stream to `sink`. Deterministic: the same
// options give the same bytes on any machine. Events come in event_time order
// except the late ones; an order's status changes always follow it in the
// stream. Memory is bounded by the entity counts and the orders and sessions
// in flight, not by the number of events. `progress`, if set, is called
// between blocks (a few times per second of output) and does not change it.
Result<GeneratorSummary> generate(const GeneratorOptions& options, const GeneratorSink& sink,
                                  const GeneratorProgressFn& progress = {});

// The 30-day scale the issues' benchmarks use: 1000 vendors, 200k
// customers, 50k products, 8000 orders a day (~5.9M events).
inline GeneratorOptions bench_preset() {
  GeneratorOptions o;
  o.days = 30;
  o.vendors = 1000;
  o.customers = 200000;
  o.products = 50000;
  o.orders_per_day = 8000;
  return o;
}

// generate() into a stdio stream, in blocks of ~1 MiB. Write errors are
// returned with errno's text.
Result<GeneratorSummary> generate_to_file(const GeneratorOptions& options, std::FILE* out,
                                          const GeneratorProgressFn& progress = {});

}  // namespace lh::tools
