// The three SCD dimensions of the warehouse (dim_vendor, dim_customer,
// dim_product): their attribute lists, and how a dimension event of the v1
// contract (../shared/DESIGN.md) maps to attribute changes. The SCD Type 2
// engine (scd2.h) works on attribute indices into these lists; the
// PostgreSQL writer uses the same lists for column names and order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.h"

namespace lh::projections {

enum class Dim : uint8_t { vendor, customer, product };
constexpr int kDimCount = 3;

struct DimensionSpec {
  Dim dim;
  std::string name;                // "vendor": columns are <name>_sk, <name>_id
  std::string table;               // "dim_vendor"
  std::vector<std::string> attrs;  // attribute columns, in column order
};

// The spec of a dimension; static storage, valid for the program's lifetime.
const DimensionSpec& spec(Dim dim);
std::string_view to_string(Dim dim);
// Index of `attr` in spec(dim).attrs, or nullopt if the dimension has no such attribute.
std::optional<size_t> attr_index(Dim dim, std::string_view attr);

// One attribute set by an event. Values are text: decimals as their exact
// decimal text (events::to_string(Decimal)), integers in decimal. The v1
// contract cannot set an attribute to null (absent means "unchanged"), so a
// change always carries a value.
struct AttrChange {
  uint8_t attr;  // index into spec(dim).attrs
  std::string value;
  bool operator==(const AttrChange& o) const { return attr == o.attr && value == o.value; }
};

// What a dimension event does to its member.
struct MemberChange {
  enum class Kind : uint8_t {
    upsert,  // *_registered, *_created, *_updated: set the attributes in `changes`
    remove,  // customer_deleted
  };
  Dim dim;
  Kind kind;
  std::string natural_id;
  std::vector<AttrChange> changes;  // ascending attr index; empty for remove
};

// The member change an event makes, for the seven dimension event types
// (vendor_registered/updated, customer_registered/updated/deleted,
// product_created/updated); nullopt for every other type (facts). A
// registration is treated like an update carrying the attributes it has: an
// absent attribute stays as it was (null for a new member).
std::optional<MemberChange> changes_of(const events::Event& e);

}  // namespace lh::projections
