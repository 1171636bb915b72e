// `ledgerhouse report --out DIR`: DIR/index.html, one self-contained page
// (inline CSS and SVG, no script, no external URL) with throughput and lag
// over the last run (from <data-dir>/run-history.ndjson, written by `run`),
// quarantine reasons (the log's per-reason counters) and the warehouse's
// headline numbers: revenue per day and top vendors (SQL on the facts).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "tools/command.h"
#include "tools/run_history.h"
#include "tools/run_metrics.h"
#include "tools/svg_plot.h"

namespace lh::tools {
namespace {

struct ReportArgs {
  std::string out;
  size_t days = 90;        // revenue per day: the last N days with sales
  size_t top_vendors = 10;
};

struct Warehouse {
  std::string currency;  // the currency with the most revenue: the one plotted
  std::vector<Bar> revenue_per_day, top_vendors;
  std::map<std::string, double> revenue_by_currency;
  uint64_t orders = 0, order_lines = 0, customers = 0, vendors = 0, products = 0;
};

// Lines that were cancelled or returned are not revenue.
constexpr const char* kSold = "status NOT IN ('cancelled', 'returned')";

Warehouse query_warehouse(const GlobalOptions& g, const ReportArgs& a) {
  Warehouse w;
  try {
    pqxx::connection c(g.pg_dsn);
    pqxx::read_transaction tx(c);
    const std::string s = tx.quote_name(g.schema) + ".";
    for (const auto& row : tx.exec(fmt::format(
             "SELECT currency, sum(amount)::float8 FROM {}fact_order_line WHERE {} GROUP BY 1", s, kSold)))
      w.revenue_by_currency[row[0].as<std::string>("?")] = row[1].as<double>(0);
    double best = -1;
    for (const auto& [cur, total] : w.revenue_by_currency)
      if (total > best) best = total, w.currency = cur;
    auto days = tx.exec_params(
        fmt::format("SELECT * FROM (SELECT date_key, sum(amount)::float8 FROM {}fact_order_line WHERE {} AND "
                    "currency = $1 GROUP BY 1 ORDER BY 1 DESC LIMIT $2) d ORDER BY 1",
                    s, kSold),
        w.currency, static_cast<int64_t>(a.days));
    for (const auto& row : days) {
      int64_t d = row[0].as<int64_t>();
      w.revenue_per_day.push_back(
          {fmt::format("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100), row[1].as<double>()});
    }
    auto top = tx.exec_params(
        fmt::format("SELECT f.vendor_id, max(v.name), sum(f.amount)::float8 FROM {0}fact_order_line f "
                    "LEFT JOIN {0}dim_vendor v ON v.vendor_id = f.vendor_id AND v.is_current "
                    "WHERE f.{1} AND f.currency = $1 GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT $2",
                    s, kSold),
        w.currency, static_cast<int64_t>(a.top_vendors));
    for (const auto& row : top) {
      std::string id = row[0].as<std::string>(), name = row[1].as<std::string>("");
      w.top_vendors.push_back({name.empty() || name == id ? id : name + " (" + id + ")", row[2].as<double>()});
    }
    auto n = tx.exec1(fmt::format(
        "SELECT (SELECT count(*) FROM {0}fact_order), (SELECT count(*) FROM {0}fact_order_line), "
        "(SELECT count(*) FROM {0}dim_customer WHERE is_current AND NOT is_deleted), "
        "(SELECT count(*) FROM {0}dim_vendor WHERE is_current), "
        "(SELECT count(*) FROM {0}dim_product WHERE is_current)",
        s));
    w.orders = n[0].as<uint64_t>();
    w.order_lines = n[1].as<uint64_t>();
    w.customers = n[2].as<uint64_t>();
    w.vendors = n[3].as<uint64_t>();
    w.products = n[4].as<uint64_t>();
  } catch (const std::exception& e) {
    throw CommandError(fmt::format("reading the warehouse (schema {}): {}", g.schema, e.what()));
  }
  return w;
}

std::string utc(double unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string row(std::string_view k, const std::string& v) {
  return fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(k), html_escape(v));
}

std::string render_page(const GlobalOptions& g, const storage::LogStats& st,
                        const std::vector<HistorySample>& run, size_t bad_lines, const Warehouse& w) {
  LineChart throughput{"throughput", "Throughput over the last run", "events/s", true, {}};
  LineChart lag{"lag", "Projection lag over the last run", "seconds", true, {}};
  PlotSeries rate{"events projected per second", {}}, lag_s{"lag (seconds)", {}};
  for (const auto& h : run) {
    rate.points.emplace_back(h.t, h.events_per_s);
    lag_s.points.emplace_back(h.t, h.lag_seconds);
  }
  throughput.series.push_back(std::move(rate));
  lag.series.push_back(std::move(lag_s));

  BarChart quarantine{"quarantine", "Quarantined records per reason", "records", true, {}};
  for (size_t c = 0; c < storage::kRejectCodeSlots; ++c)
    if (st.quarantined_by_code[c] > 0)
      quarantine.bars.push_back({c == 0 ? "uncounted" : std::string(events::to_string(static_cast<events::RejectCode>(c))),
                                 double(st.quarantined_by_code[c])});
  std::sort(quarantine.bars.begin(), quarantine.bars.end(), [](const Bar& a, const Bar& b) { return a.value > b.value; });
  BarChart revenue{"revenue", "Revenue per day (" + w.currency + ", cancelled and returned lines excluded)",
                   w.currency, false, w.revenue_per_day};
  BarChart vendors{"top-vendors", "Top vendors by revenue (" + w.currency + ")", w.currency, true, w.top_vendors};

  std::string run_text = run.empty()
                             ? "No run history in " + history_path(g.data_dir) + ": `ledgerhouse run` writes it."
                             : fmt::format("Last run: {} to {}, {} samples.", utc(run.front().t), utc(run.back().t),
                                           run.size());
  if (bad_lines > 0) run_text += fmt::format(" {} unreadable history lines skipped.", bad_lines);

  std::string headline;
  for (const auto& [cur, v] : w.revenue_by_currency) headline += row("revenue (" + cur + ")", fmt::format("{:.2f}", v));
  headline += row("orders", std::to_string(w.orders)) + row("order lines", std::to_string(w.order_lines)) +
              row("customers (current)", std::to_string(w.customers)) +
              row("vendors", std::to_string(w.vendors)) + row("products", std::to_string(w.products)) +
              row("events in the log", std::to_string(st.events)) +
              row("duplicates skipped", std::to_string(st.duplicates)) +
              row("quarantined", std::to_string(st.quarantined)) +
              row("event log size", human_bytes(double(st.file_bytes)));
  if (!run.empty()) headline += row("applied seq (end of last run)", std::to_string(run.back().applied_seq));

  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>ledgerhouse report: " + html_escape(g.schema) + "</title>\n";
  html += "<style>body{font-family:sans-serif;margin:24px;max-width:780px;color:#222}"
          "h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse}"
          "th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}td{text-align:right}"
          "svg.plot{display:block;margin:8px 0;background:#fcfcfc;border:1px solid #eee}"
          ".note{color:#555}</style>\n</head>\n<body>\n";
  html += "<h1>ledgerhouse report</h1>\n<p class=\"note\">Generated " + html_escape(utc(now_us() / 1e6)) +
          " from the event log " + html_escape(g.data_dir) + " and the warehouse schema " +
          html_escape(g.schema) + ".</p>\n";
  html += "<h2>Headline numbers</h2>\n<table id=\"headline\">\n" + headline + "</table>\n";
  html += "<h2>The last run</h2>\n<p class=\"note\">" + html_escape(run_text) + "</p>\n";
  html += render_svg(throughput) + render_svg(lag);
  html += "<h2>Quarantine</h2>\n" + render_svg(quarantine);
  html += "<h2>Sales</h2>\n" + render_svg(revenue) + render_svg(vendors);
  html += "</body>\n</html>\n";
  return html;
}

void run_report(const ReportArgs& a, GlobalOptions& g) {
  warehouse_schema(g);  // validates the schema name
  auto log = open_log(g, /*read_only=*/true);
  auto st = log->stats();
  if (!st.ok()) throw CommandError("reading the log's stats: " + st.error().message);
  size_t bad = 0;
  auto history = read_history(g.data_dir, &bad);
  if (!history.ok()) throw CommandError(history.error().message);
  std::vector<HistorySample> last_run;
  if (!history->empty()) {
    int64_t id = history->back().run;
    for (const auto& h : *history)
      if (h.run == id) last_run.push_back(h);
  }
  Warehouse w = query_warehouse(g, a);

  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) throw CommandError("creating " + a.out + ": " + ec.message());
  const std::string path = (std::filesystem::path(a.out) / "index.html").string();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << render_page(g, *st, last_run, bad, w);
    out.close();
    if (!out) throw CommandError("writing " + tmp + ": " + std::strerror(errno));
  }
  std::filesystem::rename(tmp, path, ec);  // a browser never sees half a page
  if (ec) throw CommandError("renaming " + tmp + " to " + path + ": " + ec.message());
  if (!g.quiet) std::printf("%s\n", path.c_str());
}

}  // namespace

void register_report(CLI::App& app, GlobalOptions& g) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write DIR/index.html: one self-contained page (inline SVG, no script, no external URL) with\n"
      "throughput and lag over the last run, quarantine reasons, revenue per day and top vendors.");
  cmd->add_option("--out", a->out, "Directory to write index.html into (created if missing)")->required();
  cmd->add_option("--days", a->days, "Revenue per day: the last N days with sales")->check(CLI::Range(1, 100000));
  cmd->add_option("--top-vendors", a->top_vendors, "Vendors in the top-vendors chart")->check(CLI::Range(1, 1000));
  cmd->callback([a, &g] { run_report(*a, g); });
}

}  // namespace lh::tools
