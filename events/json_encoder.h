// Event -> canonical contract JSON (money as strings, RFC 3339 times). Used by
// `log dump` and `produce`; decoding its output gives the same Event back.
#pragma once

#include <string>
#include <string_view>

#include "events/event.h"

namespace lh::events {

// Appends one JSON object (no newline). `leading_fields`, if not empty, is
// raw JSON text inserted first inside the braces, e.g. "\"seq\":7,".
void append_json(const Event& e, std::string& out, std::string_view leading_fields = {});

// Appends `s` as a JSON string literal (quoted, escaped).
void append_json_string(std::string_view s, std::string& out);

}  // namespace lh::events
