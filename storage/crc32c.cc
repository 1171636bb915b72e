// crc32c (Castagnoli, the iSCSI/ext4/LevelDB polynomial): the checksum of
// every stored event record. SSE4.2 has an instruction for exactly this
// polynomial (~8 bytes per cycle); a slicing-by-8 table covers CPUs without it.
// The choice is made once, at the first call, from what the CPU reports, so
// one binary runs everywhere.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "storage/event_log.h"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define LH_CRC32C_X86 1
#endif

namespace lh::storage {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // reflected Castagnoli polynomial

struct Tables {
  uint32_t t[8][256];
  constexpr Tables() : t{} {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};
constexpr Tables kTables;

inline uint64_t load_le64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

#ifdef LH_CRC32C_X86
__attribute__((target("sse4.2"))) uint32_t extend_hw(uint32_t crc, const unsigned char* p,
                                                     size_t n) {
  uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, load_le64(p));
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const unsigned char*, size_t);

// Slicing-by-8: eight table look-ups per 8 bytes instead of one per byte.
uint32_t extend_sw(uint32_t crc, const unsigned char* p, size_t n) {
  const auto& t = kTables.t;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v = load_le64(p) ^ crc;
    crc = t[7][v & 0xFF] ^ t[6][(v >> 8) & 0xFF] ^ t[5][(v >> 16) & 0xFF] ^
          t[4][(v >> 24) & 0xFF] ^ t[3][(v >> 32) & 0xFF] ^ t[2][(v >> 40) & 0xFF] ^
          t[1][(v >> 48) & 0xFF] ^ t[0][v >> 56];
  }
  for (; n > 0; --n, ++p) crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xFF];
  return crc;
}

ExtendFn pick_extend() {
#ifdef LH_CRC32C_X86
  if (__builtin_cpu_supports("sse4.2")) return extend_hw;
#endif
  return extend_sw;
}

}  // namespace

// Test hooks (declared in tests/storage/crc32c_test.cc, not in a header: they
// are not part of the log's interface). Both apply crc32c()'s inversions.
namespace crc32c_internal {

uint32_t software(std::string_view data, uint32_t crc) {
  return ~extend_sw(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

// False when the CPU has no SSE4.2 (then `out` is untouched).
bool hardware(std::string_view data, uint32_t crc, uint32_t* out) {
#ifdef LH_CRC32C_X86
  if (__builtin_cpu_supports("sse4.2")) {
    *out = ~extend_hw(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return true;
  }
#endif
  return false;
}

}  // namespace crc32c_internal

// The pre- and post-inversion make the result independent of leading zero
// bytes and let crc32c(b, crc32c(a)) == crc32c(a + b).
uint32_t crc32c(std::string_view data, uint32_t crc) {
  static const ExtendFn extend = pick_extend();
  return ~extend(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

}  // namespace lh::storage
