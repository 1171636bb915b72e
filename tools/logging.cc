// Operator messages through spdlog (see logging.h).
#include "tools/logging.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "events/json_encoder.h"

namespace lh::tools {
namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger;
  bool json = false;
  bool clear_line = false;  // text on a terminal with progress lines: clear the line first
};

State& state() {
  static State s = [] {
    State st;
    st.logger = std::make_shared<spdlog::logger>("ledgerhouse", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    st.logger->set_pattern("%v");
    st.logger->set_level(spdlog::level::info);
    st.logger->flush_on(spdlog::level::trace);  // every message: a crash loses none
    return st;
  }();
  return s;
}

spdlog::level::level_enum to_spd(LogLevel l) {
  switch (l) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warning";
    default: return "error";
  }
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

}  // namespace

void init_logging(const GlobalOptions& g) {
  State& s = state();
  if (g.log_format != "text" && g.log_format != "json")
    throw CommandError("--log-format must be text or json, not '" + g.log_format + "'", 2);
  auto level = spdlog::level::from_str(g.log_level == "warning" ? "warn" : g.log_level);
  if (level == spdlog::level::off && g.log_level != "off")
    throw CommandError("--log-level must be trace, debug, info, warn, error or off, not '" + g.log_level + "'", 2);
  s.logger->set_level(level);
  s.json = g.log_format == "json";
  s.clear_line = !s.json && progress_enabled(g);
}

void log_message(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  State& s = state();
  if (!s.logger->should_log(to_spd(level))) return;
  std::string line;
  if (s.json) {
    line = fmt::format("{{\"time\":\"{}\",\"level\":\"{}\",\"msg\":", utc_now(), level_name(level));
    events::append_json_string(msg, line);
    for (const auto& [k, v] : fields) {
      line += ',';
      events::append_json_string(k, line);
      line += ':';
      events::append_json_string(v, line);
    }
    line += '}';
  } else {
    line = fmt::format("{}{}: {}", s.clear_line ? "\r\033[K" : "", level_name(level), msg);
    if (fields.size() > 0) {
      line += " (";
      bool first = true;
      for (const auto& [k, v] : fields) {
        line += fmt::format("{}{}={}", first ? "" : ", ", k, v);
        first = false;
      }
      line += ')';
    }
  }
  s.logger->log(to_spd(level), line);
}

}  // namespace lh::tools
