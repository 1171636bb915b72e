// crc32c: the known vectors of the Castagnoli polynomial (RFC 3720 B.4,
// LevelDB's crc32c_test), for the hardware and the software path alike.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "storage/event_log.h"

namespace lh::storage {
// Test hooks defined in storage/crc32c.cc (not part of the log's interface).
namespace crc32c_internal {
uint32_t software(std::string_view data, uint32_t crc);
bool hardware(std::string_view data, uint32_t crc, uint32_t* out);
}  // namespace crc32c_internal

namespace {

struct Vector {
  std::string data;
  uint32_t crc;
};

std::vector<Vector> known_vectors() {
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  return {
      {"", 0x00000000},
      {"123456789", 0xE3069283},
      {std::string(32, '\0'), 0x8A9136AA},
      {std::string(32, '\xff'), 0x62A8AB43},
      {ascending, 0x46DD794E},
      {descending, 0x113FDB5C},
  };
}

TEST(Crc32c, MatchesKnownVectors) {
  for (const Vector& v : known_vectors()) {
    EXPECT_EQ(crc32c(v.data), v.crc) << "size " << v.data.size();
    EXPECT_EQ(crc32c_internal::software(v.data, 0), v.crc) << "size " << v.data.size();
  }
}

TEST(Crc32c, HardwarePathMatchesKnownVectors) {
  uint32_t got = 0;
  if (!crc32c_internal::hardware("", 0, &got)) GTEST_SKIP() << "no SSE4.2 on this CPU";
  for (const Vector& v : known_vectors()) {
    ASSERT_TRUE(crc32c_internal::hardware(v.data, 0, &got));
    EXPECT_EQ(got, v.crc) << "size " << v.data.size();
  }
}

TEST(Crc32c, ExtendingEqualsChecksummingTheConcatenation) {
  const std::string a = "hello ", b = "world, a longer tail than eight bytes";
  EXPECT_EQ(crc32c(b, crc32c(a)), crc32c(a + b));
  EXPECT_EQ(crc32c_internal::software(b, crc32c_internal::software(a, 0)), crc32c(a + b));
}

TEST(Crc32c, HardwareAndSoftwareAgreeAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(42);
  std::string buf(600, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  uint32_t hw = 0;
  const bool have_hw = crc32c_internal::hardware("", 0, &hw);
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= 300; ++len) {
      std::string_view s(buf.data() + start, len);
      const uint32_t sw = crc32c_internal::software(s, 0x12345678);
      EXPECT_EQ(crc32c(s, 0x12345678), sw);
      if (have_hw) {
        ASSERT_TRUE(crc32c_internal::hardware(s, 0x12345678, &hw));
        ASSERT_EQ(hw, sw) << "start " << start << " len " << len;
      }
    }
  }
}

TEST(Crc32c, OneFlippedBitChangesTheChecksum) {
  std::string s(220, 'a');
  const uint32_t base = crc32c(s);
  for (size_t bit = 0; bit < s.size() * 8; bit += 13) {
    std::string t = s;
    t[bit / 8] = static_cast<char>(t[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_NE(crc32c(t), base) << "bit " << bit;
  }
}

}  // namespace
}  // namespace lh::storage
