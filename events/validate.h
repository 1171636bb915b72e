// The domain rules of the v1 event contract, stated once, and an independent
// check of a typed Event against them. The JSON decoder enforces these rules
// on the way in; check_invariants re-checks a finished Event, so the fuzzer,
// the generator's tests and other decoders (Debezium) can prove they only
// ever produce events the rest of the pipeline may trust.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "events/event.h"
#include "events/json_decoder.h"

namespace lh::events {

// event_id is an LMDB key (the duplicate index): LMDB's default limit is 511
// bytes; 255 leaves room for a prefix and keeps keys short.
constexpr size_t kMaxEventIdBytes = 255;

// Accepted event times: 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z.
// Before the epoch is always a producer bug here, and PostgreSQL's and
// RFC 3339's four-digit years end at 9999.
constexpr int64_t kMinEventTimeUs = 0;
constexpr int64_t kMaxEventTimeUs = 253402300799999999;

// commission_rate is stored at this scale (1 = 1000000 units).
constexpr uint8_t kCommissionRateScale = 6;

// "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" (case-sensitive).
bool is_http_method(std::string_view s);
// "active", "suspended", "closed".
bool is_vendor_status(std::string_view s);
// Three ASCII uppercase letters (the shape of an ISO 4217 code; not a registry lookup).
bool is_currency_code(std::string_view s);
// Two ASCII uppercase letters (the shape of an ISO 3166-1 alpha-2 code).
bool is_country_code(std::string_view s);

// Checks every invariant the JSON decoder promises about an accepted event:
// ids non-empty (event_id at most kMaxEventIdBytes), time in range, schema
// version known, data alternative matching the type (data_index_for),
// quantities, stars, line numbers (>= 1, unique), money >= 0 at its
// currency's scale, rates 0..1 at scale 6, codes and enums in their domains.
// Returns nullopt when all hold, else the first violation with the code and
// JSON path the decoder would have used. Pure; cheap enough for every event.
std::optional<Rejection> check_invariants(const Event& e);

}  // namespace lh::events
