// The stored form of an event (msgpack), written by the log writer and read
// back on every replay. Both directions are hand-written over raw bytes: the
// encoder because it is trivially small, the decoder because replay speed is
// bounded by it (no msgpack::object tree, no allocation besides the Event's).
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
//
// The reader is deliberately more tolerant than the writer, so that payloads
// written by other msgpack writers (or upcasters) decode too: any integer
// width, str or bin for strings, nil for an absent optional, keys in any
// order, unknown keys (any value, nested or not) skipped.
#include "events/msgpack_codec.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>

// Error paths build strings; keep that code out of the hot readers. (Measured
// effect on BM_DecodeMsgpack: small, within noise; the version fast path in
// decode_msgpack was the change that paid, ~+10%.)
#define LH_COLD __attribute__((noinline, cold))

namespace lh::events {

// ---------------------------------------------------------------- encoding --
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void map_header(uint32_t n) {
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
    size_t n = s.size();
    if (n < 32) {
      byte(0xa0 | static_cast<uint8_t>(n));
    } else if (n <= 0xff) {
      char h[2] = {static_cast<char>(0xd9), static_cast<char>(n)};
      out_.append(h, 2);
    } else if (n <= 0xffff) {
      byte(0xda);
      be16(static_cast<uint16_t>(n));
    } else {
      byte(0xdb);
      be32(static_cast<uint32_t>(n));
    }
    out_.append(s.data(), n);
  }
  void uint(uint64_t v) {
    if (v < 128) {
      byte(static_cast<uint8_t>(v));
    } else if (v <= 0xff) {
      char h[2] = {static_cast<char>(0xcc), static_cast<char>(v)};
      out_.append(h, 2);
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
    if (v >= -32) {
      byte(static_cast<uint8_t>(v));  // negative fixint: 111xxxxx
    } else if (v >= -128) {
      char h[2] = {static_cast<char>(0xd0), static_cast<char>(v)};
      out_.append(h, 2);
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
  void byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void be16(uint16_t v) {
    char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out_.append(b, 2);
  }
  void be32(uint32_t v) {
    char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
    out_.append(b, 4);
  }
  void be64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
    out_.append(b, 8);
  }
  std::string& out_;
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
  Writer w(out);
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

// ---------------------------------------------------------------- decoding --
namespace {

// Where a value sits, for error messages: "d.lines[2].quantity". Built into a
// string only when an error is reported.
struct Where {
  std::string_view parent;  // "" (top level), "d", "d.lines"
  std::string_view key;     // field name; empty for an element of `parent`
  int64_t index = -1;       // array element of parent, if >= 0

  std::string str() const {
    std::string s(parent);
    if (index >= 0) s += "[" + std::to_string(index) + "]";
    if (!key.empty()) {
      if (!s.empty()) s += '.';
      s += key;
    }
    return s;
  }
};

bool is_integer_byte(uint8_t b) { return b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3); }

// Names of msgpack families, for "expected integer, got str".
const char* family_name(uint8_t b) {
  if (is_integer_byte(b)) return "integer";
  if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf) return "map";
  if ((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd) return "array";
  if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb)) return "str";
  switch (b) {
    case 0xc0: return "nil";
    case 0xc2:
    case 0xc3: return "bool";
    case 0xc4:
    case 0xc5:
    case 0xc6: return "bin";
    case 0xca:
    case 0xcb: return "float";
    case 0xc1: return "reserved byte 0xc1";
    default: return "ext";
  }
}

// A bounds-checked cursor over one payload. Every read checks the remaining
// length first, every length read from the payload is checked against the
// bytes left before it is used, and the first failure is kept in `error`
// (every caller returns at the first false), so corrupt input can only
// produce an Error: no read past the end, no allocation beyond the payload.
class Reader {
 public:
  explicit Reader(std::string_view payload)
      : begin_(reinterpret_cast<const uint8_t*>(payload.data())),
        p_(begin_),
        end_(begin_ + payload.size()) {}

  const std::string& error() const { return error_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool at_end() const { return p_ == end_; }
  void seek(size_t off) { p_ = begin_ + off; }

  LH_COLD bool fail(const Where& w, const std::string& what) {
    if (!failed_) {
      failed_ = true;
      std::string path = w.str();
      error_ = path.empty() ? what : "key '" + path + "': " + what;
    }
    return false;
  }
  LH_COLD bool truncated(const Where& w, size_t at) {
    return fail(w, "truncated at byte " + std::to_string(at) + " (payload is " +
                       std::to_string(end_ - begin_) + " bytes)");
  }
  LH_COLD bool expected(const Where& w, const char* what, size_t at) {
    if (at >= static_cast<size_t>(end_ - begin_)) return truncated(w, at);
    return fail(w, std::string("expected ") + what + ", got " + family_name(begin_[at]) +
                       " at byte " + std::to_string(at));
  }

  bool peek(uint8_t& b) const {
    if (p_ == end_) return false;
    b = *p_;
    return true;
  }
  bool peek_nil() const { return p_ != end_ && *p_ == 0xc0; }

  // Map or array header -> element count, checked against the bytes left
  // (every element takes at least one byte; a map entry at least two).
  bool map_header(const Where& w, uint32_t& n) {
    size_t at = offset();
    uint8_t b = 0;
    if (!peek(b)) return truncated(w, at);
    if ((b & 0xf0) == 0x80) {
      ++p_;
      n = b & 0x0f;
    } else if (b == 0xde || b == 0xdf) {
      ++p_;
      if (!length(w, b == 0xde ? 2 : 4, n, at)) return false;
    } else {
      return expected(w, "map", at);
    }
    if (static_cast<uint64_t>(n) * 2 > remaining()) return truncated(w, at);
    return true;
  }
  bool array_header(const Where& w, uint32_t& n) {
    size_t at = offset();
    uint8_t b = 0;
    if (!peek(b)) return truncated(w, at);
    if ((b & 0xf0) == 0x90) {
      ++p_;
      n = b & 0x0f;
    } else if (b == 0xdc || b == 0xdd) {
      ++p_;
      if (!length(w, b == 0xdc ? 2 : 4, n, at)) return false;
    } else {
      return expected(w, "array", at);
    }
    if (n > remaining()) return truncated(w, at);
    return true;
  }

  // A str (or bin: other writers store raw bytes that way) as a view into the
  // payload; valid as long as the payload is.
  bool string_view(const Where& w, std::string_view& s) {
    size_t at = offset();
    uint8_t b = 0;
    if (!peek(b)) return truncated(w, at);
    uint32_t n = 0;
    if ((b & 0xe0) == 0xa0) {
      ++p_;
      n = b & 0x1f;
    } else if (b == 0xd9 || b == 0xc4) {
      ++p_;
      if (!length(w, 1, n, at)) return false;
    } else if (b == 0xda || b == 0xc5) {
      ++p_;
      if (!length(w, 2, n, at)) return false;
    } else if (b == 0xdb || b == 0xc6) {
      ++p_;
      if (!length(w, 4, n, at)) return false;
    } else {
      return expected(w, "string", at);
    }
    if (n > remaining()) return truncated(w, at);
    s = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  bool string(const Where& w, std::string& s) {
    std::string_view v;
    if (!string_view(w, v)) return false;
    s.assign(v.data(), v.size());
    return true;
  }

  // Any msgpack integer, range-checked into [lo, hi].
  bool integer(const Where& w, int64_t lo, int64_t hi, int64_t& v) {
    size_t at = offset();
    uint8_t b = 0;
    if (!peek(b)) return truncated(w, at);
    uint64_t u = 0;
    int64_t s = 0;
    bool is_unsigned = true;
    if (b <= 0x7f) {
      ++p_;
      u = b;
    } else if (b >= 0xe0) {
      ++p_;
      s = static_cast<int8_t>(b);
      is_unsigned = false;
    } else if (b >= 0xcc && b <= 0xcf) {
      ++p_;
      size_t width = size_t{1} << (b - 0xcc);
      if (!be(w, width, u, at)) return false;
    } else if (b >= 0xd0 && b <= 0xd3) {
      ++p_;
      size_t width = size_t{1} << (b - 0xd0);
      uint64_t raw = 0;
      if (!be(w, width, raw, at)) return false;
      // Sign-extend from `width` bytes.
      unsigned shift = static_cast<unsigned>(64 - 8 * width);
      s = static_cast<int64_t>(raw << shift) >> shift;
      is_unsigned = false;
    } else {
      return expected(w, "integer", at);
    }
    if (is_unsigned) {
      if (u > static_cast<uint64_t>(hi)) return out_of_range(w, u, lo, hi, at);
      v = static_cast<int64_t>(u);
    } else {
      if (s < lo || s > hi) return out_of_range(w, s, lo, hi, at);
      v = s;
    }
    return true;
  }
  template <class I>
  bool integer(const Where& w, I& out) {
    int64_t v = 0;
    if (!integer(w, static_cast<int64_t>(std::numeric_limits<I>::min()),
                 static_cast<int64_t>(std::numeric_limits<I>::max()), v))
      return false;
    out = static_cast<I>(v);
    return true;
  }

  // float64 as written; float32 and integers accepted from other writers.
  bool number(const Where& w, double& d) {
    size_t at = offset();
    uint8_t b = 0;
    if (!peek(b)) return truncated(w, at);
    if (b == 0xcb) {
      ++p_;
      uint64_t bits = 0;
      if (!be(w, 8, bits, at)) return false;
      std::memcpy(&d, &bits, sizeof d);
      return true;
    }
    if (b == 0xca) {
      ++p_;
      uint64_t bits = 0;
      if (!be(w, 4, bits, at)) return false;
      uint32_t b32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b32, sizeof f);
      d = f;
      return true;
    }
    if (is_integer_byte(b)) {
      int64_t v = 0;
      if (!integer(w, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), v))
        return false;
      d = static_cast<double>(v);
      return true;
    }
    return expected(w, "number", at);
  }

  bool decimal(const Where& w, Decimal& d) {
    size_t at = offset();
    uint32_t n = 0;
    if (!array_header(w, n)) return false;
    if (n != 2) return fail(w, "expected [units, scale], got an array of " + std::to_string(n) +
                                   " at byte " + std::to_string(at));
    return integer(w, d.units) && integer(w, d.scale);
  }

  // Skips one value of any type, nested maps and arrays included. Iterative
  // (a count of values still to skip), so hostile nesting cannot exhaust the
  // stack; every count is bounded by the bytes left.
  bool skip(const Where& w) {
    uint64_t pending = 1;
    while (pending > 0) {
      --pending;
      size_t at = offset();
      uint8_t b = 0;
      if (!peek(b)) return truncated(w, at);
      ++p_;
      uint32_t n = 0;
      size_t bytes = 0;  // payload bytes following the header
      if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        // fixint, nil, bool: header only
      } else if ((b & 0xf0) == 0x80) {
        pending += 2 * static_cast<uint64_t>(b & 0x0f);
      } else if ((b & 0xf0) == 0x90) {
        pending += b & 0x0f;
      } else if ((b & 0xe0) == 0xa0) {
        bytes = b & 0x1f;
      } else {
        switch (b) {
          case 0xc4: case 0xd9: if (!length(w, 1, n, at)) return false; bytes = n; break;
          case 0xc5: case 0xda: if (!length(w, 2, n, at)) return false; bytes = n; break;
          case 0xc6: case 0xdb: if (!length(w, 4, n, at)) return false; bytes = n; break;
          case 0xc7: if (!length(w, 1, n, at)) return false; bytes = size_t{n} + 1; break;
          case 0xc8: if (!length(w, 2, n, at)) return false; bytes = size_t{n} + 1; break;
          case 0xc9: if (!length(w, 4, n, at)) return false; bytes = size_t{n} + 1; break;
          case 0xca: bytes = 4; break;
          case 0xcb: bytes = 8; break;
          case 0xcc: case 0xd0: bytes = 1; break;
          case 0xcd: case 0xd1: bytes = 2; break;
          case 0xce: case 0xd2: bytes = 4; break;
          case 0xcf: case 0xd3: bytes = 8; break;
          case 0xd4: bytes = 2; break;   // fixext 1 (type byte + data)
          case 0xd5: bytes = 3; break;
          case 0xd6: bytes = 5; break;
          case 0xd7: bytes = 9; break;
          case 0xd8: bytes = 17; break;
          case 0xdc: if (!length(w, 2, n, at)) return false; pending += n; break;
          case 0xdd: if (!length(w, 4, n, at)) return false; pending += n; break;
          case 0xde: if (!length(w, 2, n, at)) return false; pending += 2 * uint64_t{n}; break;
          case 0xdf: if (!length(w, 4, n, at)) return false; pending += 2 * uint64_t{n}; break;
          default:  // 0xc1: never used by msgpack
            return fail(w, "invalid msgpack byte 0xc1 at byte " + std::to_string(at));
        }
      }
      if (bytes > remaining() || pending > remaining()) return truncated(w, at);
      p_ += bytes;
    }
    return true;
  }

 private:
  // Reads a big-endian length of `width` bytes (a header's tail).
  bool length(const Where& w, size_t width, uint32_t& n, size_t header_at) {
    uint64_t v = 0;
    if (!be(w, width, v, header_at)) return false;
    n = static_cast<uint32_t>(v);
    return true;
  }
  bool be(const Where& w, size_t width, uint64_t& v, size_t header_at) {
    if (width > remaining()) return truncated(w, header_at);
    uint64_t x = 0;
    for (size_t i = 0; i < width; ++i) x = (x << 8) | p_[i];
    p_ += width;
    v = x;
    return true;
  }
  template <class V>
  LH_COLD bool out_of_range(const Where& w, V got, int64_t lo, int64_t hi, size_t at) {
    return fail(w, "integer " + std::to_string(got) + " out of range [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "] at byte " + std::to_string(at));
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
  std::string error_;
};

// Required-field bookkeeping: bit i set when required field i was seen.
struct Required {
  uint32_t seen = 0;
  void mark(int i) { seen |= 1u << i; }
  // Reports the first required field (in `names` order) not seen.
  bool check(Reader& r, std::string_view parent, int64_t index,
             std::initializer_list<std::string_view> names) const {
    int i = 0;
    for (std::string_view n : names) {
      if (!(seen & (1u << i))) return r.fail(Where{parent, n, index}, "missing");
      ++i;
    }
    return true;
  }
};

// Reads an optional field: nil means absent (a tolerant reader; the encoder
// omits the key instead).
bool opt_string(Reader& r, const Where& w, std::optional<std::string>& o) {
  if (r.peek_nil()) {
    o.reset();
    return r.skip(w);
  }
  return r.string(w, o.emplace());
}
bool opt_decimal(Reader& r, const Where& w, std::optional<Decimal>& o) {
  if (r.peek_nil()) {
    o.reset();
    return r.skip(w);
  }
  return r.decimal(w, o.emplace());
}
template <class I>
bool opt_integer(Reader& r, const Where& w, std::optional<I>& o) {
  if (r.peek_nil()) {
    o.reset();
    return r.skip(w);
  }
  return r.integer(w, o.emplace());
}

// Iterates a map. For each key, field(key, where, handled) reads the value
// and sets handled=true, or leaves handled=false for a key it does not know,
// whose value is then skipped (forward compatibility). Returns false on the
// first error, which the Reader keeps.
template <class F>
bool for_each_field(Reader& r, const Where& map_where, std::string_view child_parent,
                    int64_t child_index, F&& field) {
  uint32_t n = 0;
  if (!r.map_header(map_where, n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    Where kw{child_parent, {}, child_index};
    if (!r.string_view(kw, key)) return false;
    Where vw{child_parent, key, child_index};
    bool handled = false;
    if (!field(key, vw, handled)) return false;
    if (!handled && !r.skip(vw)) return false;
  }
  return true;
}

// The per-type data decoders. Each one reads the "d" map into a fresh value.
constexpr std::string_view kD = "d";

bool decode_vendor(Reader& r, VendorData& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "vendor_id") return req.mark(0), r.string(w, d.vendor_id);
    if (k == "name") return opt_string(r, w, d.name);
    if (k == "country") return opt_string(r, w, d.country);
    if (k == "city") return opt_string(r, w, d.city);
    if (k == "tier") return opt_string(r, w, d.tier);
    if (k == "commission_rate") return opt_decimal(r, w, d.commission_rate);
    if (k == "status") return opt_string(r, w, d.status);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"vendor_id"});
}

bool decode_customer(Reader& r, CustomerData& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "customer_id") return req.mark(0), r.string(w, d.customer_id);
    if (k == "name") return opt_string(r, w, d.name);
    if (k == "email") return opt_string(r, w, d.email);
    if (k == "city") return opt_string(r, w, d.city);
    if (k == "region") return opt_string(r, w, d.region);
    if (k == "zip") return opt_string(r, w, d.zip);
    if (k == "country") return opt_string(r, w, d.country);
    if (k == "segment") return opt_string(r, w, d.segment);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"customer_id"});
}

bool decode_customer_deleted(Reader& r, CustomerDeleted& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = k == "customer_id";
    if (h) return req.mark(0), r.string(w, d.customer_id);
    return true;
  });
  return ok && req.check(r, kD, -1, {"customer_id"});
}

bool decode_product(Reader& r, ProductData& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "product_id") return req.mark(0), r.string(w, d.product_id);
    if (k == "name") return opt_string(r, w, d.name);
    if (k == "category") return opt_string(r, w, d.category);
    if (k == "brand") return opt_string(r, w, d.brand);
    if (k == "vendor_id") return opt_string(r, w, d.vendor_id);
    if (k == "list_price") return opt_decimal(r, w, d.list_price);
    if (k == "currency") return opt_string(r, w, d.currency);
    if (k == "weight_g") return opt_integer(r, w, d.weight_g);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"product_id"});
}

bool decode_line(Reader& r, const Where& lw, int64_t index, OrderLine& l) {
  Required req;
  constexpr std::string_view kLines = "d.lines";
  bool ok = for_each_field(r, lw, kLines, index, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "line_no") return req.mark(0), r.integer(w, l.line_no);
    if (k == "product_id") return req.mark(1), r.string(w, l.product_id);
    if (k == "vendor_id") return req.mark(2), r.string(w, l.vendor_id);
    if (k == "quantity") return req.mark(3), r.integer(w, l.quantity);
    if (k == "unit_price") return req.mark(4), r.decimal(w, l.unit_price);
    if (k == "freight") return opt_decimal(r, w, l.freight);
    h = false;
    return true;
  });
  return ok &&
         req.check(r, kLines, index, {"line_no", "product_id", "vendor_id", "quantity", "unit_price"});
}

bool decode_order_placed(Reader& r, OrderPlaced& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "order_id") return req.mark(0), r.string(w, d.order_id);
    if (k == "customer_id") return req.mark(1), r.string(w, d.customer_id);
    if (k == "currency") return req.mark(2), r.string(w, d.currency);
    if (k == "lines") {
      req.mark(3);
      uint32_t n = 0;
      if (!r.array_header(w, n)) return false;
      d.lines.clear();
      // n is bounded by the bytes left, but a line needs far more than one
      // byte: do not let a forged count reserve more than the payload holds.
      d.lines.reserve(std::min<size_t>(n, r.remaining() / 32 + 1));
      for (uint32_t i = 0; i < n; ++i) {
        Where lw{"d.lines", {}, static_cast<int64_t>(i)};
        if (!decode_line(r, lw, i, d.lines.emplace_back())) return false;
      }
      return true;
    }
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"order_id", "customer_id", "currency", "lines"});
}

bool decode_order_status(Reader& r, OrderStatusChanged& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "order_id") return req.mark(0), r.string(w, d.order_id);
    if (k == "status") {
      req.mark(1);
      std::string_view s;
      if (!r.string_view(w, s)) return false;
      auto st = order_status_from_string(s);
      if (!st) return r.fail(w, "unknown order status '" + std::string(s) + "'");
      d.status = *st;
      return true;
    }
    if (k == "vendor_id") return opt_string(r, w, d.vendor_id);
    if (k == "line_no") return opt_integer(r, w, d.line_no);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"order_id", "status"});
}

bool decode_review(Reader& r, ReviewSubmitted& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "review_id") return req.mark(0), r.string(w, d.review_id);
    if (k == "order_id") return opt_string(r, w, d.order_id);
    if (k == "customer_id") return opt_string(r, w, d.customer_id);
    if (k == "product_id") return opt_string(r, w, d.product_id);
    if (k == "vendor_id") return req.mark(1), r.string(w, d.vendor_id);
    if (k == "stars") return req.mark(2), r.integer(w, d.stars);
    if (k == "comment") return opt_string(r, w, d.comment);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"review_id", "vendor_id", "stars"});
}

bool decode_page_view(Reader& r, PageViewed& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "session_id") return req.mark(0), r.string(w, d.session_id);
    if (k == "url") return req.mark(1), r.string(w, d.url);
    if (k == "http_method") return req.mark(2), r.string(w, d.http_method);
    if (k == "status_code") return req.mark(3), r.integer(w, d.status_code);
    if (k == "latency_ms") return req.mark(4), r.number(w, d.latency_ms);
    if (k == "customer_id") return opt_string(r, w, d.customer_id);
    if (k == "product_id") return opt_string(r, w, d.product_id);
    if (k == "vendor_id") return opt_string(r, w, d.vendor_id);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1,
                         {"session_id", "url", "http_method", "status_code", "latency_ms"});
}

bool decode_stock(Reader& r, StockChanged& d) {
  Required req;
  bool ok = for_each_field(r, Where{"", "d"}, kD, -1, [&](std::string_view k, const Where& w, bool& h) {
    h = true;
    if (k == "vendor_id") return req.mark(0), r.string(w, d.vendor_id);
    if (k == "product_id") return req.mark(1), r.string(w, d.product_id);
    if (k == "warehouse") return req.mark(2), r.string(w, d.warehouse);
    if (k == "quantity") return req.mark(3), r.integer(w, d.quantity);
    h = false;
    return true;
  });
  return ok && req.check(r, kD, -1, {"vendor_id", "product_id", "warehouse", "quantity"});
}

bool decode_data(Reader& r, EventType t, EventData& data) {
  switch (t) {
    case EventType::vendor_registered:
    case EventType::vendor_updated: return decode_vendor(r, data.emplace<VendorData>());
    case EventType::customer_registered:
    case EventType::customer_updated: return decode_customer(r, data.emplace<CustomerData>());
    case EventType::customer_deleted:
      return decode_customer_deleted(r, data.emplace<CustomerDeleted>());
    case EventType::product_created:
    case EventType::product_updated: return decode_product(r, data.emplace<ProductData>());
    case EventType::order_placed: return decode_order_placed(r, data.emplace<OrderPlaced>());
    case EventType::order_status_changed:
      return decode_order_status(r, data.emplace<OrderStatusChanged>());
    case EventType::review_submitted: return decode_review(r, data.emplace<ReviewSubmitted>());
    case EventType::page_viewed: return decode_page_view(r, data.emplace<PageViewed>());
    case EventType::stock_changed: return decode_stock(r, data.emplace<StockChanged>());
  }
  return false;  // unreachable: t was checked against the known types
}

// Reads the schema version of a payload: the first key is "v" for every
// payload encode_msgpack wrote; other writers' payloads are searched.
bool read_version(Reader& r, uint32_t& v) {
  Where top{"", {}};
  uint32_t n = 0;
  if (!r.map_header(top, n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!r.string_view(top, key)) return false;
    Where w{"", key};
    if (key == "v") return r.integer(w, v);
    if (!r.skip(w)) return false;
  }
  return r.fail(Where{"", "v"}, "missing");
}

std::map<uint32_t, Upcaster>& upcasters() {
  static std::map<uint32_t, Upcaster> m;
  return m;
}

Status decode_current(std::string_view payload, Event& out) {
  Reader r(payload);
  Where top{"", {}};
  uint32_t n = 0;
  if (!r.map_header(top, n)) return Error{r.error()};
  Required req;  // 0 v, 1 id, 2 t, 3 ts, 4 d
  std::optional<EventType> type;
  size_t data_at = 0;  // offset of "d" met before "t" (other writers' key order)
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!r.string_view(top, key)) return Error{r.error()};
    Where w{"", key};
    bool ok = true;
    if (key == "v") {
      req.mark(0);
      ok = r.integer(w, out.schema_version);
    } else if (key == "id") {
      req.mark(1);
      ok = r.string(w, out.event_id);
    } else if (key == "t") {
      req.mark(2);
      size_t at = r.offset();
      uint8_t t = 0;
      ok = r.integer(w, t);
      if (ok && (t < 1 || t > kEventTypeCount))
        ok = r.fail(w, "unknown event type " + std::to_string(t) + " at byte " + std::to_string(at));
      if (ok) type = static_cast<EventType>(t);
    } else if (key == "ts") {
      req.mark(3);
      ok = r.integer(w, out.event_time_us);
    } else if (key == "d") {
      req.mark(4);
      if (type) {
        ok = decode_data(r, *type, out.data);
      } else {
        data_at = r.offset();
        ok = r.skip(w);
      }
    } else {
      ok = r.skip(w);
    }
    if (!ok) return Error{r.error()};
  }
  if (!req.check(r, "", -1, {"v", "id", "t", "ts", "d"})) return Error{r.error()};
  if (data_at != 0) {
    size_t end = r.offset();
    r.seek(data_at);
    if (!decode_data(r, *type, out.data)) return Error{r.error()};
    r.seek(end);
  }
  if (!r.at_end())
    return Error{"trailing bytes after the event at byte " + std::to_string(r.offset())};
  out.type = *type;
  return Status::Ok();
}

}  // namespace

Status decode_msgpack(std::string_view payload, Event& out) {
  // Fast path: what encode_msgpack writes today starts fixmap, "v", fixint.
  if (payload.size() >= 4 && (static_cast<uint8_t>(payload[0]) & 0xf0) == 0x80 &&
      payload[1] == '\xa1' && payload[2] == 'v' &&
      static_cast<uint8_t>(payload[3]) == kCurrentSchemaVersion)
    return decode_current(payload, out);
  uint32_t version = 0;
  {
    Reader r(payload);
    if (!read_version(r, version)) return Error{r.error()};
  }
  if (version == kCurrentSchemaVersion) return decode_current(payload, out);
  if (version > kCurrentSchemaVersion)
    return Error{"schema_version " + std::to_string(version) +
                 " is newer than this build supports (" + std::to_string(kCurrentSchemaVersion) +
                 ")"};
  // An old record: walk the chain v -> v+1 -> ... -> current. Rare (records
  // written before an upgrade), so the copies are acceptable.
  std::string upcast;
  while (version < kCurrentSchemaVersion) {
    auto it = upcasters().find(version);
    if (it == upcasters().end())
      return Error{"no upcaster from schema_version " + std::to_string(version)};
    upcast = it->second(payload);
    payload = upcast;
    uint32_t next = 0;
    Reader r(payload);
    if (!read_version(r, next))
      return Error{"upcaster from schema_version " + std::to_string(version) +
                   " produced an unreadable payload: " + r.error()};
    // Guards against an upcaster that forgets to bump "v" (an endless loop).
    if (next != version + 1)
      return Error{"upcaster from schema_version " + std::to_string(version) +
                   " produced schema_version " + std::to_string(next)};
    version = next;
  }
  return decode_current(payload, out);
}

void register_upcaster(uint32_t from_version, Upcaster upcaster) {
  upcasters()[from_version] = std::move(upcaster);
}

void clear_upcasters() { upcasters().clear(); }

}  // namespace lh::events
