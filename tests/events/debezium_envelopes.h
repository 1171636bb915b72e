// Recorded Debezium envelopes (PostgreSQL and MySQL connectors, JSON
// converter with and without schemas) and the table mapping the tests use.
#pragma once

namespace lh::testing::debezium {

inline const char* kMapping = R"({"tables": {
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
inline const char* kCreate = R"({"before":null,"after":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Porto","country":"PT"},"source":{"version":"2.1.2.Final","connector":"postgresql","name":"dbserver1","ts_ms":1763985600123,"snapshot":"false","db":"shop","sequence":"[null,\"24023128\"]","schema":"public","table":"customers","txId":555,"lsn":24023128,"xmin":null},"op":"c","ts_ms":1763985600500,"transaction":null})";
inline const char* kSnapshotA = R"({"before":null,"after":{"id":1,"full_name":"A","email":null,"city":"Lyon","country":"FR"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763980000000,"snapshot":"true","db":"shop","schema":"public","table":"customers","lsn":23000000},"op":"r","ts_ms":1763980000100})";
inline const char* kSnapshotB = R"({"before":null,"after":{"id":2,"full_name":"B","email":null,"city":"Nice","country":"FR"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763980000000,"snapshot":"last","db":"shop","schema":"public","table":"customers","lsn":23000000},"op":"r","ts_ms":1763980000101})";
inline const char* kUpdateWithBefore = R"({"before":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Porto","country":"PT"},"after":{"id":42,"full_name":"Ana Lima","email":"ana@example.com","city":"Lisboa","country":"PT"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985700000,"db":"shop","schema":"public","table":"customers","lsn":24023500},"op":"u","ts_ms":1763985700200})";
inline const char* kUpdateNoBefore = R"({"before":null,"after":{"id":42,"full_name":"Ana L.","email":"ana@example.com","city":"Lisboa","country":"PT"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985800000,"db":"shop","schema":"public","table":"customers","lsn":24023900},"op":"u","ts_ms":1763985800200})";
inline const char* kDelete = R"({"before":{"id":42,"full_name":null,"email":null,"city":null,"country":null},"after":null,"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985900000,"db":"shop","schema":"public","table":"customers","lsn":24024000},"op":"d","ts_ms":1763985900100})";
inline const char* kVendorDelete = R"({"before":{"code":7,"name":"X","commission_rate":"0.1","status":"active"},"after":null,"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985900000,"db":"shop","schema":"public","table":"vendors","lsn":24024100},"op":"d","ts_ms":1763985900100})";
// schemas.enable=true: the payload is wrapped; a NUMERIC(5,4) column is a Connect Decimal (base64 of 1050).
inline const char* kVendorWithSchema = R"({"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"code"},{"type":"string","optional":true,"field":"name"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4","connect.decimal.precision":"5"},"field":"commission_rate"},{"type":"string","optional":true,"field":"status"}],"optional":true,"name":"dbserver1.public.vendors.Value","field":"before"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"code"},{"type":"string","optional":true,"field":"name"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4","connect.decimal.precision":"5"},"field":"commission_rate"},{"type":"string","optional":true,"field":"status"}],"optional":true,"name":"dbserver1.public.vendors.Value","field":"after"},{"type":"struct","fields":[],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}],"optional":false,"name":"dbserver1.public.vendors.Envelope"},"payload":{"before":null,"after":{"code":7,"name":"Nordic Goods","commission_rate":"BBo=","status":"active"},"source":{"connector":"postgresql","name":"dbserver1","ts_ms":1763985600000,"db":"shop","schema":"public","table":"vendors","lsn":24020000},"op":"c","ts_ms":1763985600050}})";
// MySQL connector: binlog file/pos/row, no schema in source (db.table).
inline const char* kMysqlProduct = R"({"before":null,"after":{"id":"P-9","title":"Lamp","price":"19.90","weight":1200},"source":{"connector":"mysql","name":"mysql1","ts_ms":1763985600000,"db":"shop","table":"products","server_id":223344,"file":"mysql-bin.000003","pos":154,"row":2},"op":"c","ts_ms":1763985600010})";

}  // namespace lh::testing::debezium
