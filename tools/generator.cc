// The generator's public face (generator.h): option checks, the summary's
// sums, and generate() running one Simulation (simulation.h) into a sink or
// a file.
#include "tools/generator.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "tools/simulation.h"

namespace lh::tools {

std::string_view to_string(DirtyKind kind) {
  switch (kind) {
    case DirtyKind::truncated_json: return "truncated_json";
    case DirtyKind::invalid_utf8: return "invalid_utf8";
    case DirtyKind::missing_field: return "missing_field";
    case DirtyKind::bad_quantity: return "bad_quantity";
    case DirtyKind::bad_stars: return "bad_stars";
    case DirtyKind::money_too_precise: return "money_too_precise";
    case DirtyKind::money_not_a_number: return "money_not_a_number";
    case DirtyKind::unknown_type: return "unknown_type";
    case DirtyKind::bad_timestamp: return "bad_timestamp";
    case DirtyKind::empty_id: return "empty_id";
  }
  return "unknown";
}

uint64_t GeneratorSummary::valid_events() const {
  uint64_t n = 0;
  for (auto c : valid_by_type) n += c;
  return n;
}

uint64_t GeneratorSummary::invalid_records() const {
  uint64_t n = 0;
  for (auto c : invalid_by_kind) n += c;
  return n;
}

Status validate(const GeneratorOptions& o) {
  if (o.days < 1 || o.days > 3660) return Error{fmt::format("days must be 1..3660, got {}", o.days)};
  if (o.vendors < 1 || o.vendors > 1000000)
    return Error{fmt::format("vendors must be 1..1000000, got {}", o.vendors)};
  if (o.customers < 1 || o.customers > 100000000)
    return Error{fmt::format("customers must be 1..100000000, got {}", o.customers)};
  if (o.products < 1 || o.products > 100000000)
    return Error{fmt::format("products must be 1..100000000, got {}", o.products)};
  if (o.orders_per_day < 0 || o.orders_per_day > 100000000)
    return Error{fmt::format("orders-per-day must be 0..100000000, got {}", o.orders_per_day)};
  if (!(o.dirty_rate >= 0 && o.dirty_rate <= 0.5))
    return Error{fmt::format("dirty-rate must be 0..0.5, got {}", o.dirty_rate)};
  if (!(o.late_rate >= 0 && o.late_rate <= 1))
    return Error{fmt::format("late-rate must be 0..1, got {}", o.late_rate)};
  // Up to year 9000: the stream's clock must stay inside what RFC 3339 writes.
  if (o.start_us < 0 || o.start_us > 221845392000000000LL)
    return Error{"start must be between 1970 and 9000"};
  return Status::Ok();
}

Result<GeneratorSummary> generate(const GeneratorOptions& options, const GeneratorSink& sink,
                                  const GeneratorProgressFn& progress) {
  if (Status s = validate(options); !s.ok()) return s.error();
  gen::Simulation sim(options, sink, progress);
  return sim.run();
}

Result<GeneratorSummary> generate_to_file(const GeneratorOptions& options, std::FILE* out,
                                          const GeneratorProgressFn& progress) {
  const GeneratorSink sink = [out](std::string_view block) -> Status {
    if (std::fwrite(block.data(), 1, block.size(), out) != block.size())
      return Error{fmt::format("write failed: {}", std::strerror(errno))};
    return Status::Ok();
  };
  auto result = generate(options, sink, progress);
  if (result.ok() && std::fflush(out) != 0)
    return Error{fmt::format("write failed: {}", std::strerror(errno))};
  return result;
}

}  // namespace lh::tools
