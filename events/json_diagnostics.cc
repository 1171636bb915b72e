// The text of rejections, on error paths only: offending values as a message
// shows them, and for a record simdjson refused, the diagnosis (where UTF-8 is
// invalid, or which JSON grammar rule breaks where) in words.
#include "events/json_decoder_internal.h"

#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <simdjson.h>

namespace lh::events::detail {

// ---------------------------------------------------------------------------
// Values in messages

// Offending values are quoted in messages, cut to about this many bytes.
constexpr size_t kQuoteBytes = 40;

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

}  // namespace lh::events::detail
