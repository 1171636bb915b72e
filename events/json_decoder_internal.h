// Internal to lh_events, not its face: what json_decoder.cc (driver, envelope),
// json_event_data.cc (per-type data) and json_diagnostics.cc (rejection text)
// share. The field readers are inline, so they still inline into each reader.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "events/event.h"
#include "events/json_decoder.h"
#include "events/validate.h"

namespace lh::events::detail {

namespace dom = simdjson::dom;
using simdjson::dom::element_type;

inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// ---------------------------------------------------------------------------
// Messages

// A JSON path, rendered only when a rejection needs it: parent[index].name.
struct Path {
  std::string_view parent;  // "", "data", "data.lines"
  int64_t index = -1;       // element of parent, when parent is an array
  std::string_view name;    // member name; empty for the element itself

  std::string str() const {
    std::string s(parent);
    if (index >= 0) fmt::format_to(std::back_inserter(s), "[{}]", index);
    if (!name.empty()) {
      if (!s.empty()) s += '.';
      s += name;
    }
    return s;
  }
};

// Text for messages (json_diagnostics.cc; error paths only).
std::string quote(std::string_view v);       // "..." cut and escaped, one line of valid UTF-8
std::string_view type_name(element_type t);  // "integer", "object", ...
std::string show(dom::element e);            // a scalar as its JSON text

// The rejection being built for the current record.
class Ctx {
 public:
  explicit Ctx(Rejection& why) : why_(why) {}

  // Always returns false, so a check can `return c.fail(...)`.
  bool fail(RejectCode code, const Path& path, std::string_view what) {
    why_.code = code;
    why_.field = path.str();
    why_.message.clear();
    if (!why_.field.empty()) {
      why_.message += why_.field;
      why_.message += ": ";
    }
    why_.message += what;
    return false;
  }
  bool wrong_type(const Path& path, std::string_view expected, dom::element got) {
    if (got.type() == element_type::DOUBLE)  // "expected integer, got number 2.5"
      return fail(RejectCode::wrong_type, path, fmt::format("expected {}, got number {}", expected, show(got)));
    return fail(RejectCode::wrong_type, path,
                fmt::format("expected {}, got {}", expected, type_name(got.type())));
  }

 private:
  Rejection& why_;
};

// Why a record is not JSON (json_diagnostics.cc; error path only).
size_t first_invalid_utf8(std::string_view s, const char*& why);
std::string explain_bad_json(std::string_view s, simdjson::error_code err);

// ---------------------------------------------------------------------------
// Decimals

enum class DecimalError { none, syntax, negative, too_precise, overflow };

// Parses a plain decimal ("19.90", "5", "0.5", "-1") at exactly `scale`
// digits after the point. Extra fraction digits are allowed only when they
// are zeros (19.900 is 19.90 exactly). No exponent, no sign other than a
// leading '-', no spaces: producers that send money as text send it plainly.
inline DecimalError parse_decimal(std::string_view s, int scale, int64_t& units) {
  size_t i = 0;
  const size_t n = s.size();
  const bool neg = n > 0 && s[0] == '-';
  if (neg) ++i;
  const size_t int_start = i;
  uint64_t v = 0;
  bool overflow = false;
  auto push = [&](char digit) {
    if (v > (static_cast<uint64_t>(kInt64Max) - (digit - '0')) / 10) overflow = true;
    else v = v * 10 + static_cast<uint64_t>(digit - '0');
  };
  while (i < n && s[i] >= '0' && s[i] <= '9') push(s[i++]);
  if (i == int_start) return DecimalError::syntax;
  int frac = 0;
  bool too_precise = false;
  if (i < n && s[i] == '.') {
    const size_t frac_start = ++i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (frac < scale) {
        push(s[i]);
        ++frac;
      } else if (s[i] != '0') {
        too_precise = true;
      }
    }
    if (i == frac_start) return DecimalError::syntax;
  }
  if (i != n) return DecimalError::syntax;
  for (; frac < scale; ++frac) push('0');
  if (neg && (v != 0 || overflow || too_precise)) return DecimalError::negative;
  if (too_precise) return DecimalError::too_precise;
  if (overflow) return DecimalError::overflow;
  units = static_cast<int64_t>(v);
  return DecimalError::none;
}

// How a money or rate field is judged; the messages differ, the parsing not.
struct DecimalRule {
  int scale;
  RejectCode code;
  std::string_view currency;  // for messages; empty for rates
  int64_t max_units;          // inclusive
};

// A JSON string or number -> Decimal at rule.scale. A double is never used
// for arithmetic: its shortest round-trip text (what the producer most likely
// wrote) is parsed as a decimal instead.
inline bool parse_decimal_element(Ctx& c, const Path& p, dom::element e, const DecimalRule& rule,
                                  Decimal& out) {
  char buf[40];
  std::string_view text;
  switch (e.type()) {
    case element_type::STRING: text = e.get_string().value_unsafe(); break;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      auto r = e.type() == element_type::DOUBLE
                   ? fmt::format_to_n(buf, sizeof buf, "{}", e.get_double().value_unsafe())
                   : e.type() == element_type::INT64
                         ? fmt::format_to_n(buf, sizeof buf, "{}", e.get_int64().value_unsafe())
                         : fmt::format_to_n(buf, sizeof buf, "{}", e.get_uint64().value_unsafe());
      text = std::string_view(buf, std::min(r.size, sizeof buf));
      break;
    }
    default: return c.wrong_type(p, "decimal string or number", e);
  }
  int64_t units = 0;
  DecimalError err = parse_decimal(text, rule.scale, units);
  if (err == DecimalError::none && units > rule.max_units) err = DecimalError::overflow;
  const bool money = rule.code == RejectCode::bad_money;
  switch (err) {
    case DecimalError::none:
      out.units = units;
      out.scale = static_cast<uint8_t>(rule.scale);
      return true;
    case DecimalError::syntax:
      return c.fail(rule.code, p, fmt::format("not a plain decimal number: {}", show(e)));
    case DecimalError::negative:
      return c.fail(rule.code, p, fmt::format(money ? "must be >= 0, got {}" : "must be 0..1, got {}", show(e)));
    case DecimalError::too_precise:
      if (!money) return c.fail(rule.code, p, fmt::format("at most {} decimals, got {}", rule.scale, show(e)));
      return c.fail(rule.code, p,
                    fmt::format("{} allows at most {} decimals, got {}", rule.currency, rule.scale, show(e)));
    case DecimalError::overflow:
      return c.fail(rule.code, p, fmt::format(money ? "out of range, got {}" : "must be 0..1, got {}", show(e)));
  }
  return false;
}

// ---------------------------------------------------------------------------
// Scalars

inline bool parse_string(Ctx& c, const Path& p, dom::element e, std::string& out) {
  if (e.type() != element_type::STRING) return c.wrong_type(p, "string", e);
  std::string_view v = e.get_string().value_unsafe();
  out.assign(v.data(), v.size());
  return true;
}

inline bool parse_id(Ctx& c, const Path& p, dom::element e, std::string& out) {
  if (!parse_string(c, p, e, out)) return false;
  if (out.empty()) return c.fail(RejectCode::empty_id, p, "must not be empty");
  return true;
}

inline bool parse_code(Ctx& c, const Path& p, dom::element e, bool (*valid)(std::string_view),
                       std::string_view what, std::string& out) {
  if (!parse_string(c, p, e, out)) return false;
  if (!valid(out)) return c.fail(RejectCode::bad_value, p, fmt::format("expected {}, got {}", what, quote(out)));
  return true;
}

inline bool parse_currency(Ctx& c, const Path& p, dom::element e, std::string& out) {
  return parse_code(c, p, e, is_currency_code, "3 uppercase letters (ISO 4217)", out);
}
inline bool parse_country(Ctx& c, const Path& p, dom::element e, std::string& out) {
  return parse_code(c, p, e, is_country_code, "2 uppercase letters (ISO 3166-1 alpha-2)", out);
}

// An integer in [min, max]; out of range -> `code`. 2.0 is not an integer:
// JSON written with a fraction or exponent is a producer sending the wrong type.
template <class Int>
bool parse_int(Ctx& c, const Path& p, dom::element e, int64_t min, int64_t max, RejectCode code,
               Int& out) {
  std::string rule;
  switch (e.type()) {
    case element_type::INT64: {
      int64_t v = e.get_int64().value_unsafe();
      if (v >= min && v <= max) {
        out = static_cast<Int>(v);
        return true;
      }
      if (max == kInt64Max || max == kInt32Max)
        rule = v < min ? (min == 1 ? std::string("must be > 0") : fmt::format("must be >= {}", min))
                       : fmt::format("must be <= {}", max);
      break;
    }
    case element_type::UINT64:  // always above INT64_MAX, so above max
      if (max == kInt64Max || max == kInt32Max) rule = fmt::format("must be <= {}", max);
      break;
    default: return c.wrong_type(p, "integer", e);
  }
  if (rule.empty()) rule = fmt::format("must be {}..{}", min, max);
  return c.fail(code, p, fmt::format("{}, got {}", rule, show(e)));
}

// One of a fixed set of names; `names` is the list as shown in the message.
inline bool parse_choice(Ctx& c, const Path& p, dom::element e, bool (*valid)(std::string_view),
                         std::string_view names, std::string& out) {
  if (!parse_string(c, p, e, out)) return false;
  if (!valid(out))
    return c.fail(RejectCode::bad_value, p, fmt::format("expected one of {}; got {}", names, quote(out)));
  return true;
}

// ---------------------------------------------------------------------------
// Objects

// The known members of one JSON object, found in a single pass over it;
// unknown members are skipped (forward compatibility). Readers come in two
// flavours chosen by the output's type: T for a required member (absent or
// null -> missing_field), std::optional<T> for an optional one (absent or null
// -> nullopt). Outputs are assigned in place, so a reused Event keeps its
// strings' capacity.
template <size_t N>
class Members {
 public:
  static_assert(N <= 32, "present_ is a 32-bit mask");

  Members(Ctx& c, const std::array<std::string_view, N>& names, std::string_view parent,
          int64_t index = -1)
      : c_(c), names_(names), parent_(parent), index_(index) {}

  // A key given twice is rejected: parsers disagree on which one wins, and the
  // event must mean the same to every reader of the raw record.
  bool collect(dom::object obj) {
    for (dom::key_value_pair kv : obj) {
      for (size_t i = 0; i < N; ++i) {
        // Size and first byte first: most keys differ there, and memcmp's
        // call costs more than the comparison itself at these lengths.
        const std::string_view name = names_[i];
        if (kv.key.size() != name.size() || kv.key[0] != name[0] ||
            std::memcmp(kv.key.data(), name.data(), name.size()) != 0)
          continue;
        if (present_ & (1u << i)) return c_.fail(RejectCode::bad_value, path(i), "duplicate key");
        present_ |= 1u << i;
        el_[i] = kv.value;
        break;
      }
    }
    return true;
  }

  Path path(size_t i) const { return Path{parent_, index_, names_[i]}; }

  template <class T>
  bool id(size_t i, T& out) {
    return read(i, out, [](Ctx& c, const Path& p, dom::element e, std::string& o) { return parse_id(c, p, e, o); });
  }
  template <class T>
  bool text(size_t i, T& out) {
    return read(i, out, [](Ctx& c, const Path& p, dom::element e, std::string& o) { return parse_string(c, p, e, o); });
  }
  template <class T>
  bool currency(size_t i, T& out) {
    return read(i, out, parse_currency);
  }
  template <class T>
  bool country(size_t i, T& out) {
    return read(i, out, parse_country);
  }
  template <class T>
  bool choice(size_t i, T& out, bool (*valid)(std::string_view), std::string_view names) {
    return read(i, out, [&](Ctx& c, const Path& p, dom::element e, std::string& o) {
      return parse_choice(c, p, e, valid, names, o);
    });
  }
  template <class T>
  bool integer(size_t i, T& out, int64_t min, int64_t max, RejectCode code) {
    return read(i, out, [&](Ctx& c, const Path& p, dom::element e, auto& o) {
      return parse_int(c, p, e, min, max, code, o);
    });
  }
  template <class T>
  bool decimal(size_t i, T& out, const DecimalRule& rule) {
    return read(i, out, [&](Ctx& c, const Path& p, dom::element e, Decimal& o) {
      return parse_decimal_element(c, p, e, rule, o);
    });
  }
  // The member's value, or nullptr when it is absent or null.
  const dom::element* get(size_t i) const {
    if (!(present_ & (1u << i)) || el_[i].type() == element_type::NULL_VALUE) return nullptr;
    return &el_[i];
  }
  // A required member's value; nullptr (and a missing_field rejection) when
  // it is absent or null.
  const dom::element* required(size_t i) {
    if (!(present_ & (1u << i))) {
      c_.fail(RejectCode::missing_field, path(i), "required field is missing");
      return nullptr;
    }
    if (el_[i].type() == element_type::NULL_VALUE) {
      c_.fail(RejectCode::missing_field, path(i), "required field is null");
      return nullptr;
    }
    return &el_[i];
  }

 private:
  template <class T, class Parse>
  bool read(size_t i, T& out, Parse&& parse) {
    const dom::element* e = required(i);
    return e && parse(c_, path(i), *e, out);
  }
  template <class T, class Parse>
  bool read(size_t i, std::optional<T>& out, Parse&& parse) {
    if (!(present_ & (1u << i)) || el_[i].type() == element_type::NULL_VALUE) {
      out.reset();
      return true;
    }
    if (!out) out.emplace();
    return parse(c_, path(i), el_[i], *out);
  }

  Ctx& c_;
  const std::array<std::string_view, N>& names_;
  std::string_view parent_;
  int64_t index_;
  uint32_t present_ = 0;
  std::array<dom::element, N> el_;
};

// The data of an event (json_event_data.cc): reads `obj` into the alternative
// of `data` that `type` names, reusing it when `data` already holds it.
bool decode_data(Ctx& c, EventType type, dom::object obj, EventData& data,
                 std::vector<std::pair<int32_t, size_t>>& scratch);

}  // namespace lh::events::detail
