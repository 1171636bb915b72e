// A private PostgreSQL cluster that ledgerhouse starts itself (demo, tests):
// initdb + pg_ctl from the Debian server package, run as a non-root OS user
// (PostgreSQL refuses to run as root: when we are root, the cluster runs as
// the `postgres` user the Debian package creates).
#pragma once

#include <memory>
#include <string>

#include "events/result.h"

namespace lh::storage {

struct PgClusterOptions {
  std::string dir;         // data directory; created (initdb) when missing
  int port = 0;            // 0: the first free port from 54320
  std::string os_user;     // empty: the current user, or "postgres" when root
  bool keep_running = false;  // do not stop the server in the destructor
  // Extra server settings (postgresql.conf lines), e.g. "fsync = off" for tests.
  std::string extra_conf;
};

class PgCluster {
 public:
  // initdb if `dir` holds no cluster, then start it (or reuse a server already
  // running on that data directory) and wait until it accepts connections.
  static Result<std::unique_ptr<PgCluster>> start(const PgClusterOptions& options);
  ~PgCluster();

  // libpq connection string for the superuser, over the Unix socket in `dir`.
  std::string dsn(const std::string& dbname = "postgres") const;
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  const std::string& user() const { return user_; }
  // The psql command a person would type to connect.
  std::string psql_command(const std::string& dbname = "postgres") const;

  // pg_ctl stop -m fast. Idempotent.
  Status stop();
  // pg_ctl stop -m immediate: like a crash, for recovery tests.
  Status kill();
  // Starts a stopped server again on the same port.
  Status restart();

 private:
  PgCluster() = default;
  Status run_ctl(const std::string& args) const;

  std::string dir_, bindir_, user_;
  int port_ = 0;
  bool running_ = false;
  bool keep_running_ = false;
};

// Directory of the newest installed PostgreSQL server binaries
// (/usr/lib/postgresql/<N>/bin), or an Error saying what to install.
Result<std::string> find_pg_bindir();

}  // namespace lh::storage
