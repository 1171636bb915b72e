// bench/kafka: a mock-cluster topic -> the event log, next to librdkafka's raw
// consume rate of the same topic, measured in the same run.
//
//   bench_kafka [--days D] [--partitions P] [--batch B] [--batch-ms MS] [--nosync] [--rounds N]
//               [--kafka-config k=v]... [--ingest-config k=v]...
//   (default 6 days, 16 partitions, 3 rounds; --kafka-config applies to both consumers, --ingest-config to the ingest's only)
//
// 1. generate D days of marketplace events (~40k lines a day) to a file and
//    produce them to a topic of P partitions on librdkafka's mock cluster
//    (3 brokers, TCP on 127.0.0.1; it keeps ~5 MiB per partition, hence 16);
// 2. --rounds times (default 3): raw, a consumer (assign, no group) that polls
//    every message to the end, touching each value; then ingest,
//    storage::ingest_kafka into a new log (consumer group, decode, validate,
//    encode, dedupe, positions, one LMDB transaction per batch, fsync unless
//    --nosync). Each ingest's ratio is to the raw pass just before it; the
//    median of the rounds is the result. 3. Then the floor (durable_floor):
//    the raw consumer with each value copied as it is into LMDB by a second
//    thread (no decode, dedupe or positions), to the same raw pass: the
//    least any consumer that keeps the messages durably in LMDB does, so its
//    ratio is a ceiling for the ingest's.
// 4. alone: decode+validate+encode, then the log append of the results, each
//    on one thread with nothing else running (thread CPU time per event), and
//    from them and the raw pass's CPU per message, the CPU bound: what the
//    ingest could reach on this machine's cores if every core were busy.
// Rates are counted from the first message (raw) or first committed batch
// (ingest) to the end, so the group join (the mock's 3 s initial rebalance
// delay) is not in them.
#include <lmdb.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_util.h"
#include "events/json_decoder.h"
#include "events/msgpack_codec.h"
#include "storage/event_log.h"
#include "storage/kafka_common.h"
#include "storage/kafka_producer.h"
#include "storage/kafka_source.h"
#include "tools/generator.h"
#include "tools/malloc_tuning.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_kafka: %s\n", what.c_str());
  std::exit(1);
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct RawResult {
  uint64_t messages = 0, bytes = 0;
  double seconds = 0;      // first message to last
  double cpu_seconds = 0;  // of the whole process (the mock brokers included), same window
  Clock::time_point first{};
  double cpu_first = 0;
};

// A consumer assigned every partition of the topic from the beginning,
// without joining a group. The ingest's prefetch limits
// (storage/kafka_source.cc): at librdkafka's defaults this consumer stalls
// too (up to 1 s with no fetch once 100,000 messages are queued; at 64
// partitions it used 0.3-0.6 cores), which would lower the yardstick.
lh::storage::KafkaHandle assigned_consumer(const std::string& boot, const std::string& topic, int partitions,
                                           const std::vector<std::string>& extra, const std::string& group) {
  std::vector<std::string> cfg = {"group.id=" + group, "enable.partition.eof=true",
                                  "enable.auto.commit=false", "log_level=3",
                                  "queued.min.messages=1000000", "queued.max.messages.kbytes=262144"};
  cfg.insert(cfg.end(), extra.begin(), extra.end());
  auto conf = lh::storage::kafka_conf(boot, cfg);
  if (!conf.ok()) die(conf.error().message);
  char err[512];
  lh::storage::KafkaHandle rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf->release(), err, sizeof err));
  if (!rk) die(err);
  rd_kafka_poll_set_consumer(rk.get());
  lh::storage::KafkaPartitions parts(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk.get(), parts.get());
  return rk;
}

// Polls `rk` until every partition is at its end, handing each message to
// `on_message`; the time and CPU from the first message to the last.
template <typename OnMessage>
RawResult consume_all(rd_kafka_t* rk, int partitions, OnMessage&& on_message) {
  RawResult r;
  std::set<int32_t> at_end;
  Clock::time_point last{};
  while (static_cast<int>(at_end.size()) < partitions) {
    lh::storage::KafkaMessage m(rd_kafka_consumer_poll(rk, 1000));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
      continue;
    }
    if (m->err) die(rd_kafka_message_errstr(m.get()));
    if (r.messages == 0) {
      r.first = Clock::now();
      r.cpu_first = lh::bench::cpu_seconds();
    }
    last = Clock::now();
    ++r.messages;
    r.bytes += m->len;
    on_message(*m);
  }
  r.seconds = seconds_between(r.first, last);
  r.cpu_seconds = lh::bench::cpu_seconds() - r.cpu_first;  // + the end-of-partition events
  return r;
}

// The raw consume rate: every message of every partition, each value touched.
RawResult raw_consume(const std::string& boot, const std::string& topic, int partitions,
                      const std::vector<std::string>& extra) {
  auto rk = assigned_consumer(boot, topic, partitions, extra, "bench-raw");
  uint64_t checksum = 0;
  RawResult r = consume_all(rk.get(), partitions, [&](const rd_kafka_message_t& m) {
    if (m.len) checksum += static_cast<const unsigned char*>(m.payload)[m.len / 2];
  });
  rd_kafka_consumer_close(rk.get());
  if (checksum == 42) std::fprintf(stderr, " ");  // keeps the reads
  return r;
}

// The least any consumer that keeps every message durably in LMDB must do:
// the raw pass's consumer, each value copied as it is (no decode, no
// validation, no dedupe index, no positions) into a batch, and a second
// thread putting each batch into a fresh LMDB database (MDB_APPEND, 8-byte
// sequence keys, one transaction per batch, fsync unless nosync) while the
// next batch fills: the ingest's shape with nothing of its own. Its ratio to
// the raw pass before it is a ceiling for the ingest's ratio on this machine.
RawResult durable_floor(const std::string& boot, const std::string& topic, int partitions,
                        const std::vector<std::string>& extra, const std::string& dir, size_t batch,
                        bool nosync) {
  auto check = [](int rc, const char* what) {
    if (rc != 0) die(fmt::format("floor: {}: {}", what, mdb_strerror(rc)));
  };
  fs::remove_all(dir);
  fs::create_directories(dir);
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "mdb_env_create");
  check(mdb_env_set_mapsize(env, 64ull << 30), "mdb_env_set_mapsize");
  check(mdb_env_open(env, dir.c_str(), MDB_NOTLS | (nosync ? MDB_NOSYNC : 0), 0644), "mdb_env_open");
  MDB_dbi dbi;
  {
    MDB_txn* txn;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  struct Batch {
    std::string bytes;
    std::vector<uint32_t> lens;
  };
  Batch batches[2];
  Batch* filling = &batches[0];
  Batch* handed = nullptr;  // the appender's, until it sets it back to nullptr
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  Clock::time_point last_commit{};
  std::thread appender([&] {
    pthread_setname_np(pthread_self(), "bench:floor-log");
    uint64_t seq = 0;
    for (;;) {
      Batch* b;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return handed || done; });
        if (!handed) return;
        b = handed;
      }
      MDB_txn* txn;
      check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
      size_t at = 0;
      for (uint32_t len : b->lens) {
        uint64_t key = __builtin_bswap64(++seq);
        MDB_val k{sizeof key, &key};
        MDB_val v{len, b->bytes.data() + at};
        check(mdb_put(txn, dbi, &k, &v, MDB_APPEND), "mdb_put");
        at += len;
      }
      check(mdb_txn_commit(txn), "mdb_txn_commit");
      std::lock_guard<std::mutex> lk(mu);
      last_commit = Clock::now();
      handed = nullptr;
      cv.notify_all();
    }
  });
  auto hand_over = [&] {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return handed == nullptr; });
    handed = filling;
    filling = filling == &batches[0] ? &batches[1] : &batches[0];
    filling->bytes.clear();
    filling->lens.clear();
    cv.notify_all();
  };

  auto rk = assigned_consumer(boot, topic, partitions, extra, "bench-floor");
  RawResult r = consume_all(rk.get(), partitions, [&](const rd_kafka_message_t& m) {
    filling->bytes.append(static_cast<const char*>(m.payload), m.len);
    filling->lens.push_back(static_cast<uint32_t>(m.len));
    if (filling->lens.size() >= batch) hand_over();
  });
  if (!filling->lens.empty()) hand_over();
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return handed == nullptr; });
    done = true;
    cv.notify_all();
  }
  appender.join();
  r.seconds = seconds_between(r.first, last_commit);  // to the last batch's commit
  r.cpu_seconds = lh::bench::cpu_seconds() - r.cpu_first;
  rd_kafka_consumer_close(rk.get());
  mdb_env_close(env);
  fs::remove_all(dir);
  return r;
}

// Bytes this process handed to write(2)/pwrite(2)/writev(2) so far
// (/proc/self/io wchar): the log's page writes, for bytes per event.
uint64_t written_bytes() {
  FILE* f = std::fopen("/proc/self/io", "r");
  if (!f) return 0;
  char key[64];
  unsigned long long v = 0, out = 0;
  while (std::fscanf(f, "%63s %llu", key, &v) == 2)
    if (std::strcmp(key, "wchar:") == 0) out = v;
  std::fclose(f);
  return out;
}

// What the ingest must do per message besides librdkafka's work, each stage
// alone on one thread with nothing else running: decode + validate + msgpack
// encode of the same lines, then the log append of the results (batches of
// the ingest's size, a fresh log, the ingest's durability). CPU time of the
// thread (kernel time in it included: write copies, fsync writeback), so a
// wait on the disk is not counted as work.
struct SoloCosts {
  uint64_t events = 0;
  double decode_cpu_us = 0;   // per line
  double append_cpu_us = 0;   // per event
  double append_wall_us = 0;  // per event, fsync waits included
  double append_bytes = 0;    // written per event
};

SoloCosts solo_costs(const std::string& path, const std::string& log_dir, size_t batch,
                     lh::storage::Durability durability) {
  std::vector<std::string> lines;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) die("cannot read " + path);
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) lines.emplace_back(line, static_cast<size_t>(n - (line[n - 1] == '\n')));
  free(line);
  std::fclose(f);
  if (lines.empty()) die(path + ": no lines");

  lh::events::JsonDecoder decoder;
  lh::events::Event ev;
  lh::events::Rejection why;
  // Timed: into one reused buffer, as the ingest's consuming thread does.
  std::string payload;
  size_t ok = 0;
  double c0 = lh::bench::thread_cpu_seconds();
  for (const auto& l : lines) {
    if (!decoder.decode(l, ev, why)) continue;
    payload.clear();
    lh::events::encode_msgpack(ev, payload);
    ++ok;
  }
  SoloCosts c;
  c.decode_cpu_us = (lh::bench::thread_cpu_seconds() - c0) * 1e6 / lines.size();
  // Not timed: the same again, kept for the append.
  std::vector<lh::storage::PendingEvent> events;
  events.reserve(ok);
  for (const auto& l : lines) {
    if (!decoder.decode(l, ev, why)) continue;
    lh::storage::PendingEvent& e = events.emplace_back();
    e.event_id = ev.event_id;
    e.type = ev.type;
    lh::events::encode_msgpack(ev, e.payload);
  }
  lines = {};

  lh::storage::LogOptions lo;
  lo.dir = log_dir;
  lo.durability = durability;
  auto log = lh::storage::EventLog::open(lo);
  if (!log.ok()) die(log.error().message);
  lh::storage::AppendBatch b;
  b.positions.push_back({"bench", 0, 0, {}});
  const auto t0 = Clock::now();
  c0 = lh::bench::thread_cpu_seconds();
  const uint64_t w0 = written_bytes();
  for (size_t i = 0; i < events.size(); i += batch) {
    const size_t end = std::min(events.size(), i + batch);
    b.events.assign(std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(i)),
                    std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(end)));
    b.positions[0].offset = end;
    auto r = (*log)->append(b);
    if (!r.ok()) die(r.error().message);
    if (r->appended != end - i) die(fmt::format("solo append: {} of {} appended", r->appended, end - i));
  }
  c.events = events.size();
  c.append_cpu_us = (lh::bench::thread_cpu_seconds() - c0) * 1e6 / c.events;
  c.append_wall_us = seconds_between(t0, Clock::now()) * 1e6 / c.events;
  c.append_bytes = static_cast<double>(written_bytes() - w0) / c.events;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  // As the ledgerhouse binary does (tools/main.cc), for the raw pass too.
  const std::string malloc_setting = lh::tools::tune_malloc();
  int days = 6, partitions = 16, raw_runs = 3;
  size_t batch = lh::storage::KafkaIngestOptions{}.batch_records;
  int batch_ms = lh::storage::KafkaIngestOptions{}.batch_max_ms;
  bool nosync = false;
  std::vector<std::string> kafka_config;  // --kafka-config k=v: both consumers
  std::vector<std::string> ingest_config;  // --ingest-config k=v: the ingest's consumer only
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--days") days = std::stoi(next());
    else if (a == "--partitions") partitions = std::stoi(next());
    else if (a == "--batch") batch = std::stoul(next());
    else if (a == "--batch-ms") batch_ms = std::stoi(next());
    else if (a == "--nosync") nosync = true;
    else if (a == "--kafka-config") kafka_config.push_back(next());
    else if (a == "--ingest-config") ingest_config.push_back(next());
    else if (a == "--rounds" || a == "--raw-runs") raw_runs = std::max(1, std::stoi(next()));
    else die("usage: bench_kafka [--days D] [--partitions P] [--batch B] [--batch-ms MS] [--nosync] [--rounds N] "
             "[--kafka-config k=v]... [--ingest-config k=v]...");
  }
  std::string dir = fs::temp_directory_path() / fmt::format("lh-bench-kafka-{}", getpid());
  fs::create_directories(dir);
  std::string input = dir + "/events.ndjson";

  lh::tools::GeneratorOptions g;
  g.days = days;
  g.seed = 42;
  FILE* f = std::fopen(input.c_str(), "wb");
  if (!f) die("cannot write " + input);
  auto gen = lh::tools::generate_to_file(g, f);
  std::fclose(f);
  if (!gen.ok()) die(gen.error().message);

  auto cluster = lh::storage::MockKafkaCluster::start(3);
  if (!cluster.ok()) die(cluster.error().message);
  std::string boot = (*cluster)->bootstrap_servers();
  const std::string topic = "bench";
  if (auto s = (*cluster)->create_topic(topic, partitions); !s.ok()) die(s.error().message);
  lh::storage::ProduceOptions po;
  po.brokers = boot;
  po.topic = topic;
  po.config = {"partitioner=random"};  // even partitions (vendor keys are skewed)
  auto produced = lh::storage::produce_ndjson(input, po);
  if (!produced.ok()) die(produced.error().message);
  std::printf("input: %llu messages (%.1f MiB) in %d partitions, produced at %.0f msg/s\n",
              static_cast<unsigned long long>(produced->messages), produced->bytes / 1048576.0,
              partitions, produced->messages / produced->seconds);
  std::printf("%s\n", malloc_setting.c_str());

  // Thread names, so that `perf record` + `perf report --sort comm` tells the
  // phases apart (librdkafka's own threads are named rdk:*).
  //
  // Rounds: a raw pass, then an ingest into a new log (a new group), each
  // ingest compared with the raw pass just before it. This VM's speed drifts
  // 20-40% within minutes (the same pass alone: 0.47 vs 0.83 us/msg), so a
  // ratio of runs minutes apart measured the drift as much as the ingest;
  // the median of the paired ratios is the figure to compare with the target.
  struct Round {
    RawResult raw;
    double raw_rate = 0;
    double rate = 0, secs = 0, cpu = 0;
    uint64_t measured = 0;
    lh::storage::KafkaIngestSummary summary;
    uint64_t written = 0;
    RawResult floor;  // durable_floor(), after the ingest
    double floor_rate = 0;
  };
  std::vector<Round> rounds;
  lh::storage::LogOptions lo;
  lo.durability = nosync ? lh::storage::Durability::nosync : lh::storage::Durability::sync;
  // The raw pass gets faster round after round in one process (e.g. 645k,
  // 925k, 1.13M msg/s; CPU per message 2.7 -> 1.6 us), so a first round
  // against a cold raw pass would flatter the ingest: one warm-up pass first.
  {
    pthread_setname_np(pthread_self(), "bench:warmup");
    RawResult w = raw_consume(boot, topic, partitions, kafka_config);
    std::printf("warm-up raw pass (not counted): %.0f msg/s, %.2f us CPU/msg\n", w.messages / w.seconds,
                w.cpu_seconds * 1e6 / std::max<uint64_t>(1, w.messages));
  }
  for (int run = 0; run < raw_runs; ++run) {
    Round rd;
    pthread_setname_np(pthread_self(), "bench:raw");
    rd.raw = raw_consume(boot, topic, partitions, kafka_config);
    // The mock cluster keeps about 5 MiB per partition and drops older messages.
    if (rd.raw.messages != produced->messages)
      die(fmt::format("the topic holds {} of the {} messages produced: the mock cluster keeps ~5 MiB "
                      "per partition; use fewer --days or more --partitions",
                      rd.raw.messages, produced->messages));
    rd.raw_rate = rd.raw.messages / rd.raw.seconds;

    lo.dir = fmt::format("{}/log-{}", dir, run);
    auto log = lh::storage::EventLog::open(lo);
    if (!log.ok()) die(log.error().message);
    lh::storage::KafkaIngestOptions ko;
    ko.brokers = boot;
    ko.topics = {topic};
    ko.group = fmt::format("bench-ingest-{}", run);
    ko.exit_at_end = true;
    ko.config = kafka_config;
    ko.config.insert(ko.config.end(), ingest_config.begin(), ingest_config.end());
    ko.batch_records = batch;
    ko.batch_max_ms = batch_ms;
    Clock::time_point first{}, last{};
    uint64_t first_records = 0;
    double cpu_first = 0, cpu_last = 0;
    ko.on_batch = [&](const lh::storage::IngestProgress& p) {
      if (first_records == 0) {
        first = Clock::now();
        first_records = p.records;
        cpu_first = lh::bench::cpu_seconds();
      }
      last = Clock::now();
      cpu_last = lh::bench::cpu_seconds();
    };
    pthread_setname_np(pthread_self(), "bench:ingest");
    const uint64_t written0 = written_bytes();
    auto ing = lh::storage::ingest_kafka(**log, ko);
    rd.written = written_bytes() - written0;
    if (!ing.ok()) die(ing.error().message);
    rd.summary = *ing;
    const auto& t = ing->totals;
    if (t.records != rd.raw.messages)
      die(fmt::format("ingest handled {} messages, the topic has {}", t.records, rd.raw.messages));
    if (t.appended + t.quarantined + t.duplicates != t.records)
      die(fmt::format("ingest: {} appended + {} quarantined + {} duplicates != {} messages", t.appended,
                      t.quarantined, t.duplicates, t.records));
    rd.secs = seconds_between(first, last);
    rd.measured = t.records - first_records;
    rd.rate = rd.secs > 0 ? rd.measured / rd.secs : 0;
    rd.cpu = cpu_last - cpu_first;
    log->reset();
    fs::remove_all(lo.dir);
    std::printf("round %d/%d: raw (librdkafka, no decode) %.0f msg/s, %.2f us CPU/msg (%.2f cores) | "
                "ingest (decode, validate, log, %s, batch %zu) %.0f msg/s in %llu batches, %.2f us "
                "CPU/msg (%.2f cores) | ratio %.2f\n",
                run + 1, raw_runs, rd.raw_rate, rd.raw.cpu_seconds * 1e6 / rd.raw.messages,
                rd.raw.cpu_seconds / rd.raw.seconds, nosync ? "nosync" : "fsync per batch", batch, rd.rate,
                static_cast<unsigned long long>(t.batches), rd.measured ? rd.cpu * 1e6 / rd.measured : 0.0,
                rd.secs > 0 ? rd.cpu / rd.secs : 0.0, rd.rate / rd.raw_rate);
    std::printf("  ingest, whole (%.3f s, group join included): %.3f s in log appends (%.3f s of CPU), "
                "%.3f s waiting for messages, %.3f s waiting for the committing thread; log writes %.0f "
                "bytes per appended event; %llu fetch wake-ups\n",
                ing->seconds, ing->append_seconds, ing->append_cpu_seconds, ing->wait_seconds,
                ing->idle_wait_seconds, t.appended ? static_cast<double>(rd.written) / t.appended : 0.0,
                static_cast<unsigned long long>(ing->fetch_wakeups));
    pthread_setname_np(pthread_self(), "bench:floor");
    rd.floor = durable_floor(boot, topic, partitions, kafka_config, fmt::format("{}/floor-{}", dir, run), batch,
                             nosync);
    if (rd.floor.messages != rd.raw.messages)
      die(fmt::format("floor: {} messages, the topic has {}", rd.floor.messages, rd.raw.messages));
    rd.floor_rate = rd.floor.seconds > 0 ? rd.floor.messages / rd.floor.seconds : 0;
    std::printf("  floor (raw consumer + values copied as they are into LMDB, batch %zu, %s; no decode, no "
                "dedupe, no positions): %.0f msg/s, %.2f us CPU/msg | ratio to the raw pass %.2f\n",
                batch, nosync ? "nosync" : "fsync per batch", rd.floor_rate,
                rd.floor.cpu_seconds * 1e6 / rd.floor.messages, rd.floor_rate / rd.raw_rate);
    std::fflush(stdout);
    rounds.push_back(rd);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::vector<double> ratios, floor_ratios, ingest_to_floor;
  double best_raw = 0, best_ingest = 0;
  for (const auto& rd : rounds) {
    floor_ratios.push_back(rd.floor_rate / rd.raw_rate);
    ingest_to_floor.push_back(rd.rate / rd.floor_rate);
    ratios.push_back(rd.rate / rd.raw_rate);
    best_raw = std::max(best_raw, rd.raw_rate);
    best_ingest = std::max(best_ingest, rd.rate);
  }
  std::sort(ratios.begin(), ratios.end());
  const double median_ratio = median(ratios);
  std::printf("ratio ingest/raw: %.2f (median of %zu rounds, each ingest against the raw pass before it; "
              "range %.2f-%.2f); best ingest %.0f / best raw %.0f msg/s = %.2f\n",
              median_ratio, ratios.size(), ratios.front(), ratios.back(), best_ingest, best_raw,
              best_ingest / best_raw);
  std::printf("ratio floor/raw: %.2f (median; the ceiling for ingest/raw here); ingest/floor: %.2f (median)\n",
              median(floor_ratios), median(ingest_to_floor));
  // The round with the best raw pass gives the raw CPU per message below.
  RawResult raw;
  double raw_rate = 0;
  for (const auto& rd : rounds)
    if (rd.raw_rate > raw_rate) {
      raw_rate = rd.raw_rate;
      raw = rd.raw;
    }
  pthread_setname_np(pthread_self(), "bench:solo");
  const SoloCosts solo = solo_costs(input, dir + "/solo-log", batch, lo.durability);
  std::printf("alone, one thread each, nothing else running: decode+validate+encode %.2f us CPU/msg "
              "(%.0f msg/s); log append %.2f us CPU/event, %.2f us wall/event, %.0f bytes written/event "
              "(%s, file order)\n",
              solo.decode_cpu_us, 1e6 / solo.decode_cpu_us, solo.append_cpu_us, solo.append_wall_us,
              solo.append_bytes, nosync ? "nosync" : "fsync per batch");
  // The ingest does at least the raw consumer's work per message (librdkafka
  // and the in-process mock brokers) plus those two stages, on the same cores.
  const double raw_cpu_us = raw.cpu_seconds * 1e6 / raw.messages;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  const double bound = cores * 1e6 / (raw_cpu_us + solo.decode_cpu_us + solo.append_cpu_us);
  std::printf("CPU bound for the ingest here: %ld cores / (%.2f raw + %.2f decode + %.2f append us/msg) = "
              "%.0f msg/s = %.2f of the raw rate (every core busy, nothing waiting)\n",
              cores, raw_cpu_us, solo.decode_cpu_us, solo.append_cpu_us, bound, bound / raw_rate);
  fs::remove_all(dir);
  return 0;
}
