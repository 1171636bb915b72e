// The generator's reference data (simulation.h picks from it by index):
// cities, categories, brands, person and company names, vendor tiers and
// review texts. Fixed tables, so a seed builds the same world everywhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace lh::tools::gen {

struct City {
  const char* name;
  const char* region;
  const char* country;
  const char* zip;   // '#' = a random digit
  const char* code;  // for warehouse names
  double weight;
};
inline constexpr int kCityCount = 25;
extern const City kCities[kCityCount];

struct Category {
  const char* name;
  const char* slug;
  double median_price;  // EUR
  double price_sigma;
  double median_weight_g;
  double weight;  // share of the catalogue
  const char* nouns[4];
};
inline constexpr int kCategoryCount = 20;
extern const Category kCategories[kCategoryCount];

inline constexpr int kBrandCount = 24;
extern const char* const kBrands[kBrandCount];
extern const char* const kProductAdjectives[12];

struct PersonName {
  const char* display;
  const char* ascii;  // for e-mail addresses
};
inline constexpr int kFirstNameCount = 24;
inline constexpr int kLastNameCount = 24;
extern const PersonName kFirstNames[kFirstNameCount];
extern const PersonName kLastNames[kLastNameCount];
extern const char* const kEmailDomains[3];

extern const char* const kVendorWords1[16];
extern const char* const kVendorWords2[16];
// The legal form a company name ends with in `country` ("GmbH" for "DE").
const char* company_suffix(std::string_view country);

extern const char* const kTiers[4];
extern const int32_t kTierCommission[4];  // millionths
extern const char* const kVendorStatus[3];
extern const char* const kSegments[4];

extern const char* const kComments[6][5];  // [stars][i]; none for 0 stars

// Prices end in .99 (or .49 / .x9 when small), like shop prices do.
int64_t charm_price(double euros);

}  // namespace lh::tools::gen
