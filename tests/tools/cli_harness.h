// Runs the real `ledgerhouse` binary from tests: start, wait, kill -9.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace lh::testing {

struct RunResult {
  int exit_code = -1;    // -1 if killed by a signal
  int signal = 0;
  std::string out;       // stdout
};

// A fresh directory under /tmp, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/lh-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Starts `ledgerhouse args...` with stdout to `stdout_path` and stderr to
// `stderr_path` (each /dev/null when empty). Returns the pid.
inline pid_t spawn(const std::vector<std::string>& args, const std::string& stdout_path = "",
                   const std::string& stderr_path = "") {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = LH_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!std::freopen(stdout_path.empty() ? "/dev/null" : stdout_path.c_str(), "w", stdout)) _exit(126);
    if (!std::freopen(stderr_path.empty() ? "/dev/null" : stderr_path.c_str(), "w", stderr)) _exit(126);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline RunResult wait_for(pid_t pid) {
  RunResult r;
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

// Runs to completion and returns stdout.
inline RunResult run(const std::vector<std::string>& args) {
  char tmpl[] = "/tmp/lh-out-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  RunResult r = wait_for(spawn(args, tmpl));
  if (FILE* f = std::fopen(tmpl, "rb")) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
    std::fclose(f);
  }
  std::remove(tmpl);
  return r;
}

// The whole file (empty if it cannot be read), e.g. a child's stderr for a
// failure message.
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.emplace_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace lh::testing
