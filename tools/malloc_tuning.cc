#include "tools/malloc_tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace lh::tools {

std::string tune_malloc() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.")) return "malloc: GLIBC_TUNABLES set, left as is";
  const char* choice = std::getenv("LEDGERHOUSE_MALLOC");
  if (choice && std::strcmp(choice, "default") == 0) return "malloc: glibc defaults (LEDGERHOUSE_MALLOC=default)";
  // librdkafka's fetch buffers (MBs each), LMDB's dirty pages and the batches'
  // strings are freed and allocated again all the time. With glibc's
  // defaults, freed memory at the top of a heap is trimmed (given back) and
  // buffers above the (dynamic) mmap threshold get fresh mappings: each
  // reuse is then page faults, which cost this VM ~30-40% of a Kafka
  // ingest's CPU (bench_kafka, session 9). All three together: setting any
  // one turns glibc's dynamic mmap threshold off, and the trim threshold
  // alone (mmap threshold then stuck at 128 KiB) was slower than the defaults.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's dynamic maximum, fixed
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // give back only above 1 GiB of free top
  mallopt(M_TOP_PAD, 64 << 20);         // grow the main heap 64 MiB at a time (address space, not RSS)
  return "malloc: mmap threshold 32 MiB, trim threshold 1 GiB, top pad 64 MiB";
}

}  // namespace lh::tools
