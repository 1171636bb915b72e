#include "events/debezium.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "events/json_encoder.h"

namespace lh::events {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::optional<element> member(element e, std::string_view key) {
  if (e.type() != element_type::OBJECT) return std::nullopt;
  element v;
  object o = e.get_object().value_unsafe();
  if (o.at_key(key).get(v)) return std::nullopt;
  if (v.is_null()) return std::nullopt;
  return v;
}

std::optional<std::string_view> string_member(element e, std::string_view key) {
  auto v = member(e, key);
  if (!v || v->type() != element_type::STRING) return std::nullopt;
  return v->get_string().value_unsafe();
}

// A JSON number as text (integers exactly; doubles in their shortest form).
std::string number_text(element v) {
  switch (v.type()) {
    case element_type::INT64: return std::to_string(v.get_int64().value_unsafe());
    case element_type::UINT64: return std::to_string(v.get_uint64().value_unsafe());
    default: return fmt::format("{}", v.get_double().value_unsafe());
  }
}

bool is_number(element v) {
  auto t = v.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Kafka Connect's Decimal: base64 of the unscaled value, big-endian two's
// complement. Up to 16 bytes (38 digits).
std::optional<std::string> connect_decimal(std::string_view b64, int scale) {
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    int v = base64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bytes.empty() || bytes.size() > 16 || scale < 0 || scale > 38) return std::nullopt;
  __int128 v = (static_cast<signed char>(bytes[0]) < 0) ? -1 : 0;
  for (char b : bytes) v = (v << 8) | static_cast<unsigned char>(b);
  bool neg = v < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  } while (u != 0);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, ".");
  }
  return neg ? "-" + digits : digits;
}

// Column -> scale, for the Connect Decimal columns of the "after" (or
// "before") struct in an envelope's schema.
std::map<std::string, int, std::less<>> decimal_columns(element schema) {
  std::map<std::string, int, std::less<>> out;
  auto fields = member(schema, "fields");
  if (!fields || fields->type() != element_type::ARRAY) return out;
  simdjson::dom::array parts = fields->get_array().value_unsafe();
  for (element part : parts) {
    auto name = string_member(part, "field");
    if (!name || (*name != "after" && *name != "before")) continue;
    auto cols = member(part, "fields");
    if (!cols || cols->type() != element_type::ARRAY) continue;
    simdjson::dom::array col_list = cols->get_array().value_unsafe();
    for (element col : col_list) {
      auto type_name = string_member(col, "name");
      auto column = string_member(col, "field");
      if (!type_name || !column || *type_name != "org.apache.kafka.connect.data.Decimal") continue;
      auto params = member(col, "parameters");
      auto scale = params ? string_member(*params, "scale") : std::nullopt;
      out[std::string(*column)] = scale ? std::atoi(std::string(*scale).c_str()) : 0;
    }
  }
  return out;
}

Result<EventType> type_named(std::string_view table, std::string_view key, element v) {
  if (v.type() != element_type::STRING)
    return Error{fmt::format("cdc mapping: table {}: \"{}\" must be an event type name", table, key)};
  auto t = event_type_from_string(v.get_string().value_unsafe());
  if (!t)
    return Error{fmt::format("cdc mapping: table {}: \"{}\": unknown event type \"{}\"", table, key,
                             v.get_string().value_unsafe())};
  return *t;
}

}  // namespace

Result<CdcMapping> CdcMapping::parse(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root))
    return Error{fmt::format("cdc mapping: not valid JSON: {}", simdjson::error_message(err))};
  auto tables = member(root, "tables");
  if (!tables || tables->type() != element_type::OBJECT)
    return Error{"cdc mapping: expected {\"tables\": {\"<schema.table>\": {...}}}"};
  CdcMapping m;
  object table_specs = tables->get_object().value_unsafe();
  for (auto [name_sv, spec] : table_specs) {
    std::string name(name_sv);
    CdcTable t;
    auto created = member(spec, "created");
    auto updated = member(spec, "updated");
    if (!created || !updated)
      return Error{fmt::format("cdc mapping: table {}: \"created\" and \"updated\" are required", name)};
    auto c = type_named(name, "created", *created);
    if (!c.ok()) return c.error();
    auto u = type_named(name, "updated", *updated);
    if (!u.ok()) return u.error();
    t.created = *c;
    t.updated = *u;
    if (auto d = member(spec, "deleted")) {
      auto dt = type_named(name, "deleted", *d);
      if (!dt.ok()) return dt.error();
      t.deleted = *dt;
    }
    auto fields = member(spec, "fields");
    if (!fields || fields->type() != element_type::OBJECT)
      return Error{fmt::format("cdc mapping: table {}: \"fields\" must be an object (event field -> column)", name)};
    object field_specs = fields->get_object().value_unsafe();
    for (auto [field, col] : field_specs) {
      CdcField f;
      f.field = std::string(field);
      if (col.type() == element_type::STRING) {
        f.column = std::string(col.get_string().value_unsafe());
      } else if (auto cn = string_member(col, "column")) {
        f.column = std::string(*cn);
        if (auto as = string_member(col, "as")) {
          if (*as == "string") f.as = CdcField::As::string;
          else if (*as == "number") f.as = CdcField::As::number;
          else if (*as != "auto")
            return Error{fmt::format("cdc mapping: table {}: field {}: \"as\" must be string, number or auto", name, f.field)};
        }
      } else {
        return Error{fmt::format("cdc mapping: table {}: field {}: expected a column name or {{\"column\": ...}}", name, f.field)};
      }
      t.fields.push_back(std::move(f));
    }
    if (t.fields.empty())
      return Error{fmt::format("cdc mapping: table {}: \"fields\" is empty (the first field is the entity id)", name)};
    if (auto consts = member(spec, "constants")) {
      if (consts->type() != element_type::OBJECT)
        return Error{fmt::format("cdc mapping: table {}: \"constants\" must be an object", name)};
      object const_specs = consts->get_object().value_unsafe();
      for (auto [k, v] : const_specs) {
        if (v.type() != element_type::STRING)
          return Error{fmt::format("cdc mapping: table {}: constant {} must be a string", name, k)};
        t.constants.emplace_back(std::string(k), std::string(v.get_string().value_unsafe()));
      }
    }
    m.tables.emplace(name, std::move(t));
  }
  if (m.tables.empty()) return Error{"cdc mapping: no table"};
  return m;
}

Result<CdcMapping> CdcMapping::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error{fmt::format("{}: cannot open the CDC mapping", path)};
  std::stringstream ss;
  ss << f.rdbuf();
  auto m = parse(ss.str());
  if (!m.ok()) return Error{fmt::format("{}: {}", path, m.error().message)};
  return m;
}

struct DebeziumDecoder::Impl {
  CdcMapping mapping;
  JsonDecoder decoder;
  simdjson::dom::parser parser;
  std::string json;
  Impl(CdcMapping m, DecoderOptions o) : mapping(std::move(m)), decoder(o) {}

  bool fail(Rejection& why, RejectCode code, std::string field, std::string message) {
    why.code = code;
    why.field = std::move(field);
    why.message = "debezium: " + (why.field.empty() ? message : why.field + ": " + message);
    return false;
  }

  // Appends "field":value for a column of `row`; false if the column is null/absent.
  bool append_field(const CdcField& f, element row, const std::map<std::string, int, std::less<>>& decimals,
                    std::string& out, std::string& text) {
    auto v = member(row, f.column);
    if (!v) return false;
    out += ',';
    append_json_string(f.field, out);
    out += ':';
    bool want_string = f.as == CdcField::As::string ||
                       (f.as == CdcField::As::auto_ && f.field.size() > 3 &&
                        f.field.compare(f.field.size() - 3, 3, "_id") == 0);
    if (v->type() == element_type::STRING) {
      std::string_view s = v->get_string().value_unsafe();
      auto dec = decimals.find(f.column);
      std::optional<std::string> d;
      if (dec != decimals.end()) d = connect_decimal(s, dec->second);
      text = d ? *d : std::string(s);
      if (f.as == CdcField::As::number && !d) out += text;  // the decoder judges it
      else append_json_string(text, out);
    } else if (is_number(*v)) {
      text = number_text(*v);
      if (want_string) append_json_string(text, out);
      else out += text;
    } else if (v->type() == element_type::BOOL) {
      text = v->get_bool().value_unsafe() ? "true" : "false";
      out += text;
    } else {
      text = simdjson::to_string(*v);
      out += text;  // objects/arrays: passed on, the decoder judges them
    }
    return true;
  }
};

DebeziumDecoder::DebeziumDecoder(CdcMapping mapping, DecoderOptions options)
    : impl_(std::make_unique<Impl>(std::move(mapping), options)) {}
DebeziumDecoder::~DebeziumDecoder() = default;
const std::string& DebeziumDecoder::last_json() const { return impl_->json; }

bool DebeziumDecoder::decode(std::string_view envelope, Event& out, Rejection& why) {
  Impl& m = *impl_;
  element root;
  if (auto err = m.parser.parse(envelope.data(), envelope.size()).get(root))
    return m.fail(why, RejectCode::bad_json, "", fmt::format("not JSON: {}", simdjson::error_message(err)));
  if (root.type() != element_type::OBJECT) return m.fail(why, RejectCode::bad_json, "", "expected a JSON object");
  std::map<std::string, int, std::less<>> decimals;
  element payload = root;
  if (auto p = member(root, "payload"); p && member(root, "schema")) {
    decimals = decimal_columns(*member(root, "schema"));
    payload = *p;
    if (payload.type() != element_type::OBJECT)
      return m.fail(why, RejectCode::wrong_type, "payload", "expected an object");
  }
  auto op = string_member(payload, "op");
  if (!op) return m.fail(why, RejectCode::missing_field, "op", "missing (not a Debezium change envelope)");
  auto source = member(payload, "source");
  if (!source || source->type() != element_type::OBJECT)
    return m.fail(why, RejectCode::missing_field, "source", "missing");
  auto table_name = string_member(*source, "table");
  if (!table_name) return m.fail(why, RejectCode::missing_field, "source.table", "missing");
  std::string qualified(*table_name);
  if (auto schema = string_member(*source, "schema")) qualified = std::string(*schema) + "." + qualified;
  else if (auto db = string_member(*source, "db")) qualified = std::string(*db) + "." + qualified;
  auto t = m.mapping.tables.find(qualified);
  if (t == m.mapping.tables.end()) t = m.mapping.tables.find(std::string(*table_name));
  if (t == m.mapping.tables.end())
    return m.fail(why, RejectCode::unknown_type, "source.table", fmt::format("table {} is not in the CDC mapping", qualified));
  const CdcTable& table = t->second;

  EventType type;
  const char* image = "after";
  if (*op == "c" || *op == "r") {
    type = table.created;
  } else if (*op == "u") {
    type = table.updated;
  } else if (*op == "d") {
    if (!table.deleted)
      return m.fail(why, RejectCode::bad_value, "op",
                    fmt::format("a delete of table {}, whose events ({}) have no deleted type", qualified,
                                to_string(table.created)));
    type = *table.deleted;
    image = "before";
  } else {
    return m.fail(why, RejectCode::bad_value, "op", fmt::format("unsupported operation \"{}\" (expected c, r, u or d)", *op));
  }
  auto row = member(payload, image);
  if (!row || row->type() != element_type::OBJECT)
    return m.fail(why, RejectCode::missing_field, image, fmt::format("missing for op \"{}\"", *op));

  // Time: the database's commit time, else the connector's.
  std::optional<element> ts = member(*source, "ts_ms");
  if (!ts) ts = member(payload, "ts_ms");
  if (!ts || (ts->type() != element_type::INT64 && ts->type() != element_type::UINT64))
    return m.fail(why, RejectCode::bad_timestamp, "ts_ms", "missing or not an integer (source.ts_ms or ts_ms)");
  std::string time_text = number_text(*ts);

  // Position in the database's log.
  std::string position;
  if (auto lsn = member(*source, "lsn"); lsn && is_number(*lsn)) {
    position = "lsn" + number_text(*lsn);
  } else if (auto file = string_member(*source, "file")) {
    auto pos = member(*source, "pos");
    auto row_no = member(*source, "row");
    position = fmt::format("{}:{}:{}", *file, pos && is_number(*pos) ? number_text(*pos) : "0",
                           row_no && is_number(*row_no) ? number_text(*row_no) : "0");
  } else {
    position = "ts" + time_text;
  }
  std::string server(string_member(*source, "name").value_or("db"));

  // data: the entity id first; for an update with a before image only what changed.
  std::string data = "{";
  std::string text, id_text;
  auto before = member(payload, "before");
  bool diff = type == table.updated && before && before->type() == element_type::OBJECT;
  std::string scratch;
  for (size_t i = 0; i < table.fields.size(); ++i) {
    const CdcField& f = table.fields[i];
    bool is_id = i == 0;
    if (!is_id && type == table.deleted) continue;
    size_t mark = data.size();
    if (!m.append_field(f, *row, decimals, data, text)) {
      if (is_id) return m.fail(why, RejectCode::missing_field, fmt::format("{}.{}", image, f.column), "the entity id column is missing or null");
      continue;
    }
    if (is_id) id_text = text;
    if (diff && !is_id) {
      std::string before_text;
      scratch.clear();
      if (m.append_field(f, *before, decimals, scratch, before_text) && scratch == data.substr(mark))
        data.resize(mark);  // unchanged
    }
  }
  if (type != table.deleted)
    for (const auto& [k, v] : table.constants) {
      data += ',';
      append_json_string(k, data);
      data += ':';
      append_json_string(v, data);
    }
  data[0] = '{';
  if (data.size() > 1 && data[1] == ',') data.erase(1, 1);
  data += '}';

  std::string& json = m.json;
  json.clear();
  json += "{\"event_id\":";
  append_json_string(fmt::format("cdc:{}:{}:{}:{}", server, qualified, position, id_text), json);
  json += ",\"type\":\"";
  json += to_string(type);
  json += "\",\"event_time\":";
  json += time_text;
  json += ",\"schema_version\":1,\"data\":";
  json += data;
  json += '}';
  if (!m.decoder.decode(json, out, why)) {
    why.message = fmt::format("debezium: table {}: {}", qualified, why.message);
    return false;
  }
  return true;
}

}  // namespace lh::events
