// Debezium envelopes as the PostgreSQL and MySQL connectors write them (JSON
// converter, with and without schemas) -> v1 events; malformed ones rejected
// with a reason naming what is wrong.
#include "events/debezium.h"

#include <gtest/gtest.h>

#include "events/json_encoder.h"

namespace lh::events {
namespace {

const char* kMapping = R"({"tables": {
  "public.customers": {"created": "customer_registered", "updated": "customer_updated",
                       "deleted": "customer_deleted",
                       "fields": {"customer_id": "id", "name": "full_name", "email": "email",
                                  "city": "city", "country": "country"}},
  "public.vendors": {"created": "vendor_registered", "updated": "vendor_updated",
                     "fields": {"vendor_id": {"column": "code", "as": "string"}, "name": "name",
                                "commission_rate": "commission_rate", "status": "status"}},
  "shop.products": {"created": "product_created", "updated": "product_updated",
                    "fields": {"product_id": "id", "name": "title", "list_price": "price",
                               "weight_g": {"column": "weight", "as": "number"}},
                    "constants": {"currency": "EUR"}}
}})";

// PostgreSQL connector, schemas.enable=false.
const char* kCreate = R"({"before":null,"after":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Porto","country":"PT"},"source":{"version":"2.1.2.Final","connector":"postgresql","name":"dbserver1","ts_ms":1763985600123,"snapshot":"false","db":"shop","sequence":"[null,\"24023128\"]","schema":"public","table":"customers","txId":555,"lsn":24023128,"xmin":null},"op":"c","ts_ms":1763985600500,"transaction":null})";
const char* kSnapshotA = R"({"before":null,"after":{"id":1,"full_name":"A","email":null,"city":"Lyon","country":"FR"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763980000000,"snapshot":"true","db":"shop","schema":"public","table":"customers","lsn":23000000},"op":"r","ts_ms":1763980000100})";
const char* kSnapshotB = R"({"before":null,"after":{"id":2,"full_name":"B","email":null,"city":"Nice","country":"FR"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763980000000,"snapshot":"last","db":"shop","schema":"public","table":"customers","lsn":23000000},"op":"r","ts_ms":1763980000101})";
const char* kUpdateWithBefore = R"({"before":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Porto","country":"PT"},"after":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Lisboa","country":"PT"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985700000,"db":"shop","schema":"public","table":"customers","lsn":24023500},"op":"u","ts_ms":1763985700200})";
const char* kUpdateNoBefore = R"({"before":null,"after":{"id":42,"full_name":"Ana L.","email":"ana@example.com","city":"Lisboa","country":"PT"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985800000,"db":"shop","schema":"public","table":"customers","lsn":24023900},"op":"u","ts_ms":1763985800200})";
const char* kDelete = R"({"before":{"id":42,"full_name":null,"email":null,"city":null,"country":null},"after":null,"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985900000,"db":"shop","schema":"public","table":"customers","lsn":24024000},"op":"d","ts_ms":1763985900100})";
const char* kVendorDelete = R"({"before":{"code":7,"name":"X","commission_rate":"0.1","status":"active"},"after":null,"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985900000,"db":"shop","schema":"public","table":"vendors","lsn":24024100},"op":"d","ts_ms":1763985900100})";
// schemas.enable=true: the payload is wrapped; a NUMERIC(5,4) column is a Connect Decimal (base64 of 1050).
const char* kVendorWithSchema = R"({"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"code"},{"type":"string","optional":true,"field":"name"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4","connect.decimal.precision":"5"},"field":"commission_rate"},{"type":"string","optional":true,"field":"status"}],"optional":true,"name":"dbserver1.public.vendors.Value","field":"before"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"code"},{"type":"string","optional":true,"field":"name"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4","connect.decimal.precision":"5"},"field":"commission_rate"},{"type":"string","optional":true,"field":"status"}],"optional":true,"name":"dbserver1.public.vendors.Value","field":"after"},{"type":"struct","fields":[],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}],"optional":false,"name":"dbserver1.public.vendors.Envelope"},"payload":{"before":null,"after":{"code":7,"name":"Nordic Goods","commission_rate":"BBo=","status":"active"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985600000,"db":"shop","schema":"public","table":"vendors","lsn":24020000},"op":"c","ts_ms":1763985600050}})";
// MySQL connector: binlog file/pos/row, no schema in source (db.table).
const char* kMysqlProduct = R"({"before":null,"after":{"id":"P-9","title":"Lamp","price":"19.90","weight":1200},"source":{"connector":"mysql","name":"mysql1","ts_ms":1763985600000,"db":"shop","table":"products","server_id":223344,"file":"mysql-bin.000003","pos":154,"row":2},"op":"c","ts_ms":1763985600010})";

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
