// The HTTP endpoint of `run --metrics ADDR` (cpp-httplib, its own threads):
//   GET /metrics  the Prometheus text format (RunMetrics::render)
//   GET /healthz  200 "ok" when ready, else 503 with the reason
// Handlers only copy RunMetrics' state and format it.
#pragma once

#include <memory>
#include <string>

#include "events/result.h"
#include "tools/run_metrics.h"

namespace lh::tools {

struct ListenAddress {
  std::string host;  // "0.0.0.0" for ":PORT"
  int port = 0;      // 0 = any free port
};

// "127.0.0.1:9187", ":9187" (all interfaces), "[::1]:9187", "localhost:0".
Result<ListenAddress> parse_listen_address(const std::string& addr);

class MetricsServer {
 public:
  // Binds (so the port is known and taken when this returns) and serves in a
  // thread of its own.
  static Result<std::unique_ptr<MetricsServer>> start(const ListenAddress& addr, const RunMetrics& metrics);
  ~MetricsServer();  // stops serving and joins
  int port() const;

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::tools
