#include "storage/ndjson_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace lh::storage {
namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/lh-ndjson-XXXXXX";
    int fd = mkstemp(tmpl);
    path = tmpl;
    EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
};

std::vector<NdjsonRecord> read_all(const std::string& path, NdjsonReaderOptions o = {},
                                   uint64_t offset = 0, uint64_t line = 0,
                                   std::vector<std::string>* texts = nullptr) {
  auto r = NdjsonReader::open(path, o, offset, line);
  EXPECT_TRUE(r.ok());
  std::vector<NdjsonRecord> out;
  NdjsonRecord rec;
  for (;;) {
    auto got = (*r)->next(rec);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || !*got) break;
    out.push_back(rec);
    if (texts) texts->emplace_back(rec.data);
  }
  return out;
}

TEST(NdjsonReader, SplitsLinesWithPositions) {
  TempFile f("{\"a\":1}\n{\"b\":22}\n");
  std::vector<std::string> texts;
  auto recs = read_all(f.path, {}, 0, 0, &texts);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(texts[0], "{\"a\":1}");
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_EQ(recs[0].offset, 0u);
  EXPECT_EQ(recs[0].end_offset, 8u);
  EXPECT_EQ(texts[1], "{\"b\":22}");
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[1].offset, 8u);
  EXPECT_EQ(recs[1].end_offset, 17u);
}

TEST(NdjsonReader, StripsCarriageReturnAndSkipsBlankLinesButCountsThem) {
  TempFile f("{\"a\":1}\r\n\n  \r\n{\"b\":2}\n");
  std::vector<std::string> texts;
  auto recs = read_all(f.path, {}, 0, 0, &texts);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(texts[0], "{\"a\":1}");
  EXPECT_EQ(texts[1], "{\"b\":2}");
  EXPECT_EQ(recs[1].line, 4u);
}

TEST(NdjsonReader, LastLineWithoutNewlineIsARecord) {
  TempFile f("{\"a\":1}\n{\"b\":2}");
  std::vector<std::string> texts;
  auto recs = read_all(f.path, {}, 0, 0, &texts);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(texts[1], "{\"b\":2}");
  EXPECT_EQ(recs[1].end_offset, 15u);
}

TEST(NdjsonReader, ResumesAtOffsetCountingLinesFromThere) {
  TempFile f("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
  std::vector<std::string> texts;
  auto recs = read_all(f.path, {}, 8, 1, &texts);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(texts[0], "{\"b\":2}");
  EXPECT_EQ(recs[0].line, 2u);
  EXPECT_EQ(recs[1].line, 3u);
}

TEST(NdjsonReader, LinesLongerThanTheBlockAreReadWhole) {
  std::string big(10000, 'x');
  TempFile f("{\"a\":\"" + big + "\"}\nshort\n");
  NdjsonReaderOptions o;
  o.block_bytes = 1024;
  o.max_record_bytes = 1 << 20;
  std::vector<std::string> texts;
  auto recs = read_all(f.path, o, 0, 0, &texts);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(texts[0], "{\"a\":\"" + big + "\"}");
  EXPECT_FALSE(recs[0].oversized);
  EXPECT_EQ(texts[1], "short");
  EXPECT_EQ(recs[1].line, 2u);
}

TEST(NdjsonReader, OversizedLineIsFlaggedWithItsRealSizeAndAPrefix) {
  std::string big(50000, 'y');
  TempFile f("first\n" + big + "\nlast\n");
  NdjsonReaderOptions o;
  o.block_bytes = 1024;
  o.max_record_bytes = 100;
  o.max_quarantined_bytes = 3000;
  std::vector<std::string> texts;
  auto recs = read_all(f.path, o, 0, 0, &texts);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_TRUE(recs[1].oversized);
  EXPECT_EQ(recs[1].full_size, 50000u);
  EXPECT_EQ(texts[1], std::string(3000, 'y'));
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[1].offset, 6u);
  EXPECT_EQ(recs[1].end_offset, 6u + 50001u);
  EXPECT_EQ(texts[2], "last");
  EXPECT_EQ(recs[2].line, 3u);
  EXPECT_FALSE(recs[2].oversized);
}

TEST(NdjsonReader, MissingFileIsAClearError) {
  auto r = NdjsonReader::open("/nonexistent/x.ndjson");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/x.ndjson: cannot open"), std::string::npos);
}

TEST(NdjsonReader, SourceIsTheAbsolutePath) {
  TempFile f("{}\n");
  auto r = NdjsonReader::open(f.path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->source(), "file:" + f.path);
}

TEST(FileFingerprint, DependsOnTheFirstBytesOnly) {
  TempFile a("0123456789");
  TempFile b("0123456789 and more");
  TempFile c("x123456789");
  EXPECT_EQ(*file_fingerprint(a.path, 10), *file_fingerprint(b.path, 10));
  EXPECT_NE(*file_fingerprint(a.path, 10), *file_fingerprint(c.path, 10));
  EXPECT_EQ(file_fingerprint(a.path, 10)->substr(0, 3), "10:");
}

}  // namespace
}  // namespace lh::storage
