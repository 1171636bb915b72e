// The stored form of an event: msgpack, self-describing (a map keyed by the
// contract's field names), so old records stay readable and can be upcast.
// Decoding uses a visitor (no msgpack::object tree): it is the replay hot path.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "events/event.h"
#include "events/result.h"

namespace lh::events {

// Appends the msgpack encoding of `e` to `out`.
void encode_msgpack(const Event& e, std::string& out);

// Decodes a payload written by encode_msgpack (of this or an older schema
// version: older ones go through the registered upcasters first).
// Never reads outside `payload`; on an error `out` is valid but unspecified.
Status decode_msgpack(std::string_view payload, Event& out);

// Upcasting hook: converts a stored payload of schema_version `from` into the
// payload of version from+1. decode_msgpack applies the chain from the
// record's version up to kCurrentSchemaVersion. Register at start-up, before
// any decoding thread runs.
using Upcaster = std::function<std::string(std::string_view payload)>;
void register_upcaster(uint32_t from_version, Upcaster upcaster);
void clear_upcasters();  // for tests

}  // namespace lh::events
