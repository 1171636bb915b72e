// backup_log / restore_log: LMDB's compacting copy into a hidden temporary
// directory, fsync, rename. See log_backup.h for the contract.
#include "storage/log_backup.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "events/json_encoder.h"
#include "storage/log_format.h"

namespace lh::storage {
namespace {

namespace fs = std::filesystem;
using namespace log_format;
using Clock = std::chrono::steady_clock;

Error sys_error(const std::string& what, const std::string& path) {
  return Error{fmt::format("{} {}: {}", what, path, std::strerror(errno))};
}

Status fsync_path(const std::string& path, bool dir) {
  int fd = ::open(path.c_str(), dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return sys_error("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return sys_error("fsync", path);
  return {};
}

// Removes a temporary directory unless released (the rename succeeded).
struct TempDirGuard {
  std::string path;
  ~TempDirGuard() {
    if (path.empty()) return;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string abs_path(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

// A hidden sibling of `target`: same file system, so rename() is atomic.
std::string temp_sibling(const std::string& target, std::string_view what) {
  fs::path t(target);
  return (t.parent_path() / fmt::format(".{}.{}-{}", t.filename().string(), what, ::getpid())).string();
}

std::string utc_now_stamp(const char* format) {
  time_t now = ::time(nullptr);
  tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string json_str(std::string_view s) {
  std::string out;
  events::append_json_string(s, out);
  return out;
}

std::string manifest_json(const BackupInfo& b, const std::string& source, const BackupOptions& o) {
  std::string out = fmt::format(
      "{{\n  \"kind\": \"ledgerhouse event log backup\",\n  \"version\": {},\n  \"created_at\": {},\n"
      "  \"source\": {},\n  \"last_seq\": {},\n  \"events\": {},\n  \"quarantined\": {},\n"
      "  \"data_bytes\": {},\n  \"positions\": [",
      json_str("ledgerhouse " + o.version), json_str(utc_now_stamp("%Y-%m-%dT%H:%M:%SZ")),
      json_str(source), b.last_seq, b.events, b.quarantined, b.bytes);
  for (size_t i = 0; i < b.positions.size(); ++i)
    out += fmt::format("{}\n    {{\"source\": {}, \"offset\": {}, \"line\": {}}}", i ? "," : "",
                       json_str(b.positions[i].source), b.positions[i].offset, b.positions[i].line);
  out += b.positions.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

Status write_file_synced(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return sys_error("create", path);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = sys_error("write", path);
      ::close(fd);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return sys_error("fsync", path);
  return {};
}

// LMDB's compacting copy of one snapshot of `log` into `fd`.
Status copy_env(const EventLog& log, int fd) {
  const LogHandles h = log_handles(log);
  for (int attempt = 0;; ++attempt) {
    int rc;
    {
      // The copy's read transaction must not overlap a map resize in this process.
      std::shared_lock<std::shared_mutex> lock(*h.map_mu);
      rc = mdb_env_copyfd2(h.env, fd, MDB_CP_COMPACT);
    }
    if (rc == MDB_MAP_RESIZED && attempt < 4) {  // another process grew the map
      std::unique_lock<std::shared_mutex> grow(*h.map_mu);
      if (int r = mdb_env_set_mapsize(h.env, 0); r != 0) return mdb_error("backup", "mdb_env_set_mapsize", r);
      if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
        return Error{fmt::format("backup: cannot rewind the copy: {}", std::strerror(errno))};
      continue;
    }
    if (rc != 0) return mdb_error("backup", "mdb_env_copyfd2", rc);
    return {};
  }
}

// A directory that is not there, or is empty; anything else is refused.
Status check_fresh_dir(const std::string& dir, std::string_view role) {
  std::error_code ec;
  fs::file_status st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return Error{fmt::format("{} {}: {}", role, dir, ec.message())};
  if (!fs::exists(st)) return {};
  if (!fs::is_directory(st)) return Error{fmt::format("{} {} exists and is not a directory", role, dir)};
  if (!fs::is_empty(dir, ec))
    return Error{fmt::format("{} {} is not empty: a backup goes into a new or empty directory", role, dir)};
  return {};
}

}  // namespace

Result<BackupInfo> backup_log(const EventLog& log, const std::string& dest_dir,
                              const BackupOptions& options) {
  const auto t0 = Clock::now();
  if (dest_dir.empty()) return Error{"backup: no destination directory given"};
  const std::string dest = abs_path(dest_dir);
  const std::string live = abs_path(log.dir());
  if (dest == live || dest.rfind(live + "/", 0) == 0)
    return Error{fmt::format("backup: destination {} is inside the event log {}", dest, live)};
  if (Status s = check_fresh_dir(dest, "backup: destination"); !s) return s.error();
  std::error_code ec;
  fs::create_directories(fs::path(dest).parent_path(), ec);
  if (ec) return Error{fmt::format("backup: cannot create {}: {}", fs::path(dest).parent_path().string(), ec.message())};

  TempDirGuard tmp{temp_sibling(dest, "partial")};
  fs::remove_all(tmp.path, ec);  // a leftover of a crashed backup with our pid
  if (!fs::create_directory(tmp.path, ec)) return Error{fmt::format("backup: cannot create {}: {}", tmp.path, ec.message())};
  const std::string data = tmp.path + "/data.mdb";
  int fd = ::open(data.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return sys_error("backup: create", data);
  Status copied = copy_env(log, fd);
  if (copied && ::fsync(fd) != 0) copied = sys_error("backup: fsync", data);
  ::close(fd);
  if (!copied) return copied.error();

  BackupInfo info;
  info.dest = dest;
  {
    // What the snapshot holds: read back from the copy itself.
    auto copy = EventLog::open(LogOptions{tmp.path, Durability::sync, 0, /*read_only=*/true, {}});
    if (!copy) return Error{"backup: the copy does not open: " + copy.error().message};
    auto st = (*copy)->stats();
    if (!st) return Error{"backup: the copy's stats: " + st.error().message};
    info.last_seq = st->last_seq;
    info.events = st->events;
    info.quarantined = st->quarantined;
    info.bytes = st->file_bytes;
    info.positions = (*copy)->positions();
  }
  fs::remove(tmp.path + "/lock.mdb", ec);  // made by the open above; LMDB recreates it at need
  if (Status s = write_file_synced(tmp.path + "/manifest.json", manifest_json(info, live, options)); !s)
    return s.error();
  if (Status s = fsync_path(tmp.path, true); !s) return s.error();
  // rename() replaces an empty directory, never a non-empty one.
  if (::rename(tmp.path.c_str(), dest.c_str()) != 0) return sys_error("backup: rename to", dest);
  tmp.path.clear();
  if (Status s = fsync_path(fs::path(dest).parent_path().string(), true); !s) return s.error();
  if (auto st = log.stats()) info.live_bytes = st->file_bytes;
  info.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return info;
}

Result<RestoreInfo> restore_log(const std::string& backup_dir, const std::string& log_dir,
                                const RestoreOptions& options) {
  const auto t0 = Clock::now();
  if (backup_dir.empty() || log_dir.empty()) return Error{"restore: a backup directory and a log directory are needed"};
  const std::string src = abs_path(backup_dir);
  const std::string dst = abs_path(log_dir);
  std::error_code ec;
  if (!fs::is_directory(src, ec)) return Error{fmt::format("restore: backup {} is not a directory", src)};
  if (!fs::is_regular_file(src + "/data.mdb", ec))
    return Error{fmt::format("restore: {} holds no data.mdb: not a ledgerhouse backup", src)};
  if (src == dst) return Error{fmt::format("restore: the backup {} is the log directory itself", src)};
  const bool occupied = fs::exists(dst, ec) && !(fs::is_directory(dst, ec) && fs::is_empty(dst, ec));
  if (occupied && !options.force)
    return Error{fmt::format("restore: {} already holds {}; stop its writers and use --force to move it aside "
                             "(it is never deleted)",
                             dst, fs::exists(dst + "/data.mdb", ec) ? "an event log" : "files")};
  fs::create_directories(fs::path(dst).parent_path(), ec);

  // Work on a private copy next to the target: the backup is never written to.
  TempDirGuard tmp{temp_sibling(dst, "restore")};
  fs::remove_all(tmp.path, ec);
  if (!fs::create_directory(tmp.path, ec)) return Error{fmt::format("restore: cannot create {}: {}", tmp.path, ec.message())};
  if (!fs::copy_file(src + "/data.mdb", tmp.path + "/data.mdb", ec))
    return Error{fmt::format("restore: cannot copy {}/data.mdb: {}", src, ec.message())};

  RestoreInfo info;
  info.log_dir = dst;
  {
    auto copy = EventLog::open(LogOptions{tmp.path, Durability::sync, 0, /*read_only=*/true, {}});
    if (!copy) return Error{fmt::format("restore: {} is not a valid backup: {}", src, copy.error().message)};
    auto report = verify_log(**copy, options.verify);
    if (!report) return Error{fmt::format("restore: cannot verify {}: {}", src, report.error().message)};
    if (!report->clean()) {
      std::string list;
      for (size_t i = 0; i < report->problems.size() && i < 10; ++i)
        list += fmt::format("\n  {}: {}", report->problems[i].where, report->problems[i].what);
      return Error{fmt::format("restore: the backup {} fails verification ({} problems; nothing was changed):{}",
                               src, report->problem_count, list)};
    }
    info.verify = std::move(*report);
    // The manifest is informational, but one that disagrees with the data
    // means the directory was tampered with or mixed up with another backup.
    std::ifstream mf(src + "/manifest.json");
    std::stringstream text;
    text << mf.rdbuf();
    const std::string m = text.str();
    const size_t at = m.find("\"last_seq\":");
    if (at != std::string::npos) {
      const uint64_t said = std::strtoull(m.c_str() + at + 11, nullptr, 10);
      if (said != info.verify.last_seq)
        return Error{fmt::format("restore: {}/manifest.json says last seq {}, its data.mdb holds {}: not the "
                                 "backup the manifest describes (nothing was changed)",
                                 src, said, info.verify.last_seq)};
    }
  }
  {
    // Mark the Kafka positions in one append (no events): they win over the
    // group's committed offsets, which run ahead of the backup.
    auto log = EventLog::open(LogOptions{tmp.path, Durability::sync, 0, false, {}});
    if (!log) return Error{"restore: cannot open the restored log: " + log.error().message};
    AppendBatch mark;
    for (SourcePosition p : (*log)->positions()) {
      if (p.source.rfind("kafka:", 0) != 0) continue;
      p.fingerprint = std::string(kRestoredMark);
      mark.positions.push_back(std::move(p));
    }
    if (!mark.positions.empty()) {
      if (auto r = (*log)->append(mark); !r) return Error{"restore: marking Kafka positions: " + r.error().message};
    }
    info.kafka_marked = mark.positions.size();
    info.positions = (*log)->positions();
    auto st = (*log)->stats();
    if (!st) return Error{"restore: " + st.error().message};
    info.last_seq = st->last_seq;
    info.events = st->events;
  }
  fs::remove(tmp.path + "/lock.mdb", ec);
  if (Status s = fsync_path(tmp.path + "/data.mdb", false); !s) return s.error();
  if (Status s = fsync_path(tmp.path, true); !s) return s.error();

  if (fs::exists(dst, ec)) {
    if (fs::is_directory(dst, ec) && fs::is_empty(dst, ec)) {
      fs::remove(dst, ec);
    } else {
      std::string aside = dst + ".before-restore-" + utc_now_stamp("%Y%m%dT%H%M%SZ");
      for (int n = 2; fs::exists(aside, ec); ++n) aside = fmt::format("{}.before-restore-{}-{}", dst,
                                                                      utc_now_stamp("%Y%m%dT%H%M%SZ"), n);
      if (::rename(dst.c_str(), aside.c_str()) != 0) return sys_error("restore: cannot move aside", dst);
      info.moved_aside = aside;
    }
  }
  if (::rename(tmp.path.c_str(), dst.c_str()) != 0) {
    Error e = sys_error("restore: rename to", dst);
    if (!info.moved_aside.empty()) e.message += "; the previous log is in " + info.moved_aside;
    return e;
  }
  tmp.path.clear();
  if (Status s = fsync_path(fs::path(dst).parent_path().string(), true); !s) return s.error();
  info.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return info;
}

}  // namespace lh::storage
