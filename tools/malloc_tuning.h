// glibc malloc settings for a long-running, allocation-heavy process (the
// ledgerhouse binary and the benchmarks): keep freed memory for reuse instead
// of handing it back to the kernel and faulting it in again. docs/operations.md
// "Memory allocator" has the measurements and the trade-off.
#pragma once

#include <string>

namespace lh::tools {

// Applies the settings unless GLIBC_TUNABLES names a glibc.malloc tunable (the
// operator's choice wins) or LEDGERHOUSE_MALLOC=default. Returns what it did,
// for a debug line. Call first thing in main(), before any thread starts.
std::string tune_malloc();

}  // namespace lh::tools
