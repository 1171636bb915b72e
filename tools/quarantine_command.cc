// `ledgerhouse quarantine list`: what was rejected, why, and where it came from.
#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "events/json_encoder.h"
#include "tools/command.h"

namespace lh::tools {
namespace {

struct ListArgs {
  bool json = false;
  bool raw = false;
  std::string reason;
  uint64_t from = 1;
  size_t limit = 0;
};

// "file:/data/x.ndjson" + line 17 -> "/data/x.ndjson:17" (the file:line form
// editors and compilers use); other sources keep their name and offset.
std::string where(const storage::QuarantineRecord& q) {
  constexpr std::string_view kFile = "file:";
  if (q.source.compare(0, kFile.size(), kFile) == 0)
    return fmt::format("{}:{}", q.source.substr(kFile.size()), q.line);
  if (q.seq != 0) return fmt::format("seq {}", q.seq);
  if (q.line != 0) return fmt::format("{}:{}", q.source, q.line);
  return fmt::format("{}@{}", q.source, q.offset);
}

// Raw bytes are not always text: show them escaped, cut to `max` bytes.
std::string printable(std::string_view raw, size_t max) {
  std::string out;
  for (size_t i = 0; i < raw.size() && out.size() < max; ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (out.size() >= max) out += "...";
  return out;
}

std::string base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void run_list(const ListArgs& a, GlobalOptions& g) {
  auto log = open_log(g, /*read_only=*/true);
  std::map<std::string, uint64_t> by_reason;
  std::string out;
  size_t shown = 0;
  uint64_t next = a.from;
  const size_t page = 10000;
  bool first = true;
  if (a.json) out += "[";
  for (;;) {
    auto recs = log->quarantine(next, page);
    if (!recs.ok()) throw CommandError(recs.error().message);
    for (const auto& q : *recs) {
      std::string code(events::to_string(q.code));
      if (!a.reason.empty() && code != a.reason) continue;
      ++by_reason[code];
      if (a.limit != 0 && shown >= a.limit) continue;
      ++shown;
      if (a.raw) {
        out.append(q.raw);
        out += '\n';
      } else if (a.json) {
        out += first ? "{" : ",{";
        first = false;
        out += fmt::format("\"qseq\":{},\"code\":\"{}\",\"reason\":", q.qseq, code);
        events::append_json_string(q.reason, out);
        out += ",\"source\":";
        events::append_json_string(q.source, out);
        out += fmt::format(",\"line\":{},\"offset\":{},\"seq\":{},\"quarantined_at\":\"{}\","
                           "\"raw_base64\":\"{}\"}}",
                           q.line, q.offset, q.seq, events::format_time_us(q.quarantined_at_us),
                           base64(q.raw));
      } else {
        out += fmt::format("{:>6}  {}  {}: {}\n        {}\n", q.qseq,
                           events::format_time_us(q.quarantined_at_us), where(q), q.reason,
                           printable(q.raw, 160));
      }
      if (out.size() > (1 << 20)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
    if (recs->size() < page) break;
    next = recs->back().qseq + 1;
  }
  if (a.json) out += "]\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!a.json && !a.raw) {
    uint64_t total = 0;
    for (const auto& [code, n] : by_reason) total += n;
    std::fprintf(stdout, "%llu quarantined record%s", static_cast<unsigned long long>(total),
                 total == 1 ? "" : "s");
    const char* sep = ": ";
    for (const auto& [code, n] : by_reason) {
      std::fprintf(stdout, "%s%s %llu", sep, code.c_str(), static_cast<unsigned long long>(n));
      sep = ", ";
    }
    std::fprintf(stdout, "\n");
  }
}

}  // namespace

void register_quarantine(CLI::App& app, GlobalOptions& g) {
  auto* q = app.add_subcommand("quarantine", "Inspect rejected records");
  q->require_subcommand(1);
  auto a = std::make_shared<ListArgs>();
  auto* list = q->add_subcommand(
      "list", "Rejected records in arrival order: reason, source position (file:line), raw bytes");
  list->add_flag("--json", a->json, "Machine-readable output (raw bytes in base64)");
  list->add_flag("--raw", a->raw,
                 "Print only the raw records, one per line (fix them and ingest them again)");
  list->add_option("--reason", a->reason,
                   "Only this reason code (bad_json, missing_field, bad_money, ...)");
  list->add_option("--from", a->from, "First quarantine number");
  list->add_option("--limit", a->limit, "Show at most N records (0 = all)");
  list->callback([a, &g] { run_list(*a, g); });
}

}  // namespace lh::tools
