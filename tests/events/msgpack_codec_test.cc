// The stored form: exact layout, round trips, tolerance to other writers,
// precise errors on corrupt input, and the upcaster chain.
#include "events/msgpack_codec.h"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <random>
#include <string>

#include "events/random_event.h"

namespace lh::events {
namespace {

std::string encode(const Event& e) {
  std::string s;
  encode_msgpack(e, s);
  return s;
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == ' ') { --i; continue; }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// A small builder over msgpack-cxx's packer, to write payloads the way
// another writer (or an older version of ours) would.
struct Packed {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{&buf};
  Packed& str(std::string_view s) {
    pk.pack_str(static_cast<uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
    return *this;
  }
  Packed& map(uint32_t n) { pk.pack_map(n); return *this; }
  Packed& array(uint32_t n) { pk.pack_array(n); return *this; }
  Packed& i(int64_t v) { pk.pack(v); return *this; }
  std::string bytes() const { return std::string(buf.data(), buf.size()); }
};

Status decode(std::string_view payload, Event& e) { return decode_msgpack(payload, e); }

std::string decode_error(std::string_view payload) {
  Event e;
  Status st = decode_msgpack(payload, e);
  return st.ok() ? "<ok>" : st.error().message;
}

TEST(MsgpackCodec, RoundTripsAnExampleOfEveryType) {
  for (EventType t : kAllEventTypes) {
    Event in = example_event(t);
    Event out;
    Status st = decode(encode(in), out);
    ASSERT_TRUE(st.ok()) << to_string(t) << ": " << st.error().message;
    EXPECT_EQ(out, in) << to_string(t);
  }
}

TEST(MsgpackCodec, RoundTripsTwentyThousandRandomEvents) {
  std::mt19937_64 rng(20261123);
  std::string buf;
  Event out;
  int per_type[kEventTypeCount + 1] = {};
  for (int i = 0; i < 20000; ++i) {
    Event in = random_event(rng);
    buf.clear();
    encode_msgpack(in, buf);
    Status st = decode(buf, out);  // `out` reused on purpose: no state may leak between decodes
    ASSERT_TRUE(st.ok()) << "event " << i << ": " << st.error().message;
    ASSERT_EQ(out, in) << "event " << i << " (" << to_string(in.type) << ")";
    ++per_type[static_cast<int>(in.type)];
  }
  for (int t = 1; t <= kEventTypeCount; ++t) EXPECT_GT(per_type[t], 1000) << "type " << t;
}

// Pins the stored layout: records written today must stay readable forever,
// so a change here is a format change and needs an upcaster, not a test edit.
TEST(MsgpackCodec, StoredLayoutIsPinned) {
  EXPECT_EQ(encode(example_event(EventType::stock_changed)),
            unhex("85 a176 01 a26964 a5 65762d3132 a174 0c a27473 cf 000660b284499178 a164"
                  " 84 a9 76656e646f725f6964 a3 562d31 aa 70726f647563745f6964 a3 502d33"
                  " a9 77617265686f757365 a6 57482d4d4d58 a8 7175616e74697479 00"));
}

TEST(MsgpackCodec, SchemaVersionIsTheFirstKey) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    std::string s = encode(random_event(rng));
    ASSERT_GE(s.size(), 4u);
    EXPECT_EQ(s.substr(0, 4), unhex("85a17601"));  // map(5) "v" 1
  }
}

// Decimals as [units, scale], statuses as names, absent optionals omitted:
// what any msgpack tool shows. Checked through msgpack-cxx's generic reader.
TEST(MsgpackCodec, OtherMsgpackReadersSeeTheDocumentedShape) {
  Event e = example_event(EventType::order_placed);
  std::get<OrderPlaced>(e.data).lines[0].unit_price = Decimal{-1990, 2};
  std::string s = encode(e);
  msgpack::object_handle oh = msgpack::unpack(s.data(), s.size());
  auto top = oh.get().as<std::map<std::string, msgpack::object>>();
  EXPECT_EQ(top.at("v").as<int>(), 1);
  EXPECT_EQ(top.at("id").as<std::string>(), "ev-8");
  EXPECT_EQ(top.at("t").as<int>(), 8);
  EXPECT_EQ(top.at("ts").as<int64_t>(), kExampleTimeUs);
  auto d = top.at("d").as<std::map<std::string, msgpack::object>>();
  auto lines = d.at("lines").as<std::vector<std::map<std::string, msgpack::object>>>();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ((lines[0].at("unit_price").as<std::vector<int64_t>>()), (std::vector<int64_t>{-1990, 2}));
  EXPECT_EQ(lines[0].count("freight"), 1u);
  EXPECT_EQ(lines[1].count("freight"), 0u);

  std::string st = encode(example_event(EventType::order_status_changed));
  oh = msgpack::unpack(st.data(), st.size());
  auto sd = oh.get().as<std::map<std::string, msgpack::object>>().at("d").as<
      std::map<std::string, msgpack::object>>();
  EXPECT_EQ(sd.at("status").as<std::string>(), "shipped");
}

TEST(MsgpackCodec, EncodeAppendsToTheBuffer) {
  std::string s = "prefix";
  encode_msgpack(example_event(EventType::customer_deleted), s);
  EXPECT_EQ(s.substr(0, 6), "prefix");
  Event out;
  EXPECT_TRUE(decode(std::string_view(s).substr(6), out).ok());
}

TEST(MsgpackCodec, ExtremeIntegersRoundTrip) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{-32}, int64_t{-33}, int64_t{-128}, int64_t{-129},
                    int64_t{127}, int64_t{128}, int64_t{255}, int64_t{256}, int64_t{65535},
                    int64_t{65536}, int64_t{-32768}, int64_t{-32769}, int64_t{4294967295},
                    int64_t{4294967296}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    Event e = example_event(EventType::product_created);
    e.event_time_us = v;
    auto& p = std::get<ProductData>(e.data);
    p.weight_g = v;
    p.list_price = Decimal{v, 255};
    Event out;
    ASSERT_TRUE(decode(encode(e), out).ok()) << v;
    EXPECT_EQ(out, e) << v;
  }
}

TEST(MsgpackCodec, LongStringsAndManyLinesUseWideHeaders) {
  Event e = example_event(EventType::order_placed);
  auto& o = std::get<OrderPlaced>(e.data);
  o.order_id = std::string(70000, 'o');  // str32
  o.customer_id = std::string(300, 'c');  // str16
  OrderLine l = o.lines[0];
  o.lines.clear();
  for (int i = 1; i <= 70000; ++i) {  // array32
    l.line_no = i;
    o.lines.push_back(l);
  }
  Event out;
  Status st = decode(encode(e), out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out, e);
}

// Payloads from another writer: widest integer formats, nil optionals, bin
// strings, "d" before "t", keys in a different order.
TEST(MsgpackCodec, ReadsOtherWritersChoices) {
  Packed p;
  p.map(5);
  p.str("d").map(4);
  p.str("vendor_id").str("V-1");
  p.str("stars");
  p.pk.pack_fix_uint64(5);
  p.str("comment").pk.pack_nil();
  p.str("review_id");
  p.pk.pack_bin(3);
  p.pk.pack_bin_body("R-1", 3);
  p.str("ts");
  p.pk.pack_fix_int64(-5);
  p.str("id").str("ev-x");
  p.str("t");
  p.pk.pack_fix_uint32(10);
  p.str("v");
  p.pk.pack_fix_uint64(1);
  Event out;
  Status st = decode(p.bytes(), out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out.type, EventType::review_submitted);
  EXPECT_EQ(out.event_time_us, -5);
  const auto& r = std::get<ReviewSubmitted>(out.data);
  EXPECT_EQ(r.review_id, "R-1");
  EXPECT_EQ(r.stars, 5);
  EXPECT_FALSE(r.comment.has_value());
}

// Forward compatibility: a newer writer's extra keys, whatever their shape,
// at every level, are skipped.
TEST(MsgpackCodec, SkipsUnknownKeysOfAnyShape) {
  Packed p;
  p.map(7);
  p.str("v").i(1).str("id").str("ev-1").str("t").i(8).str("ts").i(7);
  p.str("future").map(2);
  p.str("a").array(3).i(-100000).pk.pack_double(1.5);
  p.pk.pack_float(2.5f);
  p.str("b").map(1).str("x");
  p.pk.pack_ext(3, 7);
  p.pk.pack_ext_body("abc", 3);
  p.str("zz");
  p.pk.pack_true();
  p.str("d").map(5);
  p.str("order_id").str("O-1").str("customer_id").str("C-1").str("currency").str("EUR");
  p.str("channel").array(2).str("web");
  p.pk.pack_bin(2);
  p.pk.pack_bin_body("\0\1", 2);
  p.str("lines").array(1).map(6);
  p.str("line_no").i(1).str("product_id").str("P-1").str("vendor_id").str("V-1");
  p.str("gift_wrap").map(1).str("paper").pk.pack_nil();
  p.str("quantity").i(3).str("unit_price").array(2).i(1999).i(2);
  Event out;
  Status st = decode(p.bytes(), out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  const auto& o = std::get<OrderPlaced>(out.data);
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].quantity, 3);
  EXPECT_EQ(o.lines[0].unit_price, (Decimal{1999, 2}));
}

// An unknown key may hold arbitrarily deep nesting; skipping it must not
// recurse (no stack overflow on hostile input).
TEST(MsgpackCodec, DeepNestingInAnUnknownKeyIsSkippedWithoutRecursion) {
  std::string good = encode(example_event(EventType::customer_deleted));
  std::string s;
  s.push_back(static_cast<char>(0x86));  // map(6): the 5 keys + one unknown
  s += good.substr(1);
  s += unhex("a178");  // "x"
  s += std::string(200000, static_cast<char>(0x91));  // [[[[...
  s.push_back(static_cast<char>(0xc0));
  Event out;
  Status st = decode(s, out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out, example_event(EventType::customer_deleted));
}

TEST(MsgpackCodec, UnknownEventTypeIsAnError) {
  for (int t : {0, 13, 200}) {
    Packed p;
    p.map(5).str("v").i(1).str("id").str("e").str("t").i(t).str("ts").i(0);
    p.str("d").map(1).str("customer_id").str("C");
    EXPECT_EQ(decode_error(p.bytes()),
              "key 't': unknown event type " + std::to_string(t) + " at byte 11");
  }
}

TEST(MsgpackCodec, MissingRequiredFieldIsNamed) {
  Packed p;
  p.map(5).str("v").i(1).str("id").str("e").str("t").i(8).str("ts").i(0);
  p.str("d").map(4).str("order_id").str("O").str("customer_id").str("C").str("currency").str("EUR");
  p.str("lines").array(1).map(3).str("line_no").i(1).str("product_id").str("P").str("vendor_id").str("V");
  EXPECT_EQ(decode_error(p.bytes()), "key 'd.lines[0].quantity': missing");

  Packed q;
  q.map(4).str("v").i(1).str("t").i(5).str("ts").i(0).str("d").map(1).str("customer_id").str("C");
  EXPECT_EQ(decode_error(q.bytes()), "key 'id': missing");

  Packed r;
  r.map(1).str("id").str("e");
  EXPECT_EQ(decode_error(r.bytes()), "key 'v': missing");
}

TEST(MsgpackCodec, WrongValueTypeNamesTheKeyAndTheByte) {
  Packed p;
  p.map(5).str("v").i(1).str("id").str("e").str("t").i(8).str("ts").i(0);
  p.str("d").map(4).str("order_id").str("O").str("customer_id").str("C").str("currency").str("EUR");
  p.str("lines").array(1).map(5).str("line_no").i(1).str("product_id").str("P").str("vendor_id").str("V");
  size_t at = p.buf.size() + 9;  // after the 9 bytes of the "quantity" key
  p.str("quantity").str("2").str("unit_price").array(2).i(1).i(2);
  EXPECT_EQ(decode_error(p.bytes()),
            "key 'd.lines[0].quantity': expected integer, got str at byte " + std::to_string(at));
}

TEST(MsgpackCodec, OutOfRangeIntegersAreErrors) {
  Packed p;
  p.map(5).str("v").i(1).str("id").str("e").str("t").i(10).str("ts").i(0);
  p.str("d").map(3).str("review_id").str("R").str("vendor_id").str("V").str("stars").i(int64_t{1} << 40);
  EXPECT_EQ(decode_error(p.bytes()).rfind("key 'd.stars': integer 1099511627776 out of range", 0), 0u)
      << decode_error(p.bytes());

  Packed q;  // a Decimal's scale is a uint8
  q.map(5).str("v").i(1).str("id").str("e").str("t").i(6).str("ts").i(0);
  q.str("d").map(2).str("product_id").str("P").str("list_price").array(2).i(1).i(-1);
  EXPECT_NE(decode_error(q.bytes()).find("key 'd.list_price': integer -1 out of range [0, 255]"),
            std::string::npos)
      << decode_error(q.bytes());
}

TEST(MsgpackCodec, UnknownOrderStatusIsAnError) {
  Packed p;
  p.map(5).str("v").i(1).str("id").str("e").str("t").i(9).str("ts").i(0);
  p.str("d").map(2).str("order_id").str("O").str("status").str("lost");
  EXPECT_EQ(decode_error(p.bytes()), "key 'd.status': unknown order status 'lost'");
}

TEST(MsgpackCodec, TrailingBytesAreAnError) {
  std::string s = encode(example_event(EventType::stock_changed));
  size_t n = s.size();
  s.push_back('\0');
  EXPECT_EQ(decode_error(s), "trailing bytes after the event at byte " + std::to_string(n));
}

TEST(MsgpackCodec, EveryTruncationIsAnError) {
  std::vector<Event> events;
  for (EventType t : kAllEventTypes) events.push_back(example_event(t));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50; ++i) events.push_back(random_event(rng));
  for (const Event& e : events) {
    std::string s = encode(e);
    for (size_t len = 0; len < s.size(); ++len) {
      // A copy of exactly `len` bytes, so ASan/valgrind see any overread.
      std::string prefix = s.substr(0, len);
      Event out;
      Status st = decode(prefix, out);
      ASSERT_FALSE(st.ok()) << to_string(e.type) << " truncated to " << len << " of " << s.size();
      ASSERT_NE(st.error().message.find("truncated at byte"), std::string::npos)
          << st.error().message;
    }
  }
}

TEST(MsgpackCodec, TruncationReportsWhere) {
  std::string s = encode(example_event(EventType::stock_changed));
  // Cut inside the "warehouse" value (its header is at byte 70, "WH-MMX" follows).
  EXPECT_EQ(decode_error(s.substr(0, 73)),
            "key 'd.warehouse': truncated at byte 70 (payload is 73 bytes)");
}

// Lengths read from the payload are checked against the bytes left before
// anything is allocated or skipped.
TEST(MsgpackCodec, ForgedLengthsAreRejectedBeforeAllocating) {
  EXPECT_EQ(decode_error(unhex("dfffffffff")), "truncated at byte 0 (payload is 5 bytes)");
  std::string huge_str = unhex("85a17601a26964dbfffffff0") + "abc";
  EXPECT_EQ(decode_error(huge_str), "key 'id': truncated at byte 7 (payload is 15 bytes)");
  Packed p;
  p.map(5).str("v").i(1).str("id").str("e").str("t").i(8).str("ts").i(0);
  p.str("d").map(4).str("order_id").str("O").str("customer_id").str("C").str("currency").str("EUR");
  p.str("lines");
  std::string s = p.bytes() + unhex("ddfffffff0") + std::string(64, '\x80');
  std::string err = decode_error(s);
  EXPECT_NE(err.find("key 'd.lines': truncated"), std::string::npos) << err;
}

TEST(MsgpackCodec, InvalidByteC1IsAnError) {
  std::string s = encode(example_event(EventType::customer_deleted));
  s[0] = static_cast<char>(0x86);
  s += unhex("a178c1");
  EXPECT_EQ(decode_error(s), "key 'x': invalid msgpack byte 0xc1 at byte " + std::to_string(s.size() - 1));
}

// Random corruption: decode returns an error or some event, and never
// crashes or reads out of bounds (run under ASan/valgrind to check the
// latter). An event that does come out is self-consistent.
TEST(MsgpackCodec, RandomByteFlipsNeverCrash) {
  std::mt19937_64 rng(424242);
  int errors = 0, decoded = 0;
  Event out;
  for (int i = 0; i < 3000; ++i) {
    std::string good = encode(random_event(rng));
    for (int k = 0; k < 20; ++k) {
      std::string bad = good;
      int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) {
        size_t pos = rng() % bad.size();
        if (rng() & 1)
          bad[pos] = static_cast<char>(rng());
        else
          bad[pos] ^= static_cast<char>(1u << (rng() % 8));
      }
      Status st = decode(bad, out);
      if (!st.ok()) {
        ++errors;
        EXPECT_FALSE(st.error().message.empty());
        continue;
      }
      ++decoded;
      ASSERT_EQ(out.data.index(), data_index_for(out.type));
      // Whatever decoded must survive its own round trip. Compared as bytes:
      // a flipped float64 may be NaN, which no Event compares equal to.
      std::string first = encode(out);
      Event again;
      ASSERT_TRUE(decode(first, again).ok());
      ASSERT_EQ(encode(again), first);
    }
  }
  EXPECT_GT(errors, 0);
  EXPECT_GT(decoded, 0);  // flips inside string bytes give other, valid events
}

// ------------------------------------------------------------- upcasting --

// A v0 record, as an imagined earlier release wrote it: the vendor's tier
// was called "level".
std::string legacy_v0_vendor() {
  Packed p;
  p.map(5).str("v").i(0).str("id").str("ev-old").str("t").i(1).str("ts").i(kExampleTimeUs);
  p.str("d").map(3).str("vendor_id").str("V-1").str("level").str("gold").str("name").str("Old AB");
  return p.bytes();
}

// The v0 -> v1 converter a release would register: renames d.level to d.tier
// and stamps v = 1. Upcasting is rare, so it may use the generic object API.
std::string upcast_v0_to_v1(std::string_view payload) {
  msgpack::object_handle oh = msgpack::unpack(payload.data(), payload.size());
  const msgpack::object_map& top = oh.get().via.map;
  Packed p;
  p.map(top.size);
  for (uint32_t i = 0; i < top.size; ++i) {
    std::string key = top.ptr[i].key.as<std::string>();
    p.str(key);
    if (key == "v") {
      p.i(1);
    } else if (key == "d") {
      const msgpack::object_map& d = top.ptr[i].val.via.map;
      p.map(d.size);
      for (uint32_t j = 0; j < d.size; ++j) {
        std::string k = d.ptr[j].key.as<std::string>();
        p.str(k == "level" ? "tier" : k);
        p.pk.pack(d.ptr[j].val);
      }
    } else {
      p.pk.pack(top.ptr[i].val);
    }
  }
  return p.bytes();
}

class Upcasting : public ::testing::Test {
 protected:
  void TearDown() override { clear_upcasters(); }
};

TEST_F(Upcasting, OldRecordsGoThroughTheRegisteredChain) {
  register_upcaster(0, upcast_v0_to_v1);
  Event out;
  Status st = decode(legacy_v0_vendor(), out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(out.schema_version, kCurrentSchemaVersion);
  EXPECT_EQ(out.event_id, "ev-old");
  const auto& v = std::get<VendorData>(out.data);
  EXPECT_EQ(v.tier, "gold");
  EXPECT_EQ(v.name, "Old AB");
}

TEST_F(Upcasting, MissingUpcasterIsAnError) {
  EXPECT_EQ(decode_error(legacy_v0_vendor()), "no upcaster from schema_version 0");
}

TEST_F(Upcasting, NewerVersionIsAnError) {
  Event e = example_event(EventType::customer_deleted);
  e.schema_version = 3;
  EXPECT_EQ(decode_error(encode(e)), "schema_version 3 is newer than this build supports (1)");
}

TEST_F(Upcasting, UpcasterThatDoesNotBumpTheVersionIsAnError) {
  register_upcaster(0, [](std::string_view p) { return std::string(p); });
  EXPECT_EQ(decode_error(legacy_v0_vendor()),
            "upcaster from schema_version 0 produced schema_version 0");
}

TEST_F(Upcasting, ClearUpcastersRemovesThem) {
  register_upcaster(0, upcast_v0_to_v1);
  clear_upcasters();
  EXPECT_EQ(decode_error(legacy_v0_vendor()), "no upcaster from schema_version 0");
}

TEST_F(Upcasting, CurrentRecordsNeverCallAnUpcaster) {
  int calls = 0;
  register_upcaster(0, [&calls](std::string_view p) { ++calls; return std::string(p); });
  register_upcaster(1, [&calls](std::string_view p) { ++calls; return std::string(p); });
  Event out;
  ASSERT_TRUE(decode(encode(example_event(EventType::stock_changed)), out).ok());
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace lh::events
