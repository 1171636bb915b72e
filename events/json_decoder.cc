// JSON record -> Event. simdjson's DOM parser does the parsing (it validates
// UTF-8 and JSON in one pass); this file drives it and reads the envelope,
// json_event_data.cc the data of each type, both enforcing the contract's
// rules with messages that name the JSON path. Only rejected records pay for
// message formatting and for the diagnosis of why a record is not JSON
// (json_diagnostics.cc).
#include "events/json_decoder.h"

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "events/json_decoder_internal.h"
#include "events/validate.h"

namespace lh::events {

// The decoder's shared internals (json_decoder_internal.h), in this file only.
using namespace detail;

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
  return decode_data(c, out.type, d, out.data, scratch);
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
