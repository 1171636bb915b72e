// Reads an NDJSON file (or stdin) as records with their source position.
// A source hands records to the decoder (DESIGN.md flow step 1); the position
// after each record is what the log stores so a restart resumes exactly there.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "events/result.h"

namespace lh::storage {

struct NdjsonRecord {
  std::string_view data;     // the line without "\n" / "\r\n"; valid until the next next()
  uint64_t line = 0;         // 1-based line number in the file
  uint64_t offset = 0;       // byte offset of the line's first byte
  uint64_t end_offset = 0;   // byte offset just past the line's newline
  uint64_t full_size = 0;    // the line's real size; > data.size() when oversized
  bool oversized = false;    // longer than max_record_bytes: data holds a prefix
};

struct NdjsonReaderOptions {
  size_t max_record_bytes = 1 << 20;
  // An oversized line is kept in the quarantine up to this many bytes (the
  // rest is counted, not stored: a 10 GiB line must not take 10 GiB of RAM).
  size_t max_quarantined_bytes = 16 << 20;
  size_t block_bytes = 4 << 20;
};

// Not thread-safe. Every record's data is followed in memory by at least
// kReaderPadding readable bytes (simdjson reads ahead without copying).
class NdjsonReader {
 public:
  static constexpr size_t kReaderPadding = 64;

  // path "-" reads stdin. Resume: start at byte `offset`, counting lines from
  // `line` (both as stored in a SourcePosition).
  static Result<std::unique_ptr<NdjsonReader>> open(const std::string& path,
                                                    NdjsonReaderOptions options = {},
                                                    uint64_t offset = 0, uint64_t line = 0);
  ~NdjsonReader();

  // The next non-blank record; false at end of input. An Error on a read failure.
  Result<bool> next(NdjsonRecord& out);

  // Position after the last record returned (bytes consumed, lines consumed).
  uint64_t offset() const { return offset_; }
  uint64_t line() const { return line_; }
  // Source name stored in the log: "file:" + absolute path, or "stdin".
  const std::string& source() const { return source_; }
  bool is_stdin() const { return fd_ == 0; }

 private:
  NdjsonReader() = default;
  Result<size_t> fill();  // reads more bytes; returns bytes read (0 at EOF)

  int fd_ = -1;
  std::string source_;
  NdjsonReaderOptions options_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;          // usable capacity (excluding padding)
  size_t begin_ = 0, end_ = 0;  // unread bytes are buf_[begin_, end_)
  bool eof_ = false;
  uint64_t offset_ = 0, line_ = 0;
  std::string oversized_;   // prefix of the current oversized line
};

// Identifies a file's content at a position: "<n>:<hash of the first n bytes>",
// n = min(4096, upto). Stored with the position so a different file at the
// same path is not resumed in the middle.
Result<std::string> file_fingerprint(const std::string& path, uint64_t upto);

}  // namespace lh::storage
