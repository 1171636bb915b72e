// Messages for the operator (warnings, errors, notices) on stderr through
// spdlog: `--log-level` filters them, `--log-format json` writes one JSON
// object per line ({"time","level","msg", fields...}) for a log shipper.
// Progress lines on a terminal are not log messages and stay as they are.
// Never called per event: only per batch, retry, failure or state change.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "tools/command.h"

namespace lh::tools {

enum class LogLevel { trace, debug, info, warn, error };

// Sets the level and format from g (g.log_level, g.log_format); a bad value
// is a CommandError (exit 2). Before it is called, messages go out as text
// at level info.
void init_logging(const GlobalOptions& g);

using LogField = std::pair<std::string_view, std::string>;

// One message with its structured fields. Text: "warning: msg (k=v, k=v)";
// JSON: {"time":"2026-11-23T14:00:00.123Z","level":"warning","msg":"msg","k":"v"}.
// A message should name the cause and what is done about it.
void log_message(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

}  // namespace lh::tools
