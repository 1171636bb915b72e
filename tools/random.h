// Deterministic randomness for the event generator (generator.h): a PRNG and
// the few distributions it needs, written out here because the std::
// distributions are implementation-defined and libm's log/exp may differ in
// the last bit between versions. Same seed => same numbers on any IEEE-754
// machine: only +, -, *, /, sqrt, floor, frexp and ldexp are used, all of
// which IEEE-754 and C++ define exactly (the build uses -std=c++17, which
// keeps GCC from contracting a*b+c into an FMA).
#pragma once

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lh::tools {

// Natural logarithm, x > 0, to ~1e-15 relative error; portable bit for bit.
inline double det_log(double x) {
  assert(x > 0);
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  if (m < 0.70710678118654752) {
    m *= 2;
    --e;
  }
  // log(m) = 2 atanh(s), |s| <= 0.172: the series converges fast.
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double term = s, sum = 0;
  for (int k = 1; k <= 23; k += 2) {
    sum += term / k;
    term *= s2;
  }
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2, split so e*kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  return e * kLn2Hi + (2 * sum + e * kLn2Lo);
}

// e^x, clamped to [e^-700, e^700]; portable bit for bit.
inline double det_exp(double x) {
  x = std::min(700.0, std::max(-700.0, x));
  constexpr double kLn2 = 0.69314718055994530942;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // Cody-Waite: k * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double k = std::floor(x / kLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;  // |r| <= ~0.35
  double term = 1, sum = 1;
  for (int i = 1; i <= 17; ++i) {
    term *= r / i;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

// xoshiro256** (Blackman & Vigna), state seeded with splitmix64 as its
// authors recommend. Not cryptographic; fast and well distributed.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }

  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // (0, 1]: safe to take the log of.
  double uniform_open0() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

  // [0, n), n > 0, by multiply-shift (Lemire); the bias (n / 2^64) is irrelevant here.
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // [lo, hi], inclusive.
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool chance(double p) { return uniform() < p; }

  // Standard normal by Marsaglia's polar method (log and sqrt only, no trig).
  double normal() {
    for (;;) {
      const double u = 2 * uniform() - 1, v = 2 * uniform() - 1;
      const double s = u * u + v * v;
      if (s > 0 && s < 1) return u * std::sqrt(-2 * det_log(s) / s);
    }
  }
  // Log-normal given its median (e^mu) and sigma.
  double lognormal(double median, double sigma) { return median * det_exp(sigma * normal()); }
  double exponential(double mean) { return -mean * det_log(uniform_open0()); }
  // Pareto type I: P(X > x) = (xm / x)^alpha for x >= xm.
  double pareto(double xm, double alpha) { return xm * det_exp(-det_log(uniform_open0()) / alpha); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Sampling index i with probability weight[i] / sum: a cumulative table and
// a binary search, O(log n) per draw. Also samples among a prefix of the
// entries, which lets a growing population (customers registered so far)
// share one table.
class WeightedTable {
 public:
  WeightedTable() = default;
  explicit WeightedTable(const std::vector<double>& weights) {
    cdf_.reserve(weights.size());
    double sum = 0;
    for (double w : weights) cdf_.push_back(sum += w);
  }
  // Zipf: weight of rank k (0-based) is 1 / (k + 1)^s.
  static WeightedTable zipf(size_t n, double s) {
    std::vector<double> w(n);
    for (size_t k = 0; k < n; ++k) w[k] = det_exp(-s * det_log(static_cast<double>(k + 1)));
    return WeightedTable(w);
  }

  size_t size() const { return cdf_.size(); }
  bool empty() const { return cdf_.empty(); }
  double total() const { return cdf_.empty() ? 0 : cdf_.back(); }
  double probability(size_t i) const {
    return (cdf_[i] - (i ? cdf_[i - 1] : 0)) / total();
  }

  size_t sample(Rng& rng) const { return sample_prefix(rng, cdf_.size()); }
  // Among entries [0, n), n in 1..size().
  size_t sample_prefix(Rng& rng, size_t n) const {
    assert(n > 0 && n <= cdf_.size());
    const double x = rng.uniform() * cdf_[n - 1];
    const size_t i = std::upper_bound(cdf_.begin(), cdf_.begin() + n, x) - cdf_.begin();
    return std::min(i, n - 1);
  }

 private:
  std::vector<double> cdf_;
};

}  // namespace lh::tools
