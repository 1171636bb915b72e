// The generator's reference data (generator_catalog.h): the tables are
// part of the output's determinism, so their order and sizes matter; a new
// entry changes every stream, like a new random draw would.
#include "tools/generator_catalog.h"

#include <algorithm>

namespace lh::tools::gen {

constexpr City kCities[kCityCount] = {
    {"Berlin", "Berlin", "DE", "10###", "BER", 6},
    {"Hamburg", "Hamburg", "DE", "20###", "HAM", 3},
    {"München", "Bayern", "DE", "80###", "MUC", 3.5},
    {"Köln", "Nordrhein-Westfalen", "DE", "50###", "CGN", 2.5},
    {"Frankfurt am Main", "Hessen", "DE", "60###", "FRA", 2},
    {"Leipzig", "Sachsen", "DE", "04###", "LEJ", 1.5},
    {"Paris", "Île-de-France", "FR", "750##", "PAR", 5},
    {"Lyon", "Auvergne-Rhône-Alpes", "FR", "6900#", "LYS", 2},
    {"Marseille", "Provence-Alpes-Côte d'Azur", "FR", "130##", "MRS", 2},
    {"Toulouse", "Occitanie", "FR", "310##", "TLS", 1.5},
    {"Milano", "Lombardia", "IT", "201##", "MIL", 3},
    {"Roma", "Lazio", "IT", "001##", "ROM", 3},
    {"Napoli", "Campania", "IT", "801##", "NAP", 1.5},
    {"Madrid", "Comunidad de Madrid", "ES", "280##", "MAD", 3.5},
    {"Barcelona", "Cataluña", "ES", "080##", "BCN", 3},
    {"Valencia", "Comunitat Valenciana", "ES", "460##", "VLC", 1.5},
    {"Amsterdam", "Noord-Holland", "NL", "10## AB", "AMS", 2.5},
    {"Rotterdam", "Zuid-Holland", "NL", "30## CD", "RTM", 1.5},
    {"Warszawa", "Mazowieckie", "PL", "00-###", "WAW", 2.5},
    {"Kraków", "Małopolskie", "PL", "30-###", "KRK", 1.5},
    {"Wien", "Wien", "AT", "1##0", "VIE", 2},
    {"Bruxelles", "Bruxelles-Capitale", "BE", "10#0", "BRU", 1.5},
    {"Stockholm", "Stockholms län", "SE", "1## ##", "STO", 1.5},
    {"Lisboa", "Lisboa", "PT", "1###-###", "LIS", 1.5},
    {"København", "Hovedstaden", "DK", "1###", "CPH", 1.2},
};

constexpr Category kCategories[kCategoryCount] = {
    {"Electronics", "electronics", 89, 0.9, 450, 8, {"Headphones", "Speaker", "Power Bank", "Smartwatch"}},
    {"Computers", "computers", 240, 1.0, 1200, 5, {"Laptop Stand", "Keyboard", "Monitor", "SSD"}},
    {"Phones & Accessories", "phones", 25, 1.1, 120, 7, {"Phone Case", "Charger", "Screen Protector", "Cable"}},
    {"Home & Kitchen", "home-kitchen", 35, 0.8, 900, 9, {"Coffee Grinder", "Pan", "Knife Set", "Kettle"}},
    {"Furniture", "furniture", 180, 0.8, 12000, 3, {"Desk", "Chair", "Bookshelf", "Side Table"}},
    {"Garden", "garden", 40, 0.9, 2500, 4, {"Hose", "Planter", "Pruning Shears", "Solar Light"}},
    {"Toys & Games", "toys", 28, 0.8, 600, 6, {"Puzzle", "Board Game", "Building Set", "Plush Toy"}},
    {"Books", "books", 16, 0.5, 400, 6, {"Novel", "Cookbook", "Travel Guide", "Notebook"}},
    {"Women's Fashion", "fashion-women", 45, 0.7, 350, 7, {"Dress", "Blouse", "Scarf", "Jacket"}},
    {"Men's Fashion", "fashion-men", 42, 0.7, 400, 6, {"Shirt", "Hoodie", "Jeans", "Coat"}},
    {"Shoes", "shoes", 75, 0.6, 900, 5, {"Sneakers", "Boots", "Sandals", "Running Shoes"}},
    {"Beauty", "beauty", 18, 0.7, 200, 6, {"Face Cream", "Shampoo", "Lipstick", "Perfume"}},
    {"Health", "health", 15, 0.7, 250, 4, {"Vitamins", "Thermometer", "First Aid Kit", "Massage Gun"}},
    {"Sports", "sports", 38, 0.9, 1500, 5, {"Yoga Mat", "Dumbbells", "Bike Light", "Water Bottle"}},
    {"Outdoor", "outdoor", 65, 0.9, 1800, 3, {"Tent", "Backpack", "Sleeping Bag", "Headlamp"}},
    {"Automotive", "automotive", 30, 0.9, 1100, 3, {"Car Charger", "Dash Cam", "Floor Mats", "Tyre Inflator"}},
    {"Pet Supplies", "pet-supplies", 22, 0.8, 1500, 4, {"Dog Bed", "Cat Tree", "Leash", "Pet Food"}},
    {"Grocery", "grocery", 8, 0.6, 700, 3, {"Coffee Beans", "Olive Oil", "Green Tea", "Chocolate"}},
    {"Baby", "baby", 30, 0.8, 800, 3, {"Baby Monitor", "Bottle Set", "Play Mat", "Carrier"}},
    {"Office", "office", 14, 0.9, 500, 3, {"Pen Set", "Desk Lamp", "Organizer", "Label Printer"}},
};

constexpr const char* kBrands[kBrandCount] = {
    "Nordwind", "Lumio", "Vantix", "Korra",   "Helvig", "Brisa",  "Solenne", "Tavola",
    "Orbis",    "Kestrel", "Mareno", "Fjell", "Pixora", "Quanta", "Velora",  "Zentra",
    "Alpen",    "Riviera", "Nuvo",   "Castell", "Oakline", "Sprint", "Aurea", "Polaris"};
constexpr const char* kProductAdjectives[12] = {"Classic", "Pro",   "Compact", "Premium", "Eco",  "Ultra",
                                                "Essential", "Deluxe", "Smart", "Travel", "Mini", "Max"};

constexpr PersonName kFirstNames[kFirstNameCount] = {
    {"Anna", "anna"},   {"Jürgen", "juergen"}, {"Lukas", "lukas"}, {"Sophie", "sophie"},
    {"Léa", "lea"},     {"Hugo", "hugo"},      {"Giulia", "giulia"}, {"Marco", "marco"},
    {"Lucía", "lucia"}, {"Javier", "javier"},  {"Emma", "emma"},   {"Daan", "daan"},
    {"Zofia", "zofia"}, {"Łukasz", "lukasz"},  {"Elif", "elif"},   {"Noah", "noah"},
    {"Maja", "maja"},   {"Oskar", "oskar"},    {"Chloé", "chloe"}, {"Mateo", "mateo"},
    {"Inês", "ines"},   {"Felix", "felix"},    {"Sara", "sara"},   {"Björn", "bjoern"}};
constexpr PersonName kLastNames[kLastNameCount] = {
    {"Müller", "mueller"},  {"Schmidt", "schmidt"},  {"Martin", "martin"}, {"Dubois", "dubois"},
    {"Rossi", "rossi"},     {"Bianchi", "bianchi"},  {"García", "garcia"}, {"Fernández", "fernandez"},
    {"de Vries", "devries"}, {"Jansen", "jansen"},   {"Kowalski", "kowalski"}, {"Nowak", "nowak"},
    {"Gruber", "gruber"},   {"Peeters", "peeters"},  {"Andersson", "andersson"}, {"Silva", "silva"},
    {"Hansen", "hansen"},   {"Weber", "weber"},      {"Moreau", "moreau"}, {"Ricci", "ricci"},
    {"López", "lopez"},     {"Wójcik", "wojcik"},    {"Fischer", "fischer"}, {"O'Brien", "obrien"}};
constexpr const char* kEmailDomains[3] = {"example.com", "example.org", "example.net"};

constexpr const char* kVendorWords1[16] = {"Nordic", "Alpine", "Urban",  "Blue",  "Golden", "Green",
                                           "Silver", "Bright", "Little", "Royal", "Happy",  "Swift",
                                           "Atlas",  "Coastal", "Iron",  "Maple"};
constexpr const char* kVendorWords2[16] = {"Home",   "Gadgets", "Outfitters", "Trading", "Goods", "Supply",
                                           "Living", "Tech",    "Market",     "Crafts",  "Style", "Sports",
                                           "Pets",   "Kitchen", "Garden",     "Books"};

const char* company_suffix(std::string_view country) {
  if (country == "DE" || country == "AT") return "GmbH";
  if (country == "FR") return "SARL";
  if (country == "IT") return "S.r.l.";
  if (country == "ES") return "S.L.";
  if (country == "NL" || country == "BE") return "B.V.";
  if (country == "PL") return "sp. z o.o.";
  if (country == "SE") return "AB";
  if (country == "PT") return "Lda.";
  return "ApS";
}

constexpr const char* kTiers[4] = {"bronze", "silver", "gold", "platinum"};
constexpr int32_t kTierCommission[4] = {150000, 120000, 100000, 80000};  // millionths
constexpr const char* kVendorStatus[3] = {"active", "suspended", "closed"};
constexpr const char* kSegments[4] = {"consumer", "corporate", "home_office", "small_business"};

constexpr const char* kComments[6][5] = {
    {},
    {"Broke after two days.", "Never again.", "Défectueux à l'arrivée.", "Wrong item delivered.", "Waste of money."},
    {"Not as described.", "Arrived late and scratched.", "Qualität enttäuschend.", "Too small.", "Meh."},
    {"It's okay.", "Average quality, slow shipping.", "Geht so.", "Does the job.", "Fine for the price."},
    {"Good value for money.", "Works well, packaging could be better.", "Molto buono.", "Buen producto.", "Solid."},
    {"Excellent, exactly as described.", "Fast delivery, top quality!", "Sehr gut, gerne wieder.",
     "Parfait, je recommande.", "Love it, \"10/10\" would buy again."}};

int64_t charm_price(double euros) {
  if (euros >= 10) return static_cast<int64_t>(euros) * 100 + 99;
  if (euros >= 2) return static_cast<int64_t>(euros) * 100 + (euros - static_cast<int64_t>(euros) < 0.5 ? 49 : 99);
  return std::max<int64_t>(9, static_cast<int64_t>(euros * 10) * 10 + 9);
}

// A table shorter than its declared size would end in zero entries, silently.
static_assert(kCities[kCityCount - 1].name && kCategories[kCategoryCount - 1].name && kBrands[kBrandCount - 1] &&
              kProductAdjectives[11] && kFirstNames[kFirstNameCount - 1].display &&
              kLastNames[kLastNameCount - 1].display && kEmailDomains[2] && kVendorWords1[15] && kVendorWords2[15] &&
              kTiers[3] && kTierCommission[3] && kVendorStatus[2] && kSegments[3] && kComments[5][4]);

}  // namespace lh::tools::gen
