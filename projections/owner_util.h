// Internal to projections/: what the owners of pipeline.h share — exact
// money arithmetic, the poison-event guard (try/catch -> ProjectionError),
// and the factories of the concrete owners (one .cc each).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "events/event.h"
#include "projections/pipeline.h"
#include "projections/rows.h"

namespace lh::projections::detail {

// A rule violation found while validating an event, before any state
// changed: the owner records it as a ProjectionError and goes on.
struct RuleViolation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exact decimal arithmetic: false when the result does not fit int64 units
// (at the larger of the two scales), never undefined behaviour.
bool try_dec_add(const events::Decimal& a, const events::Decimal& b, events::Decimal* out);
bool try_dec_mul(const events::Decimal& a, int64_t n, events::Decimal* out);
// The same, throwing a RuleViolation that names what() (called, and its
// text built, only on overflow: these sit on the per-line hot path).
template <class What>
events::Decimal dec_add(const events::Decimal& a, const events::Decimal& b, What&& what) {
  events::Decimal r;
  if (!try_dec_add(a, b, &r))
    throw RuleViolation(what() + ": " + events::to_string(a) + " + " + events::to_string(b) +
                        " overflows a 64-bit decimal");
  return r;
}
template <class What>
events::Decimal dec_mul(const events::Decimal& a, int64_t n, What&& what) {
  events::Decimal r;
  if (!try_dec_mul(a, n, &r))
    throw RuleViolation(what() + ": " + std::to_string(n) + " x " + events::to_string(a) +
                        " overflows a 64-bit decimal");
  return r;
}
events::Decimal dec_zero(uint8_t scale);
// round-half-up(num / den) at `scale` decimals, for num >= 0, den > 0.
events::Decimal dec_ratio(int64_t num, int64_t den, uint8_t scale);

// A status the v1 contract has (the decoder guarantees it; a corrupt log
// must not print garbage into the warehouse).
inline void check_status(events::OrderStatus s) {
  const int v = static_cast<int>(s);
  if (v < 1 || v > 5) throw RuleViolation("order status code " + std::to_string(v) + " unknown");
}

int64_t floor_div(int64_t a, int64_t b);
constexpr int64_t kWindowUs = 300'000'000;  // agg_pageviews_5m
inline int64_t window_start_us(int64_t t_us) { return floor_div(t_us, kWindowUs) * kWindowUs; }

// Runs `f` (the owner's handling of one event) and turns a RuleViolation
// or any other exception into a ProjectionError of `projection` appended to
// *errors. `f` must validate before it mutates, so that a failed event
// leaves the owner's state as it was.
template <class F>
void guarded(const LoggedEvent& le, std::string_view projection, const std::string& owner,
             std::vector<ProjectionError>* errors, F&& f) {
  try {
    f();
  } catch (const std::exception& ex) {
    errors->push_back(ProjectionError{le.seq, le.event.event_id, std::string(projection), owner,
                                      std::string(to_string(le.event.type)) + ": " + ex.what()});
  } catch (...) {
    errors->push_back(ProjectionError{le.seq, le.event.event_id, std::string(projection), owner,
                                      std::string(to_string(le.event.type)) + ": unknown exception"});
  }
}

std::unique_ptr<Owner> make_dimension_owner(const OwnerKey& key, const Schema& schema);
std::unique_ptr<Owner> make_vendor_owner(const OwnerKey& key, const Schema& schema);
std::unique_ptr<Owner> make_order_owner(const OwnerKey& key, const Schema& schema);
std::unique_ptr<Owner> make_traffic_owner(const OwnerKey& key, const Schema& schema);

}  // namespace lh::projections::detail
