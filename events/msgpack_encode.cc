// The msgpack encoder: Event -> the stored form of an event, written by the log
// writer (msgpack_decode.cc reads it back on every replay). Hand-written over
// raw bytes because it is trivially small.
//
// Layout (a msgpack map; keys are short strings):
//   "v"  uint   schema_version, always FIRST so the upcaster chain can be
//               chosen before any typed decoding
//   "id" str    event_id
//   "t"  uint   EventType's numeric value (never renumbered, see event.h)
//   "ts" int    event_time_us
//   "d"  map    the data, keyed by the contract's field names (DESIGN.md);
//               absent optionals are omitted.
// Decimal = [units int, scale uint]; order lines = array of maps;
// OrderStatus = its name ("shipped"), so the stored form does not depend on
// the enum's numbering and reads the same in any msgpack tool;
// latency_ms = float64. Integers use the smallest msgpack width.
#include "events/msgpack_codec.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

namespace lh::events {
namespace {

// Writes through a pointer into a per-thread buffer that only ever grows, and
// appends the result to `out` in one copy. A std::string::append per field
// cost ~13% of the Kafka ingest's consuming thread (bench_kafka profile,
// session 9); growing `out` itself first would zero-fill it on every call.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out), buf_(scratch()) {
    if (buf_.size() < 512) buf_.resize(512);
    p_ = buf_.data();
    end_ = p_ + buf_.size();
  }
  ~Writer() { out_.append(buf_.data(), static_cast<size_t>(p_ - buf_.data())); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void map_header(uint32_t n) {
    room(5);
    if (n < 16) {
      byte(0x80 | n);
    } else if (n <= 0xffff) {
      byte(0xde);
      be16(n);
    } else {
      byte(0xdf);
      be32(n);
    }
  }
  void array_header(uint32_t n) {
    room(5);
    if (n < 16) {
      byte(0x90 | n);
    } else if (n <= 0xffff) {
      byte(0xdc);
      be16(n);
    } else {
      byte(0xdd);
      be32(n);
    }
  }
  void str(std::string_view s) {
    const size_t n = s.size();
    room(5 + n);
    if (n < 32) {
      byte(0xa0 | static_cast<uint8_t>(n));
    } else if (n <= 0xff) {
      byte(0xd9);
      byte(static_cast<uint8_t>(n));
    } else if (n <= 0xffff) {
      byte(0xda);
      be16(static_cast<uint16_t>(n));
    } else {
      byte(0xdb);
      be32(static_cast<uint32_t>(n));
    }
    std::memcpy(p_, s.data(), n);
    p_ += n;
  }
  void uint(uint64_t v) {
    room(9);
    if (v < 128) {
      byte(static_cast<uint8_t>(v));
    } else if (v <= 0xff) {
      byte(0xcc);
      byte(static_cast<uint8_t>(v));
    } else if (v <= 0xffff) {
      byte(0xcd);
      be16(static_cast<uint16_t>(v));
    } else if (v <= 0xffffffffu) {
      byte(0xce);
      be32(static_cast<uint32_t>(v));
    } else {
      byte(0xcf);
      be64(v);
    }
  }
  void sint(int64_t v) {
    if (v >= 0) return uint(static_cast<uint64_t>(v));
    room(9);
    if (v >= -32) {
      byte(static_cast<uint8_t>(v));  // negative fixint: 111xxxxx
    } else if (v >= -128) {
      byte(0xd0);
      byte(static_cast<uint8_t>(v));
    } else if (v >= -32768) {
      byte(0xd1);
      be16(static_cast<uint16_t>(v));
    } else if (v >= std::numeric_limits<int32_t>::min()) {
      byte(0xd2);
      be32(static_cast<uint32_t>(v));
    } else {
      byte(0xd3);
      be64(static_cast<uint64_t>(v));
    }
  }
  void f64(double d) {
    uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    room(9);
    byte(0xcb);
    be64(bits);
  }
  void decimal(const Decimal& d) {
    array_header(2);
    sint(d.units);
    uint(d.scale);
  }

  // Key + value helpers; optionals are omitted when absent.
  void kv(std::string_view k, std::string_view v) { str(k); str(v); }
  void kv(std::string_view k, const std::string& v) { str(k); str(v); }
  void kv(std::string_view k, const Decimal& v) { str(k); decimal(v); }
  void kv_int(std::string_view k, int64_t v) { str(k); sint(v); }
  void kv(std::string_view k, const std::optional<std::string>& v) { if (v) kv(k, *v); }
  void kv(std::string_view k, const std::optional<Decimal>& v) { if (v) kv(k, *v); }
  template <class I>
  void kv_int(std::string_view k, const std::optional<I>& v) { if (v) kv_int(k, *v); }

 private:
  // At least n writable bytes at p_.
  void room(size_t n) {
    if (static_cast<size_t>(end_ - p_) >= n) return;
    const size_t at = static_cast<size_t>(p_ - buf_.data());
    buf_.resize(std::max(buf_.size() * 2, at + n));
    p_ = buf_.data() + at;
    end_ = buf_.data() + buf_.size();
  }
  static std::string& scratch() {
    thread_local std::string buf;
    return buf;
  }
  // The callers made room.
  void byte(uint8_t b) { *p_++ = static_cast<char>(b); }
  void be16(uint16_t v) {
    p_[0] = static_cast<char>(v >> 8);
    p_[1] = static_cast<char>(v);
    p_ += 2;
  }
  void be32(uint32_t v) {
    for (int i = 0; i < 4; ++i) p_[i] = static_cast<char>(v >> (24 - 8 * i));
    p_ += 4;
  }
  void be64(uint64_t v) {
    for (int i = 0; i < 8; ++i) p_[i] = static_cast<char>(v >> (56 - 8 * i));
    p_ += 8;
  }

  std::string& out_;
  std::string& buf_;  // scratch(): its size is its usable length
  char* p_ = nullptr;
  char* end_ = nullptr;
};

template <class... O>
uint32_t present(const O&... o) {
  return (0u + ... + (o.has_value() ? 1u : 0u));
}

void encode_data(Writer& w, const VendorData& d) {
  w.map_header(1 + present(d.name, d.country, d.city, d.tier, d.commission_rate, d.status));
  w.kv("vendor_id", d.vendor_id);
  w.kv("name", d.name);
  w.kv("country", d.country);
  w.kv("city", d.city);
  w.kv("tier", d.tier);
  w.kv("commission_rate", d.commission_rate);
  w.kv("status", d.status);
}
void encode_data(Writer& w, const CustomerData& d) {
  w.map_header(1 + present(d.name, d.email, d.city, d.region, d.zip, d.country, d.segment));
  w.kv("customer_id", d.customer_id);
  w.kv("name", d.name);
  w.kv("email", d.email);
  w.kv("city", d.city);
  w.kv("region", d.region);
  w.kv("zip", d.zip);
  w.kv("country", d.country);
  w.kv("segment", d.segment);
}
void encode_data(Writer& w, const CustomerDeleted& d) {
  w.map_header(1);
  w.kv("customer_id", d.customer_id);
}
void encode_data(Writer& w, const ProductData& d) {
  w.map_header(1 + present(d.name, d.category, d.brand, d.vendor_id, d.list_price, d.currency,
                           d.weight_g));
  w.kv("product_id", d.product_id);
  w.kv("name", d.name);
  w.kv("category", d.category);
  w.kv("brand", d.brand);
  w.kv("vendor_id", d.vendor_id);
  w.kv("list_price", d.list_price);
  w.kv("currency", d.currency);
  w.kv_int("weight_g", d.weight_g);
}
void encode_data(Writer& w, const OrderPlaced& d) {
  w.map_header(4);
  w.kv("order_id", d.order_id);
  w.kv("customer_id", d.customer_id);
  w.kv("currency", d.currency);
  w.str("lines");
  w.array_header(static_cast<uint32_t>(d.lines.size()));
  for (const OrderLine& l : d.lines) {
    w.map_header(5 + present(l.freight));
    w.kv_int("line_no", l.line_no);
    w.kv("product_id", l.product_id);
    w.kv("vendor_id", l.vendor_id);
    w.kv_int("quantity", l.quantity);
    w.kv("unit_price", l.unit_price);
    w.kv("freight", l.freight);
  }
}
void encode_data(Writer& w, const OrderStatusChanged& d) {
  w.map_header(2 + present(d.vendor_id, d.line_no));
  w.kv("order_id", d.order_id);
  w.kv("status", to_string(d.status));
  w.kv("vendor_id", d.vendor_id);
  w.kv_int("line_no", d.line_no);
}
void encode_data(Writer& w, const ReviewSubmitted& d) {
  w.map_header(3 + present(d.order_id, d.customer_id, d.product_id, d.comment));
  w.kv("review_id", d.review_id);
  w.kv("order_id", d.order_id);
  w.kv("customer_id", d.customer_id);
  w.kv("product_id", d.product_id);
  w.kv("vendor_id", d.vendor_id);
  w.kv_int("stars", d.stars);
  w.kv("comment", d.comment);
}
void encode_data(Writer& w, const PageViewed& d) {
  w.map_header(5 + present(d.customer_id, d.product_id, d.vendor_id));
  w.kv("session_id", d.session_id);
  w.kv("url", d.url);
  w.kv("http_method", d.http_method);
  w.kv_int("status_code", d.status_code);
  w.str("latency_ms");
  w.f64(d.latency_ms);
  w.kv("customer_id", d.customer_id);
  w.kv("product_id", d.product_id);
  w.kv("vendor_id", d.vendor_id);
}
void encode_data(Writer& w, const StockChanged& d) {
  w.map_header(4);
  w.kv("vendor_id", d.vendor_id);
  w.kv("product_id", d.product_id);
  w.kv("warehouse", d.warehouse);
  w.kv_int("quantity", d.quantity);
}

}  // namespace

void encode_msgpack(const Event& e, std::string& out) {
  Writer w(out);  // its destructor appends what was written to `out`
  w.map_header(5);
  w.str("v");
  w.uint(e.schema_version);
  w.kv("id", e.event_id);
  w.str("t");
  w.uint(static_cast<uint8_t>(e.type));
  w.kv_int("ts", e.event_time_us);
  w.str("d");
  std::visit([&w](const auto& d) { encode_data(w, d); }, e.data);
}

}  // namespace lh::events
