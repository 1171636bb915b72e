// The layout helpers of log_format.h that are not one-liners.
#include "storage/log_format.h"

#include <msgpack.hpp>

namespace lh::storage::log_format {
namespace {

struct StringSink {
  std::string* out;
  void write(const char* p, size_t n) { out->append(p, n); }
};

bool bytes_of(const msgpack::object& o, std::string& out) {
  if (o.type == msgpack::type::BIN) {
    out.assign(o.via.bin.ptr, o.via.bin.size);
  } else if (o.type == msgpack::type::STR) {
    out.assign(o.via.str.ptr, o.via.str.size);
  } else {
    return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& counter_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    k.push_back("count.unknown_type");
    for (events::EventType t : events::kAllEventTypes) k.push_back("count." + std::string(to_string(t)));
    for (const char* n : {"duplicates", "quarantined", "first_ingest_us", "last_ingest_us", "clock_us"})
      k.emplace_back(n);
    for (size_t code = 0; code < kRejectCodeSlots; ++code)
      k.push_back("quarantined." + std::to_string(code));
    return k;
  }();
  return keys;
}

void pack_quarantine(const QuarantineRecord& q, int64_t at_us, std::string& out) {
  out.clear();
  StringSink sink{&out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_array(8);
  pk.pack_bin(static_cast<uint32_t>(q.raw.size()));
  pk.pack_bin_body(q.raw.data(), static_cast<uint32_t>(q.raw.size()));
  pk.pack_uint8(static_cast<uint8_t>(q.code));
  pk.pack_str(static_cast<uint32_t>(q.reason.size()));
  pk.pack_str_body(q.reason.data(), static_cast<uint32_t>(q.reason.size()));
  pk.pack_str(static_cast<uint32_t>(q.source.size()));
  pk.pack_str_body(q.source.data(), static_cast<uint32_t>(q.source.size()));
  pk.pack_uint64(q.line);
  pk.pack_uint64(q.offset);
  pk.pack_int64(at_us);
  pk.pack_uint64(q.seq);
}

Result<QuarantineRecord> unpack_quarantine(std::string_view data, uint64_t qseq) {
  const auto bad = [&](std::string_view why) {
    return Error{fmt::format("quarantine qseq {}: {}", qseq, why)};
  };
  try {
    msgpack::object_handle oh = msgpack::unpack(data.data(), data.size());
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 8) return bad("not an 8-element array");
    const msgpack::object* f = o.via.array.ptr;
    QuarantineRecord q;
    if (!bytes_of(f[0], q.raw) || !bytes_of(f[2], q.reason) || !bytes_of(f[3], q.source))
      return bad("raw, reason or source is not bytes");
    q.code = static_cast<events::RejectCode>(f[1].as<uint8_t>());
    q.line = f[4].as<uint64_t>();
    q.offset = f[5].as<uint64_t>();
    q.quarantined_at_us = f[6].as<int64_t>();
    q.seq = f[7].as<uint64_t>();
    q.qseq = qseq;
    return q;
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

void pack_position(const SourcePosition& p, std::string& out) {
  out.clear();
  StringSink sink{&out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_array(3);
  pk.pack_uint64(p.offset);
  pk.pack_uint64(p.line);
  pk.pack_bin(static_cast<uint32_t>(p.fingerprint.size()));
  pk.pack_bin_body(p.fingerprint.data(), static_cast<uint32_t>(p.fingerprint.size()));
}

std::optional<SourcePosition> unpack_position(std::string_view source, std::string_view data) {
  try {
    msgpack::object_handle oh = msgpack::unpack(data.data(), data.size());
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 3) return std::nullopt;
    SourcePosition p;
    p.source = std::string(source);
    p.offset = o.via.array.ptr[0].as<uint64_t>();
    p.line = o.via.array.ptr[1].as<uint64_t>();
    if (!bytes_of(o.via.array.ptr[2], p.fingerprint)) return std::nullopt;
    return p;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}


}  // namespace lh::storage::log_format
