// Owner keys, the owner factory, the shared money helpers and the
// single-threaded reference driver of pipeline.h.
#include "projections/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "projections/owner_util.h"

namespace lh::projections {

namespace detail {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

namespace {
int64_t pow10(uint8_t n) {
  int64_t p = 1;
  for (uint8_t i = 0; i < n; ++i) p *= 10;
  return p;
}
// a rescaled to `scale` (>= a.scale); false if it does not fit.
bool rescale(const events::Decimal& a, uint8_t scale, int64_t* out) {
  if (scale > 18) return false;
  return !__builtin_mul_overflow(a.units, pow10(static_cast<uint8_t>(scale - a.scale)), out);
}
}  // namespace

bool try_dec_add(const events::Decimal& a, const events::Decimal& b, events::Decimal* out) {
  const uint8_t scale = std::max(a.scale, b.scale);
  int64_t x, y;
  if (!rescale(a, scale, &x) || !rescale(b, scale, &y) || __builtin_add_overflow(x, y, &out->units))
    return false;
  out->scale = scale;
  return true;
}

bool try_dec_mul(const events::Decimal& a, int64_t n, events::Decimal* out) {
  if (__builtin_mul_overflow(a.units, n, &out->units)) return false;
  out->scale = a.scale;
  return true;
}

events::Decimal dec_zero(uint8_t scale) { return {0, scale}; }

events::Decimal dec_ratio(int64_t num, int64_t den, uint8_t scale) {
  // Exact in 128 bits: round-half-up(num * 10^scale / den).
  __int128 n = static_cast<__int128>(num) * pow10(scale);
  __int128 q = (2 * n + den) / (2 * static_cast<__int128>(den));
  return {static_cast<int64_t>(q), scale};
}

}  // namespace detail

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

bool OwnerKey::operator<(const OwnerKey& o) const {
  return std::tie(kind, shard, vendor_id) < std::tie(o.kind, o.shard, o.vendor_id);
}

std::string OwnerKey::to_string() const {
  switch (kind) {
    case Kind::vendor: return "vendor " + vendor_id;
    case Kind::customer_shard: return fmt::format("customer shard {}", shard);
    case Kind::product_shard: return fmt::format("product shard {}", shard);
    case Kind::order_shard: return fmt::format("order shard {}", shard);
    case Kind::traffic_shard: return fmt::format("traffic shard {}", shard);
  }
  return "owner ?";
}

size_t OwnerKeyHash::operator()(const OwnerKey& k) const {
  return static_cast<size_t>(fnv1a64(k.vendor_id) ^ (static_cast<uint64_t>(k.kind) << 56) ^
                             (static_cast<uint64_t>(k.shard) * 0x9E3779B97F4A7C15ULL));
}

std::unique_ptr<Owner> make_owner(const OwnerKey& key, const Schema& schema) {
  switch (key.kind) {
    case OwnerKey::Kind::vendor: return detail::make_vendor_owner(key, schema);
    case OwnerKey::Kind::customer_shard:
    case OwnerKey::Kind::product_shard: return detail::make_dimension_owner(key, schema);
    case OwnerKey::Kind::order_shard: return detail::make_order_owner(key, schema);
    case OwnerKey::Kind::traffic_shard: return detail::make_traffic_owner(key, schema);
  }
  return nullptr;
}

struct Pipeline::Impl {
  explicit Impl(const Schema& s) : schema(s), router(s) {}
  Schema schema;
  Router router;
  // Ordered, so that the rows of a batch come out in OwnerKey order.
  std::map<OwnerKey, std::unique_ptr<Owner>> owners;
  Plan plan;
  std::vector<LookupAnswer> answers;

  Owner& owner(const OwnerKey& k) {
    auto it = owners.find(k);
    if (it == owners.end()) it = owners.emplace(k, make_owner(k, schema)).first;
    return *it->second;
  }
};

Pipeline::Pipeline(const Schema& schema) : impl_(std::make_unique<Impl>(schema)) {}
Pipeline::~Pipeline() = default;

void Pipeline::project(std::shared_ptr<const EventBatch> batch, const std::vector<uint64_t>& skips,
                       RowBatch* out) {
  Impl& m = *impl_;
  out->clear();
  if (!batch->empty()) {
    out->after_seq = batch->front().seq - 1;
    out->last_seq = batch->back().seq;
  }
  m.router.plan(batch, skips, &m.plan);
  const Plan& plan = m.plan;
  out->skipped = plan.skipped;
  out->events = batch->size() - plan.skipped;
  m.answers.assign(plan.lookups.size(), LookupAnswer{});
  for (const auto& [key, items] : plan.stage1) m.owner(key).stage1(plan, items, &m.answers);
  for (const auto& [key, items] : plan.stage2) m.owner(key).stage2(plan, items, m.answers);
  std::vector<const OwnerKey*> touched;
  for (const auto& s : {&plan.stage1, &plan.stage2})
    for (const auto& p : *s) touched.push_back(&p.first);
  std::sort(touched.begin(), touched.end(), [](const OwnerKey* a, const OwnerKey* b) { return *a < *b; });
  touched.erase(std::unique(touched.begin(), touched.end(),
                            [](const OwnerKey* a, const OwnerKey* b) { return *a == *b; }),
                touched.end());
  for (const OwnerKey* k : touched) {
    RowBatch part;
    m.owner(*k).flush(&part);
    out->append(std::move(part));
  }
}

size_t Pipeline::owner_count() const { return impl_->owners.size(); }

size_t Pipeline::memory_bytes() const {
  size_t n = impl_->router.memory_bytes();
  for (const auto& [k, o] : impl_->owners) n += o->memory_bytes() + sizeof(k) + k.vendor_id.capacity();
  return n;
}

size_t Pipeline::memory_bytes(OwnerKey::Kind kind) const {
  size_t n = 0;
  for (const auto& [k, o] : impl_->owners)
    if (k.kind == kind) n += o->memory_bytes();
  return n;
}

size_t Pipeline::owner_count(OwnerKey::Kind kind) const {
  size_t n = 0;
  for (const auto& [k, o] : impl_->owners) n += k.kind == kind;
  return n;
}

size_t Pipeline::router_memory_bytes() const { return impl_->router.memory_bytes(); }

}  // namespace lh::projections
