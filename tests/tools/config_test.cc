// The configuration file through the real binary: precedence (defaults <
// file < LEDGERHOUSE_* < flags), every class of bad input named with its
// file and line, the shipped example accepted, JSON log lines.
// `status --json` against a server that is not there shows the effective
// schema, data directory and thresholds without needing PostgreSQL.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/tools/cli_harness.h"

namespace lh::testing {
namespace {

struct Captured {
  int exit_code = -1;
  std::string out, err;
};

class Config : public ::testing::Test {
 protected:
  TempDir dir;
  // No server listens on this socket directory: status fails at once.
  std::string no_server = "host=/nonexistent-lh-socket-dir";

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir / name;
    std::ofstream(path) << text;
    return path;
  }
  Captured run_capture(const std::vector<std::string>& args) {
    Captured c;
    std::string out = dir / "stdout", err = dir / "stderr";
    c.exit_code = wait_for(spawn(args, out, err)).exit_code;
    c.out = slurp(out);
    c.err = slurp(err);
    return c;
  }
  // `status --json` with `pre` global arguments and `post` status arguments.
  simdjson::dom::element status_json(std::vector<std::string> pre, std::vector<std::string> post = {}) {
    std::vector<std::string> args = pre;
    for (const char* a : {"--pg", no_server.c_str(), "status", "--json"}) args.push_back(a);
    args.insert(args.end(), post.begin(), post.end());
    Captured c = run_capture(args);
    EXPECT_EQ(c.exit_code, 1) << c.err;  // unhealthy: no server
    json_text_ = c.out;
    auto doc = parser_.parse(json_text_);
    EXPECT_FALSE(doc.error()) << c.out;
    return doc.value();
  }
  std::string schema_of(std::vector<std::string> pre) {
    return std::string(std::string_view(status_json(std::move(pre))["warehouse"]["schema"]));
  }
  double max_lag_seconds_of(std::vector<std::string> pre, std::vector<std::string> post = {}) {
    return double(status_json(std::move(pre), std::move(post))["thresholds"]["max_lag_seconds"]);
  }

 private:
  simdjson::dom::parser parser_;
  std::string json_text_;
};

// setenv for the life of the object (children inherit it).
struct ScopedEnv {
  std::string name;
  ScopedEnv(const std::string& n, const std::string& v) : name(n) { setenv(n.c_str(), v.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

TEST_F(Config, TheShippedExampleIsAccepted) {
  Captured c = run_capture({"config", "check", std::string(LH_SOURCE_DIR) + "/deploy/ledgerhouse.toml"});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("ok"), std::string::npos);
}

// The unit's commands are commands of this binary: ExecStartPre checks the
// shipped config, ExecStart's command exists (its --help succeeds).
TEST_F(Config, TheSystemdUnitRunsCommandsThatExist) {
  std::ifstream unit(std::string(LH_SOURCE_DIR) + "/deploy/systemd/ledgerhouse.service");
  std::string line;
  int commands = 0;
  while (std::getline(unit, line)) {
    if (line.rfind("ExecStart", 0) != 0) continue;
    std::istringstream words(line.substr(line.find('=') + 1));
    std::vector<std::string> args;
    std::string w;
    words >> w;
    EXPECT_EQ(w, "/usr/bin/ledgerhouse") << line;
    while (words >> w)
      args.push_back(w == "${LEDGERHOUSE_CONFIG}" ? std::string(LH_SOURCE_DIR) + "/deploy/ledgerhouse.toml" : w);
    if (line.find("config check") == std::string::npos) args.push_back("--help");
    Captured c = run_capture(args);
    EXPECT_EQ(c.exit_code, 0) << line << "\n" << c.err;
    ++commands;
  }
  EXPECT_EQ(commands, 2);
}

TEST_F(Config, WithoutAFileTheDefaultsHold) {
  EXPECT_EQ(schema_of({}), "dwh");
  EXPECT_EQ(max_lag_seconds_of({}), 300);
}

TEST_F(Config, TheFileOverridesTheDefaults) {
  std::string f = write("a.toml", "schema = \"from_file\"\n[status]\nmax_lag_seconds = 42\n");
  EXPECT_EQ(schema_of({"-c", f}), "from_file");
  EXPECT_EQ(max_lag_seconds_of({"--config", f}), 42);
  ScopedEnv e("LEDGERHOUSE_CONFIG", f);  // the file named by the environment
  EXPECT_EQ(schema_of({}), "from_file");
}

TEST_F(Config, TheEnvironmentOverridesTheFile) {
  std::string f = write("a.toml", "schema = \"from_file\"\n[status]\nmax_lag_seconds = 42\n");
  ScopedEnv s("LEDGERHOUSE_SCHEMA", "from_env");
  ScopedEnv m("LEDGERHOUSE_STATUS_MAX_LAG_SECONDS", "7");
  EXPECT_EQ(schema_of({"-c", f}), "from_env");
  EXPECT_EQ(max_lag_seconds_of({"-c", f}), 7);
}

TEST_F(Config, FlagsOverrideTheEnvironmentAndTheFile) {
  std::string f = write("a.toml", "schema = \"from_file\"\n[status]\nmax_lag_seconds = 42\n");
  ScopedEnv s("LEDGERHOUSE_SCHEMA", "from_env");
  ScopedEnv m("LEDGERHOUSE_STATUS_MAX_LAG_SECONDS", "7");
  EXPECT_EQ(schema_of({"-c", f, "--schema", "from_flag"}), "from_flag");
  EXPECT_EQ(max_lag_seconds_of({"-c", f}, {"--max-lag-seconds", "3"}), 3);
}

TEST_F(Config, AnUnknownKeyIsAnErrorNamingItsLineAndTheLikelyKey) {
  std::string f = write("typo.toml", "schema = \"dwh\"\n\n[run]\nbatch_evnts = 100\n");
  Captured c = run_capture({"config", "check", f});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find(f + ":4: unknown key 'run.batch_evnts' (did you mean batch_events?)"), std::string::npos)
      << c.err;
  // The same file given to a command stops it before it does anything: exit 2.
  Captured r = run_capture({"-c", f, "--pg", no_server, "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(f + ":4: unknown key"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");  // status never ran
}

TEST_F(Config, EveryClassOfBadValueIsNamedWithItsLine) {
  struct Case {
    std::string toml, expected;  // expected: the message after "FILE:"
  };
  std::vector<Case> cases = {
      {"[run\n", "1:5: "},  // syntax: line and column
      {"data_dir = 5\n", "1: data_dir: expected a string, got an integer"},
      {"x = 1\n[run]\npoll_ms = \"fast\"\n", "3: run.poll_ms: expected an integer, got a string"},
      {"[run]\nbatch_events = -3\n", "2: run.batch_events: --batch-events: Value -3 not in range"},
      {"[ingest]\ndurability = \"maybe\"\n", "2: ingest.durability: --durability: maybe not in {sync,nosync}"},
      {"[ingest]\ntopic = \"orders\"\n", "2: ingest.topic: expected an array, got a string"},
      {"quiet = \"yes\"\n", "1: quiet: expected true or false, got a string"},
      {"[warehouse]\nholidays = [\n  \"2026-01-01\",\n  \"2026-13-01\",\n]\n",
       "4: warehouse.holidays: holiday '2026-13-01': expected YYYY-MM-DD"},
      {"[warehouse]\norder_shards = 0\n", "2: warehouse.order_shards: 0 is out of range 1..1024"},
      {"[warehouse]\nalert_latency_ms = -1\n", "2: warehouse.alert_latency_ms: -1 is out of range"},
      {"[warehouse]\ndate_from_year = 2030\ndate_to_year = 2020\n", "1: [warehouse]: dim_date years 2030..2020"},
      {"[warehouse.scd.vendor]\ncolour = \"type1\"\n",
       "2: warehouse.scd.vendor.colour: dim_vendor has no attribute 'colour'"},
      {"[warehouse.scd.vendor]\nname = \"type4\"\n",
       "2: warehouse.scd.vendor.name: expected \"type1\", \"type2\" or \"type3\""},
      {"[warehouse.scd.shop]\nname = \"type1\"\n", "1: unknown key 'warehouse.scd.shop'"},
      {"[projector]\nbatch = 1\n", "1: unknown key 'projector' (did you mean projection?)"},
      {"[projection.reset]\nyes = true\n", "2: unknown key 'projection.reset.yes'"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].toml);
    std::string f = write("bad" + std::to_string(i) + ".toml", cases[i].toml);
    Captured c = run_capture({"config", "check", f});
    EXPECT_EQ(c.exit_code, 1);
    EXPECT_NE(c.err.find(f + ":" + cases[i].expected), std::string::npos) << c.err;
  }
}

TEST_F(Config, AllProblemsOfAFileAreReportedInLineOrder) {
  std::string f = write("many.toml", "zzz = 1\n[run]\nbatch_events = 0\n[ingest]\nbogus = 2\n");
  Captured c = run_capture({"config", "check", f});
  EXPECT_EQ(c.exit_code, 1);
  size_t a = c.err.find(f + ":1:"), b = c.err.find(f + ":3:"), d = c.err.find(f + ":5:");
  ASSERT_NE(a, std::string::npos) << c.err;
  ASSERT_NE(b, std::string::npos) << c.err;
  ASSERT_NE(d, std::string::npos) << c.err;
  EXPECT_LT(a, b);
  EXPECT_LT(b, d);
  EXPECT_NE(c.err.find("3 problems"), std::string::npos);
}

TEST_F(Config, AMissingFileIsNamed) {
  Captured c = run_capture({"-c", dir / "absent.toml", "status"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find(dir / "absent.toml"), std::string::npos) << c.err;
}

TEST_F(Config, ShowPrintsTheEffectiveValuesWithThePasswordMasked) {
  std::string f = write("s.toml",
                        "pg = \"postgresql://lh:s3cret@db.example/wh\"\n[run]\nbatch_events = 100\n"
                        "[warehouse]\nholidays = [2026-12-25]\n[warehouse.scd.vendor]\ntier = \"type3\"\n");
  ScopedEnv e("LEDGERHOUSE_RUN_POLL_MS", "250");
  Captured c = run_capture({"-c", f, "--data-dir", "/srv/lh", "config", "show"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.out.find("s3cret"), std::string::npos) << c.out;
  for (const char* line : {"pg = \"postgresql://lh:***@db.example/wh\"", "data_dir = \"/srv/lh\"",
                           "batch_events = 100", "poll_ms = 250", "holidays = [\"2026-12-25\"]", "tier = \"type3\""})
    EXPECT_NE(c.out.find(line), std::string::npos) << line << "\n" << c.out;
  // What show prints is itself a valid configuration file.
  std::string again = write("again.toml", c.out);
  Captured check = run_capture({"config", "check", again});
  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(Config, JsonLogLinesCarryTimeLevelAndMessage) {
  Captured c = run_capture({"--log-format", "json", "--schema", "Not-An-Identifier", "init-db"});
  EXPECT_EQ(c.exit_code, 2);
  simdjson::dom::parser p;
  std::string line = c.err.substr(0, c.err.find('\n'));
  auto doc = p.parse(line);
  ASSERT_FALSE(doc.error()) << c.err;
  EXPECT_EQ(std::string_view(doc["level"]), "error");
  EXPECT_NE(std::string(std::string_view(doc["msg"])).find("Not-An-Identifier"), std::string::npos);
  EXPECT_EQ(std::string_view(doc["time"]).size(), 24u);  // 2026-11-23T14:00:00.123Z
}

}  // namespace
}  // namespace lh::testing
