// A discrete-event simulation of the marketplace: every future happening
// (the next page of a session, an order's shipment days later, a restock) is
// an action in one priority queue keyed by (time, sequence number), so the
// stream comes out in time order and is the same on every run. Entities live
// in flat vectors; sessions and orders in flight live in slabs that are
// recycled, which keeps memory bounded by what is in flight.
#include "tools/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#include "tools/random.h"

namespace lh::tools {

using events::EventType;

std::string_view to_string(DirtyKind kind) {
  switch (kind) {
    case DirtyKind::truncated_json: return "truncated_json";
    case DirtyKind::invalid_utf8: return "invalid_utf8";
    case DirtyKind::missing_field: return "missing_field";
    case DirtyKind::bad_quantity: return "bad_quantity";
    case DirtyKind::bad_stars: return "bad_stars";
    case DirtyKind::money_too_precise: return "money_too_precise";
    case DirtyKind::money_not_a_number: return "money_not_a_number";
    case DirtyKind::unknown_type: return "unknown_type";
    case DirtyKind::bad_timestamp: return "bad_timestamp";
    case DirtyKind::empty_id: return "empty_id";
  }
  return "unknown";
}

uint64_t GeneratorSummary::valid_events() const {
  uint64_t n = 0;
  for (auto c : valid_by_type) n += c;
  return n;
}

uint64_t GeneratorSummary::invalid_records() const {
  uint64_t n = 0;
  for (auto c : invalid_by_kind) n += c;
  return n;
}

Status validate(const GeneratorOptions& o) {
  if (o.days < 1 || o.days > 3660) return Error{fmt::format("days must be 1..3660, got {}", o.days)};
  if (o.vendors < 1 || o.vendors > 1000000)
    return Error{fmt::format("vendors must be 1..1000000, got {}", o.vendors)};
  if (o.customers < 1 || o.customers > 100000000)
    return Error{fmt::format("customers must be 1..100000000, got {}", o.customers)};
  if (o.products < 1 || o.products > 100000000)
    return Error{fmt::format("products must be 1..100000000, got {}", o.products)};
  if (o.orders_per_day < 0 || o.orders_per_day > 100000000)
    return Error{fmt::format("orders-per-day must be 0..100000000, got {}", o.orders_per_day)};
  if (!(o.dirty_rate >= 0 && o.dirty_rate <= 0.5))
    return Error{fmt::format("dirty-rate must be 0..0.5, got {}", o.dirty_rate)};
  if (!(o.late_rate >= 0 && o.late_rate <= 1))
    return Error{fmt::format("late-rate must be 0..1, got {}", o.late_rate)};
  // Up to year 9000: the stream's clock must stay inside what RFC 3339 writes.
  if (o.start_us < 0 || o.start_us > 221845392000000000LL)
    return Error{"start must be between 1970 and 9000"};
  return Status::Ok();
}

namespace {

// The simulation clock counts milliseconds: event_time has millisecond precision.
constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
constexpr size_t kFlushBytes = 1 << 20;

// ------------------------------------------------------------------ the world

struct City {
  const char* name;
  const char* region;
  const char* country;
  const char* zip;   // '#' = a random digit
  const char* code;  // for warehouse names
  double weight;
};
constexpr City kCities[] = {
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
constexpr int kCityCount = sizeof(kCities) / sizeof(kCities[0]);

struct Category {
  const char* name;
  const char* slug;
  double median_price;  // EUR
  double price_sigma;
  double median_weight_g;
  double weight;  // share of the catalogue
  const char* nouns[4];
};
constexpr Category kCategories[] = {
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
constexpr int kCategoryCount = sizeof(kCategories) / sizeof(kCategories[0]);

constexpr const char* kBrands[] = {
    "Nordwind", "Lumio", "Vantix", "Korra",   "Helvig", "Brisa",  "Solenne", "Tavola",
    "Orbis",    "Kestrel", "Mareno", "Fjell", "Pixora", "Quanta", "Velora",  "Zentra",
    "Alpen",    "Riviera", "Nuvo",   "Castell", "Oakline", "Sprint", "Aurea", "Polaris"};
constexpr int kBrandCount = sizeof(kBrands) / sizeof(kBrands[0]);
constexpr const char* kProductAdjectives[] = {"Classic", "Pro",   "Compact", "Premium", "Eco",  "Ultra",
                                              "Essential", "Deluxe", "Smart", "Travel", "Mini", "Max"};

struct PersonName {
  const char* display;
  const char* ascii;  // for e-mail addresses
};
constexpr PersonName kFirstNames[] = {
    {"Anna", "anna"},   {"Jürgen", "juergen"}, {"Lukas", "lukas"}, {"Sophie", "sophie"},
    {"Léa", "lea"},     {"Hugo", "hugo"},      {"Giulia", "giulia"}, {"Marco", "marco"},
    {"Lucía", "lucia"}, {"Javier", "javier"},  {"Emma", "emma"},   {"Daan", "daan"},
    {"Zofia", "zofia"}, {"Łukasz", "lukasz"},  {"Elif", "elif"},   {"Noah", "noah"},
    {"Maja", "maja"},   {"Oskar", "oskar"},    {"Chloé", "chloe"}, {"Mateo", "mateo"},
    {"Inês", "ines"},   {"Felix", "felix"},    {"Sara", "sara"},   {"Björn", "bjoern"}};
constexpr PersonName kLastNames[] = {
    {"Müller", "mueller"},  {"Schmidt", "schmidt"},  {"Martin", "martin"}, {"Dubois", "dubois"},
    {"Rossi", "rossi"},     {"Bianchi", "bianchi"},  {"García", "garcia"}, {"Fernández", "fernandez"},
    {"de Vries", "devries"}, {"Jansen", "jansen"},   {"Kowalski", "kowalski"}, {"Nowak", "nowak"},
    {"Gruber", "gruber"},   {"Peeters", "peeters"},  {"Andersson", "andersson"}, {"Silva", "silva"},
    {"Hansen", "hansen"},   {"Weber", "weber"},      {"Moreau", "moreau"}, {"Ricci", "ricci"},
    {"López", "lopez"},     {"Wójcik", "wojcik"},    {"Fischer", "fischer"}, {"O'Brien", "obrien"}};
constexpr int kFirstNameCount = sizeof(kFirstNames) / sizeof(kFirstNames[0]);
constexpr int kLastNameCount = sizeof(kLastNames) / sizeof(kLastNames[0]);
constexpr const char* kEmailDomains[] = {"example.com", "example.org", "example.net"};

constexpr const char* kVendorWords1[] = {"Nordic", "Alpine", "Urban",  "Blue",  "Golden", "Green",
                                         "Silver", "Bright", "Little", "Royal", "Happy",  "Swift",
                                         "Atlas",  "Coastal", "Iron",  "Maple"};
constexpr const char* kVendorWords2[] = {"Home",   "Gadgets", "Outfitters", "Trading", "Goods", "Supply",
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

constexpr const char* kTiers[] = {"bronze", "silver", "gold", "platinum"};
constexpr int32_t kTierCommission[] = {150000, 120000, 100000, 80000};  // millionths
constexpr const char* kVendorStatus[] = {"active", "suspended", "closed"};
constexpr const char* kSegments[] = {"consumer", "corporate", "home_office", "small_business"};

constexpr const char* kComments[6][5] = {
    {},
    {"Broke after two days.", "Never again.", "Défectueux à l'arrivée.", "Wrong item delivered.", "Waste of money."},
    {"Not as described.", "Arrived late and scratched.", "Qualität enttäuschend.", "Too small.", "Meh."},
    {"It's okay.", "Average quality, slow shipping.", "Geht so.", "Does the job.", "Fine for the price."},
    {"Good value for money.", "Works well, packaging could be better.", "Molto buono.", "Buen producto.", "Solid."},
    {"Excellent, exactly as described.", "Fast delivery, top quality!", "Sehr gut, gerne wieder.",
     "Parfait, je recommande.", "Love it, \"10/10\" would buy again."}};

// Web traffic by hour of day (UTC taken as local time): quiet nights, an
// evening peak.
constexpr double kHourly[24] = {0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.60, 0.85, 1.00, 1.10, 1.15,
                                1.20, 1.15, 1.10, 1.10, 1.15, 1.25, 1.40, 1.60, 1.70, 1.55, 1.10, 0.65};
constexpr double kWeekendBump = 1.2;

// Traffic model: sessions per order and their shape (see GeneratorOptions).
constexpr double kConversion = 0.3;      // sessions that try to check out
constexpr double kLoggedInBrowsers = 0.4;  // of the non-converting sessions
constexpr double kInferredCustomerShare = 0.01;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// ------------------------------------------------------------------ entities

enum VendorStatus : uint8_t { kActive = 0, kSuspended = 1, kClosed = 2 };

struct Vendor {
  uint16_t city = 0;
  uint8_t tier = 0;
  uint8_t status = kActive;
  uint8_t warehouses = 1;
  int32_t commission = 0;  // millionths
  int64_t registered_ms = 0;
  std::vector<uint32_t> products;  // in listing order; earlier listings sell more
  WeightedTable product_table;
};

struct Product {
  uint32_t vendor = 0;
  uint8_t category = 0;           // current (possibly wrong until fixed)
  uint8_t true_category = 0;
  uint8_t brand = 0;
  uint8_t warehouse = 0;
  bool brand_typo = false;        // listed in lower case until fixed
  bool created = false;
  bool restock_pending = false;
  int32_t weight_g = 0;
  int64_t price_cents = 0;
  int64_t stock = 0;
  int64_t reorder_point = 0;
  int64_t target_stock = 0;
  int64_t created_ms = 0;
};

struct Customer {
  uint16_t city = 0;
  uint8_t segment = 0;
  uint8_t first = 0, last = 0, mail_suffix = 0, domain = 0;
  bool deleted = false;
  bool acted_early = false;  // active before customer_registered: an inferred member downstream
  int64_t registered_ms = 0;
};

enum class Page : uint8_t {
  home, search, category, product, cart_add, cart_view, cart_update, cart_remove, checkout_view,
  checkout_submit
};
struct Step {
  Page page;
  uint32_t arg;  // product index, category index, or category*4+noun for searches
};
struct Session {
  uint64_t number = 0;
  int32_t customer = -1;  // -1: not logged in
  size_t next = 0;
  std::vector<Step> steps;
  std::vector<uint32_t> cart;
  void reset() {
    customer = -1;
    next = 0;
    steps.clear();
    cart.clear();
  }
};

struct Line {
  uint32_t product;
  uint32_t vendor;
  int32_t line_no;
  int64_t quantity;
  int64_t unit_cents;
};
struct Order {
  uint64_t number = 0;
  uint32_t customer = 0;
  int64_t placed_ms = 0;
  int pending = 0;  // actions in the queue that refer to this order
  std::vector<Line> lines;
  std::vector<uint32_t> vendors;  // distinct, in line order
  void reset() {
    pending = 0;
    lines.clear();
    vendors.clear();
  }
};

// Everything that happens later goes through the queue as an Action.
enum class Act : uint8_t {
  vendor_register, product_create, customer_register, session_arrival, session_step,
  order_approve, order_cancel, order_ship, order_deliver, line_return, line_review,
  vendor_change, vendor_reactivate, customer_change, customer_delete, price_change,
  product_fix, stock_audit, restock
};
struct Action {
  int64_t time;
  uint64_t seq;  // ties broken by scheduling order: deterministic
  int64_t prev;  // time of the step before (status chains: bound for late stamps)
  uint32_t a;    // entity index or slab slot
  uint32_t b;    // vendor index or line index
  Act act;
};
struct Later {
  bool operator()(const Action& x, const Action& y) const {
    return x.time != y.time ? x.time > y.time : x.seq > y.seq;
  }
};

// Slots for things in flight, reused so memory follows what is in flight.
template <class T>
class Slab {
 public:
  uint32_t add() {
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    items_.emplace_back();
    return static_cast<uint32_t>(items_.size() - 1);
  }
  void remove(uint32_t i) {
    items_[i].reset();  // keeps the vectors' capacity for the next user
    free_.push_back(i);
  }
  T& operator[](uint32_t i) { return items_[i]; }

 private:
  std::vector<T> items_;
  std::vector<uint32_t> free_;
};


// ------------------------------------------------------------ the simulation

class Simulation {
 public:
  Simulation(const GeneratorOptions& o, const GeneratorSink& sink, const GeneratorProgressFn& progress)
      : o_(o),
        sink_(sink),
        progress_(progress),
        rng_(o.seed),
        late_rng_(o.seed ^ 0x6c6174652d726e67ULL),   // separate streams: the late and dirty
        dirty_rng_(o.seed ^ 0x64697274792d726eULL),  // rates change nothing else
        tag_(fmt::format("{:x}", o.seed)) {}

  Result<GeneratorSummary> run() {
    buf_.reserve(kFlushBytes + (64 << 10));
    setup();
    while (!queue_.empty() && status_.ok()) {
      const Action a = queue_.top();
      if (a.time >= end_ms_) break;  // everything left is after the period
      queue_.pop();
      now_ = a.time;
      dispatch(a);
    }
    flush();
    if (!status_.ok()) return status_.error();
    summary_.first_time_us = start_ms_ * 1000;
    summary_.last_time_us = last_ms_ * 1000;
    return summary_;
  }

 private:
  // ---------------------------------------------------------------- setup

  void setup() {
    start_ms_ = floor_div(o_.start_us, 1000);
    end_ms_ = start_ms_ + o_.days * kDay;
    last_ms_ = start_ms_;
    dirty_p_ = o_.dirty_rate > 0 ? o_.dirty_rate / (1 - o_.dirty_rate) : 0;

    std::vector<double> w;
    for (const auto& c : kCities) w.push_back(c.weight);
    city_table_ = WeightedTable(w);
    w.clear();
    for (const auto& c : kCategories) w.push_back(c.weight);
    category_table_ = WeightedTable(w);
    segment_table_ = WeightedTable({70, 15, 10, 5});
    tier_table_ = WeightedTable({40, 30, 20, 10});
    items_table_ = WeightedTable({45, 28, 15, 8, 4});       // lines per order: 1..5
    quantity_table_ = WeightedTable({70, 22, 5, 3});       // units per line: 1..4
    stars_table_ = WeightedTable({7, 5, 10, 26, 52});      // J-shaped, like real reviews

    setup_vendors();
    setup_products();
    setup_customers();

    // Vendors register in the first two minutes, the initial catalogue in the
    // next half hour, the base of customers in the first hour.
    at(start_ms_, Act::vendor_register, 0);
    initial_products_ = std::max<uint32_t>(1, static_cast<uint32_t>(products_.size() * 9 / 10));
    at(product_time(0), Act::product_create, 0);
    at(customer_time(0), Act::customer_register, 0);

    const double sessions_per_day = o_.orders_per_day / kConversion;
    if (sessions_per_day > 0) {
      double hourly_mean = 0, hourly_max = 0;
      for (double h : kHourly) hourly_mean += h / 24, hourly_max = std::max(hourly_max, h);
      const double week_norm = 7 / (5 + 2 * kWeekendBump);
      rate_base_ = sessions_per_day / kDay / hourly_mean * week_norm;  // per ms, before factors
      rate_max_ = rate_base_ * hourly_max * kWeekendBump;
      at(start_ms_ + 30 * kMinute, Act::session_arrival, 0);
      // Share of logged-in sessions that act for a customer not registered
      // yet, so that ~1% of customers become inferred members downstream.
      const double logged_in = sessions_per_day * o_.days *
                               (kConversion + (1 - kConversion) * kLoggedInBrowsers);
      p_inferred_ = std::min(0.05, kInferredCustomerShare * customers_.size() / logged_in);
    }
    const double per_day = 1.0 / kDay;
    vendor_change_rate_ = vendors_.size() * 0.06 * per_day;
    customer_change_rate_ = customers_.size() * 0.004 * per_day;
    price_change_rate_ = products_.size() * 0.04 / 7 * per_day;
    stock_audit_rate_ = products_.size() * 0.03 * per_day;
    // GDPR deletions: ~0.4% of customers, in the last 15% of the period.
    delete_window_start_ = end_ms_ - (end_ms_ - start_ms_) * 15 / 100;
    customer_delete_rate_ = customers_.size() * 0.004 / std::max<int64_t>(1, end_ms_ - delete_window_start_);
    schedule_poisson(Act::vendor_change, start_ms_ + kHour, vendor_change_rate_);
    schedule_poisson(Act::customer_change, start_ms_ + 2 * kHour, customer_change_rate_);
    schedule_poisson(Act::price_change, start_ms_ + kHour, price_change_rate_);
    schedule_poisson(Act::stock_audit, start_ms_ + kHour, stock_audit_rate_);
    schedule_poisson(Act::customer_delete, delete_window_start_, customer_delete_rate_);
  }

  void setup_vendors() {
    const size_t n = static_cast<size_t>(o_.vendors);
    vendors_.resize(n);
    for (auto& v : vendors_) {
      v.city = static_cast<uint16_t>(city_table_.sample(rng_));
      v.tier = static_cast<uint8_t>(tier_table_.sample(rng_));
      v.commission = kTierCommission[v.tier] + static_cast<int32_t>(rng_.between(-2, 2)) * 5000;
      v.warehouses = static_cast<uint8_t>(1 + rng_.below(3));
    }
    // Popularity: a Zipf law over ranks, ranks shuffled over vendor ids so
    // V-1 is not always the leader.
    vendor_by_rank_.resize(n);
    for (size_t i = 0; i < n; ++i) vendor_by_rank_[i] = static_cast<uint32_t>(i);
    for (size_t i = n; i > 1; --i) std::swap(vendor_by_rank_[i - 1], vendor_by_rank_[rng_.below(i)]);
    rank_of_vendor_.resize(n);
    for (size_t r = 0; r < n; ++r) rank_of_vendor_[vendor_by_rank_[r]] = static_cast<uint32_t>(r);
    vendor_table_ = WeightedTable::zipf(n, 1.1);
  }

  void setup_products() {
    const size_t n = static_cast<size_t>(o_.products);
    const size_t nv = vendors_.size();
    products_.resize(n);
    // Big vendors list more: every vendor gets one product, the rest follow
    // a flatter Zipf over the popularity ranks.
    WeightedTable listing = WeightedTable::zipf(nv, 0.8);
    for (size_t j = 0; j < n; ++j) {
      Product& p = products_[j];
      p.vendor = j < nv ? vendor_by_rank_[j] : vendor_by_rank_[listing.sample(rng_)];
      vendors_[p.vendor].products.push_back(static_cast<uint32_t>(j));
      p.true_category = static_cast<uint8_t>(category_table_.sample(rng_));
      const Category& c = kCategories[p.true_category];
      p.category = p.true_category;
      if (rng_.chance(0.015)) p.category = static_cast<uint8_t>(rng_.below(kCategoryCount));
      p.brand = static_cast<uint8_t>((p.true_category * 7 + rng_.below(6)) % kBrandCount);
      p.brand_typo = rng_.chance(0.015);
      p.price_cents = charm_price(rng_.lognormal(c.median_price, c.price_sigma));
      p.weight_g = static_cast<int32_t>(std::max(5.0, rng_.lognormal(c.median_weight_g, 0.5)));
      p.warehouse = static_cast<uint8_t>(rng_.below(vendors_[p.vendor].warehouses));
    }
    for (auto& v : vendors_) v.product_table = WeightedTable::zipf(v.products.size(), 0.9);
    // Stock sized to expected demand, so popular items can sell out before
    // their restock (lead times are 1-6 days).
    const double lines_per_day = o_.orders_per_day * 1.98 * 1.41;
    for (size_t r = 0; r < nv; ++r) {
      const Vendor& v = vendors_[vendor_by_rank_[r]];
      for (size_t k = 0; k < v.products.size(); ++k) {
        Product& p = products_[v.products[k]];
        const double daily = lines_per_day * vendor_table_.probability(r) * v.product_table.probability(k);
        p.target_stock = static_cast<int64_t>(daily * rng_.uniform(3, 12)) + rng_.between(3, 12);
        p.reorder_point = static_cast<int64_t>(daily * 1.5) + 1;
        p.stock = p.target_stock;
      }
    }
  }

  void setup_customers() {
    const size_t n = static_cast<size_t>(o_.customers);
    customers_.resize(n);
    std::vector<double> activity(n);
    for (size_t i = 0; i < n; ++i) {
      Customer& c = customers_[i];
      c.city = static_cast<uint16_t>(city_table_.sample(rng_));
      c.segment = static_cast<uint8_t>(segment_table_.sample(rng_));
      c.first = static_cast<uint8_t>(rng_.below(kFirstNameCount));
      c.last = static_cast<uint8_t>(rng_.below(kLastNameCount));
      c.mail_suffix = static_cast<uint8_t>(rng_.chance(0.5) ? 0 : rng_.between(1, 99));
      c.domain = static_cast<uint8_t>(rng_.below(3));
      // Some customers come back often: a log-normal activity weight gives a
      // tail of repeat buyers without one customer dominating.
      activity[i] = rng_.lognormal(1, 0.9);
    }
    customer_table_ = WeightedTable(activity);
    base_customers_ = std::max<size_t>(1, n / 2);
  }

  // Registration times: the base in the first hour, the rest spread evenly
  // (with jitter) over the period, in index order.
  int64_t customer_time(size_t k) {
    const double u = rng_.uniform();
    if (k < base_customers_)
      return start_ms_ + static_cast<int64_t>((k + u) / base_customers_ * kHour);
    const size_t rest = customers_.size() - base_customers_;
    const int64_t span = end_ms_ - start_ms_ - kHour;
    return start_ms_ + kHour + static_cast<int64_t>((k - base_customers_ + u) / rest * span);
  }
  int64_t product_time(size_t j) {
    const double u = rng_.uniform();
    if (j < initial_products_)
      return start_ms_ + 2 * kMinute + static_cast<int64_t>((j + u) / initial_products_ * 28 * kMinute);
    const size_t rest = products_.size() - initial_products_;
    const int64_t span = end_ms_ - start_ms_ - kHour;
    return start_ms_ + kHour + static_cast<int64_t>((j - initial_products_ + u) / rest * span);
  }

  // ------------------------------------------------------------- scheduling

  bool at(int64_t t, Act act, uint32_t a, uint32_t b = 0, int64_t prev = 0) {
    if (t >= end_ms_) return false;  // after the period: never happens
    queue_.push(Action{t, ++seq_, prev, a, b, act});
    return true;
  }
  void schedule_poisson(Act act, int64_t from, double rate_per_ms) {
    if (rate_per_ms <= 0) return;
    at(from + static_cast<int64_t>(rng_.exponential(1 / rate_per_ms)), act, 0);
  }
  // An order's follow-up: counted so the order's slot is freed after the last.
  void at_order(int64_t t, Act act, uint32_t slot, uint32_t b, int64_t prev) {
    if (at(t, act, slot, b, prev)) ++orders_[slot].pending;
  }
  void order_done(uint32_t slot) {
    if (--orders_[slot].pending == 0) orders_.remove(slot);
  }

  void dispatch(const Action& a) {
    switch (a.act) {
      case Act::vendor_register: return register_vendor(a.a);
      case Act::product_create: return create_product(a.a);
      case Act::customer_register: return register_customer(a.a);
      case Act::session_arrival: return session_arrival();
      case Act::session_step: return session_step(a.a);
      case Act::order_approve: return order_approve(a);
      case Act::order_cancel: return order_cancel(a);
      case Act::order_ship: return order_ship(a);
      case Act::order_deliver: return order_deliver(a);
      case Act::line_return: return line_return(a);
      case Act::line_review: return line_review(a);
      case Act::vendor_change:
        vendor_change();
        return schedule_poisson(Act::vendor_change, now_, vendor_change_rate_);
      case Act::vendor_reactivate: return vendor_reactivate(a.a);
      case Act::customer_change:
        customer_change();
        return schedule_poisson(Act::customer_change, now_, customer_change_rate_);
      case Act::customer_delete:
        customer_delete();
        return schedule_poisson(Act::customer_delete, now_, customer_delete_rate_);
      case Act::price_change:
        price_change();
        return schedule_poisson(Act::price_change, now_, price_change_rate_);
      case Act::product_fix: return product_fix(a.a);
      case Act::stock_audit:
        stock_audit();
        return schedule_poisson(Act::stock_audit, now_, stock_audit_rate_);
      case Act::restock: return restock(a.a);
    }
  }

  // ------------------------------------------------------------ dimensions

  void register_vendor(uint32_t i) {
    Vendor& v = vendors_[i];
    v.registered_ms = now_;
    const City& city = kCities[v.city];
    begin(EventType::vendor_registered, now_, false, 0);
    field_id("vendor_id", 'V', i + 1);
    key("name");
    fmt::format_to(out(), "\"{} {} {}\"", kVendorWords1[rng_.below(16)], kVendorWords2[rng_.below(16)],
                   company_suffix(city.country));
    field_raw("country", city.country);
    field_text("city", city.name);
    field_raw("tier", kTiers[v.tier]);
    field_rate("commission_rate", v.commission);
    field_raw("status", kVendorStatus[v.status]);
    end();
    if (i + 1 < vendors_.size())
      at(start_ms_ + static_cast<int64_t>((i + 1) * (2 * kMinute) / vendors_.size()),
         Act::vendor_register, i + 1);
  }

  void create_product(uint32_t j) {
    Product& p = products_[j];
    const Category& c = kCategories[p.true_category];
    p.created = true;
    p.created_ms = now_;
    begin(EventType::product_created, now_, false, 0);
    field_id("product_id", 'P', j + 1);
    key("name");
    fmt::format_to(out(), "\"{} {} {} {}{}\"", kBrands[p.brand], kProductAdjectives[rng_.below(12)],
                   c.nouns[rng_.below(4)], static_cast<char>('A' + rng_.below(26)), 10 * rng_.between(1, 99));
    field_text("category", kCategories[p.category].name);
    key("brand");
    write_brand(p);
    field_id("vendor_id", 'V', p.vendor + 1);
    field_money("list_price", p.price_cents);
    field_raw("currency", "EUR");
    field_int("weight_g", p.weight_g);
    end();
    emit_stock(j, 0);
    if (p.category != p.true_category || p.brand_typo)  // someone notices, sooner or later
      at(now_ + static_cast<int64_t>(rng_.exponential(3 * kDay)), Act::product_fix, j);
    if (j + 1 < products_.size()) at(product_time(j + 1), Act::product_create, j + 1);
  }

  void write_brand(const Product& p) {
    buf_.push_back('"');
    for (const char* s = kBrands[p.brand]; *s; ++s)
      buf_.push_back(p.brand_typo ? static_cast<char>(*s | 0x20) : *s);  // ASCII lower case
    buf_.push_back('"');
  }

  void register_customer(uint32_t k) {
    Customer& c = customers_[k];
    c.registered_ms = now_;
    registered_ = k + 1;
    begin(EventType::customer_registered, now_, false, 0);
    field_id("customer_id", 'C', k + 1);
    key("name");
    buf_.push_back('"');
    append_escaped(kFirstNames[c.first].display);
    buf_.push_back(' ');
    append_escaped(kLastNames[c.last].display);
    buf_.push_back('"');
    write_email(c);
    write_address(c.city, true);
    field_raw("segment", kSegments[c.segment]);
    end();
    if (k + 1 < customers_.size()) at(customer_time(k + 1), Act::customer_register, k + 1);
  }

  void write_email(const Customer& c) {
    key("email");
    fmt::format_to(out(), "\"{}.{}", kFirstNames[c.first].ascii, kLastNames[c.last].ascii);
    if (c.mail_suffix) fmt::format_to(out(), "{}", c.mail_suffix);
    fmt::format_to(out(), "@{}\"", kEmailDomains[c.domain]);
  }

  void write_address(uint16_t city_index, bool with_country) {
    const City& city = kCities[city_index];
    field_text("city", city.name);
    field_text("region", city.region);
    key("zip");
    buf_.push_back('"');
    for (const char* s = city.zip; *s; ++s)
      buf_.push_back(*s == '#' ? static_cast<char>('0' + rng_.below(10)) : *s);
    buf_.push_back('"');
    if (with_country) field_raw("country", city.country);
  }

  void vendor_change() {
    const uint32_t i = static_cast<uint32_t>(rng_.below(vendors_.size()));
    Vendor& v = vendors_[i];
    if (v.status == kClosed || v.registered_ms == 0) return;
    const double r = rng_.uniform();
    if (r < 0.35) {  // tier change, and the commission that comes with it
      const int up = v.tier == 0 ? 1 : v.tier == 3 ? -1 : (rng_.chance(0.6) ? 1 : -1);
      v.tier = static_cast<uint8_t>(v.tier + up);
      v.commission = kTierCommission[v.tier] + static_cast<int32_t>(rng_.between(-2, 2)) * 5000;
      begin_vendor_update(i);
      field_raw("tier", kTiers[v.tier]);
      field_rate("commission_rate", v.commission);
    } else if (r < 0.60) {  // renegotiated commission
      v.commission = std::clamp<int32_t>(v.commission + static_cast<int32_t>(rng_.between(-4, 4)) * 2500,
                                         30000, 300000);
      begin_vendor_update(i);
      field_rate("commission_rate", v.commission);
    } else if (r < 0.75) {  // moved to another city of its country
      uint16_t city = v.city;
      for (int t = 0; t < 8 && (city == v.city || std::strcmp(kCities[city].country,
                                                            kCities[v.city].country) != 0); ++t)
        city = static_cast<uint16_t>(rng_.below(kCityCount));
      if (city == v.city || std::strcmp(kCities[city].country, kCities[v.city].country) != 0) return;
      v.city = city;
      begin_vendor_update(i);
      field_text("city", kCities[city].name);
    } else if (v.status == kActive && (r < 0.97 || rank_of_vendor_[i] < vendors_.size() / 3)) {
      // Suspended (policy breach, unpaid fees), back in a few hours to days.
      v.status = kSuspended;
      begin_vendor_update(i);
      field_raw("status", kVendorStatus[kSuspended]);
      at(now_ + kHour * rng_.between(6, 96), Act::vendor_reactivate, i);
    } else if (v.status == kActive) {  // a small vendor closes its shop
      v.status = kClosed;
      begin_vendor_update(i);
      field_raw("status", kVendorStatus[kClosed]);
    } else {
      return;
    }
    end();
  }

  void begin_vendor_update(uint32_t i) {
    begin(EventType::vendor_updated, now_, true, vendors_[i].registered_ms);
    field_id("vendor_id", 'V', i + 1);
  }

  void vendor_reactivate(uint32_t i) {
    if (vendors_[i].status != kSuspended) return;
    vendors_[i].status = kActive;
    begin_vendor_update(i);
    field_raw("status", kVendorStatus[kActive]);
    end();
  }

  void customer_change() {
    if (registered_ == 0) return;
    const uint32_t k = static_cast<uint32_t>(rng_.below(registered_));
    Customer& c = customers_[k];
    if (c.deleted) return;
    const double r = rng_.uniform();
    begin(EventType::customer_updated, now_, true, c.registered_ms);
    field_id("customer_id", 'C', k + 1);
    if (r < 0.55) {  // moved; now and then to another country
      uint16_t city = c.city;
      while (city == c.city) city = static_cast<uint16_t>(city_table_.sample(rng_));
      const bool new_country = std::strcmp(kCities[city].country, kCities[c.city].country) != 0;
      c.city = city;
      write_address(city, new_country);
    } else if (r < 0.80) {
      uint8_t seg = c.segment;
      while (seg == c.segment) seg = static_cast<uint8_t>(segment_table_.sample(rng_));
      c.segment = seg;
      field_raw("segment", kSegments[seg]);
    } else {
      c.domain = static_cast<uint8_t>((c.domain + 1 + rng_.below(2)) % 3);
      c.mail_suffix = static_cast<uint8_t>(rng_.between(1, 99));
      write_email(c);
    }
    end();
  }

  void customer_delete() {
    if (registered_ == 0) return;
    const uint32_t k = static_cast<uint32_t>(rng_.below(registered_));
    Customer& c = customers_[k];
    if (c.deleted) return;
    c.deleted = true;
    begin(EventType::customer_deleted, now_, false, 0);
    field_id("customer_id", 'C', k + 1);
    end();
  }

  void price_change() {
    const uint32_t j = static_cast<uint32_t>(rng_.below(products_.size()));
    Product& p = products_[j];
    if (!p.created) return;
    // Mostly small repricing, sometimes a sale.
    const double factor = rng_.chance(0.3) ? rng_.uniform(0.7, 0.9)
                                           : std::clamp(1 + 0.08 * rng_.normal(), 0.8, 1.3);
    const int64_t cents = charm_price(p.price_cents * factor / 100);
    if (cents == p.price_cents) return;
    p.price_cents = cents;
    begin(EventType::product_updated, now_, true, p.created_ms);
    field_id("product_id", 'P', j + 1);
    field_money("list_price", cents);
    end();
  }

  void product_fix(uint32_t j) {
    Product& p = products_[j];
    begin(EventType::product_updated, now_, true, p.created_ms);
    field_id("product_id", 'P', j + 1);
    if (p.category != p.true_category) {
      p.category = p.true_category;
      field_text("category", kCategories[p.category].name);
    }
    if (p.brand_typo) {
      p.brand_typo = false;
      key("brand");
      write_brand(p);
    }
    end();
  }

  // ------------------------------------------------------------------ stock

  void emit_stock(uint32_t j, int64_t not_before) {
    const Product& p = products_[j];
    const Vendor& v = vendors_[p.vendor];
    begin(EventType::stock_changed, now_, p.created_ms < now_, std::max(not_before, p.created_ms));
    field_id("vendor_id", 'V', p.vendor + 1);
    field_id("product_id", 'P', j + 1);
    key("warehouse");
    fmt::format_to(out(), "\"WH-{}-{}\"", kCities[v.city].code, p.warehouse + 1);
    field_int("quantity", p.stock);
    end();
    if (p.stock == 0) ++summary_.stockouts;
  }

  void take_stock(uint32_t j, int64_t quantity) {
    Product& p = products_[j];
    p.stock -= quantity;
    emit_stock(j, 0);
    if (p.stock <= p.reorder_point && !p.restock_pending) {
      p.restock_pending = true;
      at(now_ + kHour * rng_.between(24, 144), Act::restock, j);
    }
  }

  void restock(uint32_t j) {
    Product& p = products_[j];
    p.restock_pending = false;
    p.stock = std::max(p.stock, p.target_stock) + rng_.between(0, 5);
    emit_stock(j, 0);
  }

  void stock_audit() {  // inventory counts find shrinkage or misplaced units
    const uint32_t j = static_cast<uint32_t>(rng_.below(products_.size()));
    Product& p = products_[j];
    if (!p.created) return;
    const int64_t delta = rng_.chance(0.6) ? -rng_.between(1, 2) : rng_.between(1, 3);
    if (p.stock + delta < 0) return;
    p.stock += delta;
    emit_stock(j, 0);
  }

  // ------------------------------------------------------------- sessions

  // Non-homogeneous Poisson arrivals by thinning: candidates at the peak
  // rate, each kept with probability rate(t) / peak.
  void session_arrival() {
    const int64_t ms_of_day = now_ - floor_div(now_, kDay) * kDay;
    const int64_t weekday = (floor_div(now_, kDay) + 3) % 7;  // 1970-01-01 was a Thursday; 0 = Monday
    const double rate = rate_base_ * kHourly[ms_of_day / kHour] * (weekday >= 5 ? kWeekendBump : 1);
    if (rng_.uniform() * rate_max_ < rate) start_session();
    at(now_ + static_cast<int64_t>(rng_.exponential(1 / rate_max_)), Act::session_arrival, 0);
  }

  void start_session() {
    const uint32_t slot = sessions_.add();
    Session& s = sessions_[slot];
    s.number = ++session_counter_;
    bool converting = rng_.chance(kConversion);
    if (converting || rng_.chance(kLoggedInBrowsers)) s.customer = pick_customer();
    if (s.customer < 0) converting = false;

    const double landing = rng_.uniform();
    if (landing < 0.45) add_step(s, Page::home, 0);
    else if (landing < 0.70) add_step(s, Page::search, static_cast<uint32_t>(rng_.below(kCategoryCount * 4)));
    else if (landing < 0.85) add_step(s, Page::category, static_cast<uint32_t>(category_table_.sample(rng_)));
    else add_product_view(s);

    if (converting) {
      const size_t items = 1 + items_table_.sample(rng_);
      for (size_t i = 0; i < items; ++i) {
        if (rng_.chance(0.4)) add_browse_step(s);
        if (rng_.chance(0.3)) add_product_view(s);  // compared, not taken
        const int64_t p = pick_product(true);
        if (p < 0) continue;
        add_step(s, Page::product, static_cast<uint32_t>(p));
        add_step(s, Page::cart_add, static_cast<uint32_t>(p));
      }
      add_step(s, Page::cart_view, 0);
      if (rng_.chance(0.10)) add_step(s, Page::cart_update, 0);
      if (rng_.chance(0.06)) add_step(s, Page::cart_remove, 0);
      add_step(s, Page::checkout_view, 0);
      add_step(s, Page::checkout_submit, 0);
    } else if (!rng_.chance(0.35)) {  // not a bounce
      size_t extra = 1;
      while (extra < 30 && rng_.chance(0.52)) ++extra;
      for (size_t i = 0; i < extra; ++i) {
        const double r = rng_.uniform();
        if (r < 0.5) {
          add_product_view(s);
          if (rng_.chance(0.05) && s.steps.back().page == Page::product)  // an abandoned cart
            add_step(s, Page::cart_add, s.steps.back().arg);
        } else {
          add_browse_step(s);
        }
      }
    }
    session_step(slot);
  }

  void add_step(Session& s, Page page, uint32_t arg) { s.steps.push_back(Step{page, arg}); }
  void add_product_view(Session& s) {
    const int64_t p = pick_product(false);
    if (p >= 0) add_step(s, Page::product, static_cast<uint32_t>(p));
    else add_step(s, Page::home, 0);
  }
  void add_browse_step(Session& s) {
    const double r = rng_.uniform();
    if (r < 0.5) add_step(s, Page::category, static_cast<uint32_t>(category_table_.sample(rng_)));
    else if (r < 0.8) add_step(s, Page::search, static_cast<uint32_t>(rng_.below(kCategoryCount * 4)));
    else add_step(s, Page::home, 0);
  }

  int32_t pick_customer() {
    const size_t n = customers_.size();
    if (p_inferred_ > 0 && registered_ < n && rng_.chance(p_inferred_)) {
      Customer& c = customers_[registered_ + rng_.below(n - registered_)];
      if (!c.acted_early) {
        c.acted_early = true;
        ++summary_.inferred_customers;
      }
      return static_cast<int32_t>(&c - customers_.data());
    }
    if (registered_ == 0) return -1;
    for (int t = 0; t < 4; ++t) {
      const size_t k = customer_table_.sample_prefix(rng_, registered_);
      if (!customers_[k].deleted) return static_cast<int32_t>(k);
    }
    return -1;
  }

  // A product by popularity: vendor first, then one of its listings. For a
  // cart the product must be buyable now (listed, vendor active, in stock).
  int64_t pick_product(bool for_cart) {
    for (int t = 0; t < 6; ++t) {
      const Vendor& v = vendors_[vendor_by_rank_[vendor_table_.sample(rng_)]];
      if (v.products.empty()) continue;
      const uint32_t j = v.products[v.product_table.sample(rng_)];
      const Product& p = products_[j];
      if (!p.created) continue;
      if (for_cart && (v.status != kActive || p.stock == 0)) continue;
      return j;
    }
    return -1;
  }

  void session_step(uint32_t slot) {
    Session& s = sessions_[slot];
    if (s.customer >= 0 && customers_[s.customer].deleted) {  // the account is gone: so is its session
      sessions_.remove(slot);
      return;
    }
    const Step step = s.steps[s.next++];
    const int status = emit_page(s, step);
    if (step.page == Page::cart_add && status < 400) s.cart.push_back(step.arg);
    if (step.page == Page::cart_remove && status < 400 && s.cart.size() > 1) s.cart.pop_back();
    if (step.page == Page::checkout_submit && status < 400) place_order(s);
    if (s.next < s.steps.size()) {
      const int64_t think = std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(20000, 0.8)),
                                                kSecond, 15 * kMinute);
      if (at(now_ + think, Act::session_step, slot)) return;
    }
    sessions_.remove(slot);
  }

  int emit_page(const Session& s, const Step& step) {
    static constexpr double kMedianMs[] = {45, 140, 80, 65, 90, 55, 70, 60, 110, 320};
    static constexpr const char* kMethod[] = {"GET", "GET", "GET", "GET", "POST",
                                              "GET", "PUT", "DELETE", "GET", "POST"};
    const int page = static_cast<int>(step.page);
    const bool get = page < 4 || step.page == Page::cart_view || step.page == Page::checkout_view;
    int status = 200;
    const double r = rng_.uniform();
    if (r < 0.003) status = 500;
    else if (r < 0.005) status = 503;
    else if (get && r < 0.065) status = 304;
    else if ((step.page == Page::product || step.page == Page::search) && r < 0.085) status = 404;

    // Latency: a log-normal body and a Pareto tail (slow queries, GC pauses,
    // cold caches), so p99 is many times the median and a few pass 2 s.
    double median = kMedianMs[page] * (status == 304 ? 0.4 : 1);
    double latency = rng_.chance(0.02) ? rng_.pareto(5 * median, 1.1) : rng_.lognormal(median, 0.45);
    if (status == 503) latency = rng_.pareto(800, 1.5);
    const int64_t tenths = std::min<int64_t>(static_cast<int64_t>(latency * 10), 600000);

    begin(EventType::page_viewed, now_, true, start_ms_);
    field_txid("session_id", 'S', s.number);
    key("url");
    switch (step.page) {
      case Page::home: append("\"/\""); break;
      case Page::search: {
        append("\"/search?q=");
        for (const char* c = kCategories[step.arg / 4].nouns[step.arg % 4]; *c; ++c)
          buf_.push_back(*c == ' ' ? '+' : static_cast<char>(*c >= 'A' && *c <= 'Z' ? *c | 0x20 : *c));
        buf_.push_back('"');
        break;
      }
      case Page::category: fmt::format_to(out(), "\"/c/{}\"", kCategories[step.arg].slug); break;
      case Page::product:
        append("\"/p/P-");
        append_uint(step.arg + 1);
        buf_.push_back('"');
        break;
      case Page::checkout_view:
      case Page::checkout_submit: append("\"/checkout\""); break;
      default: append("\"/cart\""); break;
    }
    field_raw("http_method", kMethod[page]);
    field_int("status_code", status);
    key("latency_ms");
    append_uint(static_cast<uint64_t>(tenths / 10));
    buf_.push_back('.');
    buf_.push_back(static_cast<char>('0' + tenths % 10));
    if (s.customer >= 0) field_id("customer_id", 'C', static_cast<uint64_t>(s.customer) + 1);
    if (step.page == Page::product || step.page == Page::cart_add) {
      field_id("product_id", 'P', step.arg + 1);
      field_id("vendor_id", 'V', products_[step.arg].vendor + 1);
    }
    end();
    return status;
  }

  // --------------------------------------------------------------- orders

  void place_order(const Session& s) {
    if (s.customer < 0 || customers_[s.customer].deleted) return;
    const uint32_t slot = orders_.add();
    Order& o = orders_[slot];
    o.customer = static_cast<uint32_t>(s.customer);
    o.placed_ms = now_;
    for (uint32_t j : s.cart) {
      const Product& p = products_[j];
      if (vendors_[p.vendor].status != kActive) continue;
      bool seen = false;  // the same product twice in the cart: one line
      for (auto& l : o.lines)
        if (l.product == j) seen = true;
      if (seen) continue;
      const int64_t quantity = std::min<int64_t>(1 + quantity_table_.sample(rng_), p.stock);
      if (quantity <= 0) continue;  // sold out meanwhile
      const int64_t discount = rng_.chance(0.75) ? 0 : rng_.between(5, 25);
      const int64_t unit = std::max<int64_t>(1, (p.price_cents * (100 - discount) + 50) / 100);
      o.lines.push_back(Line{j, p.vendor, static_cast<int32_t>(o.lines.size() + 1), quantity, unit});
    }
    if (o.lines.empty()) {
      orders_.remove(slot);
      return;
    }
    o.number = ++order_counter_;
    for (const auto& l : o.lines)
      if (std::find(o.vendors.begin(), o.vendors.end(), l.vendor) == o.vendors.end())
        o.vendors.push_back(l.vendor);

    begin(EventType::order_placed, now_, false, 0);
    field_txid("order_id", 'O', o.number);
    field_id("customer_id", 'C', o.customer + 1);
    field_raw("currency", "EUR");
    key("lines");
    buf_.push_back('[');
    for (const auto& l : o.lines) {
      if (&l != &o.lines.front()) buf_.push_back(',');
      buf_.push_back('{');
      first_field_ = true;
      field_int("line_no", l.line_no);
      field_id("product_id", 'P', l.product + 1);
      field_id("vendor_id", 'V', l.vendor + 1);
      field_int("quantity", l.quantity);
      field_money("unit_price", l.unit_cents);
      // Free shipping on about half the lines, else by weight.
      const int64_t weight = products_[l.product].weight_g;
      field_money("freight", rng_.chance(0.45) ? 0 : std::min<int64_t>(249 + weight * 90 / 1000, 2999));
      buf_.push_back('}');
    }
    buf_.push_back(']');
    first_field_ = false;
    end();
    for (const auto& l : o.lines) take_stock(l.product, l.quantity);

    // Payment check, then either a cancellation (~3%, before shipping, some
    // before approval) or fulfilment per vendor.
    const int64_t approve = now_ + std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(20 * kMinute, 1.0)),
                                                       30 * kSecond, 12 * kHour);
    if (rng_.chance(0.03)) {
      if (rng_.chance(0.3)) {
        at_order(now_ + rng_.between(5 * kMinute, 2 * kHour), Act::order_cancel, slot, 0, now_);
      } else {
        at_order(approve, Act::order_approve, slot, 1, now_);  // b = 1: to be cancelled
      }
    } else {
      at_order(approve, Act::order_approve, slot, 0, now_);
    }
    if (o.pending == 0) orders_.remove(slot);
  }

  void emit_status(const Order& o, events::OrderStatus status, int64_t vendor, int32_t line_no,
                   int64_t prev) {
    begin(EventType::order_status_changed, now_, true, prev);
    field_txid("order_id", 'O', o.number);
    field_raw("status", events::to_string(status));
    if (vendor >= 0) field_id("vendor_id", 'V', static_cast<uint64_t>(vendor) + 1);
    if (line_no > 0) field_int("line_no", line_no);
    end();
  }

  void order_approve(const Action& a) {
    Order& o = orders_[a.a];
    emit_status(o, events::OrderStatus::approved, -1, 0, a.prev);
    if (a.b == 1) {
      at_order(now_ + rng_.between(10 * kMinute, 20 * kHour), Act::order_cancel, a.a, 0, now_);
    } else {
      for (uint32_t v : o.vendors)  // each vendor ships on its own, in 1-3 days
        at_order(o.placed_ms + rng_.between(kDay, 3 * kDay), Act::order_ship, a.a, v,
                 std::max(now_, o.placed_ms));
    }
    order_done(a.a);
  }

  void order_cancel(const Action& a) {
    Order& o = orders_[a.a];
    emit_status(o, events::OrderStatus::cancelled, -1, 0, a.prev);
    for (const auto& l : o.lines) {  // the reserved units go back on the shelf
      products_[l.product].stock += l.quantity;
      emit_stock(l.product, 0);
    }
    order_done(a.a);
  }

  void order_ship(const Action& a) {
    Order& o = orders_[a.a];
    emit_status(o, events::OrderStatus::shipped, a.b, 0, a.prev);
    const int64_t delivered = std::max(now_ + 20 * kHour, o.placed_ms + rng_.between(2 * kDay, 10 * kDay));
    at_order(delivered, Act::order_deliver, a.a, a.b, now_);
    order_done(a.a);
  }

  void order_deliver(const Action& a) {
    Order& o = orders_[a.a];
    emit_status(o, events::OrderStatus::delivered, a.b, 0, a.prev);
    for (uint32_t i = 0; i < o.lines.size(); ++i) {
      if (o.lines[i].vendor != a.b) continue;
      if (rng_.chance(0.02))  // most returns come in the first days, some near the 14-day limit
        at_order(now_ + std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(3 * kDay, 0.8)), 6 * kHour,
                                            14 * kDay),
                 Act::line_return, a.a, i, now_);
      if (rng_.chance(0.4))
        at_order(now_ + std::clamp<int64_t>(static_cast<int64_t>(rng_.lognormal(2 * kDay, 1.0)), kHour,
                                            20 * kDay),
                 Act::line_review, a.a, i, now_);
    }
    order_done(a.a);
  }

  void line_return(const Action& a) {
    Order& o = orders_[a.a];
    const Line& l = o.lines[a.b];
    emit_status(o, events::OrderStatus::returned, l.vendor, l.line_no, a.prev);
    products_[l.product].stock += l.quantity;
    emit_stock(l.product, 0);
    order_done(a.a);
  }

  void line_review(const Action& a) {
    Order& o = orders_[a.a];
    const Line& l = o.lines[a.b];
    if (!customers_[o.customer].deleted) {
      const int stars = static_cast<int>(1 + stars_table_.sample(rng_));
      begin(EventType::review_submitted, now_, false, 0);
      field_txid("review_id", 'R', ++review_counter_);
      field_txid("order_id", 'O', o.number);
      field_id("customer_id", 'C', o.customer + 1);
      field_id("product_id", 'P', l.product + 1);
      field_id("vendor_id", 'V', l.vendor + 1);
      field_int("stars", stars);
      if (rng_.chance(0.4)) field_text("comment", kComments[stars][rng_.below(5)]);
      end();
    }
    order_done(a.a);
  }

  // ---------------------------------------------------------------- output

  fmt::appender out() { return fmt::appender(buf_); }
  void append(std::string_view s) { buf_.append(s.data(), s.data() + s.size()); }

  void append_escaped(std::string_view s) {
    for (char c : s) {
      if (c == '"' || c == '\\') {
        buf_.push_back('\\');
        buf_.push_back(c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        fmt::format_to(out(), "\\u{:04x}", static_cast<int>(c));
      } else {
        buf_.push_back(c);
      }
    }
  }

  // Opens an event line up to the data object. A late-eligible event may get
  // a time 1 min to 3 h before now, but never before `not_before` (an
  // order's previous status, an entity's registration, the start).
  void begin(EventType type, int64_t now, bool late_eligible, int64_t not_before) {
    int64_t t = now;
    if (late_eligible && o_.late_rate > 0 && late_rng_.chance(o_.late_rate)) {
      const int64_t max_shift = std::min<int64_t>(3 * kHour, now - std::max(not_before, start_ms_));
      if (max_shift >= kMinute) {
        t = now - late_rng_.between(kMinute, max_shift);
        ++summary_.late_events;
      }
    }
    if (now > last_ms_) last_ms_ = now;
    type_ = type;
    line_start_ = buf_.size();
    append("{\"event_id\":\"e");
    append(tag_);
    buf_.push_back('-');
    append_uint(++event_counter_);
    append("\",\"type\":\"");
    append(events::to_string(type));
    append("\",\"event_time\":\"");
    append_time(t);
    append("\",\"schema_version\":1,\"data\":{");
    first_field_ = true;
  }

  void end() {
    append("}}\n");
    ++summary_.valid_by_type[static_cast<int>(type_) - 1];
    ++summary_.lines;
    if (dirty_p_ > 0) add_dirty_records();
    if (buf_.size() >= kFlushBytes) flush();
  }

  // "2026-11-01T08:15:00.123Z" into dst (24 bytes).
  std::string_view time_text(int64_t ms, char (&dst)[24]) {
    const int64_t day = floor_div(ms, kDay);
    if (day != cached_day_) {  // "YYYY-MM-DDT", formatted once a simulated day
      cached_day_ = day;
      day_prefix_ = events::format_time_us(day * kDay * 1000).substr(0, 11);
    }
    std::memcpy(dst, day_prefix_.data(), 11);
    const int64_t rem = ms - day * kDay;
    const int h = static_cast<int>(rem / kHour), m = static_cast<int>(rem / kMinute % 60),
              s = static_cast<int>(rem / kSecond % 60), f = static_cast<int>(rem % 1000);
    const int parts[] = {h / 10, h % 10, -1, m / 10, m % 10, -1, s / 10, s % 10, -2, f / 100, f / 10 % 10, f % 10};
    for (int i = 0; i < 12; ++i) dst[11 + i] = parts[i] == -1 ? ':' : parts[i] == -2 ? '.' : static_cast<char>('0' + parts[i]);
    dst[23] = 'Z';
    return std::string_view(dst, 24);
  }
  void append_time(int64_t ms) {
    char text[24];
    append(time_text(ms, text));
  }

  void key(std::string_view k) {
    if (!first_field_) buf_.push_back(',');
    first_field_ = false;
    buf_.push_back('"');
    append(k);
    append("\":");
  }
  void field_id(std::string_view k, char prefix, uint64_t n) {
    key(k);
    buf_.push_back('"');
    buf_.push_back(prefix);
    buf_.push_back('-');
    append_uint(n);
    buf_.push_back('"');
  }
  // Ids of transactions carry the seed, so streams of different seeds can
  // share one log without colliding orders (dimension ids are shared on purpose).
  void field_txid(std::string_view k, char prefix, uint64_t n) {
    key(k);
    buf_.push_back('"');
    buf_.push_back(prefix);
    buf_.push_back('-');
    append(tag_);
    buf_.push_back('-');
    append_uint(n);
    buf_.push_back('"');
  }
  void field_raw(std::string_view k, std::string_view v) {  // v needs no escaping
    key(k);
    buf_.push_back('"');
    append(v);
    buf_.push_back('"');
  }
  void field_text(std::string_view k, std::string_view v) {
    key(k);
    buf_.push_back('"');
    append_escaped(v);
    buf_.push_back('"');
  }
  void field_int(std::string_view k, int64_t v) {
    key(k);
    const fmt::format_int text(v);
    buf_.append(text.data(), text.data() + text.size());
  }
  void append_uint(uint64_t v) {
    const fmt::format_int text(v);
    buf_.append(text.data(), text.data() + text.size());
  }
  void field_money(std::string_view k, int64_t cents) {
    key(k);  // cents >= 0
    buf_.push_back('"');
    append_uint(static_cast<uint64_t>(cents / 100));
    buf_.push_back('.');
    buf_.push_back(static_cast<char>('0' + cents % 100 / 10));
    buf_.push_back(static_cast<char>('0' + cents % 10));
    buf_.push_back('"');
  }
  void field_rate(std::string_view k, int32_t millionths) {
    key(k);
    fmt::format_to(out(), "\"{}.{:06}\"", millionths / 1000000, millionths % 1000000);
  }

  // Prices end in .99 (or .49 / .x9 when small), like shop prices do.
  static int64_t charm_price(double euros) {
    if (euros >= 10) return static_cast<int64_t>(euros) * 100 + 99;
    if (euros >= 2) return static_cast<int64_t>(euros) * 100 + (euros - static_cast<int64_t>(euros) < 0.5 ? 49 : 99);
    return std::max<int64_t>(9, static_cast<int64_t>(euros * 10) * 10 + 9);
  }

  void flush() {
    if (buf_.size() == 0 || !status_.ok()) return;
    summary_.bytes += buf_.size();
    status_ = sink_(std::string_view(buf_.data(), buf_.size()));
    buf_.clear();
    if (progress_) progress_(GeneratorProgress{summary_.lines, now_ * 1000});
  }

  // ----------------------------------------------------------- dirty data

  // After a valid line, with probability dirty_p_, one bad record follows:
  // the kinds in turn, the duplicate last. Its own random stream and its own
  // ids ("e<seed>-x<n>") leave the valid events untouched.
  void add_dirty_records() {
    const std::string_view line(buf_.data() + line_start_, buf_.size() - line_start_ - 1);
    recent_[recent_next_++ % kRecent].assign(line.data(), line.size());
    if (!dirty_rng_.chance(dirty_p_)) return;
    const int kind = static_cast<int>(dirty_counter_++ % (kDirtyKindCount + 1));
    if (kind == kDirtyKindCount) {  // an earlier line again, byte for byte: a producer retry
      const std::string& again = recent_[dirty_rng_.below(std::min<uint64_t>(recent_next_, kRecent))];
      append(again);
      buf_.push_back('\n');
      ++summary_.duplicates;
    } else {
      scratch_.assign(line.data(), line.size());
      corrupt(static_cast<DirtyKind>(kind), scratch_);
      append(scratch_);
      buf_.push_back('\n');
      ++summary_.invalid_by_kind[kind];
    }
    ++summary_.lines;
  }

  // Position of the first data value: every event's data starts with its
  // required id, a string.
  static size_t first_data_value(const std::string& s) {
    const size_t data = s.find("\"data\":{\"");
    return s.find("\":\"", data + 9) + 3;
  }
  static void replace_value(std::string& s, std::string_view key_prefix, std::string_view value) {
    const size_t p = s.find(key_prefix) + key_prefix.size();
    s.replace(p, s.find('"', p) - p, value);
  }

  void corrupt(DirtyKind kind, std::string& s) {
    Rng& r = dirty_rng_;
    switch (kind) {
      case DirtyKind::truncated_json: {  // cut at a character boundary, so it stays valid UTF-8
        size_t cut = 1 + r.below(s.size() - 1);
        while (cut > 1 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s.resize(cut);
        return;
      }
      case DirtyKind::invalid_utf8: {
        static constexpr std::string_view kBad[] = {"\xC3\x28", "\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82"};
        s.insert(first_data_value(s) + 1, kBad[r.below(5)]);
        return;
      }
      case DirtyKind::missing_field: {
        const size_t p = s.find("\"data\":{") + 8;
        size_t e = s.find('"', s.find("\":\"", p) + 3) + 1;
        if (s[e] == ',') ++e;
        s.erase(p, e - p);
        return;
      }
      case DirtyKind::unknown_type: {
        static constexpr std::string_view kTypes[] = {"order_refunded", "cart_abandoned", "OrderPlaced",
                                                      "page_view", "vendor_registred"};
        replace_value(s, "\"type\":\"", kTypes[r.below(5)]);
        return;
      }
      case DirtyKind::bad_timestamp: {
        static constexpr std::string_view kTimes[] = {"2026-13-01T08:15:00Z", "2026-11-31T10:00:00.000Z",
                                                      "01/11/2026 08:15", "2026-11-01T25:00:00Z", "yesterday",
                                                      ""};
        replace_value(s, "\"event_time\":\"", kTimes[r.below(6)]);
        return;
      }
      case DirtyKind::empty_id: {
        if (r.chance(0.5)) {
          replace_value(s, "{\"event_id\":\"", "");
        } else {
          const size_t p = first_data_value(s);
          s.erase(p, s.find('"', p) - p);
        }
        return;
      }
      default:
        return synthesize(kind, s);
    }
  }

  // Records a buggy producer would send: well-formed JSON, one bad value.
  void synthesize(DirtyKind kind, std::string& s) {
    Rng& r = dirty_rng_;
    const uint64_t n = ++dirty_id_counter_;
    const uint32_t j = static_cast<uint32_t>(r.below(products_.size()));
    const Product& p = products_[j];
    const uint64_t customer = 1 + r.below(std::max<size_t>(registered_, 1));
    s.clear();
    auto o = std::back_inserter(s);
    const auto head = [&](std::string_view type) {
      fmt::format_to(o, "{{\"event_id\":\"e{}-x{}\",\"type\":\"{}\",\"event_time\":\"", tag_, n, type);
      char time[24];
      s.append(time_text(now_, time));
      s.append("\",\"schema_version\":1,\"data\":{");
    };
    const auto order = [&](std::string_view quantity, std::string_view price) {
      head("order_placed");
      fmt::format_to(o,
                     "\"order_id\":\"O-{}-x{}\",\"customer_id\":\"C-{}\",\"currency\":\"EUR\",\"lines\":"
                     "[{{\"line_no\":1,\"product_id\":\"P-{}\",\"vendor_id\":\"V-{}\",\"quantity\":{},"
                     "\"unit_price\":\"{}\",\"freight\":\"0.00\"}}]}}}}",
                     tag_, n, customer, j + 1, p.vendor + 1, quantity, price);
    };
    const auto product = [&](std::string_view price) {
      head("product_updated");
      fmt::format_to(o, "\"product_id\":\"P-{}\",\"list_price\":\"{}\",\"currency\":\"EUR\"}}}}", j + 1, price);
    };
    const std::string price = fmt::format("{}.{:02}", p.price_cents / 100, p.price_cents % 100);
    switch (kind) {
      case DirtyKind::bad_quantity:
        if (r.chance(0.6)) {
          order(r.chance(0.5) ? "0" : fmt::format("-{}", r.between(1, 3)), price);
        } else {
          head("stock_changed");
          fmt::format_to(o, "\"vendor_id\":\"V-{}\",\"product_id\":\"P-{}\",\"warehouse\":\"WH-{}-1\",\"quantity\":-{}}}}}",
                         p.vendor + 1, j + 1, kCities[vendors_[p.vendor].city].code, r.between(1, 5));
        }
        return;
      case DirtyKind::bad_stars: {
        static constexpr int kStars[] = {0, 7, 6, -1, 10};
        head("review_submitted");
        fmt::format_to(o,
                       "\"review_id\":\"R-{}-x{}\",\"customer_id\":\"C-{}\",\"product_id\":\"P-{}\","
                       "\"vendor_id\":\"V-{}\",\"stars\":{}}}}}",
                       tag_, n, customer, j + 1, p.vendor + 1, kStars[r.below(5)]);
        return;
      }
      case DirtyKind::money_too_precise: {
        const std::string precise = fmt::format("{}{}", price, 1 + r.below(9));  // "19.905"
        if (r.chance(0.6)) order("1", precise);
        else product(precise);
        return;
      }
      case DirtyKind::money_not_a_number: {
        static constexpr std::string_view kMoney[] = {"abc", "12,50", "€19.90", "N/A"};
        const std::string_view bad = kMoney[r.below(4)];
        if (r.chance(0.6)) order("1", bad);
        else product(bad);
        return;
      }
      default:
        return;
    }
  }

  // ----------------------------------------------------------------- state

  const GeneratorOptions& o_;
  const GeneratorSink& sink_;
  const GeneratorProgressFn& progress_;
  Rng rng_, late_rng_, dirty_rng_;
  const std::string tag_;  // the seed in hex, in every id that must not collide across seeds
  Status status_;
  GeneratorSummary summary_;

  int64_t start_ms_ = 0, end_ms_ = 0, now_ = 0, last_ms_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Action, std::vector<Action>, Later> queue_;

  std::vector<Vendor> vendors_;
  std::vector<uint32_t> vendor_by_rank_, rank_of_vendor_;
  std::vector<Product> products_;
  std::vector<Customer> customers_;
  size_t base_customers_ = 0, initial_products_ = 0, registered_ = 0;
  Slab<Session> sessions_;
  Slab<Order> orders_;

  WeightedTable city_table_, category_table_, segment_table_, tier_table_, items_table_, quantity_table_,
      stars_table_, vendor_table_, customer_table_;
  double rate_base_ = 0, rate_max_ = 0, p_inferred_ = 0;
  double vendor_change_rate_ = 0, customer_change_rate_ = 0, price_change_rate_ = 0, stock_audit_rate_ = 0,
         customer_delete_rate_ = 0;
  int64_t delete_window_start_ = 0;
  uint64_t event_counter_ = 0, session_counter_ = 0, order_counter_ = 0, review_counter_ = 0;

  fmt::memory_buffer buf_;
  size_t line_start_ = 0;
  bool first_field_ = true;
  EventType type_ = EventType::vendor_registered;
  int64_t cached_day_ = INT64_MIN;
  std::string day_prefix_;

  double dirty_p_ = 0;
  uint64_t dirty_counter_ = 0, dirty_id_counter_ = 0;
  static constexpr size_t kRecent = 32;
  std::string recent_[kRecent];
  uint64_t recent_next_ = 0;
  std::string scratch_;
};

}  // namespace

Result<GeneratorSummary> generate(const GeneratorOptions& options, const GeneratorSink& sink,
                                  const GeneratorProgressFn& progress) {
  if (Status s = validate(options); !s.ok()) return s.error();
  Simulation sim(options, sink, progress);
  return sim.run();
}

Result<GeneratorSummary> generate_to_file(const GeneratorOptions& options, std::FILE* out,
                                          const GeneratorProgressFn& progress) {
  const GeneratorSink sink = [out](std::string_view block) -> Status {
    if (std::fwrite(block.data(), 1, block.size(), out) != block.size())
      return Error{fmt::format("write failed: {}", std::strerror(errno))};
    return Status::Ok();
  };
  auto result = generate(options, sink, progress);
  if (result.ok() && std::fflush(out) != 0)
    return Error{fmt::format("write failed: {}", std::strerror(errno))};
  return result;
}

}  // namespace lh::tools
