// JSON record -> Event. simdjson's DOM parser does the parsing (it validates
// UTF-8 and JSON in one pass); this file maps the DOM onto the typed event and
// enforces the contract's rules, with messages that name the JSON path. Only
// rejected records pay for message formatting and for the diagnosis of why a
// record is not JSON.
#include "events/json_decoder.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "events/validate.h"

namespace lh::events {

static_assert(kDecodePadding >= simdjson::SIMDJSON_PADDING,
              "callers' padding must satisfy simdjson's read-ahead");

std::string_view to_string(RejectCode code) {
  switch (code) {
    case RejectCode::bad_json: return "bad_json";
    case RejectCode::invalid_utf8: return "invalid_utf8";
    case RejectCode::oversized: return "oversized";
    case RejectCode::missing_field: return "missing_field";
    case RejectCode::wrong_type: return "wrong_type";
    case RejectCode::unknown_type: return "unknown_type";
    case RejectCode::bad_timestamp: return "bad_timestamp";
    case RejectCode::bad_quantity: return "bad_quantity";
    case RejectCode::bad_stars: return "bad_stars";
    case RejectCode::bad_money: return "bad_money";
    case RejectCode::empty_id: return "empty_id";
    case RejectCode::bad_value: return "bad_value";
    case RejectCode::unsupported_version: return "unsupported_version";
    case RejectCode::duplicate_event: return "duplicate_event";
    case RejectCode::projection_error: return "projection_error";
  }
  return "unknown";
}

namespace {

namespace dom = simdjson::dom;
using simdjson::dom::element_type;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
// Offending values are quoted in messages, cut to about this many bytes.
constexpr size_t kQuoteBytes = 40;

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

// `v` as a JSON-style quoted string for a message, cut at a character
// boundary and with control characters escaped, so a message stays one
// readable line of valid UTF-8.
std::string quote(std::string_view v) {
  bool cut = false;
  if (v.size() > kQuoteBytes) {
    size_t n = kQuoteBytes;
    while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
    v = v.substr(0, n);
    cut = true;
  }
  std::string s = "\"";
  for (char ch : v) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      s += '\\';
      s += ch;
    } else if (u < 0x20 || u == 0x7F) {
      fmt::format_to(std::back_inserter(s), "\\u{:04x}", u);
    } else {
      s += ch;
    }
  }
  s += cut ? "...\"" : "\"";
  return s;
}

std::string_view type_name(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::INT64:
    case element_type::UINT64: return "integer";
    case element_type::DOUBLE: return "number";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

// A scalar's JSON text for a message: strings quoted, numbers as written
// (doubles in their shortest round-trip form).
std::string show(dom::element e) {
  switch (e.type()) {
    case element_type::STRING: return quote(e.get_string().value_unsafe());
    case element_type::INT64: return fmt::format("{}", e.get_int64().value_unsafe());
    case element_type::UINT64: return fmt::format("{}", e.get_uint64().value_unsafe());
    case element_type::DOUBLE: return fmt::format("{}", e.get_double().value_unsafe());
    case element_type::BOOL: return e.get_bool().value_unsafe() ? "true" : "false";
    default: return std::string(type_name(e.type()));
  }
}

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

// ---------------------------------------------------------------------------
// Why a record is not JSON (error path only)

// Offset of the first byte not part of a well-formed UTF-8 sequence (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), and the reason.
size_t first_invalid_utf8(std::string_view s, const char*& why) {
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    } else if ((b & 0xC0) == 0x80) {
      why = "unexpected continuation byte";
      return i;
    } else {
      why = "byte 0xF8..0xFF never occurs in UTF-8";
      return i;
    }
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= n || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        why = "truncated multi-byte sequence";
        return i;
      }
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    if (cp < min) {
      why = "overlong encoding";
      return i;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      why = "encoded UTF-16 surrogate";
      return i;
    }
    if (cp > 0x10FFFF) {
      why = "code point above U+10FFFF";
      return i;
    }
    i += len;
  }
  why = "";
  return n;
}

// Re-reads a record simdjson refused, with a plain JSON grammar scanner, to
// say what is wrong in words: "truncated JSON: unclosed object" when the
// record is a valid prefix of JSON, else the byte offset of the first
// grammar error. Errors the grammar cannot see (a number out of range, a lone
// surrogate escape, nesting too deep) fall back to simdjson's own verdict.
std::string explain_bad_json(std::string_view s, simdjson::error_code err) {
  enum State { kValue, kValueOrClose, kKeyOrClose, kKey, kColon, kAfterValue };
  const size_t n = s.size();
  std::string stack;  // open containers, '{' or '['
  State st = kValue;
  size_t i = 0;

  auto truncated = [&]() -> std::string {
    if (stack.empty()) return "truncated JSON: incomplete value";
    return stack.back() == '{' ? "truncated JSON: unclosed object" : "truncated JSON: unclosed array";
  };
  auto bad = [](size_t at, std::string_view what) {
    return fmt::format("invalid JSON at byte offset {}: {}", at, what);
  };
  auto is_digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };

  for (;;) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    if (i == n) {
      if (!stack.empty()) return truncated();
      if (st == kValue) return "invalid JSON: empty record";
      break;  // a complete value: the grammar is fine
    }
    const char ch = s[i];
    switch (st) {
      case kKeyOrClose:
      case kKey:
        if (st == kKeyOrClose && ch == '}') {
          stack.pop_back();
          ++i;
          st = kAfterValue;
          continue;
        }
        if (ch != '"')
          return bad(i, st == kKeyOrClose ? "expected a string key or '}'" : "expected a string key");
        break;  // scanned as a string below
      case kColon:
        if (ch != ':') return bad(i, "expected ':' after the key");
        ++i;
        st = kValue;
        continue;
      case kAfterValue:
        if (stack.empty()) return bad(i, "trailing content after the JSON value");
        if (ch == ',') {
          ++i;
          st = stack.back() == '{' ? kKey : kValue;
          continue;
        }
        if (ch == (stack.back() == '{' ? '}' : ']')) {
          stack.pop_back();
          ++i;
          continue;
        }
        return bad(i, stack.back() == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
      case kValueOrClose:
        if (ch == ']') {
          stack.pop_back();
          ++i;
          st = kAfterValue;
          continue;
        }
        [[fallthrough]];
      case kValue:
        if (ch == '{' || ch == '[') {
          stack += ch;
          ++i;
          st = ch == '{' ? kKeyOrClose : kValueOrClose;
          continue;
        }
        break;
    }
    // A scalar (or a key) starts at i.
    const size_t start = i;
    const bool key = st == kKeyOrClose || st == kKey;
    if (ch == '"') {
      for (++i;; ++i) {
        if (i >= n) return "truncated JSON: unclosed string";
        const auto u = static_cast<unsigned char>(s[i]);
        if (u == '"') break;
        if (u < 0x20) return bad(i, "unescaped control character in a string");
        if (u != '\\') continue;
        if (++i >= n) return "truncated JSON: unclosed string";
        if (s[i] == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i >= n) return "truncated JSON: unclosed string";
            if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return bad(i, "invalid \\u escape");
          }
        } else if (!std::strchr("\"\\/bfnrt", s[i]) || s[i] == '\0') {
          return bad(i, "invalid escape in a string");
        }
      }
      ++i;
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
      if (s[i] == '-') ++i;
      if (i >= n) return truncated();
      if (s[i] == '0') {
        ++i;
      } else if (is_digit(i)) {
        while (is_digit(i)) ++i;
      } else {
        return bad(i, "invalid number");
      }
      if (i < n && s[i] == '.') {
        if (++i >= n) return truncated();
        if (!is_digit(i)) return bad(i, "invalid number");
        while (is_digit(i)) ++i;
      }
      if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-')) ++i;
        if (i >= n) return truncated();
        if (!is_digit(i)) return bad(i, "invalid number");
        while (is_digit(i)) ++i;
      }
    } else if (ch == 't' || ch == 'f' || ch == 'n') {
      const std::string_view lit = ch == 't' ? "true" : ch == 'f' ? "false" : "null";
      for (char want : lit) {
        if (i >= n) return truncated();
        if (s[i] != want) return bad(start, "invalid literal");
        ++i;
      }
    } else {
      return bad(i, "expected a value");
    }
    st = key ? kColon : kAfterValue;
  }
  switch (err) {
    case simdjson::NUMBER_ERROR: return "invalid JSON: a number is out of range";
    case simdjson::DEPTH_ERROR: return "invalid JSON: nested too deeply";
    case simdjson::STRING_ERROR: return "invalid JSON: invalid string escape (lone surrogate?)";
    default: return fmt::format("invalid JSON: {}", simdjson::error_message(err));
  }
}

// ---------------------------------------------------------------------------
// Decimals

enum class DecimalError { none, syntax, negative, too_precise, overflow };

// Parses a plain decimal ("19.90", "5", "0.5", "-1") at exactly `scale`
// digits after the point. Extra fraction digits are allowed only when they
// are zeros (19.900 is 19.90 exactly). No exponent, no sign other than a
// leading '-', no spaces: producers that send money as text send it plainly.
DecimalError parse_decimal(std::string_view s, int scale, int64_t& units) {
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
bool parse_decimal_element(Ctx& c, const Path& p, dom::element e, const DecimalRule& rule,
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

bool parse_string(Ctx& c, const Path& p, dom::element e, std::string& out) {
  if (e.type() != element_type::STRING) return c.wrong_type(p, "string", e);
  std::string_view v = e.get_string().value_unsafe();
  out.assign(v.data(), v.size());
  return true;
}

bool parse_id(Ctx& c, const Path& p, dom::element e, std::string& out) {
  if (!parse_string(c, p, e, out)) return false;
  if (out.empty()) return c.fail(RejectCode::empty_id, p, "must not be empty");
  return true;
}

bool parse_code(Ctx& c, const Path& p, dom::element e, bool (*valid)(std::string_view),
                std::string_view what, std::string& out) {
  if (!parse_string(c, p, e, out)) return false;
  if (!valid(out)) return c.fail(RejectCode::bad_value, p, fmt::format("expected {}, got {}", what, quote(out)));
  return true;
}

bool parse_currency(Ctx& c, const Path& p, dom::element e, std::string& out) {
  return parse_code(c, p, e, is_currency_code, "3 uppercase letters (ISO 4217)", out);
}
bool parse_country(Ctx& c, const Path& p, dom::element e, std::string& out) {
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
bool parse_choice(Ctx& c, const Path& p, dom::element e, bool (*valid)(std::string_view),
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

// The variant's alternative T, reusing the one `out` holds when it matches.
template <class T>
T& data_as(EventData& d) {
  if (auto* p = std::get_if<T>(&d)) return *p;
  return d.emplace<T>();
}

constexpr DecimalRule money_rule(std::string_view currency, int decimals) {
  return DecimalRule{decimals, RejectCode::bad_money, currency, kInt64Max};
}

// ---------------------------------------------------------------------------
// data, per type (field order as in DESIGN.md's table, which is also the
// order in which problems are reported)

bool decode_vendor(Ctx& c, dom::object obj, VendorData& d) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "vendor_id", "name", "country", "city", "tier", "commission_rate", "status"};
  Members<7> m(c, kNames, "data");
  static constexpr DecimalRule kRate{kCommissionRateScale, RejectCode::bad_value, "", 1000000};
  return m.collect(obj) && m.id(0, d.vendor_id) && m.text(1, d.name) && m.country(2, d.country) &&
         m.text(3, d.city) && m.text(4, d.tier) && m.decimal(5, d.commission_rate, kRate) &&
         m.choice(6, d.status, is_vendor_status, "active, suspended, closed");
}

bool decode_customer(Ctx& c, dom::object obj, CustomerData& d) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "customer_id", "name", "email", "city", "region", "zip", "country", "segment"};
  Members<8> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.customer_id) && m.text(1, d.name) && m.text(2, d.email) &&
         m.text(3, d.city) && m.text(4, d.region) && m.text(5, d.zip) && m.country(6, d.country) &&
         m.text(7, d.segment);
}

bool decode_customer_deleted(Ctx& c, dom::object obj, CustomerDeleted& d) {
  static constexpr std::array<std::string_view, 1> kNames = {"customer_id"};
  Members<1> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.customer_id);
}

bool decode_product(Ctx& c, dom::object obj, ProductData& d) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "product_id", "name", "category", "brand", "vendor_id", "list_price", "currency", "weight_g"};
  Members<8> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.product_id) || !m.text(1, d.name) || !m.text(2, d.category) ||
      !m.text(3, d.brand) || !m.id(4, d.vendor_id))
    return false;
  // The currency decides list_price's scale, so it is read first.
  if (!m.currency(6, d.currency)) return false;
  const std::string_view cur = d.currency ? std::string_view(*d.currency) : std::string_view("the default currency");
  const int decimals = d.currency ? currency_decimals(*d.currency) : 2;
  return m.decimal(5, d.list_price, money_rule(cur, decimals)) &&
         m.integer(7, d.weight_g, 0, kInt64Max, RejectCode::bad_value);
}

// Index of the first line whose line_no repeats an earlier line's, or -1.
// Checked after every line decoded, so the result (and which problem is
// reported first) does not depend on the order's size.
int64_t first_duplicate_line(const std::vector<OrderLine>& lines, std::vector<std::pair<int32_t, size_t>>& scratch) {
  const size_t n = lines.size();
  if (n <= 32) {
    for (size_t j = 1; j < n; ++j)
      for (size_t i = 0; i < j; ++i)
        if (lines[i].line_no == lines[j].line_no) return static_cast<int64_t>(j);
    return -1;
  }
  scratch.clear();
  for (size_t i = 0; i < n; ++i) scratch.emplace_back(lines[i].line_no, i);
  std::sort(scratch.begin(), scratch.end());
  int64_t best = -1;
  for (size_t k = 1; k < n; ++k)
    if (scratch[k].first == scratch[k - 1].first && (best < 0 || static_cast<int64_t>(scratch[k].second) < best))
      best = static_cast<int64_t>(scratch[k].second);
  return best;
}

bool decode_line(Ctx& c, dom::object obj, int64_t index, const DecimalRule& money, OrderLine& l) {
  static constexpr std::array<std::string_view, 6> kNames = {
      "line_no", "product_id", "vendor_id", "quantity", "unit_price", "freight"};
  Members<6> m(c, kNames, "data.lines", index);
  return m.collect(obj) && m.integer(0, l.line_no, 1, kInt32Max, RejectCode::bad_value) &&
         m.id(1, l.product_id) && m.id(2, l.vendor_id) &&
         m.integer(3, l.quantity, 1, kInt64Max, RejectCode::bad_quantity) &&
         m.decimal(4, l.unit_price, money) && m.decimal(5, l.freight, money);
}

bool decode_order(Ctx& c, dom::object obj, OrderPlaced& d,
                  std::vector<std::pair<int32_t, size_t>>& scratch) {
  static constexpr std::array<std::string_view, 4> kNames = {"order_id", "customer_id", "currency", "lines"};
  Members<4> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.order_id) || !m.id(1, d.customer_id) || !m.currency(2, d.currency))
    return false;
  const dom::element* lines = m.required(3);
  if (!lines) return false;
  if (lines->type() != element_type::ARRAY) return c.wrong_type(m.path(3), "array", *lines);
  const DecimalRule money = money_rule(d.currency, currency_decimals(d.currency));
  size_t k = 0;
  // Counted while iterating: dom::array::size() saturates at 2^24 - 1.
  // (A named array: value_unsafe() of a temporary result would dangle in a range-for.)
  const dom::array arr = lines->get_array().value_unsafe();
  for (dom::element e : arr) {
    if (e.type() != element_type::OBJECT)
      return c.wrong_type(Path{"data.lines", static_cast<int64_t>(k), ""}, "object", e);
    if (k == d.lines.size()) d.lines.emplace_back();
    if (!decode_line(c, e.get_object().value_unsafe(), static_cast<int64_t>(k), money, d.lines[k])) return false;
    ++k;
  }
  d.lines.resize(k);
  if (k == 0) return c.fail(RejectCode::bad_value, m.path(3), "must not be empty");
  int64_t dup = first_duplicate_line(d.lines, scratch);
  if (dup >= 0)
    return c.fail(RejectCode::bad_value, Path{"data.lines", dup, "line_no"},
                  fmt::format("duplicate line_no {}", d.lines[static_cast<size_t>(dup)].line_no));
  return true;
}

bool decode_status(Ctx& c, dom::object obj, OrderStatusChanged& d) {
  static constexpr std::array<std::string_view, 4> kNames = {"order_id", "status", "vendor_id", "line_no"};
  Members<4> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.order_id)) return false;
  const dom::element* status = m.required(1);
  if (!status) return false;
  if (status->type() != element_type::STRING) return c.wrong_type(m.path(1), "string", *status);
  auto s = order_status_from_string(status->get_string().value_unsafe());
  if (!s)
    return c.fail(RejectCode::bad_value, m.path(1),
                  fmt::format("expected one of approved, shipped, delivered, cancelled, returned; got {}",
                              show(*status)));
  d.status = *s;
  return m.id(2, d.vendor_id) && m.integer(3, d.line_no, 1, kInt32Max, RejectCode::bad_value);
}

bool decode_review(Ctx& c, dom::object obj, ReviewSubmitted& d) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "review_id", "order_id", "customer_id", "product_id", "vendor_id", "stars", "comment"};
  Members<7> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.review_id) && m.id(1, d.order_id) && m.id(2, d.customer_id) &&
         m.id(3, d.product_id) && m.id(4, d.vendor_id) &&
         m.integer(5, d.stars, 1, 5, RejectCode::bad_stars) && m.text(6, d.comment);
}

bool parse_latency(Ctx& c, const Path& p, dom::element e, double& out) {
  const element_type t = e.type();
  if (t != element_type::DOUBLE && t != element_type::INT64 && t != element_type::UINT64)
    return c.wrong_type(p, "number", e);
  double v = e.get_double().value_unsafe();
  // !(v >= 0) also catches NaN; simdjson never yields inf or NaN, but a
  // measurement that is not a finite, non-negative number is not one.
  if (!(v >= 0) || !std::isfinite(v))
    return c.fail(RejectCode::bad_value, p, fmt::format("must be >= 0, got {}", show(e)));
  out = v + 0.0;  // -0.0 -> +0.0: equal values encode to equal bytes
  return true;
}

bool decode_page_view(Ctx& c, dom::object obj, PageViewed& d) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "session_id", "url", "http_method", "status_code", "latency_ms", "customer_id", "product_id", "vendor_id"};
  Members<8> m(c, kNames, "data");
  if (!m.collect(obj) || !m.id(0, d.session_id) || !m.text(1, d.url) ||
      !m.choice(2, d.http_method, is_http_method, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS") ||
      !m.integer(3, d.status_code, 100, 599, RejectCode::bad_value))
    return false;
  const dom::element* latency = m.required(4);
  return latency && parse_latency(c, m.path(4), *latency, d.latency_ms) && m.id(5, d.customer_id) &&
         m.id(6, d.product_id) && m.id(7, d.vendor_id);
}

bool decode_stock(Ctx& c, dom::object obj, StockChanged& d) {
  static constexpr std::array<std::string_view, 4> kNames = {"vendor_id", "product_id", "warehouse", "quantity"};
  Members<4> m(c, kNames, "data");
  return m.collect(obj) && m.id(0, d.vendor_id) && m.id(1, d.product_id) && m.id(2, d.warehouse) &&
         m.integer(3, d.quantity, 0, kInt64Max, RejectCode::bad_quantity);
}

// ---------------------------------------------------------------------------
// Envelope

bool parse_event_time(Ctx& c, const Path& p, dom::element e, int64_t& out_us) {
  constexpr int64_t kMaxMs = kMaxEventTimeUs / 1000;
  switch (e.type()) {
    case element_type::STRING: {
      auto t = parse_rfc3339_us(e.get_string().value_unsafe());
      if (!t)
        return c.fail(RejectCode::bad_timestamp, p, fmt::format("not an RFC 3339 time, got {}", show(e)));
      if (*t < kMinEventTimeUs) return c.fail(RejectCode::bad_timestamp, p, fmt::format("before 1970, got {}", show(e)));
      if (*t > kMaxEventTimeUs) return c.fail(RejectCode::bad_timestamp, p, fmt::format("after 9999, got {}", show(e)));
      out_us = *t;
      return true;
    }
    case element_type::INT64: {
      int64_t ms = e.get_int64().value_unsafe();
      if (ms < 0) return c.fail(RejectCode::bad_timestamp, p, fmt::format("before 1970, got {}", ms));
      if (ms > kMaxMs) return c.fail(RejectCode::bad_timestamp, p, fmt::format("after 9999, got {}", ms));
      out_us = ms * 1000;
      return true;
    }
    case element_type::UINT64:
      return c.fail(RejectCode::bad_timestamp, p, fmt::format("after 9999, got {}", show(e)));
    case element_type::DOUBLE:
      return c.fail(RejectCode::bad_timestamp, p,
                    fmt::format("epoch milliseconds must be an integer, got {}", show(e)));
    default:
      return c.fail(RejectCode::bad_timestamp, p,
                    fmt::format("expected an RFC 3339 string or integer epoch milliseconds, got {}",
                                type_name(e.type())));
  }
}

bool decode_event(Ctx& c, dom::object obj, Event& out,
                  std::vector<std::pair<int32_t, size_t>>& scratch) {
  static constexpr std::array<std::string_view, 5> kNames = {"schema_version", "event_id", "type",
                                                             "event_time", "data"};
  Members<5> m(c, kNames, "");
  if (!m.collect(obj)) return false;

  // The version first: a newer version may have changed any other field, so
  // its verdict is the one worth reporting.
  out.schema_version = kCurrentSchemaVersion;
  if (const dom::element* v = m.get(0)) {
    const Path p = m.path(0);
    if (v->type() == element_type::UINT64)  // above INT64_MAX: certainly newer
      return c.fail(RejectCode::unsupported_version, p,
                    fmt::format("version {} is newer than this build supports ({})", show(*v),
                                kCurrentSchemaVersion));
    if (v->type() != element_type::INT64) return c.wrong_type(p, "integer", *v);
    const int64_t version = v->get_int64().value_unsafe();
    if (version < 1) return c.fail(RejectCode::bad_value, p, fmt::format("must be >= 1, got {}", version));
    if (version > static_cast<int64_t>(kCurrentSchemaVersion))
      return c.fail(RejectCode::unsupported_version, p,
                    fmt::format("version {} is newer than this build supports ({})", version,
                                kCurrentSchemaVersion));
    out.schema_version = static_cast<uint32_t>(version);
  }

  if (!m.id(1, out.event_id)) return false;
  if (out.event_id.size() > kMaxEventIdBytes)
    return c.fail(RejectCode::bad_value, m.path(1),
                  fmt::format("longer than {} bytes ({})", kMaxEventIdBytes, out.event_id.size()));

  const dom::element* type = m.required(2);
  if (!type) return false;
  if (type->type() != element_type::STRING) return c.wrong_type(m.path(2), "string", *type);
  auto t = event_type_from_string(type->get_string().value_unsafe());
  if (!t) return c.fail(RejectCode::unknown_type, m.path(2), fmt::format("unknown event type {}", show(*type)));
  out.type = *t;

  const dom::element* time = m.required(3);
  if (!time || !parse_event_time(c, m.path(3), *time, out.event_time_us)) return false;

  const dom::element* data = m.required(4);
  if (!data) return false;
  if (data->type() != element_type::OBJECT) return c.wrong_type(m.path(4), "object", *data);
  dom::object d = data->get_object().value_unsafe();
  switch (out.type) {
    case EventType::vendor_registered:
    case EventType::vendor_updated: return decode_vendor(c, d, data_as<VendorData>(out.data));
    case EventType::customer_registered:
    case EventType::customer_updated: return decode_customer(c, d, data_as<CustomerData>(out.data));
    case EventType::customer_deleted: return decode_customer_deleted(c, d, data_as<CustomerDeleted>(out.data));
    case EventType::product_created:
    case EventType::product_updated: return decode_product(c, d, data_as<ProductData>(out.data));
    case EventType::order_placed: return decode_order(c, d, data_as<OrderPlaced>(out.data), scratch);
    case EventType::order_status_changed: return decode_status(c, d, data_as<OrderStatusChanged>(out.data));
    case EventType::review_submitted: return decode_review(c, d, data_as<ReviewSubmitted>(out.data));
    case EventType::page_viewed: return decode_page_view(c, d, data_as<PageViewed>(out.data));
    case EventType::stock_changed: return decode_stock(c, d, data_as<StockChanged>(out.data));
  }
  return c.fail(RejectCode::unknown_type, m.path(2), "unhandled event type");
}

}  // namespace

struct JsonDecoder::Impl {
  DecoderOptions options;
  simdjson::dom::parser parser;
  std::vector<std::pair<int32_t, size_t>> scratch;  // duplicate line_no check of big orders
};

JsonDecoder::JsonDecoder(DecoderOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}

JsonDecoder::~JsonDecoder() = default;

bool JsonDecoder::decode(std::string_view record, Event& out, Rejection& why, bool padded) {
  Ctx c(why);
  if (record.size() > impl_->options.max_record_bytes)
    return c.fail(RejectCode::oversized, Path{},
                  fmt::format("record is {} bytes, over the limit of {}", record.size(),
                              impl_->options.max_record_bytes));
  // simdjson validates UTF-8 as part of parsing, so a successful parse needs
  // no second pass; on failure UTF-8 is judged first, then the grammar.
  dom::element root;
  simdjson::error_code err = impl_->parser.parse(record.data(), record.size(), !padded).get(root);
  if (err) {
    const char* reason = "";
    size_t at = first_invalid_utf8(record, reason);
    if (at < record.size() || err == simdjson::UTF8_ERROR)
      return c.fail(RejectCode::invalid_utf8, Path{},
                    at < record.size() ? fmt::format("invalid UTF-8 at byte offset {}: {}", at, reason)
                                       : std::string("invalid UTF-8"));
    return c.fail(RejectCode::bad_json, Path{}, explain_bad_json(record, err));
  }
  if (root.type() != element_type::OBJECT)
    return c.fail(RejectCode::bad_json, Path{}, fmt::format("expected a JSON object, got {}", type_name(root.type())));
  return decode_event(c, root.get_object().value_unsafe(), out, impl_->scratch);
}

}  // namespace lh::events
