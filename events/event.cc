#include "events/event.h"

#include <array>
#include <cstdio>
#include <ctime>

namespace lh::events {

const EventType kAllEventTypes[kEventTypeCount] = {
    EventType::vendor_registered,   EventType::vendor_updated,   EventType::customer_registered,
    EventType::customer_updated,    EventType::customer_deleted, EventType::product_created,
    EventType::product_updated,     EventType::order_placed,     EventType::order_status_changed,
    EventType::review_submitted,    EventType::page_viewed,      EventType::stock_changed,
};

namespace {
constexpr std::array<std::string_view, kEventTypeCount + 1> kTypeNames = {
    "",
    "vendor_registered",
    "vendor_updated",
    "customer_registered",
    "customer_updated",
    "customer_deleted",
    "product_created",
    "product_updated",
    "order_placed",
    "order_status_changed",
    "review_submitted",
    "page_viewed",
    "stock_changed",
};
constexpr std::array<std::string_view, 6> kStatusNames = {"",          "approved",  "shipped",
                                                          "delivered", "cancelled", "returned"};
}  // namespace

std::string_view to_string(EventType t) {
  auto i = static_cast<size_t>(t);
  return i < kTypeNames.size() ? kTypeNames[i] : std::string_view("unknown");
}

std::optional<EventType> event_type_from_string(std::string_view name) {
  for (size_t i = 1; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == name) return static_cast<EventType>(i);
  return std::nullopt;
}

std::string_view to_string(OrderStatus s) {
  auto i = static_cast<size_t>(s);
  return i < kStatusNames.size() ? kStatusNames[i] : std::string_view("unknown");
}

std::optional<OrderStatus> order_status_from_string(std::string_view name) {
  for (size_t i = 1; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == name) return static_cast<OrderStatus>(i);
  return std::nullopt;
}

std::string to_string(const Decimal& d) {
  uint64_t mag = d.units < 0 ? 0 - static_cast<uint64_t>(d.units) : static_cast<uint64_t>(d.units);
  std::string digits = std::to_string(mag);
  if (d.scale > 0) {
    if (digits.size() <= d.scale) digits.insert(0, d.scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - d.scale, 1, '.');
  }
  if (d.units < 0) digits.insert(0, 1, '-');
  return digits;
}

int currency_decimals(std::string_view c) {
  // ISO 4217 minor units where they differ from 2.
  static constexpr std::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF",
                                               "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
                                               "XAF", "XOF", "XPF"};
  static constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (auto z : kZero)
    if (z == c) return 0;
  for (auto t : kThree)
    if (t == c) return 3;
  return 2;
}

bool VendorData::operator==(const VendorData& o) const {
  return vendor_id == o.vendor_id && name == o.name && country == o.country && city == o.city &&
         tier == o.tier && commission_rate == o.commission_rate && status == o.status;
}
bool CustomerData::operator==(const CustomerData& o) const {
  return customer_id == o.customer_id && name == o.name && email == o.email && city == o.city &&
         region == o.region && zip == o.zip && country == o.country && segment == o.segment;
}
bool CustomerDeleted::operator==(const CustomerDeleted& o) const {
  return customer_id == o.customer_id;
}
bool ProductData::operator==(const ProductData& o) const {
  return product_id == o.product_id && name == o.name && category == o.category &&
         brand == o.brand && vendor_id == o.vendor_id && list_price == o.list_price &&
         currency == o.currency && weight_g == o.weight_g;
}
bool OrderLine::operator==(const OrderLine& o) const {
  return line_no == o.line_no && product_id == o.product_id && vendor_id == o.vendor_id &&
         quantity == o.quantity && unit_price == o.unit_price && freight == o.freight;
}
bool OrderPlaced::operator==(const OrderPlaced& o) const {
  return order_id == o.order_id && customer_id == o.customer_id && currency == o.currency &&
         lines == o.lines;
}
bool OrderStatusChanged::operator==(const OrderStatusChanged& o) const {
  return order_id == o.order_id && status == o.status && vendor_id == o.vendor_id &&
         line_no == o.line_no;
}
bool ReviewSubmitted::operator==(const ReviewSubmitted& o) const {
  return review_id == o.review_id && order_id == o.order_id && customer_id == o.customer_id &&
         product_id == o.product_id && vendor_id == o.vendor_id && stars == o.stars &&
         comment == o.comment;
}
bool PageViewed::operator==(const PageViewed& o) const {
  return session_id == o.session_id && url == o.url && http_method == o.http_method &&
         status_code == o.status_code && latency_ms == o.latency_ms &&
         customer_id == o.customer_id && product_id == o.product_id && vendor_id == o.vendor_id;
}
bool StockChanged::operator==(const StockChanged& o) const {
  return vendor_id == o.vendor_id && product_id == o.product_id && warehouse == o.warehouse &&
         quantity == o.quantity;
}
bool Event::operator==(const Event& o) const {
  return event_id == o.event_id && type == o.type && event_time_us == o.event_time_us &&
         schema_version == o.schema_version && data == o.data;
}

size_t data_index_for(EventType t) {
  switch (t) {
    case EventType::vendor_registered:
    case EventType::vendor_updated: return 0;
    case EventType::customer_registered:
    case EventType::customer_updated: return 1;
    case EventType::customer_deleted: return 2;
    case EventType::product_created:
    case EventType::product_updated: return 3;
    case EventType::order_placed: return 4;
    case EventType::order_status_changed: return 5;
    case EventType::review_submitted: return 6;
    case EventType::page_viewed: return 7;
    case EventType::stock_changed: return 8;
  }
  return 0;
}

std::optional<std::string_view> vendor_of(const Event& e) {
  return std::visit(
      [](const auto& d) -> std::optional<std::string_view> {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, VendorData> || std::is_same_v<T, ReviewSubmitted> ||
                      std::is_same_v<T, StockChanged>) {
          return std::string_view(d.vendor_id);
        } else if constexpr (std::is_same_v<T, ProductData> || std::is_same_v<T, PageViewed> ||
                             std::is_same_v<T, OrderStatusChanged>) {
          if (d.vendor_id) return std::string_view(*d.vendor_id);
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, OrderPlaced>) {
          if (d.lines.empty()) return std::nullopt;
          for (const auto& l : d.lines)
            if (l.vendor_id != d.lines.front().vendor_id) return std::nullopt;
          return std::string_view(d.lines.front().vendor_id);
        } else {
          return std::nullopt;
        }
      },
      e.data);
}

namespace {
// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}
bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}
}  // namespace

std::string format_time_us(int64_t t_us) {
  int64_t secs = t_us >= 0 ? t_us / 1000000 : -((-t_us + 999999) / 1000000);
  int64_t frac = t_us - secs * 1000000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                        static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  if (frac % 1000 == 0)
    n += std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(frac / 1000));
  else
    n += std::snprintf(buf + n, sizeof buf - n, ".%06dZ", static_cast<int>(frac));
  return std::string(buf, n);
}

std::optional<int64_t> parse_rfc3339_us(std::string_view s) {
  // YYYY-MM-DD[Tt ]hh:mm:ss[.f{1,9}](Z|z|+hh:mm|-hh:mm)
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > static_cast<int>(days_in_month(y, mo)) || h > 23 ||
      mi > 59 || se > 60)
    return std::nullopt;
  if (se == 60) se = 59;  // leap second: clamp, PostgreSQL does the same
  size_t pos = 19;
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 6) {
        frac_us += (s[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1000000 + frac_us;
}

}  // namespace lh::events
