// The canonical JSON: exact text per type, escaping, money and number
// formatting, and validity of the output for random events (checked with
// simdjson, independently of JsonDecoder).
#include "events/json_encoder.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <random>
#include <string>

#include "events/random_event.h"

namespace lh::events {
namespace {

std::string json(const Event& e, std::string_view leading = {}) {
  std::string s;
  append_json(e, s, leading);
  return s;
}
std::string json_string(std::string_view v) {
  std::string s;
  append_json_string(v, s);
  return s;
}

constexpr std::string_view kEnvelope =
    R"("event_time":"2026-11-20T10:15:00.123Z","schema_version":1,"data":)";

std::string expected(EventType t, std::string_view data) {
  return R"({"event_id":"ev-)" + std::to_string(static_cast<int>(t)) + R"(","type":")" +
         std::string(to_string(t)) + "\"," + std::string(kEnvelope) + std::string(data) + "}";
}

TEST(JsonEncoder, ExactTextForAnExampleOfEveryType) {
  const std::pair<EventType, std::string_view> cases[] = {
      {EventType::vendor_registered,
       R"({"vendor_id":"V-1","name":"Nordic \"Goods\" AB","country":"SE","city":"Malmö","tier":"gold","commission_rate":"0.125000","status":"active"})"},
      {EventType::vendor_updated, R"({"vendor_id":"V-1","status":"suspended"})"},
      {EventType::customer_registered,
       R"({"customer_id":"C-12","name":"Zoë O'Brien","email":"zoe@example.com","city":"Dublin","region":"Leinster","zip":"D02 X285","country":"IE","segment":"retail"})"},
      {EventType::customer_updated, R"({"customer_id":"C-12","city":"Cork","zip":"T12"})"},
      {EventType::customer_deleted, R"({"customer_id":"C-12"})"},
      {EventType::product_created,
       R"({"product_id":"P-3","name":"Tea kettle 1.7 l","category":"kitchen","brand":"Kettlr","vendor_id":"V-1","list_price":"19.90","currency":"EUR","weight_g":1250})"},
      {EventType::product_updated, R"({"product_id":"P-3","list_price":"2490","currency":"JPY"})"},
      {EventType::order_placed,
       R"({"order_id":"O-9","customer_id":"C-12","currency":"EUR","lines":[{"line_no":1,"product_id":"P-3","vendor_id":"V-1","quantity":2,"unit_price":"19.90","freight":"4.95"},{"line_no":2,"product_id":"P-4","vendor_id":"V-2","quantity":1,"unit_price":"1000.00"}]})"},
      {EventType::order_status_changed,
       R"({"order_id":"O-9","status":"shipped","vendor_id":"V-1","line_no":1})"},
      {EventType::review_submitted,
       R"({"review_id":"R-5","order_id":"O-9","customer_id":"C-12","product_id":"P-3","vendor_id":"V-1","stars":4,"comment":"Good kettle.\u000aLid is \\tight\\ 😀"})"},
      {EventType::page_viewed,
       R"({"session_id":"S-77","url":"/p/P-3?ref=home","http_method":"GET","status_code":200,"latency_ms":12.5,"customer_id":"C-12","product_id":"P-3","vendor_id":"V-1"})"},
      {EventType::stock_changed,
       R"({"vendor_id":"V-1","product_id":"P-3","warehouse":"WH-MMX","quantity":0})"},
  };
  static_assert(sizeof(cases) / sizeof(cases[0]) == kEventTypeCount);
  for (const auto& [type, data] : cases)
    EXPECT_EQ(json(example_event(type)), expected(type, data)) << to_string(type);
}

TEST(JsonEncoder, EscapesQuotesBackslashesAndEveryControlCharacter) {
  EXPECT_EQ(json_string(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(json_string(R"(C:\dir\)"), R"("C:\\dir\\")");
  EXPECT_EQ(json_string("a\nb\tc\rd\be\ff"), R"("a\u000ab\u0009c\u000dd\u0008e\u000cf")");
  EXPECT_EQ(json_string(std::string("nul\0end", 7)), R"("nul\u0000end")");
  EXPECT_EQ(json_string("\x01\x1f"), R"("\u0001\u001f")");
  for (int c = 0; c < 0x20; ++c) {
    std::string out = json_string(std::string(1, static_cast<char>(c)));
    EXPECT_EQ(out.size(), 8u) << c;  // "\u00XX"
    EXPECT_EQ(std::strtol(out.substr(3, 4).c_str(), nullptr, 16), c);
  }
}

TEST(JsonEncoder, LeavesEverythingElseAlone) {
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("/path/</script>'"), R"("/path/</script>'")");
  EXPECT_EQ(json_string("\x7f"), "\"\x7f\"");  // DEL is not a JSON control character
  // UTF-8 passes through byte for byte: 2-, 3-, 4-byte sequences, U+2028.
  std::string utf8 = "Malmö 中文 € \xF0\x9F\x98\x80 \xE2\x80\xA8";
  EXPECT_EQ(json_string(utf8), "\"" + utf8 + "\"");
}

TEST(JsonEncoder, MoneyIsAStringAtItsScale) {
  Event e = example_event(EventType::product_updated);
  auto& p = std::get<ProductData>(e.data);
  const std::pair<Decimal, std::string_view> cases[] = {
      {{0, 2}, "0.00"},      {{5, 2}, "0.05"},         {{-50, 2}, "-0.50"},
      {{2490, 0}, "2490"},   {{1, 3}, "0.001"},        {{1234567, 3}, "1234.567"},
      {{999999999999999999, 2}, "9999999999999999.99"},
  };
  for (const auto& [d, text] : cases) {
    p.list_price = d;
    std::string s = json(e);
    EXPECT_NE(s.find(R"("list_price":")" + std::string(text) + "\""), std::string::npos) << s;
  }
}

TEST(JsonEncoder, CommissionRateIsAString) {
  std::string s = json(example_event(EventType::vendor_registered));
  EXPECT_NE(s.find(R"("commission_rate":"0.125000")"), std::string::npos) << s;
}

TEST(JsonEncoder, LatencyIsTheShortestNumberThatReadsBack) {
  Event e = example_event(EventType::page_viewed);
  auto& pv = std::get<PageViewed>(e.data);
  const std::pair<double, std::string_view> cases[] = {
      {0.0, "0"}, {3.0, "3"}, {0.1, "0.1"}, {12.5, "12.5"}, {1e21, "1e+21"}, {0.3 - 0.1, "0.19999999999999998"},
  };
  for (const auto& [v, text] : cases) {
    pv.latency_ms = v;
    std::string s = json(e);
    EXPECT_NE(s.find(R"("latency_ms":)" + std::string(text) + ","), std::string::npos) << s;
  }
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> dist(0, 1e6);
  for (int i = 0; i < 10000; ++i) {
    pv.latency_ms = dist(rng);
    std::string s = json(e);
    size_t at = s.find(R"("latency_ms":)") + 13;
    EXPECT_EQ(std::strtod(s.c_str() + at, nullptr), pv.latency_ms) << s;
  }
}

TEST(JsonEncoder, NonFiniteLatencyBecomesNullNotInvalidJson) {
  Event e = example_event(EventType::page_viewed);
  std::get<PageViewed>(e.data).latency_ms = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(json(e).find(R"("latency_ms":null,)"), std::string::npos);
}

TEST(JsonEncoder, MicrosecondsAreKeptInEventTime) {
  Event e = example_event(EventType::customer_deleted);
  e.event_time_us = kExampleTimeUs + 456;
  EXPECT_NE(json(e).find(R"("event_time":"2026-11-20T10:15:00.123456Z")"), std::string::npos);
}

TEST(JsonEncoder, LeadingFieldsComeRightAfterTheBrace) {
  Event e = example_event(EventType::customer_deleted);
  EXPECT_EQ(json(e, R"("seq":7,)"), R"({"seq":7,)" + json(e).substr(1));
  EXPECT_EQ(json(e, R"("seq":7,)").substr(0, 27), R"({"seq":7,"event_id":"ev-5",)");
  // Without the trailing comma the output is still valid JSON.
  EXPECT_EQ(json(e, R"("seq":7)"), json(e, R"("seq":7,)"));
}

TEST(JsonEncoder, AppendsWithoutTouchingWhatIsThere) {
  Event e = example_event(EventType::stock_changed);
  std::string s = "{\"a\":1}\n";
  append_json(e, s);
  EXPECT_EQ(s, "{\"a\":1}\n" + json(e));
}

// Independent of JsonDecoder: every random event's JSON parses (simdjson),
// and the strings read back are the bytes we started from.
TEST(JsonEncoder, RandomEventsGiveValidJsonWithTheSameStrings) {
  simdjson::dom::parser parser;
  std::mt19937_64 rng(99);
  std::string s;
  for (int i = 0; i < 10000; ++i) {
    Event e = random_event(rng);
    s.clear();
    append_json(e, s, R"("seq":1,)");
    simdjson::dom::element doc;
    auto err = parser.parse(s).get(doc);
    ASSERT_FALSE(err) << simdjson::error_message(err) << "\n" << s;
    std::string_view id, type, time;
    ASSERT_FALSE(doc["event_id"].get(id));
    ASSERT_FALSE(doc["type"].get(type));
    ASSERT_FALSE(doc["event_time"].get(time));
    EXPECT_EQ(id, e.event_id);
    EXPECT_EQ(type, to_string(e.type));
    EXPECT_EQ(parse_rfc3339_us(time), e.event_time_us);
    if (auto* r = std::get_if<ReviewSubmitted>(&e.data); r && r->comment) {
      std::string_view c;
      ASSERT_FALSE(doc["data"]["comment"].get(c));
      EXPECT_EQ(c, *r->comment);
    }
    if (auto* pv = std::get_if<PageViewed>(&e.data)) {
      double latency;
      ASSERT_FALSE(doc["data"]["latency_ms"].get(latency));
      EXPECT_EQ(latency, pv->latency_ms);
    }
  }
}

}  // namespace
}  // namespace lh::events
