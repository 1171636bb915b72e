// kafka_key: the partitioning policy of `ledgerhouse produce`.
#include "storage/kafka_producer.h"

#include <gtest/gtest.h>

#include "events/json_decoder.h"

namespace lh::storage {
namespace {

events::Event decode(const std::string& json) {
  events::JsonDecoder d;
  events::Event e;
  events::Rejection why;
  EXPECT_TRUE(d.decode(json, e, why)) << why.message;
  return e;
}

std::string key_of(const std::string& type, const std::string& data) {
  return std::string(kafka_key(decode(R"({"event_id":"k-1","type":")" + type +
                                      R"(","event_time":"2026-11-01T00:00:00Z","data":)" + data + "}")));
}

TEST(KafkaKey, VendorFirstThenTheEntityWhoseEventsMustStayInOrder) {
  EXPECT_EQ(key_of("vendor_updated", R"({"vendor_id":"V-1"})"), "V-1");
  EXPECT_EQ(key_of("stock_changed", R"({"vendor_id":"V-2","product_id":"P-1","warehouse":"W","quantity":3})"), "V-2");
  EXPECT_EQ(key_of("product_updated", R"({"product_id":"P-1","vendor_id":"V-3"})"), "V-3");
  EXPECT_EQ(key_of("product_updated", R"({"product_id":"P-1"})"), "P-1");
  EXPECT_EQ(key_of("customer_registered", R"({"customer_id":"C-1"})"), "C-1");
  EXPECT_EQ(key_of("customer_deleted", R"({"customer_id":"C-2"})"), "C-2");
  EXPECT_EQ(key_of("order_status_changed", R"({"order_id":"O-1","status":"shipped"})"), "O-1");
  EXPECT_EQ(key_of("order_status_changed", R"({"order_id":"O-1","status":"shipped","vendor_id":"V-4"})"), "V-4");
  EXPECT_EQ(key_of("page_viewed", R"({"session_id":"S-1","url":"/","http_method":"GET","status_code":200,"latency_ms":3})"), "S-1");
  // A multi-vendor order: its first line's vendor.
  EXPECT_EQ(key_of("order_placed", R"({"order_id":"O-2","customer_id":"C-1","currency":"EUR","lines":[)"
                                   R"({"line_no":1,"product_id":"P-1","vendor_id":"V-7","quantity":1,"unit_price":"1.00"},)"
                                   R"({"line_no":2,"product_id":"P-2","vendor_id":"V-8","quantity":1,"unit_price":"2.00"}]})"),
            "V-7");
}

}  // namespace
}  // namespace lh::storage
