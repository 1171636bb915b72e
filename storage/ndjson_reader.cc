#include "storage/ndjson_reader.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lh::storage {
namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

uint64_t fnv1a(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  return h;
}

}  // namespace

Result<std::unique_ptr<NdjsonReader>> NdjsonReader::open(const std::string& path,
                                                          NdjsonReaderOptions options,
                                                          uint64_t offset, uint64_t line) {
  std::unique_ptr<NdjsonReader> r(new NdjsonReader());
  r->options_ = options;
  if (path == "-") {
    r->fd_ = 0;
    r->source_ = "stdin";
  } else {
    r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (r->fd_ < 0) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
    char resolved[PATH_MAX];
    r->source_ = std::string("file:") + (realpath(path.c_str(), resolved) ? resolved : path.c_str());
    if (offset > 0 && ::lseek(r->fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
      return Error{fmt::format("{}: cannot seek to byte {}: {}", path, offset, std::strerror(errno))};
    r->offset_ = offset;
    r->line_ = line;
  }
  r->cap_ = options.block_bytes;
  r->buf_.reset(new char[r->cap_ + kReaderPadding]);
  std::memset(r->buf_.get() + r->cap_, 0, kReaderPadding);
  return r;
}

NdjsonReader::~NdjsonReader() {
  if (fd_ > 0) ::close(fd_);
}

Result<size_t> NdjsonReader::fill() {
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  for (;;) {
    ssize_t n = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{fmt::format("{}: read failed: {}", source_, std::strerror(errno))};
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    return static_cast<size_t>(n);
  }
}

Result<bool> NdjsonReader::next(NdjsonRecord& out) {
  for (;;) {
    char* base = buf_.get();
    char* nl = static_cast<char*>(std::memchr(base + begin_, '\n', end_ - begin_));
    if (nl != nullptr || (eof_ && begin_ < end_)) {
      size_t stop = nl ? static_cast<size_t>(nl - base) : end_;
      size_t len = stop - begin_;
      std::string_view data(base + begin_, len);
      out.offset = offset_;
      out.line = ++line_;
      offset_ += len + (nl ? 1 : 0);
      out.end_offset = offset_;
      begin_ = nl ? stop + 1 : end_;
      if (!data.empty() && data.back() == '\r') data.remove_suffix(1);
      if (blank(data)) continue;
      out.full_size = data.size();
      out.oversized = data.size() > options_.max_record_bytes;
      if (out.oversized && data.size() > options_.max_quarantined_bytes)
        data = data.substr(0, options_.max_quarantined_bytes);
      out.data = data;
      return true;
    }
    if (eof_) return false;
    if (begin_ == 0 && end_ == cap_) {
      // A line longer than the buffer. Grow while it may still be a valid
      // record; past the limit, keep a prefix and skip to the newline.
      if (cap_ <= options_.max_record_bytes + 1) {
        size_t cap = std::min(cap_ * 2, options_.max_record_bytes + options_.block_bytes);
        std::unique_ptr<char[]> bigger(new char[cap + kReaderPadding]);
        std::memcpy(bigger.get(), buf_.get(), end_);
        std::memset(bigger.get() + cap, 0, kReaderPadding);
        buf_ = std::move(bigger);
        cap_ = cap;
      } else {
        oversized_.assign(base, std::min(end_, options_.max_quarantined_bytes));
        uint64_t full = end_;
        begin_ = end_ = 0;
        bool found = false;
        while (!found) {
          auto n = fill();
          if (!n.ok()) return n.error();
          if (*n == 0) break;
          char* p = static_cast<char*>(std::memchr(buf_.get(), '\n', end_));
          size_t take = p ? static_cast<size_t>(p - buf_.get()) : end_;
          if (oversized_.size() < options_.max_quarantined_bytes)
            oversized_.append(buf_.get(),
                              std::min(take, options_.max_quarantined_bytes - oversized_.size()));
          full += take;
          begin_ = p ? take + 1 : end_;
          found = p != nullptr;
        }
        out.offset = offset_;
        out.line = ++line_;
        offset_ += full + (found ? 1 : 0);
        out.end_offset = offset_;
        out.full_size = full;
        out.oversized = true;
        oversized_.reserve(oversized_.size() + kReaderPadding);
        out.data = oversized_;
        return true;
      }
    }
    auto n = fill();
    if (!n.ok()) return n.error();
  }
}

Result<std::string> file_fingerprint(const std::string& path, uint64_t upto) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  char buf[4096];
  size_t want = static_cast<size_t>(std::min<uint64_t>(upto, sizeof buf));
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, buf + got, want - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return fmt::format("{}:{:016x}", got, fnv1a(buf, got));
}

}  // namespace lh::storage
