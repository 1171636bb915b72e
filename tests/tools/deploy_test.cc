// deploy/: the Grafana dashboard is valid JSON whose queries use only metrics
// that /metrics exposes, and so are the Prometheus alert rules (promtool
// checks their syntax and alerts: tests/CMakeLists.txt, when promtool is
// installed). The names exposed are taken from RunMetrics::render itself, so
// the files cannot drift from the code unnoticed.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <simdjson.h>

#include "tests/tools/prom_text.h"
#include "tools/run_metrics.h"

namespace lh::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every sample name /metrics can expose (families and histogram series).
std::set<std::string> exposed_names() {
  tools::RunMetrics m{tools::MetricsOptions{}};
  PromText p = parse_prom_text(m.render(tools::now_us()));
  EXPECT_EQ(p.error, "");
  std::set<std::string> names;
  for (const auto& [fam, type] : p.types) {
    names.insert(fam);
    if (type == "histogram")
      for (const char* s : {"_bucket", "_sum", "_count"}) names.insert(fam + s);
  }
  EXPECT_GT(names.size(), 20u);
  return names;
}

std::set<std::string> ledgerhouse_names_in(const std::string& text) {
  static const std::regex re("ledgerhouse_[a-zA-Z0-9_]+");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  return out;
}

TEST(Deploy, GrafanaDashboardIsValidAndUsesOnlyExposedMetrics) {
  std::string text = slurp(std::string(LH_SOURCE_DIR) + "/deploy/grafana/ledgerhouse.json");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << "not valid JSON";
  std::string_view title;
  ASSERT_EQ(doc["title"].get(title), simdjson::SUCCESS);
  simdjson::dom::array panels;
  ASSERT_EQ(doc["panels"].get(panels), simdjson::SUCCESS);
  std::set<int64_t> ids;
  std::string all_exprs;
  size_t targets = 0;
  for (simdjson::dom::element p : panels) {
    int64_t id = 0;
    std::string_view ptitle, type;
    ASSERT_EQ(p["id"].get(id), simdjson::SUCCESS);
    ASSERT_EQ(p["title"].get(ptitle), simdjson::SUCCESS);
    ASSERT_EQ(p["type"].get(type), simdjson::SUCCESS);
    EXPECT_TRUE(ids.insert(id).second) << "panel id " << id << " twice";
    int64_t w = 0, h = 0;
    ASSERT_EQ(p["gridPos"]["w"].get(w), simdjson::SUCCESS) << ptitle;
    ASSERT_EQ(p["gridPos"]["h"].get(h), simdjson::SUCCESS) << ptitle;
    EXPECT_TRUE(w > 0 && w <= 24 && h > 0) << ptitle;
    simdjson::dom::array ts;
    ASSERT_EQ(p["targets"].get(ts), simdjson::SUCCESS) << ptitle;
    std::set<std::string_view> refs;
    for (simdjson::dom::element t : ts) {
      std::string_view expr, ref;
      ASSERT_EQ(t["expr"].get(expr), simdjson::SUCCESS) << ptitle;
      ASSERT_EQ(t["refId"].get(ref), simdjson::SUCCESS) << ptitle;
      EXPECT_TRUE(refs.insert(ref).second) << ptitle << ": refId " << ref << " twice";
      std::set<std::string> used = ledgerhouse_names_in(std::string(expr));
      EXPECT_FALSE(used.empty()) << ptitle << ": " << expr;
      all_exprs += std::string(expr) + "\n";
      ++targets;
    }
  }
  EXPECT_GE(targets, 10u);
  const std::set<std::string> exposed = exposed_names();
  const std::set<std::string> used = ledgerhouse_names_in(all_exprs);
  for (const std::string& n : used) EXPECT_TRUE(exposed.count(n)) << n << " is used by the dashboard but not exposed";
  // What the issue asks the dashboard to show.
  for (const char* n : {"ledgerhouse_events_appended_total", "ledgerhouse_duplicates_total",
                        "ledgerhouse_quarantined_total", "ledgerhouse_log_file_bytes",
                        "ledgerhouse_projection_lag_events", "ledgerhouse_projection_lag_seconds",
                        "ledgerhouse_apply_duration_seconds_bucket", "ledgerhouse_rows_written_total",
                        "ledgerhouse_vendor_events_total", "ledgerhouse_postgres_up"})
    EXPECT_TRUE(used.count(n)) << n << " has no panel";
}

TEST(Deploy, AlertRulesUseOnlyExposedMetrics) {
  std::string text = slurp(std::string(LH_SOURCE_DIR) + "/deploy/prometheus/ledgerhouse.rules.yml");
  std::string exprs;  // the expr: values (one line or a | block), comments and annotations aside
  std::istringstream in(text);
  std::string line;
  bool in_block = false;
  size_t alerts = 0;
  while (std::getline(in, line)) {
    size_t at = line.find_first_not_of(' ');
    if (at == std::string::npos) continue;
    if (line.compare(at, 7, "- alert") == 0) ++alerts;
    if (line.compare(at, 5, "expr:") == 0) {
      std::string v = line.substr(at + 5);
      in_block = v.find('|') != std::string::npos;
      exprs += v + "\n";
      continue;
    }
    if (in_block && at > 8) {
      exprs += line + "\n";
      continue;
    }
    in_block = false;
  }
  EXPECT_EQ(alerts, 8u);
  const std::set<std::string> exposed = exposed_names();
  const std::set<std::string> used = ledgerhouse_names_in(exprs);
  for (const std::string& n : used) EXPECT_TRUE(exposed.count(n)) << n << " is used by a rule but not exposed";
  for (const char* n : {"ledgerhouse_projection_lag_seconds", "ledgerhouse_postgres_up",
                        "ledgerhouse_quarantined_total", "ledgerhouse_postgres_errors_total"})
    EXPECT_TRUE(used.count(n)) << n << " has no alert";
}

}  // namespace
}  // namespace lh::testing
