// Debezium envelopes as the PostgreSQL and MySQL connectors write them (JSON
// converter, with and without schemas) -> v1 events; malformed ones rejected
// with a reason naming what is wrong.
#include "events/debezium.h"

#include <gtest/gtest.h>

#include "events/json_encoder.h"
#include "tests/events/debezium_envelopes.h"

namespace lh::events {
namespace {

using namespace lh::testing::debezium;

class Debezium : public ::testing::Test {
 protected:
  Debezium() : decoder_(mapping()) {}
  static CdcMapping mapping() {
    auto m = CdcMapping::parse(kMapping);
    EXPECT_TRUE(m.ok()) << m.error().message;
    return std::move(*m);
  }
  Event ok(const char* envelope) {
    Event e;
    Rejection why;
    EXPECT_TRUE(decoder_.decode(envelope, e, why)) << why.message;
    return e;
  }
  Rejection rejected(const std::string& envelope) {
    Event e;
    Rejection why;
    EXPECT_FALSE(decoder_.decode(envelope, e, why)) << decoder_.last_json();
    return why;
  }
  DebeziumDecoder decoder_;
};

TEST_F(Debezium, CreateBecomesRegisteredWithSourceTimeAndLsnId) {
  Event e = ok(kCreate);
  EXPECT_EQ(e.type, EventType::customer_registered);
  EXPECT_EQ(e.event_id, "cdc:dbserver1:public.customers:lsn24023128:42");
  EXPECT_EQ(e.event_time_us, 1763985600123000);  // source.ts_ms, not the connector's
  const auto& c = std::get<CustomerData>(e.data);
  EXPECT_EQ(c.customer_id, "42");  // a number mapped to an *_id field becomes a string
  EXPECT_EQ(c.name, "Ana Lima");
  EXPECT_EQ(c.city, "Porto");
  EXPECT_EQ(c.country, "PT");
}

TEST_F(Debezium, SnapshotReadsShareAnLsnButNotAnEventId) {
  Event a = ok(kSnapshotA), b = ok(kSnapshotB);
  EXPECT_EQ(a.type, EventType::customer_registered);
  EXPECT_NE(a.event_id, b.event_id);
  EXPECT_FALSE(std::get<CustomerData>(a.data).email.has_value());  // null column: left out
  // A redelivered envelope is the same event (the log skips it as a duplicate).
  EXPECT_EQ(ok(kSnapshotA).event_id, a.event_id);
}

TEST_F(Debezium, UpdateCarriesOnlyWhatChangedWhenTheBeforeImageIsThere) {
  Event e = ok(kUpdateWithBefore);
  EXPECT_EQ(e.type, EventType::customer_updated);
  const auto& c = std::get<CustomerData>(e.data);
  EXPECT_EQ(c.customer_id, "42");
  EXPECT_EQ(c.city, "Lisboa");
  EXPECT_FALSE(c.name.has_value());
  EXPECT_FALSE(c.email.has_value());
  EXPECT_FALSE(c.country.has_value());
  // Without a before image (REPLICA IDENTITY DEFAULT): every mapped column.
  Event f = ok(kUpdateNoBefore);
  const auto& d = std::get<CustomerData>(f.data);
  EXPECT_EQ(d.name, "Ana L.");
  EXPECT_EQ(d.city, "Lisboa");
  EXPECT_EQ(d.country, "PT");
}

TEST_F(Debezium, DeleteBecomesDeletedOrARejectionWhereTheTypeHasNone) {
  Event e = ok(kDelete);
  EXPECT_EQ(e.type, EventType::customer_deleted);
  EXPECT_EQ(std::get<CustomerDeleted>(e.data).customer_id, "42");
  EXPECT_EQ(e.event_id, "cdc:dbserver1:public.customers:lsn24024000:42");
  Rejection why = rejected(kVendorDelete);
  EXPECT_EQ(why.code, RejectCode::bad_value);
  EXPECT_NE(why.message.find("public.vendors"), std::string::npos) << why.message;
  EXPECT_NE(why.message.find("no deleted type"), std::string::npos) << why.message;
}

TEST_F(Debezium, EnvelopeWithSchemaAndConnectDecimal) {
  Event e = ok(kVendorWithSchema);
  EXPECT_EQ(e.type, EventType::vendor_registered);
  const auto& v = std::get<VendorData>(e.data);
  EXPECT_EQ(v.vendor_id, "7");
  ASSERT_TRUE(v.commission_rate.has_value());
  EXPECT_EQ(to_string(*v.commission_rate), "0.105000");
  EXPECT_EQ(e.event_id, "cdc:dbserver1:public.vendors:lsn24020000:7");
}

TEST_F(Debezium, MysqlBinlogPositionAndConstants) {
  Event e = ok(kMysqlProduct);
  EXPECT_EQ(e.type, EventType::product_created);
  EXPECT_EQ(e.event_id, "cdc:mysql1:shop.products:mysql-bin.000003:154:2:P-9");
  const auto& p = std::get<ProductData>(e.data);
  EXPECT_EQ(p.currency, "EUR");
  EXPECT_EQ(p.weight_g, 1200);
  ASSERT_TRUE(p.list_price.has_value());
  EXPECT_EQ(to_string(*p.list_price), "19.90");
}

TEST_F(Debezium, MalformedEnvelopesAreRejectedWithAReason) {
  std::string create = kCreate;
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  struct Case {
    std::string envelope;
    RejectCode code;
    const char* says;
  } cases[] = {
      {"not json", RejectCode::bad_json, "not JSON"},
      {"[1,2]", RejectCode::bad_json, "expected a JSON object"},
      {create.substr(0, create.size() / 2), RejectCode::bad_json, "not JSON"},
      {replace(create, R"("op":"c",)", ""), RejectCode::missing_field, "op"},
      {replace(create, R"("op":"c")", R"("op":"t")"), RejectCode::bad_value, "unsupported operation \"t\""},
      {replace(create, R"("table":"customers")", R"("table":"invoices")"), RejectCode::unknown_type,
       "table public.invoices is not in the CDC mapping"},
      {replace(create, R"("after":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Porto","country":"PT"})", R"("after":null)"),
       RejectCode::missing_field, "after"},
      {replace(create, R"("id":42,)", R"("id":null,)"), RejectCode::missing_field, "entity id"},
      {replace(replace(create, R"("ts_ms":1763985600123,)", ""), R"(,"ts_ms":1763985600500)", ""),
       RejectCode::bad_timestamp, "ts_ms"},
      {replace(create, R"("country":"PT")", R"("country":"Portugal")"), RejectCode::bad_value, "data.country"},
      {replace(create, R"("source":{)", R"("sauce":{)"), RejectCode::missing_field, "source"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.envelope.substr(0, 120));
    Rejection why = rejected(c.envelope);
    EXPECT_EQ(why.code, c.code) << to_string(why.code) << ": " << why.message;
    EXPECT_NE(why.message.find(c.says), std::string::npos) << why.message;
    EXPECT_EQ(why.message.rfind("debezium: ", 0), 0u) << why.message;
  }
}

TEST(CdcMapping, ErrorsNameTheTableAndField) {
  struct Case {
    const char* json;
    const char* says;
  } cases[] = {
      {"nope", "not valid JSON"},
      {R"({"tabels":{}})", "expected {\"tables\""},
      {R"({"tables":{}})", "no table"},
      {R"({"tables":{"t":{"created":"customer_registered","fields":{"customer_id":"id"}}}})", "table t: \"created\" and \"updated\" are required"},
      {R"({"tables":{"t":{"created":"customer_born","updated":"customer_updated","fields":{"customer_id":"id"}}}})", "unknown event type \"customer_born\""},
      {R"({"tables":{"t":{"created":"customer_registered","updated":"customer_updated","fields":{}}}})", "table t: \"fields\" is empty"},
      {R"({"tables":{"t":{"created":"customer_registered","updated":"customer_updated","fields":{"customer_id":{"column":"id","as":"float"}}}}})", "field customer_id: \"as\" must be"},
      {R"({"tables":{"t":{"created":"customer_registered","updated":"customer_updated","fields":{"customer_id":7}}}})", "field customer_id: expected a column name"},
  };
  for (const auto& c : cases) {
    auto m = CdcMapping::parse(c.json);
    ASSERT_FALSE(m.ok()) << c.json;
    EXPECT_NE(m.error().message.find(c.says), std::string::npos) << m.error().message;
  }
  EXPECT_FALSE(CdcMapping::load("/nonexistent/mapping.json").ok());
}

}  // namespace
}  // namespace lh::events
