// Event -> the canonical contract JSON of DESIGN.md, appended to a string.
// Canonical means: one fixed key order (envelope, then data fields in the
// contract's order), absent optionals omitted, money and commission_rate as
// strings at their scale, event_time as RFC 3339 UTC (format_time_us), and
// latency_ms in the shortest text that reads back to the same double. So
// JsonDecoder(append_json(e)) == e, and equal events give equal bytes.
#include "events/json_encoder.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <iterator>

namespace lh::events {

namespace {

// 1 for bytes that need escaping inside a JSON string: '"', '\\' and the
// control characters U+0000..U+001F. Everything else, UTF-8 sequences
// included, is copied as is.
constexpr std::array<bool, 256> make_escape_table() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}
constexpr std::array<bool, 256> kNeedsEscape = make_escape_table();

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  // Writes `"key":` with a leading comma for every field but the first of an object.
  void key(std::string_view k) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(k);  // keys are our own identifiers: never need escaping
    out_.append("\":", 2);
  }
  void open() {
    out_.push_back('{');
    first_ = true;
  }
  void close() {
    out_.push_back('}');
    first_ = false;
  }
  void open_array() {
    out_.push_back('[');
    first_ = true;
  }
  void close_array() {
    out_.push_back(']');
    first_ = false;
  }
  // Separates array elements (objects in "lines").
  void element() {
    if (!first_) out_.push_back(',');
    first_ = true;
  }

  void field(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(v, out_);
  }
  void field(std::string_view k, const std::string& v) { field(k, std::string_view(v)); }
  void field(std::string_view k, const Decimal& v) {
    key(k);
    out_.push_back('"');
    out_.append(to_string(v));
    out_.push_back('"');
  }
  void field_int(std::string_view k, int64_t v) {
    key(k);
    fmt::format_int text(v);  // no format-string parsing: cheaper than format_to
    out_.append(text.data(), text.size());
  }
  void field_double(std::string_view k, double v) {
    key(k);
    // JSON has no NaN or infinity. The decoder never produces them (latency_ms
    // >= 0); should an Event carry one anyway, null keeps the output valid
    // JSON and the decoder rejects it rather than misreading it.
    if (std::isfinite(v))
      fmt::format_to(std::back_inserter(out_), "{}", v);
    else
      out_.append("null", 4);
  }
  void field(std::string_view k, const std::optional<std::string>& v) {
    if (v) field(k, *v);
  }
  void field(std::string_view k, const std::optional<Decimal>& v) {
    if (v) field(k, *v);
  }
  template <class I>
  void field_int(std::string_view k, const std::optional<I>& v) {
    if (v) field_int(k, *v);
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void write_data(JsonWriter& w, const VendorData& d) {
  w.field("vendor_id", d.vendor_id);
  w.field("name", d.name);
  w.field("country", d.country);
  w.field("city", d.city);
  w.field("tier", d.tier);
  w.field("commission_rate", d.commission_rate);
  w.field("status", d.status);
}
void write_data(JsonWriter& w, const CustomerData& d) {
  w.field("customer_id", d.customer_id);
  w.field("name", d.name);
  w.field("email", d.email);
  w.field("city", d.city);
  w.field("region", d.region);
  w.field("zip", d.zip);
  w.field("country", d.country);
  w.field("segment", d.segment);
}
void write_data(JsonWriter& w, const CustomerDeleted& d) { w.field("customer_id", d.customer_id); }
void write_data(JsonWriter& w, const ProductData& d) {
  w.field("product_id", d.product_id);
  w.field("name", d.name);
  w.field("category", d.category);
  w.field("brand", d.brand);
  w.field("vendor_id", d.vendor_id);
  w.field("list_price", d.list_price);
  w.field("currency", d.currency);
  w.field_int("weight_g", d.weight_g);
}
void write_data(JsonWriter& w, const OrderPlaced& d) {
  w.field("order_id", d.order_id);
  w.field("customer_id", d.customer_id);
  w.field("currency", d.currency);
  w.key("lines");
  w.open_array();
  for (const OrderLine& l : d.lines) {
    w.element();
    w.open();
    w.field_int("line_no", l.line_no);
    w.field("product_id", l.product_id);
    w.field("vendor_id", l.vendor_id);
    w.field_int("quantity", l.quantity);
    w.field("unit_price", l.unit_price);
    w.field("freight", l.freight);
    w.close();
  }
  w.close_array();
}
void write_data(JsonWriter& w, const OrderStatusChanged& d) {
  w.field("order_id", d.order_id);
  w.field("status", to_string(d.status));
  w.field("vendor_id", d.vendor_id);
  w.field_int("line_no", d.line_no);
}
void write_data(JsonWriter& w, const ReviewSubmitted& d) {
  w.field("review_id", d.review_id);
  w.field("order_id", d.order_id);
  w.field("customer_id", d.customer_id);
  w.field("product_id", d.product_id);
  w.field("vendor_id", d.vendor_id);
  w.field_int("stars", d.stars);
  w.field("comment", d.comment);
}
void write_data(JsonWriter& w, const PageViewed& d) {
  w.field("session_id", d.session_id);
  w.field("url", d.url);
  w.field("http_method", d.http_method);
  w.field_int("status_code", d.status_code);
  w.field_double("latency_ms", d.latency_ms);
  w.field("customer_id", d.customer_id);
  w.field("product_id", d.product_id);
  w.field("vendor_id", d.vendor_id);
}
void write_data(JsonWriter& w, const StockChanged& d) {
  w.field("vendor_id", d.vendor_id);
  w.field("product_id", d.product_id);
  w.field("warehouse", d.warehouse);
  w.field_int("quantity", d.quantity);
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Copy runs of plain bytes in one append; most strings are a single run.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"') {
      out.append("\\\"", 2);
    } else if (c == '\\') {
      out.append("\\\\", 2);
    } else {
      // Every control character as \u00XX: one rule, valid everywhere.
      char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(esc, 6);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void append_json(const Event& e, std::string& out, std::string_view leading_fields) {
  JsonWriter w(out);
  out.push_back('{');
  out.append(leading_fields);
  // The header's example ends with a comma ("\"seq\":7,"); accept the
  // natural mistake of leaving it out rather than emit invalid JSON.
  if (!leading_fields.empty() && leading_fields.back() != ',') out.push_back(',');
  w.field("event_id", e.event_id);
  w.field("type", to_string(e.type));
  w.field("event_time", format_time_us(e.event_time_us));
  w.field_int("schema_version", e.schema_version);
  w.key("data");
  w.open();
  std::visit([&w](const auto& d) { write_data(w, d); }, e.data);
  w.close();
  out.push_back('}');
}

}  // namespace lh::events
