// Internal to lh_events, not part of its face: the bounds-checked cursor that
// msgpack_decode.cc reads stored events with. Header-only (inline), so its
// reads still inline into the decoder's loops as when both shared one file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "events/event.h"

// Error paths build strings; keep that code out of the hot readers. (Measured
// effect on BM_DecodeMsgpack: small, within noise; the version fast path in
// decode_msgpack was the change that paid, ~+10%.)
#define LH_COLD __attribute__((noinline, cold))

namespace lh::events::detail {

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

inline bool is_integer_byte(uint8_t b) { return b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3); }

// Names of msgpack families, for "expected integer, got str".
inline const char* family_name(uint8_t b) {
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

}  // namespace lh::events::detail
