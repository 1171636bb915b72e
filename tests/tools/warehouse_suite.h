// A test suite that drives the `ledgerhouse` binary against one PostgreSQL
// test cluster shared by its tests: the temp directory, the cluster, its DSN
// and the command line `-q -D LOG --pg DSN --schema SCHEMA args...`.
//
//   class Replay : public WarehouseSuite<Replay> {
//     static void SetUpTestSuite() {
//       start_cluster();
//       if (HasFatalFailure()) return;
//       ...
//     }
//   };
//
// The template parameter gives each suite its own statics.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/actors/warehouse_compare.h"
#include "tests/tools/cli_harness.h"

namespace lh::testing {

template <class Suite>
class WarehouseSuite : public ::testing::Test {
 protected:
  // Call first in the suite's SetUpTestSuite (then return on a fatal failure).
  static void start_cluster() {
    dir_ = new TempDir();
    cluster_ = start_test_cluster(*dir_ / "pg").release();
    ASSERT_NE(cluster_, nullptr);
    dsn_ = cluster_->dsn("postgres");
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete dir_;
    cluster_ = nullptr;
    dir_ = nullptr;
  }
  // `ledgerhouse -q -D log --pg DSN --schema schema args...`
  static std::vector<std::string> cli_for(const std::string& log, const std::string& schema,
                                          std::vector<std::string> args) {
    std::vector<std::string> all = {"-q", "-D", log, "--pg", dsn_, "--schema", schema};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  static inline TempDir* dir_ = nullptr;
  static inline storage::PgCluster* cluster_ = nullptr;
  static inline std::string dsn_;
};

}  // namespace lh::testing
