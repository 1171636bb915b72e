// kill -9 the ingest process at random moments, then ingest again: the log
// must hold every valid event of the input exactly once, in file order, with
// no gap in seqs, and the quarantine every invalid record once.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "tests/tools/cli_harness.h"

namespace lh::testing {
namespace {

// The log's content without the ingest times (which differ between runs).
std::vector<std::string> dump_without_ingest_time(const std::string& data_dir) {
  RunResult r = run({"-D", data_dir, "log", "dump"});
  EXPECT_EQ(r.exit_code, 0);
  static const std::regex kIngest("\"ingest_time\":\"[^\"]*\",");
  std::vector<std::string> out;
  for (auto& l : lines_of(r.out)) out.push_back(std::regex_replace(l, kIngest, ""));
  return out;
}

std::vector<std::string> quarantined_raw(const std::string& data_dir) {
  RunResult r = run({"-D", data_dir, "quarantine", "list", "--raw"});
  EXPECT_EQ(r.exit_code, 0);
  return lines_of(r.out);
}

class IngestCrash : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    input_ = *dir_ / "stream.ndjson";
    // Two days, with dirt (invalid records and duplicates) for the quarantine.
    RunResult g = run({"generate", "--days", "2", "--seed", "7", "--dirty-rate", "0.01",
                       "--orders-per-day", "1500", "-o", input_});
    ASSERT_EQ(g.exit_code, 0);
    // The oracle: one uninterrupted ingest.
    std::string ref = *dir_ / "reference";
    RunResult i = run({"-D", ref, "ingest", input_});
    ASSERT_EQ(i.exit_code, 0);
    reference_events_ = new std::vector<std::string>(dump_without_ingest_time(ref));
    reference_quarantine_ = new std::vector<std::string>(quarantined_raw(ref));
  }
  static void TearDownTestSuite() {
    delete reference_events_;
    delete reference_quarantine_;
    delete dir_;
  }
  static TempDir* dir_;
  static std::string input_;
  static std::vector<std::string>* reference_events_;
  static std::vector<std::string>* reference_quarantine_;
};
TempDir* IngestCrash::dir_;
std::string IngestCrash::input_;
std::vector<std::string>* IngestCrash::reference_events_;
std::vector<std::string>* IngestCrash::reference_quarantine_;

TEST_F(IngestCrash, ReferenceHasEventsAndQuarantine) {
  EXPECT_GT(reference_events_->size(), 10000u);
  EXPECT_GT(reference_quarantine_->size(), 50u);
  // seqs of the reference are 1..N in order.
  for (size_t i = 0; i < reference_events_->size(); ++i)
    ASSERT_EQ((*reference_events_)[i].rfind("{\"seq\":" + std::to_string(i + 1) + ",", 0), 0u)
        << (*reference_events_)[i];
}

TEST_F(IngestCrash, KillNineAtRandomMomentsThenResumeGivesExactlyOnce) {
  constexpr int kRuns = 20;
  int killed_mid_run = 0;
  for (int run_no = 0; run_no < kRuns; ++run_no) {
    SCOPED_TRACE("seeded run " + std::to_string(run_no));
    std::mt19937_64 rng(1000 + run_no);
    TempDir data;
    std::string log_dir = data / "log";
    // Small batches: many commits, so a kill lands between and inside them.
    std::string batch = std::to_string(200 + rng() % 2000);
    std::string durability = run_no % 4 == 3 ? "nosync" : "sync";
    int kills = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < kills; ++k) {
      pid_t pid = spawn({"-D", log_dir, "ingest", "--batch-size", batch, "--durability",
                         durability, input_});
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 250000));
      ::kill(pid, SIGKILL);
      RunResult r = wait_for(pid);
      if (r.signal == SIGKILL) ++killed_mid_run;
    }
    RunResult final_run = run({"-D", log_dir, "ingest", "--batch-size", batch, input_});
    ASSERT_EQ(final_run.exit_code, 0);
    // And once more: nothing new.
    RunResult again = run({"-D", log_dir, "ingest", "--json", input_});
    ASSERT_EQ(again.exit_code, 0);
    EXPECT_NE(again.out.find("\"appended\":0,"), std::string::npos) << again.out;

    std::vector<std::string> events = dump_without_ingest_time(log_dir);
    ASSERT_EQ(events.size(), reference_events_->size());
    for (size_t i = 0; i < events.size(); ++i)
      ASSERT_EQ(events[i], (*reference_events_)[i]) << "at seq " << i + 1;
    EXPECT_EQ(quarantined_raw(log_dir), *reference_quarantine_);
  }
  // The test means something only if most kills hit a running ingest.
  EXPECT_GE(killed_mid_run, kRuns / 2);
}

}  // namespace
}  // namespace lh::testing
