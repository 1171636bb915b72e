// `ledgerhouse report --out DIR`: after a real run into a real PostgreSQL, the
// page is rendered by headless Chromium (Debian's chromium, installed by
// scripts/setup.sh) and the DOM it built must hold the plots with their data
// points, matching the log, the run history and the warehouse; the file
// itself must reference nothing outside it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"
#include "tools/run_history.h"

namespace lh::testing {
namespace {

// The DOM Chromium built from `file`, or "" (with a failure) if it did not run.
std::string chromium_dom(const std::string& file, const std::string& profile_dir) {
  std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" + profile_dir +
                    " --dump-dom file://" + file + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "popen(chromium) failed";
    return "";
  }
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << "chromium exited with " << rc << " (is the Debian chromium package installed?)";
  return out;
}

// The <svg class="plot" id="ID" ...>...</svg> element of the DOM.
std::string plot(const std::string& dom, const std::string& id) {
  size_t at = dom.find("<svg class=\"plot\" id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  size_t end = dom.find("</svg>", at);
  return dom.substr(at, end == std::string::npos ? std::string::npos : end + 6 - at);
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

std::vector<double> data_values(const std::string& svg) {
  static const std::regex re("data-value=\"([^\"]+)\"");
  std::vector<double> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back(std::stod((*it)[1].str()));
  return out;
}

TEST(Report, ChromiumRendersThePlotsOfTheLastRunAndTheWarehouse) {
  TempDir dir;
  auto cluster = start_test_cluster(dir / "pg");
  ASSERT_NE(cluster, nullptr);
  const std::string dsn = cluster->dsn("postgres"), log = dir / "log", input = dir / "in.ndjson";
  ASSERT_EQ(run({"generate", "--days", "3", "--seed", "21", "--orders-per-day", "300", "--dirty-rate", "0.03", "-o",
                 input})
                .exit_code,
            0);
  fresh_warehouse(dsn, schema_named("rep"));
  std::vector<std::string> g = {"-q", "-D", log, "--pg", dsn, "--schema", "rep"};
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> all = g;
    all.insert(all.end(), args.begin(), args.end());
    return all;
  };
  ASSERT_EQ(run(with({"run", "--until-caught-up", "--history-interval", "0.1", "--batch-events", "200", "--ingest",
                      input}))
                .exit_code,
            0);
  const std::string out_dir = dir / "report";
  RunResult r = run(with({"report", "--out", out_dir}));
  ASSERT_EQ(r.exit_code, 0);
  const std::string page = out_dir + "/index.html";
  EXPECT_EQ(r.out, "");  // -q

  // Self-contained: no script, no link, no URL of any kind.
  std::string html = slurp(page);
  ASSERT_FALSE(html.empty());
  for (const char* external : {"http:", "https:", "//", "<script", "src=", "href=", "url(", "@import"})
    EXPECT_EQ(html.find(external), std::string::npos) << "the page references something outside it: " << external;

  std::string dom = chromium_dom(page, dir / "chromium-profile");
  ASSERT_NE(dom.find("<h1>ledgerhouse report</h1>"), std::string::npos) << dom.substr(0, 500);
  EXPECT_EQ(count(dom, "<svg class=\"plot\""), 5u);

  // Throughput and lag: one point per history sample of the last run.
  auto history = tools::read_history(log);
  ASSERT_TRUE(history.ok());
  size_t samples = 0;
  for (const auto& h : *history) samples += h.run == history->back().run;
  ASSERT_GE(samples, 2u);
  for (const char* id : {"throughput", "lag"}) {
    std::string svg = plot(dom, id);
    ASSERT_FALSE(svg.empty()) << id;
    EXPECT_NE(svg.find("<title>"), std::string::npos) << id;
    EXPECT_EQ(count(svg, "class=\"point\""), samples) << id;
  }
  EXPECT_GT(data_values(plot(dom, "throughput")).size(), 0u);

  // Quarantine: one bar per reason seen, summing to the log's count.
  storage::LogOptions lo;
  lo.dir = log;
  lo.read_only = true;
  auto elog = storage::EventLog::open(lo);
  ASSERT_TRUE(elog.ok());
  auto st = (*elog)->stats();
  ASSERT_TRUE(st.ok());
  ASSERT_GT(st->quarantined, 0u);
  size_t reasons = 0;
  for (size_t c = 0; c < storage::kRejectCodeSlots; ++c) reasons += st->quarantined_by_code[c] > 0;
  auto q = data_values(plot(dom, "quarantine"));
  EXPECT_EQ(q.size(), reasons);
  double qsum = 0;
  for (double v : q) qsum += v;
  EXPECT_EQ(qsum, double(st->quarantined));

  // Revenue per day and top vendors: what SQL says.
  pqxx::connection c(dsn);
  pqxx::read_transaction tx(c);
  auto cur = tx.exec1("SELECT currency FROM rep.fact_order_line WHERE status NOT IN ('cancelled','returned') "
                      "GROUP BY 1 ORDER BY sum(amount) DESC LIMIT 1")[0].as<std::string>();
  auto days = tx.exec_params1("SELECT count(DISTINCT date_key), sum(amount)::float8 FROM rep.fact_order_line "
                              "WHERE status NOT IN ('cancelled','returned') AND currency = $1", cur);
  auto rev = data_values(plot(dom, "revenue"));
  EXPECT_EQ(rev.size(), days[0].as<size_t>());
  double rsum = 0;
  for (double v : rev) rsum += v;
  EXPECT_NEAR(rsum, days[1].as<double>(), 0.01 * rev.size());
  auto vendors = data_values(plot(dom, "top-vendors"));
  EXPECT_EQ(vendors.size(), std::min<size_t>(10, tx.exec1("SELECT count(DISTINCT vendor_id) FROM rep.fact_order_line")[0].as<size_t>()));
  for (size_t i = 1; i < vendors.size(); ++i) EXPECT_GE(vendors[i - 1], vendors[i]);
  uint64_t orders = tx.exec1("SELECT count(*) FROM rep.fact_order")[0].as<uint64_t>();
  EXPECT_NE(dom.find("<th>orders</th><td>" + std::to_string(orders) + "</td>"), std::string::npos);

  // A bad warehouse is an error naming it, and no page is written.
  RunResult bad = run({"-q", "-D", log, "--pg", dsn, "--schema", "nowhere", "report", "--out", dir / "bad"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad/index.html"));
}

}  // namespace
}  // namespace lh::testing
