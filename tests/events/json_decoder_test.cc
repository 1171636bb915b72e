// JsonDecoder: what it accepts, exactly how it rejects (code, field and
// message are part of the contract: the quarantine and metrics show them).
#include "events/json_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "events/validate.h"

namespace lh::events {

// Failures show the event, not its bytes.
void PrintTo(const Event& e, std::ostream* os) {
  *os << "{" << e.event_id << " " << to_string(e.type) << " " << format_time_us(e.event_time_us) << " v"
      << e.schema_version << " data#" << e.data.index() << "}";
}

namespace {

// A complete v1 envelope around `data` (raw JSON).
std::string ev(std::string_view type, std::string_view data,
               std::string_view time = "\"2026-11-20T10:15:00.123Z\"") {
  return "{\"event_id\":\"ev-1\",\"type\":\"" + std::string(type) + "\",\"event_time\":" +
         std::string(time) + ",\"schema_version\":1,\"data\":" + std::string(data) + "}";
}
// An envelope whose event_time is the raw JSON `time`.
std::string at(std::string_view time) {
  return ev("customer_deleted", R"({"customer_id":"C-1"})", time);
}
std::string order(std::string_view lines, std::string_view currency = "EUR") {
  return ev("order_placed", R"({"order_id":"O-9","customer_id":"C-12","currency":")" +
                                std::string(currency) + R"(","lines":)" + std::string(lines) + "}");
}
std::string line(std::string_view quantity, std::string_view unit_price = "\"19.90\"") {
  return R"({"line_no":1,"product_id":"P-3","vendor_id":"V-1","quantity":)" + std::string(quantity) +
         R"(,"unit_price":)" + std::string(unit_price) + "}";
}
std::string page(std::string_view method, std::string_view code, std::string_view latency) {
  return ev("page_viewed", R"({"session_id":"S-1","url":"/p/3","http_method":)" + std::string(method) +
                               R"(,"status_code":)" + std::string(code) + R"(,"latency_ms":)" +
                               std::string(latency) + "}");
}

// Decodes with a padded copy of the record (garbage that looks like JSON in
// the padding, to prove it is never read as part of the record).
bool decode_padded(JsonDecoder& d, std::string_view rec, Event& out, Rejection& why) {
  std::string buf(rec);
  buf.append(kDecodePadding, '}');
  return d.decode(std::string_view(buf.data(), rec.size()), out, why, true);
}

// ---------------------------------------------------------------------------
// The bad-input table

struct Bad {
  const char* rule;  // test name: the rule the case pins
  std::string record;
  RejectCode code;
  std::string field;
  std::string message;
  size_t max_record_bytes = DecoderOptions{}.max_record_bytes;
};

std::ostream& operator<<(std::ostream& os, const Bad& b) { return os << b.rule; }

std::vector<Bad> bad_inputs() {
  using R = RejectCode;
  const std::string long_id(256, 'x');
  return {
      // Record level, in the order they are checked.
      {"OversizedBeforeAnythingElse", ev("customer_deleted", R"({"customer_id":"C-1"})"), R::oversized, "",
       "record is 133 bytes, over the limit of 64", 64},
      {"OversizedWinsOverInvalidUtf8", "{\"a\":\"\xFF\"}      ", R::oversized, "",
       "record is 15 bytes, over the limit of 14", 14},
      {"InvalidUtf8OverlongEncodingWithOffset", "{\"event_id\":\"e\xC0\xAF\"}", R::invalid_utf8, "",
       "invalid UTF-8 at byte offset 14: overlong encoding"},
      {"InvalidUtf8LoneContinuationByte", "{\"a\":\"\x80\"}", R::invalid_utf8, "",
       "invalid UTF-8 at byte offset 6: unexpected continuation byte"},
      {"InvalidUtf8TruncatedSequence", "{\"a\":\"\xE2\x82\"}", R::invalid_utf8, "",
       "invalid UTF-8 at byte offset 6: truncated multi-byte sequence"},
      {"InvalidUtf8TruncatedSequenceAtEnd", "{\"a\":\"x\xF0\x9F\x98", R::invalid_utf8, "",
       "invalid UTF-8 at byte offset 7: truncated multi-byte sequence"},
      {"InvalidUtf8EncodedSurrogate", "{\"a\":\"\xED\xA0\x80\"}", R::invalid_utf8, "",
       "invalid UTF-8 at byte offset 6: encoded UTF-16 surrogate"},
      {"InvalidUtf8JudgedBeforeJsonSyntax", "{\"a\":\"\xFF", R::invalid_utf8, "",
       "invalid UTF-8 at byte offset 6: byte 0xF8..0xFF never occurs in UTF-8"},
      {"TruncatedInsideString", R"({"event_id":"ev-1","type":"order_pl)", R::bad_json, "",
       "truncated JSON: unclosed string"},
      {"TruncatedInsideNestedObject", R"({"event_id":"ev-1","data":{"lines":[{"line_no":1)", R::bad_json, "",
       "truncated JSON: unclosed object"},
      {"TruncatedInsideArray", R"({"event_id":"ev-1","data":{"lines":[1,2)", R::bad_json, "",
       "truncated JSON: unclosed array"},
      {"TruncatedAfterComma", R"({"event_id":"ev-1",)", R::bad_json, "", "truncated JSON: unclosed object"},
      {"TruncatedInsideLiteral", R"({"event_id":tr)", R::bad_json, "", "truncated JSON: unclosed object"},
      {"TruncatedInsideEscape", R"({"event_id":"ev\u00)", R::bad_json, "", "truncated JSON: unclosed string"},
      {"EmptyRecordIsNotJson", "", R::bad_json, "", "invalid JSON: empty record"},
      {"BlankRecordIsNotJson", " \t ", R::bad_json, "", "invalid JSON: empty record"},
      {"TrailingContentNamesItsOffset", R"({"a":1} x)", R::bad_json, "",
       "invalid JSON at byte offset 8: trailing content after the JSON value"},
      {"MissingColonNamesItsOffset", R"({"a" 1})", R::bad_json, "",
       "invalid JSON at byte offset 5: expected ':' after the key"},
      {"TrailingCommaInObject", R"({"a":1,})", R::bad_json, "",
       "invalid JSON at byte offset 7: expected a string key"},
      {"BadLiteral", R"({"a":nul})", R::bad_json, "", "invalid JSON at byte offset 5: invalid literal"},
      {"NumberOutOfRange", R"({"a":1e400})", R::bad_json, "", "invalid JSON: a number is out of range"},
      {"TopLevelArrayIsNotAnEvent", "[1,2]", R::bad_json, "", "expected a JSON object, got array"},
      {"TopLevelStringIsNotAnEvent", R"("ev-1")", R::bad_json, "", "expected a JSON object, got string"},

      // Envelope.
      {"MissingEventId", R"({"type":"customer_deleted","event_time":0,"data":{"customer_id":"C-1"}})",
       R::missing_field, "event_id", "event_id: required field is missing"},
      {"NullEventIdIsMissing",
       R"({"event_id":null,"type":"customer_deleted","event_time":0,"data":{"customer_id":"C-1"}})",
       R::missing_field, "event_id", "event_id: required field is null"},
      {"EmptyEventId", R"({"event_id":"","type":"customer_deleted","event_time":0,"data":{}})", R::empty_id,
       "event_id", "event_id: must not be empty"},
      {"NumericEventIdIsWrongType", R"({"event_id":17,"type":"customer_deleted","event_time":0,"data":{}})",
       R::wrong_type, "event_id", "event_id: expected string, got integer"},
      {"EventIdLongerThanAnLmdbKeyAllows",
       "{\"event_id\":\"" + long_id + R"(","type":"customer_deleted","event_time":0,"data":{}})", R::bad_value,
       "event_id", "event_id: longer than 255 bytes (256)"},
      {"DuplicateKeyIsAmbiguous", R"({"event_id":"a","event_id":"b","type":"customer_deleted"})", R::bad_value,
       "event_id", "event_id: duplicate key"},
      {"MissingType", R"({"event_id":"ev-1","event_time":0,"data":{}})", R::missing_field, "type",
       "type: required field is missing"},
      {"UnknownTypeIsQuoted", ev("order_shipped", "{}"), R::unknown_type, "type",
       "type: unknown event type \"order_shipped\""},
      {"MissingEventTime", R"({"event_id":"ev-1","type":"customer_deleted","data":{}})", R::missing_field,
       "event_time", "event_time: required field is missing"},
      {"FebruaryThirtiethIsNotADate", at("\"2026-02-30T10:00:00Z\""), R::bad_timestamp, "event_time",
       "event_time: not an RFC 3339 time, got \"2026-02-30T10:00:00Z\""},
      {"HourTwentyFiveIsNotATime", at("\"2026-11-20T25:00:00Z\""), R::bad_timestamp, "event_time",
       "event_time: not an RFC 3339 time, got \"2026-11-20T25:00:00Z\""},
      {"TimeWithoutZoneIsNotRfc3339", at("\"2026-11-20T10:00:00\""), R::bad_timestamp, "event_time",
       "event_time: not an RFC 3339 time, got \"2026-11-20T10:00:00\""},
      {"MoreThanNineFractionDigits", at("\"2026-11-20T10:00:00.1234567891Z\""), R::bad_timestamp,
       "event_time", "event_time: not an RFC 3339 time, got \"2026-11-20T10:00:00.1234567891Z\""},
      {"TimeBefore1970", at("\"1969-12-31T23:59:59Z\""), R::bad_timestamp, "event_time",
       "event_time: before 1970, got \"1969-12-31T23:59:59Z\""},
      {"TimeAfter9999AfterOffset", at("\"9999-12-31T23:30:00-01:00\""), R::bad_timestamp, "event_time",
       "event_time: after 9999, got \"9999-12-31T23:30:00-01:00\""},
      {"NegativeEpochMillis", at("-1"), R::bad_timestamp, "event_time", "event_time: before 1970, got -1"},
      {"EpochMillisAfter9999", at("253402300800000"), R::bad_timestamp, "event_time",
       "event_time: after 9999, got 253402300800000"},
      {"FractionalEpochMillis", at("1795169700123.5"), R::bad_timestamp, "event_time",
       "event_time: epoch milliseconds must be an integer, got 1795169700123.5"},
      {"BooleanTime", at("true"), R::bad_timestamp, "event_time",
       "event_time: expected an RFC 3339 string or integer epoch milliseconds, got boolean"},
      {"SchemaVersionTwoIsUnsupported",
       R"({"event_id":"ev-1","type":"customer_deleted","event_time":0,"schema_version":2,"data":{}})",
       R::unsupported_version, "schema_version", "schema_version: version 2 is newer than this build supports (1)"},
      {"SchemaVersionJudgedBeforeOtherFields", R"({"schema_version":7})", R::unsupported_version,
       "schema_version", "schema_version: version 7 is newer than this build supports (1)"},
      {"SchemaVersionZero", R"({"event_id":"ev-1","schema_version":0})", R::bad_value, "schema_version",
       "schema_version: must be >= 1, got 0"},
      {"SchemaVersionAsString", R"({"event_id":"ev-1","schema_version":"1"})", R::wrong_type, "schema_version",
       "schema_version: expected integer, got string"},
      {"MissingData", R"({"event_id":"ev-1","type":"customer_deleted","event_time":0})", R::missing_field,
       "data", "data: required field is missing"},
      {"DataMustBeAnObject", ev("customer_deleted", "[]"), R::wrong_type, "data",
       "data: expected object, got array"},

      // Vendors and customers.
      {"VendorWithoutVendorId", ev("vendor_registered", R"({"name":"Acme"})"), R::missing_field,
       "data.vendor_id", "data.vendor_id: required field is missing"},
      {"LowercaseCountry", ev("vendor_updated", R"({"vendor_id":"V-1","country":"de"})"), R::bad_value,
       "data.country", "data.country: expected 2 uppercase letters (ISO 3166-1 alpha-2), got \"de\""},
      {"CommissionRateAboveOne", ev("vendor_updated", R"({"vendor_id":"V-1","commission_rate":1.5})"),
       R::bad_value, "data.commission_rate", "data.commission_rate: must be 0..1, got 1.5"},
      {"CommissionRateSevenDecimals", ev("vendor_updated", R"({"vendor_id":"V-1","commission_rate":"0.1234567"})"),
       R::bad_value, "data.commission_rate", "data.commission_rate: at most 6 decimals, got \"0.1234567\""},
      {"NegativeCommissionRate", ev("vendor_updated", R"({"vendor_id":"V-1","commission_rate":"-0.1"})"),
       R::bad_value, "data.commission_rate", "data.commission_rate: must be 0..1, got \"-0.1\""},
      {"UnknownVendorStatus", ev("vendor_updated", R"({"vendor_id":"V-1","status":"paused"})"), R::bad_value,
       "data.status", "data.status: expected one of active, suspended, closed; got \"paused\""},
      {"EmptyCustomerId", ev("customer_registered", R"({"customer_id":""})"), R::empty_id, "data.customer_id",
       "data.customer_id: must not be empty"},
      {"OptionalFieldOfWrongType", ev("customer_updated", R"({"customer_id":"C-1","name":5})"), R::wrong_type,
       "data.name", "data.name: expected string, got integer"},
      {"DeletedCustomerNeedsItsId", ev("customer_deleted", "{}"), R::missing_field, "data.customer_id",
       "data.customer_id: required field is missing"},

      // Products.
      {"ProductWithoutProductId", ev("product_created", R"({"name":"Mug"})"), R::missing_field,
       "data.product_id", "data.product_id: required field is missing"},
      {"JpyListPriceWithDecimals",
       ev("product_created", R"({"product_id":"P-1","list_price":"1.5","currency":"JPY"})"), R::bad_money,
       "data.list_price", "data.list_price: JPY allows at most 0 decimals, got \"1.5\""},
      {"ListPriceWithoutCurrencyHasTwoDecimals", ev("product_updated", R"({"product_id":"P-1","list_price":1.234})"),
       R::bad_money, "data.list_price",
       "data.list_price: the default currency allows at most 2 decimals, got 1.234"},
      {"NegativeWeight", ev("product_updated", R"({"product_id":"P-1","weight_g":-1})"), R::bad_value,
       "data.weight_g", "data.weight_g: must be >= 0, got -1"},
      {"EmptyOptionalVendorId", ev("product_updated", R"({"product_id":"P-1","vendor_id":""})"), R::empty_id,
       "data.vendor_id", "data.vendor_id: must not be empty"},

      // Orders.
      {"OrderWithoutLines", ev("order_placed", R"({"order_id":"O-9","customer_id":"C-12","currency":"EUR"})"),
       R::missing_field, "data.lines", "data.lines: required field is missing"},
      {"OrderWithEmptyLines", order("[]"), R::bad_value, "data.lines", "data.lines: must not be empty"},
      {"LinesMustBeAnArray", order("{}"), R::wrong_type, "data.lines", "data.lines: expected array, got object"},
      {"LineMustBeAnObject", order("[7]"), R::wrong_type, "data.lines[0]",
       "data.lines[0]: expected object, got integer"},
      {"LowercaseCurrency", order("[" + line("1") + "]", "eur"), R::bad_value, "data.currency",
       "data.currency: expected 3 uppercase letters (ISO 4217), got \"eur\""},
      {"OrderWithoutCurrency", ev("order_placed", R"({"order_id":"O-9","customer_id":"C-12","lines":[]})"),
       R::missing_field, "data.currency", "data.currency: required field is missing"},
      {"ZeroQuantityNamingTheLine",
       order("[" + line("1") + R"(,{"line_no":2,"product_id":"P-4","vendor_id":"V-1","quantity":0,"unit_price":"1"}])"),
       R::bad_quantity, "data.lines[1].quantity", "data.lines[1].quantity: must be > 0, got 0"},
      {"QuantityAsStringIsWrongType", order("[" + line("\"2\"") + "]"), R::wrong_type, "data.lines[0].quantity",
       "data.lines[0].quantity: expected integer, got string"},
      {"FractionalQuantityIsWrongType", order("[" + line("2.5") + "]"), R::wrong_type, "data.lines[0].quantity",
       "data.lines[0].quantity: expected integer, got number 2.5"},
      {"QuantityBeyondInt64", order("[" + line("18446744073709551615") + "]"), R::bad_quantity,
       "data.lines[0].quantity", "data.lines[0].quantity: must be <= 9223372036854775807, got 18446744073709551615"},
      {"NullUnitPriceIsMissing", order("[" + line("1", "null") + "]"), R::missing_field,
       "data.lines[0].unit_price", "data.lines[0].unit_price: required field is null"},
      {"NumberMoneyWithTooManyDecimals", order("[" + line("1", "19.999") + "]"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: EUR allows at most 2 decimals, got 19.999"},
      {"JpyUnitPriceWithDecimals", order("[" + line("1", "\"1200.5\"") + "]", "JPY"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: JPY allows at most 0 decimals, got \"1200.5\""},
      {"KwdFourDecimals", order("[" + line("1", "\"1.2345\"") + "]", "KWD"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: KWD allows at most 3 decimals, got \"1.2345\""},
      {"NegativeMoney", order("[" + line("1", "\"-1.00\"") + "]"), R::bad_money, "data.lines[0].unit_price",
       "data.lines[0].unit_price: must be >= 0, got \"-1.00\""},
      {"NegativeIsReportedBeforePrecision", order("[" + line("1", "\"-0.001\"") + "]"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: must be >= 0, got \"-0.001\""},
      {"NegativeNumberMoney", order("[" + line("1", "-3") + "]"), R::bad_money, "data.lines[0].unit_price",
       "data.lines[0].unit_price: must be >= 0, got -3"},
      {"ExponentInMoneyString", order("[" + line("1", "\"1e3\"") + "]"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: not a plain decimal number: \"1e3\""},
      {"HugeMoneyNumberNeedsAnExponent", order("[" + line("1", "1e20") + "]"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: not a plain decimal number: 1e+20"},
      {"GarbageMoney", order("[" + line("1", "\"12abc\"") + "]"), R::bad_money, "data.lines[0].unit_price",
       "data.lines[0].unit_price: not a plain decimal number: \"12abc\""},
      {"MoneyWithBareDecimalPoint", order("[" + line("1", "\"12.\"") + "]"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: not a plain decimal number: \"12.\""},
      {"MoneyOverflowingInt64Units", order("[" + line("1", "\"92233720368547758.08\"") + "]"), R::bad_money,
       "data.lines[0].unit_price", "data.lines[0].unit_price: out of range, got \"92233720368547758.08\""},
      {"BooleanMoneyIsWrongType", order("[" + line("1", "true") + "]"), R::wrong_type, "data.lines[0].unit_price",
       "data.lines[0].unit_price: expected decimal string or number, got boolean"},
      {"JpyFreightWithDecimals",
       order(R"([{"line_no":1,"product_id":"P-3","vendor_id":"V-1","quantity":1,"unit_price":5,"freight":3.5}])",
             "JPY"),
       R::bad_money, "data.lines[0].freight", "data.lines[0].freight: JPY allows at most 0 decimals, got 3.5"},
      {"LineWithoutVendor", order(R"([{"line_no":1,"product_id":"P-3","quantity":1,"unit_price":5}])"),
       R::missing_field, "data.lines[0].vendor_id", "data.lines[0].vendor_id: required field is missing"},
      {"LineNumberZero", order(R"([{"line_no":0,"product_id":"P-3","vendor_id":"V-1","quantity":1,"unit_price":5}])"),
       R::bad_value, "data.lines[0].line_no", "data.lines[0].line_no: must be > 0, got 0"},
      {"LineNumberBeyondInt32",
       order(R"([{"line_no":2147483648,"product_id":"P-3","vendor_id":"V-1","quantity":1,"unit_price":5}])"),
       R::bad_value, "data.lines[0].line_no", "data.lines[0].line_no: must be <= 2147483647, got 2147483648"},
      {"DuplicateLineNumberNamesTheLaterLine", order("[" + line("1") + "," + line("2") + "]"), R::bad_value,
       "data.lines[1].line_no", "data.lines[1].line_no: duplicate line_no 1"},

      // Order status, reviews, page views, stock.
      {"UnknownOrderStatus", ev("order_status_changed", R"({"order_id":"O-9","status":"lost"})"), R::bad_value,
       "data.status",
       "data.status: expected one of approved, shipped, delivered, cancelled, returned; got \"lost\""},
      {"StatusChangeWithoutStatus", ev("order_status_changed", R"({"order_id":"O-9"})"), R::missing_field,
       "data.status", "data.status: required field is missing"},
      {"StatusChangeForLineZero", ev("order_status_changed", R"({"order_id":"O-9","status":"shipped","line_no":0})"),
       R::bad_value, "data.line_no", "data.line_no: must be > 0, got 0"},
      {"SixStars", ev("review_submitted", R"({"review_id":"R-1","vendor_id":"V-1","stars":6})"), R::bad_stars,
       "data.stars", "data.stars: must be 1..5, got 6"},
      {"ZeroStars", ev("review_submitted", R"({"review_id":"R-1","vendor_id":"V-1","stars":0})"), R::bad_stars,
       "data.stars", "data.stars: must be 1..5, got 0"},
      {"StarsAsString", ev("review_submitted", R"({"review_id":"R-1","vendor_id":"V-1","stars":"5"})"),
       R::wrong_type, "data.stars", "data.stars: expected integer, got string"},
      {"ReviewWithoutVendor", ev("review_submitted", R"({"review_id":"R-1","stars":5})"), R::missing_field,
       "data.vendor_id", "data.vendor_id: required field is missing"},
      {"ReviewWithEmptyOptionalCustomer",
       ev("review_submitted", R"({"review_id":"R-1","customer_id":"","vendor_id":"V-1","stars":5})"), R::empty_id,
       "data.customer_id", "data.customer_id: must not be empty"},
      {"LowercaseHttpMethod", page("\"get\"", "200", "1"), R::bad_value, "data.http_method",
       "data.http_method: expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; got \"get\""},
      {"StatusCode600", page("\"GET\"", "600", "1"), R::bad_value, "data.status_code",
       "data.status_code: must be 100..599, got 600"},
      {"NegativeLatency", page("\"GET\"", "200", "-0.5"), R::bad_value, "data.latency_ms",
       "data.latency_ms: must be >= 0, got -0.5"},
      {"LatencyAsString", page("\"GET\"", "200", "\"fast\""), R::wrong_type, "data.latency_ms",
       "data.latency_ms: expected number, got string"},
      {"PageViewWithoutUrl", ev("page_viewed", R"({"session_id":"S-1"})"), R::missing_field, "data.url",
       "data.url: required field is missing"},
      {"NegativeStockLevel",
       ev("stock_changed", R"({"vendor_id":"V-1","product_id":"P-1","warehouse":"W-1","quantity":-1})"),
       R::bad_quantity, "data.quantity", "data.quantity: must be >= 0, got -1"},
      {"EmptyWarehouse", ev("stock_changed", R"({"vendor_id":"V-1","product_id":"P-1","warehouse":"","quantity":1})"),
       R::empty_id, "data.warehouse", "data.warehouse: must not be empty"},
      {"LongValuesAreCutInMessages",
       ev("vendor_updated", R"({"vendor_id":"V-1","status":"a status far too long to be shown in full, really"})"),
       R::bad_value, "data.status",
       "data.status: expected one of active, suspended, closed; got \"a status far too long to be shown in ful...\""},
      {"ControlCharactersAreEscapedInMessages", ev("vendor_updated", R"({"vendor_id":"V-1","status":"a\nb"})"),
       R::bad_value, "data.status", "data.status: expected one of active, suspended, closed; got \"a\\u000ab\""},
  };
}

class JsonDecoderRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(JsonDecoderRejects, WithExactCodeFieldAndMessage) {
  const Bad& b = GetParam();
  JsonDecoder d(DecoderOptions{b.max_record_bytes});
  for (bool padded : {false, true}) {
    SCOPED_TRACE(padded ? "padded" : "unpadded");
    Event e;
    Rejection why;
    bool ok = padded ? decode_padded(d, b.record, e, why) : d.decode(b.record, e, why);
    ASSERT_FALSE(ok) << b.record;
    EXPECT_EQ(to_string(why.code), to_string(b.code));
    EXPECT_EQ(why.field, b.field);
    EXPECT_EQ(why.message, b.message);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, JsonDecoderRejects, ::testing::ValuesIn(bad_inputs()),
                         [](const ::testing::TestParamInfo<Bad>& info) { return std::string(info.param.rule); });

TEST(JsonDecoder, BadInputTableCoversEveryCodeTheDecoderProduces) {
  std::set<RejectCode> seen;
  for (const Bad& b : bad_inputs()) seen.insert(b.code);
  for (RejectCode c : {RejectCode::bad_json, RejectCode::invalid_utf8, RejectCode::oversized,
                       RejectCode::missing_field, RejectCode::wrong_type, RejectCode::unknown_type,
                       RejectCode::bad_timestamp, RejectCode::bad_quantity, RejectCode::bad_stars,
                       RejectCode::bad_money, RejectCode::empty_id, RejectCode::bad_value,
                       RejectCode::unsupported_version})
    EXPECT_TRUE(seen.count(c)) << to_string(c);
  EXPECT_GE(bad_inputs().size(), 50u);
}

TEST(JsonDecoder, RejectCodeNamesAreStable) {
  EXPECT_EQ(to_string(RejectCode::bad_json), "bad_json");
  EXPECT_EQ(to_string(RejectCode::invalid_utf8), "invalid_utf8");
  EXPECT_EQ(to_string(RejectCode::oversized), "oversized");
  EXPECT_EQ(to_string(RejectCode::missing_field), "missing_field");
  EXPECT_EQ(to_string(RejectCode::wrong_type), "wrong_type");
  EXPECT_EQ(to_string(RejectCode::unknown_type), "unknown_type");
  EXPECT_EQ(to_string(RejectCode::bad_timestamp), "bad_timestamp");
  EXPECT_EQ(to_string(RejectCode::bad_quantity), "bad_quantity");
  EXPECT_EQ(to_string(RejectCode::bad_stars), "bad_stars");
  EXPECT_EQ(to_string(RejectCode::bad_money), "bad_money");
  EXPECT_EQ(to_string(RejectCode::empty_id), "empty_id");
  EXPECT_EQ(to_string(RejectCode::bad_value), "bad_value");
  EXPECT_EQ(to_string(RejectCode::unsupported_version), "unsupported_version");
  EXPECT_EQ(to_string(RejectCode::duplicate_event), "duplicate_event");
  EXPECT_EQ(to_string(RejectCode::projection_error), "projection_error");
}

// ---------------------------------------------------------------------------
// Good inputs

constexpr int64_t kT = 1795169700123000;  // 2026-11-20T10:15:00.123Z

Event decode_ok(std::string_view rec) {
  JsonDecoder d;
  Event e;
  Rejection why;
  EXPECT_TRUE(d.decode(rec, e, why)) << rec << "\n-> " << why.message;
  EXPECT_EQ(check_invariants(e), std::nullopt) << rec;
  return e;
}

Event envelope(EventType t, EventData data) {
  Event e;
  e.event_id = "ev-1";
  e.type = t;
  e.event_time_us = kT;
  e.schema_version = 1;
  e.data = std::move(data);
  return e;
}

TEST(JsonDecoder, DecodesEveryFieldOfAVendor) {
  Event e = decode_ok(ev("vendor_registered",
                         R"({"vendor_id":"V-1","name":"Acme","country":"DE","city":"Köln","tier":"gold",)"
                         R"("commission_rate":"0.15","status":"active"})"));
  VendorData v{"V-1", "Acme", "DE", "Köln", "gold", Decimal{150000, 6}, "active"};
  EXPECT_EQ(e, envelope(EventType::vendor_registered, v));
}

TEST(JsonDecoder, DecodesEveryFieldOfACustomer) {
  Event e = decode_ok(ev("customer_updated",
                         R"({"customer_id":"C-1","name":"Ann","email":"a@x.org","city":"Lyon","region":"ARA",)"
                         R"("zip":"69001","country":"FR","segment":"retail"})"));
  CustomerData c{"C-1", "Ann", "a@x.org", "Lyon", "ARA", "69001", "FR", "retail"};
  EXPECT_EQ(e, envelope(EventType::customer_updated, c));
}

TEST(JsonDecoder, DecodesACustomerDeletion) {
  EXPECT_EQ(decode_ok(ev("customer_deleted", R"({"customer_id":"C-1"})")),
            envelope(EventType::customer_deleted, CustomerDeleted{"C-1"}));
}

TEST(JsonDecoder, DecodesEveryFieldOfAProduct) {
  Event e = decode_ok(ev("product_created",
                         R"({"product_id":"P-1","name":"Mug","category":"kitchen","brand":"Ikea","vendor_id":"V-1",)"
                         R"("list_price":"1200","currency":"JPY","weight_g":350})"));
  ProductData p{"P-1", "Mug", "kitchen", "Ikea", "V-1", Decimal{1200, 0}, "JPY", 350};
  EXPECT_EQ(e, envelope(EventType::product_created, p));
}

TEST(JsonDecoder, DecodesEveryFieldOfAnOrder) {
  Event e = decode_ok(order(
      R"([{"line_no":1,"product_id":"P-3","vendor_id":"V-1","quantity":2,"unit_price":"19.90","freight":"4.5"},)"
      R"( {"line_no":2,"product_id":"P-4","vendor_id":"V-2","quantity":1,"unit_price":5}])"));
  OrderPlaced o{"O-9", "C-12", "EUR",
                {OrderLine{1, "P-3", "V-1", 2, Decimal{1990, 2}, Decimal{450, 2}},
                 OrderLine{2, "P-4", "V-2", 1, Decimal{500, 2}, std::nullopt}}};
  EXPECT_EQ(e, envelope(EventType::order_placed, o));
}

TEST(JsonDecoder, DecodesEveryFieldOfAStatusChange) {
  Event e = decode_ok(ev("order_status_changed",
                         R"({"order_id":"O-9","status":"returned","vendor_id":"V-1","line_no":2})"));
  OrderStatusChanged s{"O-9", OrderStatus::returned, "V-1", 2};
  EXPECT_EQ(e, envelope(EventType::order_status_changed, s));
}

TEST(JsonDecoder, DecodesEveryFieldOfAReview) {
  Event e = decode_ok(ev("review_submitted",
                         R"({"review_id":"R-1","order_id":"O-9","customer_id":"C-12","product_id":"P-3",)"
                         R"("vendor_id":"V-1","stars":4,"comment":"ok \"mostly\""})"));
  ReviewSubmitted r{"R-1", "O-9", "C-12", "P-3", "V-1", 4, "ok \"mostly\""};
  EXPECT_EQ(e, envelope(EventType::review_submitted, r));
}

TEST(JsonDecoder, DecodesEveryFieldOfAPageView) {
  Event e = decode_ok(ev("page_viewed",
                         R"({"session_id":"S-1","url":"/p/3?q=a","http_method":"OPTIONS","status_code":204,)"
                         R"("latency_ms":12.75,"customer_id":"C-12","product_id":"P-3","vendor_id":"V-1"})"));
  PageViewed p{"S-1", "/p/3?q=a", "OPTIONS", 204, 12.75, "C-12", "P-3", "V-1"};
  EXPECT_EQ(e, envelope(EventType::page_viewed, p));
}

TEST(JsonDecoder, DecodesEveryFieldOfAStockChange) {
  Event e = decode_ok(ev("stock_changed", R"({"vendor_id":"V-1","product_id":"P-1","warehouse":"W-1","quantity":0})"));
  EXPECT_EQ(e, envelope(EventType::stock_changed, StockChanged{"V-1", "P-1", "W-1", 0}));
}

TEST(JsonDecoder, AcceptsMinimalEventsWithOnlyRequiredFields) {
  EXPECT_EQ(decode_ok(ev("vendor_updated", R"({"vendor_id":"V-1"})")),
            envelope(EventType::vendor_updated, VendorData{"V-1", {}, {}, {}, {}, {}, {}}));
  EXPECT_EQ(decode_ok(ev("customer_registered", R"({"customer_id":"C-1"})")),
            envelope(EventType::customer_registered, CustomerData{"C-1", {}, {}, {}, {}, {}, {}, {}}));
  EXPECT_EQ(decode_ok(ev("product_updated", R"({"product_id":"P-1"})")),
            envelope(EventType::product_updated, ProductData{"P-1", {}, {}, {}, {}, {}, {}, {}}));
  EXPECT_EQ(decode_ok(order("[" + line("1") + "]")),
            envelope(EventType::order_placed,
                     OrderPlaced{"O-9", "C-12", "EUR", {OrderLine{1, "P-3", "V-1", 1, Decimal{1990, 2}, {}}}}));
  EXPECT_EQ(decode_ok(ev("order_status_changed", R"({"order_id":"O-9","status":"approved"})")),
            envelope(EventType::order_status_changed, OrderStatusChanged{"O-9", OrderStatus::approved, {}, {}}));
  EXPECT_EQ(decode_ok(ev("review_submitted", R"({"review_id":"R-1","vendor_id":"V-1","stars":1})")),
            envelope(EventType::review_submitted, ReviewSubmitted{"R-1", {}, {}, {}, "V-1", 1, {}}));
  EXPECT_EQ(decode_ok(page("\"GET\"", "100", "0")),
            envelope(EventType::page_viewed, PageViewed{"S-1", "/p/3", "GET", 100, 0.0, {}, {}, {}}));
}

TEST(JsonDecoder, NullForAnOptionalFieldIsAbsent) {
  Event e = decode_ok(ev("vendor_updated", R"({"vendor_id":"V-1","name":null,"commission_rate":null,"status":null})"));
  EXPECT_EQ(e, envelope(EventType::vendor_updated, VendorData{"V-1", {}, {}, {}, {}, {}, {}}));
  Event s = decode_ok(R"({"event_id":"ev-1","type":"customer_deleted","event_time":0,"schema_version":null,)"
                      R"("data":{"customer_id":"C-1"}})");
  EXPECT_EQ(s.schema_version, 1u);
}

TEST(JsonDecoder, IgnoresUnknownFieldsAtEveryLevel) {
  Event e = decode_ok(
      R"({"event_id":"ev-1","trace":{"id":[1,2]},"type":"order_placed","event_time":"2026-11-20T10:15:00.123Z",)"
      R"("data":{"order_id":"O-9","customer_id":"C-12","coupon":null,"currency":"EUR","lines":)"
      R"([{"line_no":1,"product_id":"P-3","vendor_id":"V-1","quantity":2,"unit_price":"19.90","gift":true}]}})");
  EXPECT_EQ(e, envelope(EventType::order_placed,
                        OrderPlaced{"O-9", "C-12", "EUR", {OrderLine{1, "P-3", "V-1", 2, Decimal{1990, 2}, {}}}}));
}

TEST(JsonDecoder, SchemaVersionDefaultsToOne) {
  Event e = decode_ok(R"({"event_id":"ev-1","type":"customer_deleted","event_time":0,"data":{"customer_id":"C"}})");
  EXPECT_EQ(e.schema_version, 1u);
  EXPECT_EQ(e.event_time_us, 0);
}

TEST(JsonDecoder, EpochMillisecondsAreConvertedToMicroseconds) {
  EXPECT_EQ(decode_ok(at("1795169700123")).event_time_us, kT);
}

TEST(JsonDecoder, OffsetsAreConvertedToUtc) {
  EXPECT_EQ(decode_ok(at("\"2026-11-20T12:15:00.123+02:00\"")).event_time_us, kT);
  EXPECT_EQ(decode_ok(at("\"2026-11-20T05:45:00.123-04:30\"")).event_time_us, kT);
}

TEST(JsonDecoder, FractionDigitsAreTruncatedToMicroseconds) {
  EXPECT_EQ(decode_ok(at("\"2026-11-20T10:15:00.1Z\"")).event_time_us, kT - 23000);
  EXPECT_EQ(decode_ok(at("\"2026-11-20T10:15:00.123456789Z\"")).event_time_us, kT + 456);
  EXPECT_EQ(decode_ok(at("\"2026-11-20T10:15:00Z\"")).event_time_us, kT - 123000);
}

TEST(JsonDecoder, AcceptsTheEdgesOfTheTimeRange) {
  EXPECT_EQ(decode_ok(at("\"1970-01-01T00:00:00Z\"")).event_time_us, 0);
  EXPECT_EQ(decode_ok(at("\"9999-12-31T23:59:59.999999Z\"")).event_time_us, kMaxEventTimeUs);
  EXPECT_EQ(decode_ok(at("253402300799999")).event_time_us, 253402300799999000);
}

Decimal unit_price_of(std::string_view price, std::string_view currency = "EUR") {
  Event e = decode_ok(order("[" + line("1", price) + "]", currency));
  return std::get<OrderPlaced>(e.data).lines.at(0).unit_price;
}

TEST(JsonDecoder, MoneyIsNormalisedToTheCurrencyScale) {
  EXPECT_EQ(unit_price_of("\"19.9\""), (Decimal{1990, 2}));
  EXPECT_EQ(unit_price_of("\"5\""), (Decimal{500, 2}));
  EXPECT_EQ(unit_price_of("\"0.5\""), (Decimal{50, 2}));
  EXPECT_EQ(unit_price_of("\"19.900\""), (Decimal{1990, 2}));  // trailing zeros add no precision
  EXPECT_EQ(unit_price_of("\"1200\"", "JPY"), (Decimal{1200, 0}));
  EXPECT_EQ(unit_price_of("\"1.234\"", "KWD"), (Decimal{1234, 3}));
  EXPECT_EQ(unit_price_of("\"92233720368547758.07\""), (Decimal{9223372036854775807, 2}));
  EXPECT_EQ(unit_price_of("\"-0.00\""), (Decimal{0, 2}));  // zero, whatever its sign
}

TEST(JsonDecoder, MoneyNumbersAreReadThroughTheirShortestText) {
  EXPECT_EQ(unit_price_of("19.9"), (Decimal{1990, 2}));
  EXPECT_EQ(unit_price_of("0.1"), (Decimal{10, 2}));
  EXPECT_EQ(unit_price_of("1.15"), (Decimal{115, 2}));  // 1.15 is 1.149999... as a double
  EXPECT_EQ(unit_price_of("7"), (Decimal{700, 2}));
  EXPECT_EQ(unit_price_of("5.0"), (Decimal{500, 2}));
  EXPECT_EQ(unit_price_of("1.234", "KWD"), (Decimal{1234, 3}));
  EXPECT_EQ(unit_price_of("0"), (Decimal{0, 2}));
}

TEST(JsonDecoder, CommissionRateIsNormalisedToScaleSix) {
  auto rate = [](std::string_view r) {
    Event e = decode_ok(ev("vendor_updated", R"({"vendor_id":"V-1","commission_rate":)" + std::string(r) + "}"));
    return *std::get<VendorData>(e.data).commission_rate;
  };
  EXPECT_EQ(rate("0.125"), (Decimal{125000, 6}));
  EXPECT_EQ(rate("\"0.000001\""), (Decimal{1, 6}));
  EXPECT_EQ(rate("1"), (Decimal{1000000, 6}));
  EXPECT_EQ(rate("\"0\""), (Decimal{0, 6}));
}

TEST(JsonDecoder, NegativeZeroLatencyBecomesZero) {
  Event e = decode_ok(page("\"GET\"", "200", "-0.0"));
  EXPECT_FALSE(std::signbit(std::get<PageViewed>(e.data).latency_ms));
}

TEST(JsonDecoder, EscapedKeysAndValuesAreUnescaped) {
  Event e = decode_ok(R"({"event\u005fid":"ev-\u00e9","type":"customer_deleted","event_time":0,)"
                      R"("data":{"customer_id":"C\/1"}})");
  EXPECT_EQ(e.event_id, "ev-\xC3\xA9");
  EXPECT_EQ(std::get<CustomerDeleted>(e.data).customer_id, "C/1");
}

TEST(JsonDecoder, AcceptsARecordOfExactlyTheLimit) {
  std::string rec = ev("customer_deleted", R"({"customer_id":"C-1"})");
  JsonDecoder d(DecoderOptions{rec.size()});
  Event e;
  Rejection why;
  EXPECT_TRUE(d.decode(rec, e, why)) << why.message;
}

std::vector<std::string> good_inputs() {
  return {
      ev("vendor_registered", R"({"vendor_id":"V-1","name":"Acme","country":"DE","commission_rate":0.1})"),
      ev("customer_registered", R"({"customer_id":"C-1","email":"a@b.c"})"),
      ev("customer_deleted", R"({"customer_id":"C-1"})"),
      ev("product_created", R"({"product_id":"P-1","list_price":12.5,"currency":"USD"})"),
      order("[" + line("3") + "]"),
      ev("order_status_changed", R"({"order_id":"O-1","status":"shipped","line_no":1})"),
      ev("review_submitted", R"({"review_id":"R-1","vendor_id":"V-1","stars":5,"comment":"\u2603"})"),
      page("\"POST\"", "503", "1234.5"),
      ev("stock_changed", R"({"vendor_id":"V-1","product_id":"P-1","warehouse":"W","quantity":7})", "1"),
  };
}

TEST(JsonDecoder, PaddedAndUnpaddedDecodeAgree) {
  JsonDecoder d;
  for (const std::string& rec : good_inputs()) {
    Event a, b;
    Rejection wa, wb;
    ASSERT_TRUE(d.decode(rec, a, wa)) << wa.message;
    ASSERT_TRUE(decode_padded(d, rec, b, wb)) << wb.message;
    EXPECT_EQ(a, b) << rec;
  }
}

TEST(JsonDecoder, ReusedEventHoldsNothingOfThePreviousRecord) {
  JsonDecoder d;
  Event reused;
  Rejection why;
  const std::string big = order("[" + line("1") + R"(,{"line_no":2,"product_id":"P","vendor_id":"V","quantity":1,)"
                                R"("unit_price":1,"freight":2},{"line_no":3,"product_id":"P","vendor_id":"V",)"
                                R"("quantity":1,"unit_price":1,"freight":2}])");
  const std::string small = order(R"([{"line_no":1,"product_id":"Q","vendor_id":"W","quantity":5,"unit_price":2}])");
  std::vector<std::string> seq = good_inputs();
  seq.insert(seq.begin(), {big, small, big});
  seq.push_back(ev("vendor_updated", R"({"vendor_id":"V-9"})"));
  for (const std::string& rec : seq) {
    ASSERT_TRUE(d.decode(rec, reused, why)) << why.message;
    Event fresh;
    ASSERT_TRUE(d.decode(rec, fresh, why));
    EXPECT_EQ(reused, fresh) << rec;
  }
  // After a rejection the decoder (and a reused Event) still work.
  ASSERT_FALSE(d.decode("{\"a\":", reused, why));
  EXPECT_TRUE(d.decode(small, reused, why));
}

TEST(JsonDecoder, LargeOrdersFindTheFirstDuplicateLineLikeSmallOnes) {
  std::string lines = "[";
  for (int i = 1; i <= 100; ++i) {
    int no = i == 90 ? 40 : i == 70 ? 55 : i;  // lines[69] repeats 55, lines[89] repeats 40
    lines += (i > 1 ? "," : "") + std::string(R"({"line_no":)") + std::to_string(no) +
             R"(,"product_id":"P","vendor_id":"V","quantity":1,"unit_price":1})";
  }
  lines += "]";
  JsonDecoder d;
  Event e;
  Rejection why;
  ASSERT_FALSE(d.decode(order(lines), e, why));
  EXPECT_EQ(why.field, "data.lines[69].line_no");
  EXPECT_EQ(why.message, "data.lines[69].line_no: duplicate line_no 55");
}

TEST(JsonDecoder, DeepNestingIsRejectedNotACrash) {
  std::string rec = R"({"event_id":"ev-1","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  JsonDecoder d;
  Event e;
  Rejection why;
  ASSERT_FALSE(d.decode(rec, e, why));
  EXPECT_EQ(why.code, RejectCode::bad_json);
  EXPECT_EQ(why.message, "invalid JSON: nested too deeply");
}

}  // namespace
}  // namespace lh::events
