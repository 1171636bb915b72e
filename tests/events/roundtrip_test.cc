// The three forms of an event agree: contract JSON -> Event (JsonDecoder) ->
// msgpack (stored form) -> Event, and Event -> canonical JSON (append_json)
// -> JsonDecoder -> Event, for every type and for random events.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "events/msgpack_codec.h"
#include "events/random_event.h"

namespace lh::events {
namespace {

// Decodes one JSON record, failing the test with the decoder's reason.
::testing::AssertionResult decode_json(JsonDecoder& dec, std::string_view json, Event& out) {
  Rejection why;
  if (dec.decode(json, out, why)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "rejected (" << to_string(why.code) << "): " << why.message << "\n  " << json;
}

::testing::AssertionResult through_msgpack(const Event& in, Event& out) {
  std::string payload;
  encode_msgpack(in, payload);
  Status st = decode_msgpack(payload, out);
  if (!st.ok()) return ::testing::AssertionFailure() << st.error().message;
  return ::testing::AssertionSuccess();
}

TEST(Roundtrip, DesignDocExampleDecodesAndSurvivesTheStoredForm) {
  const std::string line =
      R"({"event_id":"ev-000017","type":"order_placed","event_time":"2026-11-20T10:15:00.123Z",)"
      R"( "schema_version":1,)"
      R"( "data":{"order_id":"O-9","customer_id":"C-12","currency":"EUR",)"
      R"( "lines":[{"line_no":1,"product_id":"P-3","vendor_id":"V-1","quantity":2,"unit_price":"19.90"}]}})";
  Event expected;
  expected.event_id = "ev-000017";
  expected.type = EventType::order_placed;
  expected.event_time_us = kExampleTimeUs;
  expected.data = OrderPlaced{"O-9", "C-12", "EUR", {OrderLine{1, "P-3", "V-1", 2, Decimal{1990, 2}, {}}}};

  JsonDecoder dec;
  Event from_json, stored;
  ASSERT_TRUE(decode_json(dec, line, from_json));
  EXPECT_EQ(from_json, expected);
  ASSERT_TRUE(through_msgpack(from_json, stored));
  EXPECT_EQ(stored, expected);
}

// Producers' JSON is not canonical: other key order, whitespace, epoch
// milliseconds, unknown fields. The stored form keeps what was decoded.
TEST(Roundtrip, NonCanonicalJsonSurvivesTheStoredForm) {
  const std::string lines[] = {
      R"({"type":"page_viewed","schema_version":1,"event_time":1795169700123,"event_id":"ev-a",)"
      R"("data":{"latency_ms":7,"url":"/c?q=\"x\"","status_code":404,"http_method":"GET",)"
      R"("session_id":"S-1","new_field":{"nested":[1,2,3]}}})",
      R"({ "event_id" : "ev-b" , "type" : "vendor_updated" , "event_time" : "2026-11-20T11:15:00.123+01:00",)"
      R"( "schema_version" : 1 , "data" : { "commission_rate" : "0.1", "vendor_id" : "V-\u00e9" } })",
      R"({"event_id":"ev-c","type":"stock_changed","event_time":"2026-11-20T10:15:00.123456789Z",)"
      R"("schema_version":1,"data":{"vendor_id":"V-1","product_id":"P-1","warehouse":"W","quantity":0}})",
  };
  JsonDecoder dec;
  for (const std::string& line : lines) {
    Event from_json, stored;
    ASSERT_TRUE(decode_json(dec, line, from_json));
    EXPECT_EQ(from_json.event_time_us / 1000, kExampleTimeUs / 1000) << line;
    ASSERT_TRUE(through_msgpack(from_json, stored));
    EXPECT_EQ(stored, from_json) << line;
  }
}

TEST(Roundtrip, EveryTypeSurvivesJsonThenStoredForm) {
  JsonDecoder dec;
  for (EventType t : kAllEventTypes) {
    Event in = example_event(t);
    std::string json;
    append_json(in, json);  // its exact text is pinned in json_encoder_test.cc
    Event from_json, stored;
    ASSERT_TRUE(decode_json(dec, json, from_json)) << to_string(t);
    EXPECT_EQ(from_json, in) << to_string(t);
    ASSERT_TRUE(through_msgpack(from_json, stored)) << to_string(t);
    EXPECT_EQ(stored, in) << to_string(t);
  }
}

TEST(Roundtrip, RandomEventsSurviveBothPaths) {
  JsonDecoder dec;
  std::mt19937_64 rng(20261120);
  std::string json, again;
  for (int i = 0; i < 10000; ++i) {
    Event in = random_event(rng);
    json.clear();
    append_json(in, json);
    Event from_json, stored;
    ASSERT_TRUE(decode_json(dec, json, from_json)) << "event " << i;
    ASSERT_EQ(from_json, in) << "event " << i << ": " << json;
    ASSERT_TRUE(through_msgpack(from_json, stored)) << "event " << i;
    ASSERT_EQ(stored, in) << "event " << i;
    // Canonical: encoding what was decoded gives the same bytes.
    again.clear();
    append_json(stored, again);
    ASSERT_EQ(again, json);
  }
}

// The decoder's zero-copy mode reads ahead; the canonical JSON must decode
// the same way through it.
TEST(Roundtrip, PaddedDecodeOfCanonicalJsonGivesTheSameEvents) {
  JsonDecoder dec;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000; ++i) {
    Event in = random_event(rng);
    std::string buf;
    append_json(in, buf);
    size_t n = buf.size();
    buf.append(kDecodePadding, '\0');
    Event out;
    Rejection why;
    ASSERT_TRUE(dec.decode(std::string_view(buf.data(), n), out, why, /*padded=*/true))
        << why.message;
    ASSERT_EQ(out, in);
  }
}

}  // namespace
}  // namespace lh::events
