// bench/pipeline: the reference projection Pipeline (projections/pipeline.h),
// single thread, on a generated marketplace stream already decoded in memory,
// against a yardstick measured in the same run.
//
//   bench_pipeline [--days D] [--orders-per-day N] [--vendors V] [--customers C] [--products P] [--batch B] [--repeat R]
//
// Stages, on the same decoded events:
//   yardstick   one COPY line per event (seq, event_id, event_time): the cost
//               of touching every event and formatting one row, nothing else
//   pipeline    Router + every owner + flush into RowBatches of B events,
//               R times from a fresh Pipeline; the fastest run is reported
// Then the owners' memory estimates per kind (Owner::memory_bytes).
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "events/json_decoder.h"
#include "projections/pipeline.h"
#include "tools/generator.h"

using Clock = std::chrono::steady_clock;
using namespace lh;
using namespace lh::projections;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<LoggedEvent> decoded_stream(const tools::GeneratorOptions& o) {
  std::string text;
  auto s = tools::generate(o, [&](std::string_view block) {
    text.append(block);
    return Status{};
  });
  if (!s.ok()) {
    std::fprintf(stderr, "generate: %s\n", s.error().message.c_str());
    std::exit(1);
  }
  std::vector<LoggedEvent> out;
  events::JsonDecoder decoder;
  events::Rejection why;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    LoggedEvent le;
    if (decoder.decode(std::string_view(text).substr(pos, nl - pos), le.event, why)) {
      le.seq = out.size() + 1;
      le.ingest_time_us = le.event.event_time_us;
      out.push_back(std::move(le));
    }
    pos = nl + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  tools::GeneratorOptions o;
  size_t batch = 4096;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--days")) o.days = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--orders-per-day")) o.orders_per_day = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--vendors")) o.vendors = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--customers")) o.customers = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--products")) o.products = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch")) batch = std::strtoul(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: bench_pipeline [--days D] [--orders-per-day N] [--vendors V] [--customers C] [--products P] [--batch B] [--repeat R]\n");
      return 2;
    }
  }
  if (batch == 0) batch = 1;
  if (Status st = tools::validate(o); !st.ok()) {
    std::fprintf(stderr, "generator options: %s\n", st.error().message.c_str());
    return 2;
  }
  auto t0 = Clock::now();
  std::vector<LoggedEvent> events = decoded_stream(o);
  std::printf("stream: %zu events (%d days, %d vendors, %d customers, %d products, %d orders/day), "
              "generated+decoded in %.2f s\n",
              events.size(), o.days, o.vendors, o.customers, o.products, o.orders_per_day, since(t0));

  // Yardstick.
  t0 = Clock::now();
  double c0 = bench::thread_cpu_seconds();
  size_t bytes = 0;
  std::string buf;
  for (size_t i = 0; i < events.size(); i += batch) {
    buf.clear();
    for (size_t j = i; j < std::min(events.size(), i + batch); ++j)
      CopyLine(buf).integer(static_cast<int64_t>(events[j].seq)).text(events[j].event.event_id)
          .time_us(events[j].event.event_time_us).end();
    bytes += buf.size();
  }
  const double yard_s = since(t0), yard_cpu = bench::thread_cpu_seconds() - c0;
  const double yard_rate = events.size() / yard_s;
  std::printf("yardstick (1 COPY line per event): %.0f events/s wall, %.0f events/s of CPU (%zu bytes)\n",
              yard_rate, events.size() / yard_cpu, bytes);

  // Pipeline: the batches are prepared outside the timed loop.
  std::vector<std::shared_ptr<const EventBatch>> batches;
  for (size_t i = 0; i < events.size(); i += batch)
    batches.push_back(std::make_shared<EventBatch>(events.begin() + i,
                                                   events.begin() + std::min(events.size(), i + batch)));
  Schema schema = Schema::make(WarehouseOptions{}).value();
  std::unique_ptr<Pipeline> p;
  RowBatch rows;
  uint64_t row_count = 0, errors = 0, repoints = 0;
  size_t copy_bytes = 0;
  double pipe_s = 1e30, pipe_cpu = 1e30;
  size_t heap_before = 0;
  for (int r = 0; r < repeat; ++r) {
    p.reset();
    heap_before = mallinfo2().uordblks;
    p = std::make_unique<Pipeline>(schema);
    row_count = errors = repoints = copy_bytes = 0;
    t0 = Clock::now();
    c0 = bench::thread_cpu_seconds();
    for (const auto& b : batches) {
      p->project(b, {}, &rows);
      for (const auto& t : rows.upserts) row_count += t.rows, copy_bytes += t.copy.size();
      for (const auto& t : rows.deletes) row_count += t.rows;
      errors += rows.errors.size();
      repoints += rows.repoints.size();
    }
    pipe_s = std::min(pipe_s, since(t0));
    pipe_cpu = std::min(pipe_cpu, bench::thread_cpu_seconds() - c0);
  }
  const double pipe_rate = events.size() / pipe_s;
  std::printf("pipeline, batch %zu, best of %d: %.0f events/s wall (%.2f s), %.0f events/s of CPU, "
              "%.2f us CPU/event; %lu rows (%zu COPY bytes), %lu repoints, %lu projection errors\n",
              batch, repeat, pipe_rate, pipe_s, events.size() / pipe_cpu, 1e6 * pipe_cpu / events.size(),
              static_cast<unsigned long>(row_count), copy_bytes, static_cast<unsigned long>(repoints),
              static_cast<unsigned long>(errors));
  std::printf("ratio pipeline / yardstick: %.3f wall, %.3f CPU\n", pipe_rate / yard_rate, yard_cpu / pipe_cpu);

  rows = RowBatch{};  // the last batch's buffers are not state
  const size_t heap = mallinfo2().uordblks - heap_before;
  const char* kinds[] = {"vendor", "customer shard", "product shard", "order shard", "traffic shard"};
  std::printf("memory: estimates (memory_bytes) total %.1f MB, router %.1f MB; heap in use measured "
              "(mallinfo2) %.1f MB\n",
              p->memory_bytes() / 1e6, p->router_memory_bytes() / 1e6, heap / 1e6);
  for (int k = 0; k < 5; ++k) {
    auto kind = static_cast<OwnerKey::Kind>(k);
    size_t n = p->owner_count(kind), m = p->memory_bytes(kind);
    std::printf("  %-15s %5zu owners, %10.1f KB total, %9.1f KB per owner\n", kinds[k], n, m / 1e3,
                n ? m / 1e3 / n : 0.0);
  }
  return 0;
}
