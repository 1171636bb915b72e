// Dirty data (simulation.h): after a valid line, now and then a bad record,
// either a valid line corrupted or one a buggy producer would write, one for
// each DirtyKind of generator.h in turn, or an earlier line again.
#include "tools/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "tools/generator_catalog.h"

namespace lh::tools::gen {
namespace {

// Position of the first data value: every event's data starts with its
// required id, a string.
size_t first_data_value(const std::string& s) {
  const size_t data = s.find("\"data\":{\"");
  return s.find("\":\"", data + 9) + 3;
}

void replace_value(std::string& s, std::string_view key_prefix, std::string_view value) {
  const size_t p = s.find(key_prefix) + key_prefix.size();
  s.replace(p, s.find('"', p) - p, value);
}

}  // namespace

// After a valid line, with probability dirty_p_, one bad record follows:
// the kinds in turn, the duplicate last. Its own random stream and its own
// ids ("e<seed>-x<n>") leave the valid events untouched.
void Simulation::add_dirty_records() {
  const std::string_view line(buf_.data() + line_start_, buf_.size() - line_start_ - 1);
  recent_[recent_next_++ % kRecent].assign(line.data(), line.size());
  if (!dirty_rng_.chance(dirty_p_)) return;
  const int kind = static_cast<int>(dirty_counter_++ % (kDirtyKindCount + 1));
  if (kind == kDirtyKindCount) {  // an earlier line again, byte for byte: a producer retry
    const std::string& again = recent_[dirty_rng_.below(std::min<uint64_t>(recent_next_, kRecent))];
    append(again);
    buf_.push_back('\n');
    ++summary_.duplicates;
  } else {
    scratch_.assign(line.data(), line.size());
    corrupt(static_cast<DirtyKind>(kind), scratch_);
    append(scratch_);
    buf_.push_back('\n');
    ++summary_.invalid_by_kind[kind];
  }
  ++summary_.lines;
}

void Simulation::corrupt(DirtyKind kind, std::string& s) {
  Rng& r = dirty_rng_;
  switch (kind) {
    case DirtyKind::truncated_json: {  // cut at a character boundary, so it stays valid UTF-8
      size_t cut = 1 + r.below(s.size() - 1);
      while (cut > 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
      s.resize(cut);
      return;
    }
    case DirtyKind::invalid_utf8: {
      static constexpr std::string_view kBad[] = {"\xC3\x28", "\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82"};
      s.insert(first_data_value(s) + 1, kBad[r.below(5)]);
      return;
    }
    case DirtyKind::missing_field: {
      const size_t p = s.find("\"data\":{") + 8;
      size_t e = s.find('"', s.find("\":\"", p) + 3) + 1;
      if (s[e] == ',') ++e;
      s.erase(p, e - p);
      return;
    }
    case DirtyKind::unknown_type: {
      static constexpr std::string_view kTypes[] = {"order_refunded", "cart_abandoned", "OrderPlaced",
                                                    "page_view", "vendor_registred"};
      replace_value(s, "\"type\":\"", kTypes[r.below(5)]);
      return;
    }
    case DirtyKind::bad_timestamp: {
      static constexpr std::string_view kTimes[] = {"2026-13-01T08:15:00Z", "2026-11-31T10:00:00.000Z",
                                                    "01/11/2026 08:15", "2026-11-01T25:00:00Z", "yesterday",
                                                    ""};
      replace_value(s, "\"event_time\":\"", kTimes[r.below(6)]);
      return;
    }
    case DirtyKind::empty_id: {
      if (r.chance(0.5)) {
        replace_value(s, "{\"event_id\":\"", "");
      } else {
        const size_t p = first_data_value(s);
        s.erase(p, s.find('"', p) - p);
      }
      return;
    }
    default:
      return synthesize(kind, s);
  }
}

// Records a buggy producer would send: well-formed JSON, one bad value.
void Simulation::synthesize(DirtyKind kind, std::string& s) {
  Rng& r = dirty_rng_;
  const uint64_t n = ++dirty_id_counter_;
  const uint32_t j = static_cast<uint32_t>(r.below(products_.size()));
  const Product& p = products_[j];
  const uint64_t customer = 1 + r.below(std::max<size_t>(registered_, 1));
  s.clear();
  auto o = std::back_inserter(s);
  const auto head = [&](std::string_view type) {
    fmt::format_to(o, "{{\"event_id\":\"e{}-x{}\",\"type\":\"{}\",\"event_time\":\"", tag_, n, type);
    char time[24];
    s.append(time_text(now_, time));
    s.append("\",\"schema_version\":1,\"data\":{");
  };
  const auto order = [&](std::string_view quantity, std::string_view price) {
    head("order_placed");
    fmt::format_to(o,
                   "\"order_id\":\"O-{}-x{}\",\"customer_id\":\"C-{}\",\"currency\":\"EUR\",\"lines\":"
                   "[{{\"line_no\":1,\"product_id\":\"P-{}\",\"vendor_id\":\"V-{}\",\"quantity\":{},"
                   "\"unit_price\":\"{}\",\"freight\":\"0.00\"}}]}}}}",
                   tag_, n, customer, j + 1, p.vendor + 1, quantity, price);
  };
  const auto product = [&](std::string_view price) {
    head("product_updated");
    fmt::format_to(o, "\"product_id\":\"P-{}\",\"list_price\":\"{}\",\"currency\":\"EUR\"}}}}", j + 1, price);
  };
  const std::string price = fmt::format("{}.{:02}", p.price_cents / 100, p.price_cents % 100);
  switch (kind) {
    case DirtyKind::bad_quantity:
      if (r.chance(0.6)) {
        order(r.chance(0.5) ? "0" : fmt::format("-{}", r.between(1, 3)), price);
      } else {
        head("stock_changed");
        fmt::format_to(o, "\"vendor_id\":\"V-{}\",\"product_id\":\"P-{}\",\"warehouse\":\"WH-{}-1\",\"quantity\":-{}}}}}",
                       p.vendor + 1, j + 1, kCities[vendors_[p.vendor].city].code, r.between(1, 5));
      }
      return;
    case DirtyKind::bad_stars: {
      static constexpr int kStars[] = {0, 7, 6, -1, 10};
      head("review_submitted");
      fmt::format_to(o,
                     "\"review_id\":\"R-{}-x{}\",\"customer_id\":\"C-{}\",\"product_id\":\"P-{}\","
                     "\"vendor_id\":\"V-{}\",\"stars\":{}}}}}",
                     tag_, n, customer, j + 1, p.vendor + 1, kStars[r.below(5)]);
      return;
    }
    case DirtyKind::money_too_precise: {
      const std::string precise = fmt::format("{}{}", price, 1 + r.below(9));  // "19.905"
      if (r.chance(0.6)) order("1", precise);
      else product(precise);
      return;
    }
    case DirtyKind::money_not_a_number: {
      static constexpr std::string_view kMoney[] = {"abc", "12,50", "€19.90", "N/A"};
      const std::string_view bad = kMoney[r.below(4)];
      if (r.chance(0.6)) order("1", bad);
      else product(bad);
      return;
    }
    default:
      return;
  }
}

}  // namespace lh::tools::gen
