// The simulation's output (simulation.h): each event is written straight into
// one buffer as an NDJSON line (no JSON library), with late timestamps drawn
// here, and the buffer goes to the sink in blocks of ~1 MiB.
#include "tools/simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace lh::tools::gen {

using events::EventType;

void Simulation::append_escaped(std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      buf_.push_back('\\');
      buf_.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(out(), "\\u{:04x}", static_cast<int>(c));
    } else {
      buf_.push_back(c);
    }
  }
}

// Opens an event line up to the data object. A late-eligible event may get
// a time 1 min to 3 h before now, but never before `not_before` (an
// order's previous status, an entity's registration, the start).
void Simulation::begin(EventType type, int64_t now, bool late_eligible, int64_t not_before) {
  int64_t t = now;
  if (late_eligible && o_.late_rate > 0 && late_rng_.chance(o_.late_rate)) {
    const int64_t max_shift = std::min<int64_t>(3 * kHour, now - std::max(not_before, start_ms_));
    if (max_shift >= kMinute) {
      t = now - late_rng_.between(kMinute, max_shift);
      ++summary_.late_events;
    }
  }
  if (now > last_ms_) last_ms_ = now;
  type_ = type;
  line_start_ = buf_.size();
  append("{\"event_id\":\"e");
  append(tag_);
  buf_.push_back('-');
  // Zero-padded (as DESIGN.md's "ev-000017"), so ids sort in the order they
  // were generated: time-ordered ids, like a ULID or UUIDv7 producer's.
  append_uint(++event_counter_, kEventIdDigits);
  append("\",\"type\":\"");
  append(events::to_string(type));
  append("\",\"event_time\":\"");
  append_time(t);
  append("\",\"schema_version\":1,\"data\":{");
  first_field_ = true;
}

void Simulation::end() {
  append("}}\n");
  ++summary_.valid_by_type[static_cast<int>(type_) - 1];
  ++summary_.lines;
  if (dirty_p_ > 0) add_dirty_records();
  if (buf_.size() >= kFlushBytes) flush();
}

// "2026-11-01T08:15:00.123Z" into dst (24 bytes).
std::string_view Simulation::time_text(int64_t ms, char (&dst)[24]) {
  const int64_t day = floor_div(ms, kDay);
  if (day != cached_day_) {  // "YYYY-MM-DDT", formatted once a simulated day
    cached_day_ = day;
    day_prefix_ = events::format_time_us(day * kDay * 1000).substr(0, 11);
  }
  std::memcpy(dst, day_prefix_.data(), 11);
  const int64_t rem = ms - day * kDay;
  const int h = static_cast<int>(rem / kHour), m = static_cast<int>(rem / kMinute % 60),
            s = static_cast<int>(rem / kSecond % 60), f = static_cast<int>(rem % 1000);
  const int parts[] = {h / 10, h % 10, -1, m / 10, m % 10, -1, s / 10, s % 10, -2, f / 100, f / 10 % 10, f % 10};
  for (int i = 0; i < 12; ++i) dst[11 + i] = parts[i] == -1 ? ':' : parts[i] == -2 ? '.' : static_cast<char>('0' + parts[i]);
  dst[23] = 'Z';
  return std::string_view(dst, 24);
}

void Simulation::append_time(int64_t ms) {
  char text[24];
  append(time_text(ms, text));
}

void Simulation::key(std::string_view k) {
  if (!first_field_) buf_.push_back(',');
  first_field_ = false;
  buf_.push_back('"');
  append(k);
  append("\":");
}

void Simulation::field_id(std::string_view k, char prefix, uint64_t n) {
  key(k);
  buf_.push_back('"');
  buf_.push_back(prefix);
  buf_.push_back('-');
  append_uint(n);
  buf_.push_back('"');
}

// Ids of transactions carry the seed, so streams of different seeds can
// share one log without colliding orders (dimension ids are shared on purpose).
void Simulation::field_txid(std::string_view k, char prefix, uint64_t n) {
  key(k);
  buf_.push_back('"');
  buf_.push_back(prefix);
  buf_.push_back('-');
  append(tag_);
  buf_.push_back('-');
  append_uint(n);
  buf_.push_back('"');
}

void Simulation::field_raw(std::string_view k, std::string_view v) {
  key(k);
  buf_.push_back('"');
  append(v);
  buf_.push_back('"');
}

void Simulation::field_text(std::string_view k, std::string_view v) {
  key(k);
  buf_.push_back('"');
  append_escaped(v);
  buf_.push_back('"');
}

void Simulation::field_int(std::string_view k, int64_t v) {
  key(k);
  const fmt::format_int text(v);
  buf_.append(text.data(), text.data() + text.size());
}

void Simulation::append_uint(uint64_t v, size_t min_digits) {
  const fmt::format_int text(v);
  for (size_t n = text.size(); n < min_digits; ++n) buf_.push_back('0');
  buf_.append(text.data(), text.data() + text.size());
}

void Simulation::field_money(std::string_view k, int64_t cents) {
  key(k);  // cents >= 0
  buf_.push_back('"');
  append_uint(static_cast<uint64_t>(cents / 100));
  buf_.push_back('.');
  buf_.push_back(static_cast<char>('0' + cents % 100 / 10));
  buf_.push_back(static_cast<char>('0' + cents % 10));
  buf_.push_back('"');
}

void Simulation::field_rate(std::string_view k, int32_t millionths) {
  key(k);
  fmt::format_to(out(), "\"{}.{:06}\"", millionths / 1000000, millionths % 1000000);
}

void Simulation::flush() {
  if (buf_.size() == 0 || !status_.ok()) return;
  summary_.bytes += buf_.size();
  status_ = sink_(std::string_view(buf_.data(), buf_.size()));
  buf_.clear();
  if (progress_) progress_(GeneratorProgress{summary_.lines, now_ * 1000});
}

}  // namespace lh::tools::gen
