// Hot backup and restore of the event log (`ledgerhouse backup|restore`).
//
// A backup is a directory holding data.mdb (LMDB's own compacting copy of one
// read snapshot: consistent while writers append, free pages left out) and
// manifest.json (what it holds). It is built under a hidden temporary name
// next to the destination, fsynced, then renamed into place: a crash
// mid-backup never leaves something that looks like a good backup.
//
// Restore verifies the backup (verify_log) before anything else changes,
// marks every Kafka position of the restored log (SourcePosition.fingerprint
// = kRestoredMark: the log's position then wins over the group's committed
// offset, which is ahead of the backup; docs/kafka.md) and moves the result
// into place. An existing log is never overwritten without `force`, and then
// it is moved aside, never deleted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/result.h"
#include "storage/event_log.h"
#include "storage/log_verify.h"

namespace lh::storage {

struct BackupOptions {
  std::string version;  // written to the manifest ("ledgerhouse <version>")
};

struct BackupInfo {
  std::string dest;              // the backup directory (absolute)
  uint64_t last_seq = 0, events = 0, quarantined = 0;
  uint64_t bytes = 0;            // the backup's data.mdb
  uint64_t live_bytes = 0;       // the live log's data.mdb when the copy ended
  std::vector<SourcePosition> positions;  // as stored in the backup
  double seconds = 0;
};

// Copies `log` into `dest_dir`, which must not exist or be an empty
// directory. Runs beside appends from this or other processes. In this
// process, the copy holds the log's map lock shared: an append that needs to
// grow the map waits for the copy to end (other processes are not held up).
Result<BackupInfo> backup_log(const EventLog& log, const std::string& dest_dir,
                              const BackupOptions& options = {});

struct RestoreOptions {
  bool force = false;            // move an existing log in log_dir aside instead of refusing
  VerifyOptions verify;          // for the check of the backup (progress)
};

struct RestoreInfo {
  std::string log_dir;
  std::string moved_aside;       // where the previous log went ("" if there was none)
  uint64_t last_seq = 0, events = 0;
  size_t kafka_marked = 0;       // Kafka positions marked as restored
  std::vector<SourcePosition> positions;
  VerifyReport verify;           // of the backup, clean
  double seconds = 0;
};

// Restores the backup in `backup_dir` as the event log in `log_dir`. Stop
// every writer of log_dir first: a writer still running would go on writing
// into the log moved aside.
Result<RestoreInfo> restore_log(const std::string& backup_dir, const std::string& log_dir,
                                const RestoreOptions& options = {});

}  // namespace lh::storage
