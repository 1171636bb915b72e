// The msgpack decoder: a stored payload (layout in msgpack_encode.cc) -> Event,
// on every replay, hand-written over raw bytes because replay speed is bounded
// by it (no msgpack::object tree, no allocation besides the Event's). Payloads
// of older schema versions go through the upcaster chain registered here.
//
// The reader is deliberately more tolerant than the writer, so that payloads
// written by other msgpack writers (or upcasters) decode too: any integer
// width, str or bin for strings, nil for an absent optional, keys in any
// order, unknown keys (any value, nested or not) skipped.
#include "events/msgpack_codec.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "events/msgpack_codec_internal.h"

namespace lh::events {
namespace {

using detail::Reader;
using detail::Where;

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
