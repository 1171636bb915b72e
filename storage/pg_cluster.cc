#include "storage/pg_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace lh::storage {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// Runs a shell command, capturing stdout+stderr.
int run_capture(const std::string& cmd, std::string& output) {
  output.clear();
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool port_free(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  // The Unix socket of another cluster on this port would collide too.
  return ok && !fs::exists(fmt::format("/tmp/.s.PGSQL.{}", port));
}

std::string tail_of_file(const std::string& path, size_t max) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > max ? s.substr(s.size() - max) : s;
}

}  // namespace

Result<std::string> find_pg_bindir() {
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int v = std::atoi(e.path().filename().c_str());
    if (v > best_version && fs::exists(e.path() / "bin" / "initdb")) {
      best_version = v;
      best = (e.path() / "bin").string();
    }
  }
  if (best.empty())
    return Error{"no PostgreSQL server found under /usr/lib/postgresql (install the Debian "
                 "package postgresql-15, or give a DSN with --pg)"};
  return best;
}

Result<std::unique_ptr<PgCluster>> PgCluster::start(const PgClusterOptions& options) {
  std::unique_ptr<PgCluster> c(new PgCluster());
  auto bindir = find_pg_bindir();
  if (!bindir.ok()) return bindir.error();
  c->bindir_ = *bindir;
  c->keep_running_ = options.keep_running;
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Error{fmt::format("{}: cannot create: {}", options.dir, ec.message())};
  c->dir_ = fs::absolute(options.dir).lexically_normal().string();
  if (c->dir_.size() + 20 > 107)
    return Error{fmt::format("{}: path too long for PostgreSQL's Unix socket (max ~87 bytes)",
                             c->dir_)};

  bool root = geteuid() == 0;
  c->user_ = options.os_user;
  if (c->user_.empty()) {
    if (root) {
      c->user_ = "postgres";
    } else {
      const passwd* pw = getpwuid(geteuid());
      c->user_ = pw ? pw->pw_name : "postgres";
    }
  }
  if (root) {
    const passwd* pw = getpwnam(c->user_.c_str());
    if (!pw)
      return Error{fmt::format("PostgreSQL cannot run as root and there is no '{}' user to run "
                               "it as (install postgresql-15, which creates it)",
                               c->user_)};
    chmod(c->dir_.c_str(), 0700);
    if (chown(c->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      return Error{fmt::format("{}: cannot hand it to user {}", c->dir_, c->user_)};
    // The server must be able to reach its data directory.
    for (fs::path p = fs::path(c->dir_).parent_path(); p != p.root_path(); p = p.parent_path()) {
      struct stat st {};
      if (stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0 && st.st_uid != pw->pw_uid)
        chmod(p.c_str(), st.st_mode | S_IXOTH);  // traverse only, no listing
    }
  }

  std::string out;
  if (!fs::exists(fs::path(c->dir_) / "PG_VERSION")) {
    std::string cmd = fmt::format("{}/initdb -D {} -U {} --auth=trust -E UTF8 --locale=C",
                                  c->bindir_, shell_quote(c->dir_), shell_quote(c->user_));
    if (root) cmd = "runuser -u " + shell_quote(c->user_) + " -- " + cmd;
    if (run_capture(cmd, out) != 0)
      return Error{fmt::format("initdb of {} failed:\n{}", c->dir_, out)};
    std::ofstream conf(fs::path(c->dir_) / "postgresql.conf", std::ios::app);
    conf << "\ninclude_if_exists = 'ledgerhouse.conf'\n";
  }

  // A server already running on this data directory is reused.
  std::string status_cmd = fmt::format("{}/pg_ctl -D {} status", c->bindir_, shell_quote(c->dir_));
  if (root) status_cmd = "runuser -u " + shell_quote(c->user_) + " -- " + status_cmd;
  if (run_capture(status_cmd, out) == 0) {
    std::ifstream pid(fs::path(c->dir_) / "postmaster.pid");
    std::string line;
    for (int i = 0; i < 4 && std::getline(pid, line); ++i) {
    }
    c->port_ = std::atoi(line.c_str());
    c->running_ = true;
    return c;
  }

  // With no port given, several clusters may start at once (tests run in
  // parallel): a port seen free can be taken before our server binds it. So
  // the scan starts at a per-process offset, and a start that fails while the
  // port was chosen here is retried on the next free port.
  const bool choose_port = options.port == 0;
  int next = 54320 + static_cast<int>(getpid() % 50) * 20;
  Status st = Status::Ok();
  for (int attempt = 0; attempt < 8; ++attempt) {
    c->port_ = options.port;
    if (choose_port) {
      for (int i = 0; i < 1000 && c->port_ == 0; ++i, ++next) {
        int p = 54320 + (next - 54320) % 1000;
        if (port_free(p)) c->port_ = p;
      }
      ++next;
      if (c->port_ == 0) return Error{"no free port in 54320..55319 for PostgreSQL"};
    }
    std::ofstream conf(fs::path(c->dir_) / "ledgerhouse.conf", std::ios::trunc);
    conf << "# written by ledgerhouse at each start\n"
         << "port = " << c->port_ << "\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << c->dir_ << "'\n"
         << "max_connections = 50\n"
         << options.extra_conf << "\n";
    conf.close();
    st = c->restart();
    if (st.ok() || !choose_port ||
        st.error().message.find("already in use") == std::string::npos)
      break;
  }
  if (!st.ok()) return st.error();
  return c;
}

PgCluster::~PgCluster() {
  if (running_ && !keep_running_) stop();
}

Status PgCluster::run_ctl(const std::string& args) const {
  std::string cmd = fmt::format("{}/pg_ctl -D {} {}", bindir_, shell_quote(dir_), args);
  if (geteuid() == 0) cmd = "runuser -u " + shell_quote(user_) + " -- " + cmd;
  std::string out;
  if (run_capture(cmd, out) != 0)
    return Error{fmt::format("pg_ctl {} failed for {}:\n{}\nserver log:\n{}", args, dir_, out,
                             tail_of_file(dir_ + "/server.log", 2000))};
  return Status::Ok();
}

Status PgCluster::restart() {
  auto st = run_ctl(fmt::format("-l {} -w -t 120 start", shell_quote(dir_ + "/server.log")));
  if (st.ok()) running_ = true;
  return st;
}

Status PgCluster::stop() {
  if (!running_) return Status::Ok();
  auto st = run_ctl("-m fast -w -t 120 stop");
  if (st.ok()) running_ = false;
  return st;
}

Status PgCluster::kill() {
  if (!running_) return Status::Ok();
  auto st = run_ctl("-m immediate -w -t 120 stop");
  if (st.ok()) running_ = false;
  return st;
}

std::string PgCluster::dsn(const std::string& dbname) const {
  return fmt::format("host={} port={} user={} dbname={}", dir_, port_, user_, dbname);
}

std::string PgCluster::psql_command(const std::string& dbname) const {
  return fmt::format("psql -h {} -p {} -U {} {}", dir_, port_, user_, dbname);
}

}  // namespace lh::storage
