// MetricsServer (metrics_server.h) on cpp-httplib.
#include "tools/metrics_server.h"

#include <sys/socket.h>

#include <atomic>
#include <thread>

#include <httplib.h>

namespace lh::tools {

Result<ListenAddress> parse_listen_address(const std::string& addr) {
  auto bad = [&](const std::string& why) {
    return Error{"--metrics '" + addr + "': " + why + " (expected HOST:PORT, :PORT or [IPv6]:PORT)"};
  };
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  ListenAddress a;
  a.host = addr.substr(0, colon);
  std::string port = addr.substr(colon + 1);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  } else if (a.host.find(':') != std::string::npos) {
    return bad("an IPv6 address must be in brackets");
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return bad("port '" + port + "' is not a number");
  a.port = std::stoi(port);
  if (a.port > 65535) return bad("port " + port + " is out of range 0..65535");
  return a;
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> returned{false};  // listen_after_bind() came back
  int port = 0;
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  // stop() does nothing until listen has begun: wait for it (or its failure).
  while (!impl_->server.is_running() && !impl_->returned) std::this_thread::yield();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsServer::port() const { return impl_->port; }

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const ListenAddress& addr,
                                                            const RunMetrics& metrics) {
  auto impl = std::make_unique<Impl>();
  // Two workers: a scrape is cheap, and the machine's cores belong to the pipeline.
  impl->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
  // second `run` on the same port would bind too and take half the scrapes.
  impl->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl->server.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(now_us()), "text/plain; version=0.0.4; charset=utf-8");
  });
  impl->server.Get("/healthz", [&metrics](const httplib::Request&, httplib::Response& res) {
    Health h = metrics.health(now_us());
    res.status = h.ready ? 200 : 503;
    res.set_content(h.reason + "\n", "text/plain; charset=utf-8");
  });
  int port = addr.port;
  if (port == 0) {
    port = impl->server.bind_to_any_port(addr.host);
    if (port < 0) return Error{"--metrics: cannot listen on " + addr.host + " (any port)"};
  } else if (!impl->server.bind_to_port(addr.host, port)) {
    return Error{"--metrics: cannot listen on " + addr.host + ":" + std::to_string(port) +
                 " (in use, or not an address of this machine)"};
  }
  impl->port = port;
  Impl* p = impl.get();
  impl->thread = std::thread([p] {
    p->server.listen_after_bind();
    p->returned = true;
  });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

}  // namespace lh::tools
