// bench/ingest: generated NDJSON -> decode -> event log, against the raw LMDB
// append limit of the same machine, measured in the same run.
//
//   bench_ingest [--events N] [--batch B] [--nosync] [--dir DIR]
//
// Stages, each timed on the same generated input:
//   decode-only   JsonDecoder + msgpack encode, one thread, no I/O
//   raw append    plain LMDB puts of the same stored record sizes, MDB_APPEND,
//                 B records per write txn, fsync per commit: the yardstick
//   ingest        the real pipeline (storage/ingest_pipeline): read, decode,
//                 validate, encode, dedupe index, checksums, positions, commit
// Peak memory of ingest is measured in a child process for N/4 and N events,
// to show it does not grow with the input.
#include <lmdb.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "events/json_decoder.h"
#include "events/msgpack_codec.h"
#include "storage/event_log.h"
#include "storage/ingest_pipeline.h"
#include "tools/generator.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s: %s\n", what, mdb_strerror(rc));
    std::exit(1);
  }
}

// Writes the first `events` lines of the 30-day bench preset (1000 vendors,
// 200k customers, 50k products, 8000 orders/day: ~5.9M events in all) to
// `path`; events come out in time order, so a prefix is a realistic stream
// of its first days. Returns the number of lines.
uint64_t generate(const std::string& path, uint64_t events) {
  lh::tools::GeneratorOptions o = lh::tools::bench_preset();
  o.seed = 42;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  uint64_t lines = 0;
  const std::string kEnough = "enough lines";
  auto s = lh::tools::generate(o, [&](std::string_view block) -> lh::Status {
    // Blocks hold whole lines; cut the last block at the N-th line.
    size_t take = 0;
    while (take < block.size() && lines < events) {
      size_t nl = block.find('\n', take);
      if (nl == std::string_view::npos) break;
      take = nl + 1;
      ++lines;
    }
    if (std::fwrite(block.data(), 1, take, f) != take) return lh::Error{"write failed"};
    if (lines >= events) return lh::Error{kEnough};
    return {};
  });
  std::fclose(f);
  if (!s.ok() && s.error().message != kEnough) {
    std::fprintf(stderr, "generate: %s\n", s.error().message.c_str());
    std::exit(1);
  }
  return lines;
}

std::vector<std::string> read_lines(const std::string& path, uint64_t& bytes) {
  std::vector<std::string> out;
  FILE* f = std::fopen(path.c_str(), "rb");
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  bytes = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    bytes += static_cast<uint64_t>(n);
    if (line[n - 1] == '\n') --n;
    out.emplace_back(line, static_cast<size_t>(n));
  }
  free(line);
  std::fclose(f);
  return out;
}

// The yardstick: LMDB's own append rate for these record sizes and this batch size.
double raw_append(const std::string& dir, const std::vector<std::string>& records, size_t batch,
                  bool sync) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  MDB_env* env;
  check(mdb_env_create(&env), "env_create");
  check(mdb_env_set_mapsize(env, 64ull << 30), "set_mapsize");
  check(mdb_env_set_maxdbs(env, 4), "set_maxdbs");
  check(mdb_env_open(env, dir.c_str(), sync ? 0 : MDB_NOSYNC, 0644), "env_open");
  MDB_txn* txn;
  MDB_dbi dbi;
  check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
  check(mdb_dbi_open(txn, "events", MDB_CREATE, &dbi), "dbi_open");
  check(mdb_txn_commit(txn), "commit");
  auto t0 = Clock::now();
  uint64_t seq = 0;
  for (size_t i = 0; i < records.size();) {
    check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
    for (size_t j = 0; j < batch && i < records.size(); ++j, ++i) {
      uint64_t be = __builtin_bswap64(++seq);
      MDB_val k{sizeof be, &be};
      MDB_val v{records[i].size(), const_cast<char*>(records[i].data())};
      check(mdb_put(txn, dbi, &k, &v, MDB_APPEND), "put");
    }
    check(mdb_txn_commit(txn), "commit");
  }
  double s = since(t0);
  mdb_env_close(env);
  fs::remove_all(dir);
  return s;
}

struct IngestRun {
  double seconds = 0;
  uint64_t appended = 0, quarantined = 0, duplicates = 0;
  long max_rss_kb = 0;
  long anon_kb = 0, file_kb = 0;  // RssAnon / RssFile at the end of the run
};

long status_kb(const char* field) {
  FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  long v = 0;
  size_t n = std::strlen(field);
  while (f && std::fgets(line, sizeof line, f))
    if (std::strncmp(line, field, n) == 0) v = std::atol(line + n + 1);
  if (f) std::fclose(f);
  return v;
}

// Runs the real pipeline in a child process so its peak RSS is its own.
IngestRun ingest_in_child(const std::string& dir, const std::string& input, size_t batch,
                          bool sync) {
  fs::remove_all(dir);
  int pipefd[2];
  if (pipe(pipefd) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    std::string fd = std::to_string(pipefd[1]), b = std::to_string(batch);
    execl("/proc/self/exe", "bench_ingest", "--child", dir.c_str(), input.c_str(), b.c_str(),
          sync ? "sync" : "nosync", fd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipefd[1]);
  IngestRun out;
  if (read(pipefd[0], &out, sizeof out) != sizeof out) {
    std::fprintf(stderr, "ingest child failed\n");
    std::exit(1);
  }
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  fs::remove_all(dir);
  return out;
}

// The child: a fresh process image (exec), so its peak RSS is the ingest's own.
int child_main(const std::string& dir, const std::string& input, size_t batch, bool sync, int fd) {
  {
    lh::storage::LogOptions lo;
    lo.dir = dir;
    lo.durability = sync ? lh::storage::Durability::sync : lh::storage::Durability::nosync;
    auto log = lh::storage::EventLog::open(lo);
    if (!log.ok()) _exit(2);
    lh::storage::IngestOptions io;
    io.batch_records = batch;
    auto r = lh::storage::ingest_ndjson(**log, input, io);
    if (!r.ok()) {
      std::fprintf(stderr, "ingest: %s\n", r.error().message.c_str());
      _exit(3);
    }
    IngestRun out;
    out.seconds = r->seconds;
    out.appended = r->totals.appended;
    out.quarantined = r->totals.quarantined;
    out.duplicates = r->totals.duplicates;
    // VmHWM, not wait4's ru_maxrss: Linux carries the pre-exec (forked from
    // this big parent) high-water mark into ru_maxrss.
    out.max_rss_kb = status_kb("VmHWM");
    out.anon_kb = status_kb("RssAnon");
    out.file_kb = status_kb("RssFile");
    if (write(fd, &out, sizeof out) != sizeof out) _exit(4);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7 && std::string(argv[1]) == "--child")
    return child_main(argv[2], argv[3], std::stoul(argv[4]), std::string(argv[5]) == "sync",
                      std::stoi(argv[6]));
  uint64_t events = 2000000;
  size_t batch = 10000;
  bool sync = true;
  std::string dir = "/tmp/lh-bench-ingest";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--events" && i + 1 < argc) events = std::stoull(argv[++i]);
    else if (a == "--batch" && i + 1 < argc) batch = std::stoul(argv[++i]);
    else if (a == "--nosync") sync = false;
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_ingest [--events N] [--batch B] [--nosync] [--dir DIR]\n");
      return 2;
    }
  }
  fs::create_directories(dir);
  std::string input = dir + "/stream.ndjson";
  std::string small_input = dir + "/stream-quarter.ndjson";

  std::fprintf(stderr, "generating ~%llu events...\n", static_cast<unsigned long long>(events));
  uint64_t lines = generate(input, events);
  uint64_t bytes = 0;
  std::vector<std::string> records = read_lines(input, bytes);
  {
    FILE* f = std::fopen(small_input.c_str(), "wb");
    for (size_t i = 0; i < records.size() / 4; ++i) {
      std::fwrite(records[i].data(), 1, records[i].size(), f);
      std::fputc('\n', f);
    }
    std::fclose(f);
  }

  // decode-only, and the stored records for the raw append.
  std::vector<std::string> stored;
  stored.reserve(records.size());
  lh::events::JsonDecoder decoder;
  lh::events::Event ev;
  lh::events::Rejection why;
  uint64_t rejected = 0;
  std::string payload;
  auto t0 = Clock::now();
  for (const auto& r : records) {
    if (decoder.decode(r, ev, why)) {
      payload.clear();
      lh::events::encode_msgpack(ev, payload);
      stored.emplace_back(std::string(13, '\0') + payload);  // + the log's 13-byte record header
    } else {
      ++rejected;
    }
  }
  double decode_s = since(t0);
  uint64_t stored_bytes = 0;
  for (const auto& s : stored) stored_bytes += s.size();

  double raw_s = raw_append(dir + "/raw", stored, batch, sync);
  IngestRun quarter = ingest_in_child(dir + "/log-quarter", small_input, batch, sync);
  IngestRun full = ingest_in_child(dir + "/log", input, batch, sync);

  double n = static_cast<double>(records.size());
  double raw_rate = stored.size() / raw_s;
  double ingest_rate = n / full.seconds;
  std::printf("bench/ingest  %llu lines (%.1f MB NDJSON), avg stored record %.0f B, batch %zu, durability %s\n",
              static_cast<unsigned long long>(lines), bytes / 1e6,
              static_cast<double>(stored_bytes) / stored.size(), batch, sync ? "sync" : "nosync");
  std::printf("  decode+encode only (1 thread)  %10.0f events/s  %7.1f MB/s\n", n / decode_s,
              bytes / 1e6 / decode_s);
  std::printf("  raw LMDB append (yardstick)     %10.0f records/s\n", raw_rate);
  std::printf("  ingest (full pipeline)          %10.0f events/s  %7.1f MB/s  %.2f s\n",
              ingest_rate, bytes / 1e6 / full.seconds, full.seconds);
  std::printf("  ratio ingest / raw append       %10.2f\n", ingest_rate / raw_rate);
  std::printf("  appended %llu, quarantined %llu, duplicates %llu\n",
              static_cast<unsigned long long>(full.appended),
              static_cast<unsigned long long>(full.quarantined),
              static_cast<unsigned long long>(full.duplicates));
  std::printf("  peak RSS of ingest: %.1f MiB for %zu events, %.1f MiB for %zu events\n",
              quarter.max_rss_kb / 1024.0, records.size() / 4, full.max_rss_kb / 1024.0,
              records.size());
  std::printf("  at the end: anonymous %.1f / %.1f MiB, file-backed (LMDB map, binary) %.1f / %.1f MiB\n",
              quarter.anon_kb / 1024.0, full.anon_kb / 1024.0, quarter.file_kb / 1024.0,
              full.file_kb / 1024.0);
  fs::remove_all(dir);
  return 0;
}
