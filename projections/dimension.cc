#include "projections/dimension.h"

#include <cassert>

namespace lh::projections {
namespace {

// Attribute order = the column order of the event contract's data fields.
const DimensionSpec kSpecs[kDimCount] = {
    {Dim::vendor, "vendor", "dim_vendor",
     {"name", "country", "city", "tier", "commission_rate", "status"}},
    {Dim::customer, "customer", "dim_customer",
     {"name", "email", "city", "region", "zip", "country", "segment"}},
    {Dim::product, "product", "dim_product",
     {"name", "category", "brand", "vendor_id", "list_price", "currency", "weight_g"}},
};

// Attribute indices, named, so the mapping below reads like the contract.
namespace vendor_attr {
enum : uint8_t { name, country, city, tier, commission_rate, status };
}
namespace customer_attr {
enum : uint8_t { name, email, city, region, zip, country, segment };
}
namespace product_attr {
enum : uint8_t { name, category, brand, vendor_id, list_price, currency, weight_g };
}

void add(std::vector<AttrChange>& out, uint8_t attr, const std::optional<std::string>& v) {
  if (v) out.push_back({attr, *v});
}
void add(std::vector<AttrChange>& out, uint8_t attr, const std::optional<events::Decimal>& v) {
  if (v) out.push_back({attr, events::to_string(*v)});
}
void add(std::vector<AttrChange>& out, uint8_t attr, const std::optional<int64_t>& v) {
  if (v) out.push_back({attr, std::to_string(*v)});
}

}  // namespace

const DimensionSpec& spec(Dim dim) { return kSpecs[static_cast<int>(dim)]; }

std::string_view to_string(Dim dim) { return spec(dim).name; }

std::optional<size_t> attr_index(Dim dim, std::string_view attr) {
  const auto& attrs = spec(dim).attrs;
  for (size_t i = 0; i < attrs.size(); ++i)
    if (attrs[i] == attr) return i;
  return std::nullopt;
}

std::optional<MemberChange> changes_of(const events::Event& e) {
  using events::EventType;
  switch (e.type) {
    case EventType::vendor_registered:
    case EventType::vendor_updated: {
      const auto* d = std::get_if<events::VendorData>(&e.data);
      if (!d) return std::nullopt;  // a type/data mismatch is the decoder's bug, not a change
      MemberChange c{Dim::vendor, MemberChange::Kind::upsert, d->vendor_id, {}};
      namespace a = vendor_attr;
      add(c.changes, a::name, d->name);
      add(c.changes, a::country, d->country);
      add(c.changes, a::city, d->city);
      add(c.changes, a::tier, d->tier);
      add(c.changes, a::commission_rate, d->commission_rate);
      add(c.changes, a::status, d->status);
      return c;
    }
    case EventType::customer_registered:
    case EventType::customer_updated: {
      const auto* d = std::get_if<events::CustomerData>(&e.data);
      if (!d) return std::nullopt;
      MemberChange c{Dim::customer, MemberChange::Kind::upsert, d->customer_id, {}};
      namespace a = customer_attr;
      add(c.changes, a::name, d->name);
      add(c.changes, a::email, d->email);
      add(c.changes, a::city, d->city);
      add(c.changes, a::region, d->region);
      add(c.changes, a::zip, d->zip);
      add(c.changes, a::country, d->country);
      add(c.changes, a::segment, d->segment);
      return c;
    }
    case EventType::customer_deleted: {
      const auto* d = std::get_if<events::CustomerDeleted>(&e.data);
      if (!d) return std::nullopt;
      return MemberChange{Dim::customer, MemberChange::Kind::remove, d->customer_id, {}};
    }
    case EventType::product_created:
    case EventType::product_updated: {
      const auto* d = std::get_if<events::ProductData>(&e.data);
      if (!d) return std::nullopt;
      MemberChange c{Dim::product, MemberChange::Kind::upsert, d->product_id, {}};
      namespace a = product_attr;
      add(c.changes, a::name, d->name);
      add(c.changes, a::category, d->category);
      add(c.changes, a::brand, d->brand);
      add(c.changes, a::vendor_id, d->vendor_id);
      add(c.changes, a::list_price, d->list_price);
      add(c.changes, a::currency, d->currency);
      add(c.changes, a::weight_g, d->weight_g);
      return c;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace lh::projections
