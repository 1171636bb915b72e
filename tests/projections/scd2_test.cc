// The SCD Type 2 rules of the warehouse, each pinned with the exact version
// rows and the exact row changes emitted, plus seeded randomized properties
// (determinism, arrival-order independence, emitted changes == state).
#include "projections/scd2.h"

#include <malloc.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <random>

#include <gtest/gtest.h>

namespace lh::projections {

// gtest failure messages print rows readably.
void PrintTo(const VersionRow& r, std::ostream* os) {
  *os << "{sk " << r.sk << " " << r.natural_id << " [";
  for (const auto& a : r.attrs) *os << (a ? *a : "null") << ",";
  *os << "] prev[";
  for (const auto& a : r.previous_attrs) *os << (a ? *a : "null") << ",";
  *os << "] " << r.valid_from_us << ".." << r.valid_to_us << " v" << r.version
      << (r.is_current ? " current" : "") << (r.is_deleted ? " deleted" : "")
      << (r.is_inferred ? " inferred" : "") << "}";
}
void PrintTo(const Repoint& r, std::ostream* os) {
  *os << "{" << r.natural_id << " [" << r.from_us << ", " << r.to_us << ") -> " << r.sk << "}";
}

namespace {

using events::Event;
using events::EventType;

constexpr int64_t kMinute = 60'000'000;
const int64_t kT0 = *events::parse_rfc3339_us("2026-11-20T10:00:00Z");
int64_t at(int minutes) { return kT0 + minutes * kMinute; }
constexpr int64_t INF = kInfinityUs;
constexpr int64_t NEG_INF = kMinusInfinityUs;

using Fields = std::vector<std::pair<std::string, std::string>>;

Event customer_event(EventType type, const std::string& id, int64_t t, const Fields& fields) {
  events::CustomerData d;
  d.customer_id = id;
  for (const auto& [k, v] : fields) {
    if (k == "name") d.name = v;
    else if (k == "email") d.email = v;
    else if (k == "city") d.city = v;
    else if (k == "region") d.region = v;
    else if (k == "zip") d.zip = v;
    else if (k == "country") d.country = v;
    else if (k == "segment") d.segment = v;
    else ADD_FAILURE() << "no customer field " << k;
  }
  Event e;
  e.event_id = "ev-" + id + "-" + std::to_string(t);
  e.type = type;
  e.event_time_us = t;
  e.data = d;
  return e;
}
Event registered(const std::string& id, int64_t t, const Fields& f) {
  return customer_event(EventType::customer_registered, id, t, f);
}
Event updated(const std::string& id, int64_t t, const Fields& f) {
  return customer_event(EventType::customer_updated, id, t, f);
}
Event deleted(const std::string& id, int64_t t) {
  Event e;
  e.event_id = "ev-del-" + id + "-" + std::to_string(t);
  e.type = EventType::customer_deleted;
  e.event_time_us = t;
  e.data = events::CustomerDeleted{id};
  return e;
}

// Attribute values by name -> the row's attribute vector (spec order).
std::vector<std::optional<std::string>> attrs(const Fields& f) {
  std::vector<std::optional<std::string>> out(spec(Dim::customer).attrs.size());
  for (const auto& [k, v] : f) out[*attr_index(Dim::customer, k)] = v;
  return out;
}

struct RowSpec {
  int64_t sk;
  Fields attrs;
  int64_t from, to;
  int32_t version;
  bool current;
  bool deleted = false;
  bool inferred = false;
  std::vector<std::optional<std::string>> previous = {};
};
VersionRow row(const RowSpec& s, const std::string& id = "C-1") {
  VersionRow r;
  r.dim = Dim::customer;
  r.sk = s.sk;
  r.natural_id = id;
  r.attrs = attrs(s.attrs);
  r.previous_attrs = s.previous;
  r.valid_from_us = s.from;
  r.valid_to_us = s.to;
  r.version = s.version;
  r.is_current = s.current;
  r.is_deleted = s.deleted;
  r.is_inferred = s.inferred;
  return r;
}

Repoint repoint(int64_t from, int64_t to, int64_t sk, const std::string& id = "C-1") {
  return Repoint{Dim::customer, id, from, to, sk};
}

Dimension customers(const Scd2Policy& policy = {}) {
  auto d = Dimension::make(Dim::customer, policy);
  EXPECT_TRUE(d.ok());
  return std::move(d).value();
}

// Applies `e` as log seq `seq` and returns the changes it emitted.
DimChanges apply(Dimension& dim, const Event& e, uint64_t seq) {
  DimChanges out;
  Status s = dim.apply(e, seq, &out);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return out;
}

bool operator==(const DimChanges& a, const DimChanges& b) {
  return a.upserts == b.upserts && a.deleted_sks == b.deleted_sks && a.repoints == b.repoints;
}

TEST(Scd2, FirstRegistrationOpensVersionOne) {
  Dimension dim = customers();
  DimChanges out = apply(dim, registered("C-1", at(0), {{"name", "Ann"}, {"city", "Berlin"}}), 1);
  std::vector<VersionRow> want = {row({1, {{"name", "Ann"}, {"city", "Berlin"}}, at(0), INF, 1, true})};
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());  // nothing could reference a new member
}

TEST(Scd2, ChangeOpensVersionAndClosesPrevious) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"name", "Ann"}, {"city", "Berlin"}}), 1);
  DimChanges out = apply(dim, updated("C-1", at(10), {{"city", "Paris"}}), 2);
  std::vector<VersionRow> want = {
      row({1, {{"name", "Ann"}, {"city", "Berlin"}}, at(0), at(10), 1, false}),
      row({2, {{"name", "Ann"}, {"city", "Paris"}}, at(10), INF, 2, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  // Facts at or after the change that were resolved before it arrived move.
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), INF, 2)});
}

TEST(Scd2, NoOpUpdateOpensNothing) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"name", "Ann"}, {"city", "Berlin"}}), 1);
  EXPECT_TRUE(apply(dim, updated("C-1", at(10), {{"city", "Berlin"}}), 2).empty());
  EXPECT_TRUE(apply(dim, updated("C-1", at(20), {}), 3).empty());
  EXPECT_TRUE(apply(dim, registered("C-1", at(30), {{"name", "Ann"}}), 4).empty());
  EXPECT_EQ(dim.versions("C-1"),
            std::vector<VersionRow>{row({1, {{"name", "Ann"}, {"city", "Berlin"}}, at(0), INF, 1, true})});
}

TEST(Scd2, LateChangeSplitsTheWindow) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"city", "Berlin"}}), 1);
  apply(dim, updated("C-1", at(20), {{"city", "Paris"}}), 2);
  DimChanges out = apply(dim, updated("C-1", at(10), {{"city", "Rome"}}), 3);
  std::vector<VersionRow> want = {
      row({1, {{"city", "Berlin"}}, at(0), at(10), 1, false}),
      row({3, {{"city", "Rome"}}, at(10), at(20), 2, false}),
      row({2, {{"city", "Paris"}}, at(20), INF, 3, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);  // sk 1 closes earlier, sk 3 is new, sk 2 becomes version 3
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), at(20), 3)});
}

TEST(Scd2, LateChangeAppliesToLaterVersions) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"name", "Ann"}, {"city", "Berlin"}, {"segment", "retail"}}), 1);
  apply(dim, updated("C-1", at(20), {{"segment", "vip"}}), 2);
  DimChanges out = apply(dim, updated("C-1", at(10), {{"city", "Rome"}}), 3);
  std::vector<VersionRow> want = {
      row({1, {{"name", "Ann"}, {"city", "Berlin"}, {"segment", "retail"}}, at(0), at(10), 1, false}),
      row({3, {{"name", "Ann"}, {"city", "Rome"}, {"segment", "retail"}}, at(10), at(20), 2, false}),
      // Opened by the segment change, but the city moved to Rome before it.
      row({2, {{"name", "Ann"}, {"city", "Rome"}, {"segment", "vip"}}, at(20), INF, 3, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), at(20), 3)});
}

TEST(Scd2, LateChangeCanTurnALaterUpdateIntoANoOp) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"city", "Berlin"}}), 1);
  apply(dim, updated("C-1", at(20), {{"city", "Paris"}}), 2);
  DimChanges out = apply(dim, updated("C-1", at(10), {{"city", "Paris"}}), 3);
  std::vector<VersionRow> want = {
      row({1, {{"city", "Berlin"}}, at(0), at(10), 1, false}),
      row({3, {{"city", "Paris"}}, at(10), INF, 2, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_EQ(out.deleted_sks, std::vector<int64_t>{2});  // Paris at 20 is no change any more
  // [10, 20) was sk 1, [20, inf) was sk 2: both now sk 3, one range.
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), INF, 3)});
}

TEST(Scd2, LateChangeBeforeFirstVersion) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(10), {{"name", "Ann"}, {"city", "Berlin"}}), 1);
  DimChanges out = apply(dim, updated("C-1", at(0), {{"city", "Rome"}}), 2);
  std::vector<VersionRow> want = {
      // All we know of the member at 0 is its city.
      row({2, {{"city", "Rome"}}, at(0), at(10), 1, false}),
      row({1, {{"name", "Ann"}, {"city", "Berlin"}}, at(10), INF, 2, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  // Facts before 10 used sk 1 as the earliest known version; now sk 2 is.
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(NEG_INF, at(10), 2)});
}

TEST(Scd2, Type1OverwritesEveryVersion) {
  Dimension dim = customers({{{"email", AttrPolicy::type1}}});
  apply(dim, registered("C-1", at(0), {{"email", "a@x"}, {"city", "Berlin"}}), 1);
  apply(dim, updated("C-1", at(10), {{"city", "Paris"}}), 2);
  DimChanges out = apply(dim, updated("C-1", at(20), {{"email", "b@x"}}), 3);
  std::vector<VersionRow> want = {
      row({1, {{"email", "b@x"}, {"city", "Berlin"}}, at(0), at(10), 1, false}),
      row({2, {{"email", "b@x"}, {"city", "Paris"}}, at(10), INF, 2, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());

  // The value of the latest event_time wins, not the latest arrival.
  EXPECT_TRUE(apply(dim, updated("C-1", at(5), {{"email", "old@x"}}), 4).empty());
  EXPECT_EQ(dim.versions("C-1"), want);
}

TEST(Scd2, Type3KeepsPreviousValue) {
  Dimension dim = customers({{{"segment", AttrPolicy::type3}}});
  EXPECT_EQ(dim.type3_attrs(), std::vector<uint8_t>{6});
  DimChanges first = apply(dim, registered("C-1", at(0), {{"name", "Ann"}, {"segment", "retail"}}), 1);
  EXPECT_EQ(first.upserts, std::vector<VersionRow>{row(
                               {1, {{"name", "Ann"}, {"segment", "retail"}}, at(0), INF, 1, true, false,
                                false, {std::nullopt}})});

  DimChanges out = apply(dim, updated("C-1", at(10), {{"segment", "vip"}}), 2);
  std::vector<VersionRow> want = {
      row({1, {{"name", "Ann"}, {"segment", "vip"}}, at(0), INF, 1, true, false, false, {"retail"}})};
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());

  // A later type-2 change carries the type-3 pair into the new version.
  apply(dim, updated("C-1", at(20), {{"name", "Anna"}}), 3);
  EXPECT_EQ(dim.versions("C-1"),
            (std::vector<VersionRow>{
                row({1, {{"name", "Ann"}, {"segment", "vip"}}, at(0), at(20), 1, false, false, false, {"retail"}}),
                row({3, {{"name", "Anna"}, {"segment", "vip"}}, at(20), INF, 2, true, false, false, {"retail"}}),
            }));
}

TEST(Scd2, MixedPoliciesInOneEvent) {
  Dimension dim = customers({{{"email", AttrPolicy::type1}, {"segment", AttrPolicy::type3}}});
  apply(dim, registered("C-1", at(0), {{"email", "a@x"}, {"city", "Berlin"}, {"segment", "retail"}}), 1);
  // One event: type 1 (email), type 2 (city), type 3 (segment).
  DimChanges out = apply(dim, updated("C-1", at(10), {{"email", "b@x"}, {"city", "Paris"}, {"segment", "vip"}}), 2);
  std::vector<VersionRow> want = {
      row({1, {{"email", "b@x"}, {"city", "Berlin"}, {"segment", "retail"}}, at(0), at(10), 1, false, false,
           false, {std::nullopt}}),
      row({2, {{"email", "b@x"}, {"city", "Paris"}, {"segment", "vip"}}, at(10), INF, 2, true, false, false,
           {"retail"}}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), INF, 2)});

  // Type 1 and type 3 together open nothing; both versions get the email.
  out = apply(dim, updated("C-1", at(20), {{"email", "c@x"}, {"segment", "gold"}}), 3);
  want = {
      row({1, {{"email", "c@x"}, {"city", "Berlin"}, {"segment", "retail"}}, at(0), at(10), 1, false, false,
           false, {std::nullopt}}),
      row({2, {{"email", "c@x"}, {"city", "Paris"}, {"segment", "gold"}}, at(10), INF, 2, true, false, false,
           {"vip"}}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());
}

TEST(Scd2, UnknownAttributeInPolicyIsAnError) {
  auto bad = Dimension::make(Dim::customer, {{{"city", AttrPolicy::type1}, {"colour", AttrPolicy::type3}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'colour'"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("dim_customer"), std::string::npos) << bad.error().message;
  // An attribute of another dimension is unknown here too.
  auto other = Dimension::make(Dim::product, {{{"city", AttrPolicy::type1}}});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("'city'"), std::string::npos) << other.error().message;
  EXPECT_TRUE(Dimension::make(Dim::product, {{{"list_price", AttrPolicy::type3}}}).ok());
}

TEST(Scd2, ApplyRejectsEventsOfOtherDimensions) {
  Dimension dim = customers();
  events::VendorData v;
  v.vendor_id = "V-1";
  Event e;
  e.event_id = "ev-9";
  e.type = EventType::vendor_registered;
  e.data = v;
  DimChanges out;
  Status s = dim.apply(e, 9, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("ev-9"), std::string::npos) << s.error().message;
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(dim.member_count(), 0u);
}

TEST(Scd2, CustomerDeletedClosesAndMarks) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"city", "Berlin"}}), 1);
  apply(dim, updated("C-1", at(10), {{"city", "Paris"}}), 2);
  DimChanges out = apply(dim, deleted("C-1", at(30)), 3);
  std::vector<VersionRow> want = {
      row({1, {{"city", "Berlin"}}, at(0), at(10), 1, false}),
      // Still the member's latest version: is_current means "latest".
      row({2, {{"city", "Paris"}}, at(10), at(30), 2, true, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, std::vector<VersionRow>{want[1]});
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());
  EXPECT_EQ(dim.sk_at("C-1", at(40)), 2);  // a fact after the delete: the deleted version

  EXPECT_TRUE(apply(dim, deleted("C-1", at(40)), 4).empty());  // nothing open to close
  EXPECT_TRUE(apply(dim, deleted("C-2", at(40)), 5).empty());  // unknown member
  EXPECT_TRUE(dim.versions("C-2").empty());
}

TEST(Scd2, UpdateAfterDeleteReopens) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"name", "Ann"}}), 1);
  apply(dim, deleted("C-1", at(10)), 2);
  // Same name as before: a re-activation opens a version even without a change.
  DimChanges out = apply(dim, updated("C-1", at(20), {{"name", "Ann"}}), 3);
  std::vector<VersionRow> want = {
      row({1, {{"name", "Ann"}}, at(0), at(10), 1, false, true}),
      row({3, {{"name", "Ann"}}, at(20), INF, 2, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(20), INF, 3)});
  EXPECT_EQ(dim.sk_at("C-1", at(15)), 1);  // in the gap: the deleted version
}

TEST(Scd2, LateChangeBeforeDeleteMovesTheDeleteMark) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"city", "Berlin"}}), 1);
  apply(dim, deleted("C-1", at(30)), 2);
  DimChanges out = apply(dim, updated("C-1", at(10), {{"city", "Paris"}}), 3);
  std::vector<VersionRow> want = {
      row({1, {{"city", "Berlin"}}, at(0), at(10), 1, false}),
      row({3, {{"city", "Paris"}}, at(10), at(30), 2, true, true}),
  };
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), INF, 3)});
}

TEST(Scd2, InferredMemberCreatedForFact) {
  Dimension dim = customers();
  DimChanges out;
  EXPECT_EQ(dim.sk_for_fact("C-9", at(5), 7, &out), 7);
  std::vector<VersionRow> want = {row({7, {}, at(5), INF, 1, true, false, true}, "C-9")};
  EXPECT_EQ(dim.versions("C-9"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());
  EXPECT_EQ(dim.sk_at("C-9", at(0)), 7);

  DimChanges again;
  EXPECT_EQ(dim.sk_for_fact("C-9", at(8), 9, &again), 7);  // known now: no second inferred
  EXPECT_TRUE(again.empty());
}

TEST(Scd2, InferredMemberCompletedWithoutNewVersion) {
  Dimension dim = customers();
  DimChanges ignored;
  ASSERT_EQ(dim.sk_for_fact("C-9", at(10), 5, &ignored), 5);
  // The registration happened before the fact: the version starts then.
  DimChanges out = apply(dim, registered("C-9", at(0), {{"name", "Bob"}}), 8);
  std::vector<VersionRow> want = {row({5, {{"name", "Bob"}}, at(0), INF, 1, true}, "C-9")};
  EXPECT_EQ(dim.versions("C-9"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.deleted_sks.empty());
  EXPECT_TRUE(out.repoints.empty());  // every fact keeps sk 5

  // Registered after the fact: the inferred version keeps the fact's time.
  ASSERT_EQ(dim.sk_for_fact("C-8", at(10), 11, &ignored), 11);
  out = apply(dim, registered("C-8", at(20), {{"name", "Eve"}}), 12);
  want = {row({11, {{"name", "Eve"}}, at(10), INF, 1, true}, "C-8")};
  EXPECT_EQ(dim.versions("C-8"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.repoints.empty());

  // Later events are ordinary changes.
  out = apply(dim, updated("C-8", at(30), {{"name", "Eva"}}), 13);
  EXPECT_EQ(dim.versions("C-8"), (std::vector<VersionRow>{
                                     row({11, {{"name", "Eve"}}, at(10), at(30), 1, false}, "C-8"),
                                     row({13, {{"name", "Eva"}}, at(30), INF, 2, true}, "C-8"),
                                 }));
}

TEST(Scd2, LateChangeEmitsRepointForItsWindow) {
  Dimension dim = customers();
  DimChanges ignored;
  apply(dim, registered("C-1", at(0), {{"city", "Berlin"}}), 1);
  EXPECT_EQ(dim.sk_for_fact("C-1", at(15), 2, &ignored), 1);
  EXPECT_EQ(dim.sk_for_fact("C-1", at(35), 3, &ignored), 1);
  EXPECT_EQ(apply(dim, updated("C-1", at(30), {{"city", "Paris"}}), 4).repoints,
            std::vector<Repoint>{repoint(at(30), INF, 4)});
  // The late change owns [10, 30): the fact at 15 moves to it, the one at 35 does not.
  DimChanges out = apply(dim, updated("C-1", at(10), {{"city", "Rome"}}), 5);
  EXPECT_EQ(out.repoints, std::vector<Repoint>{repoint(at(10), at(30), 5)});
  EXPECT_EQ(dim.sk_at("C-1", at(15)), 5);
  EXPECT_EQ(dim.sk_at("C-1", at(35)), 4);
}

TEST(Scd2, SkAtBeforeFirstVersionUsesFirst) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(10), {{"city", "Berlin"}}), 1);
  apply(dim, updated("C-1", at(20), {{"city", "Paris"}}), 2);
  EXPECT_EQ(dim.sk_at("C-1", at(0)), 1);  // earliest known member
  EXPECT_EQ(dim.sk_at("C-1", NEG_INF), 1);
  EXPECT_EQ(dim.sk_at("C-1", at(10)), 1);
  EXPECT_EQ(dim.sk_at("C-1", at(20) - 1), 1);  // valid_to is exclusive
  EXPECT_EQ(dim.sk_at("C-1", at(20)), 2);
  EXPECT_EQ(dim.sk_at("C-1", INF), 2);
  EXPECT_EQ(dim.sk_at("C-2", at(10)), std::nullopt);  // unknown: the caller infers
}

TEST(Scd2, SameInstantChangesShareOneVersion) {
  Dimension dim = customers();
  apply(dim, registered("C-1", at(0), {{"city", "Berlin"}}), 1);
  DimChanges out = apply(dim, updated("C-1", at(0), {{"city", "Paris"}}), 2);
  std::vector<VersionRow> want = {row({1, {{"city", "Paris"}}, at(0), INF, 1, true})};
  EXPECT_EQ(dim.versions("C-1"), want);
  EXPECT_EQ(out.upserts, want);
  EXPECT_TRUE(out.repoints.empty());
}

TEST(Scd2, VendorAndProductRowsCarryExactDecimalText) {
  auto vendors = Dimension::make(Dim::vendor, {{{"status", AttrPolicy::type3}}});
  ASSERT_TRUE(vendors.ok());
  events::VendorData v;
  v.vendor_id = "V-1";
  v.name = "Acme";
  v.commission_rate = events::Decimal{150000, 6};
  v.status = "active";
  Event reg;
  reg.event_id = "ev-v1";
  reg.type = EventType::vendor_registered;
  reg.event_time_us = at(0);
  reg.data = v;
  DimChanges out;
  ASSERT_TRUE(vendors->apply(reg, 1, &out).ok());
  events::VendorData u;
  u.vendor_id = "V-1";
  u.commission_rate = events::Decimal{120000, 6};
  u.status = "suspended";
  Event upd = reg;
  upd.event_id = "ev-v2";
  upd.type = EventType::vendor_updated;
  upd.event_time_us = at(10);
  upd.data = u;
  ASSERT_TRUE(vendors->apply(upd, 2, &out).ok());
  auto rows = vendors->versions("V-1");
  ASSERT_EQ(rows.size(), 2u);
  using A = std::vector<std::optional<std::string>>;
  EXPECT_EQ(rows[0].attrs, (A{"Acme", std::nullopt, std::nullopt, std::nullopt, "0.150000", "active"}));
  EXPECT_EQ(rows[1].attrs, (A{"Acme", std::nullopt, std::nullopt, std::nullopt, "0.120000", "suspended"}));
  EXPECT_EQ(rows[1].previous_attrs, (A{"active"}));
  EXPECT_EQ(rows[1].dim, Dim::vendor);
  EXPECT_EQ(rows[1].sk, 2);

  auto products = Dimension::make(Dim::product, {});
  ASSERT_TRUE(products.ok());
  events::ProductData p;
  p.product_id = "P-3";
  p.list_price = events::Decimal{1990, 2};
  p.weight_g = 1200;
  Event created = reg;
  created.type = EventType::product_created;
  created.data = p;
  ASSERT_TRUE(products->apply(created, 3, &out).ok());
  EXPECT_EQ(products->versions("P-3").at(0).attrs,
            (A{std::nullopt, std::nullopt, std::nullopt, std::nullopt, "19.90", std::nullopt, "1200"}));
  // A vendor event is not a product event.
  EXPECT_FALSE(products->apply(reg, 4, &out).ok());
}

// ---- Seeded randomized properties -----------------------------------------

// A step of a generated stream: a dimension event, or a fact look-up.
struct Step {
  bool fact = false;
  Event event;       // when !fact
  std::string id;    // when fact
  int64_t t_us = 0;  // when fact
};

// Customers with a registration, updates drawing from small value pools (so
// many updates are no-ops or become no-ops after a re-fold), some deletes and
// fact look-ups; event times distinct per member, arrival order shuffled.
std::vector<Step> random_stream(uint32_t seed, int members, bool with_facts) {
  std::mt19937 rng(seed);
  const std::vector<std::string> cities = {"Berlin", "Paris", "Rome"};
  const std::vector<std::string> segments = {"retail", "vip", "gold"};
  const std::vector<std::string> emails = {"a@x", "b@x", "c@x"};
  const std::vector<std::string> names = {"Ann", "Anna"};
  auto pick = [&](const std::vector<std::string>& pool) { return pool[rng() % pool.size()]; };
  std::vector<Step> steps;
  for (int m = 0; m < members; ++m) {
    std::string id = "C-" + std::to_string(m);
    std::vector<int> minutes(200);
    for (int i = 0; i < 200; ++i) minutes[i] = i;
    std::shuffle(minutes.begin(), minutes.end(), rng);
    int n = 2 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      Step s;
      int64_t t = at(minutes[i]);
      if (i == 0) {
        s.event = registered(id, t, {{"name", pick(names)}, {"email", pick(emails)}, {"city", pick(cities)}});
      } else if (rng() % 10 == 0) {
        s.event = deleted(id, t);
      } else {
        Fields f;
        if (rng() % 2) f.emplace_back("email", pick(emails));
        if (rng() % 2) f.emplace_back("city", pick(cities));
        if (rng() % 2) f.emplace_back("segment", pick(segments));
        if (rng() % 4 == 0) f.emplace_back("name", pick(names));
        s.event = updated(id, t, f);
      }
      s.event.event_id += "-" + std::to_string(i);
      steps.push_back(std::move(s));
    }
    for (int i = 0; with_facts && i < 4; ++i) {
      Step s;
      s.fact = true;
      s.id = id;
      s.t_us = at(static_cast<int>(rng() % 220) - 10);
      steps.push_back(std::move(s));
    }
  }
  std::shuffle(steps.begin(), steps.end(), rng);
  return steps;
}

const Scd2Policy kMixed{{{"email", AttrPolicy::type1}, {"segment", AttrPolicy::type3}}};

struct RunResult {
  std::vector<DimChanges> emitted;
  std::map<std::string, std::vector<VersionRow>> chains;
  std::map<uint64_t, std::string> event_id_of_seq;
};

// Applies `steps` with seq = position + 1, as the log would number them.
RunResult run(const std::vector<Step>& steps, int members) {
  Dimension dim = customers(kMixed);
  RunResult r;
  for (size_t i = 0; i < steps.size(); ++i) {
    uint64_t seq = i + 1;
    DimChanges out;
    if (steps[i].fact) {
      dim.sk_for_fact(steps[i].id, steps[i].t_us, seq, &out);
      r.event_id_of_seq[seq] = "fact-" + std::to_string(seq);
    } else {
      EXPECT_TRUE(dim.apply(steps[i].event, seq, &out).ok());
      r.event_id_of_seq[seq] = steps[i].event.event_id;
    }
    r.emitted.push_back(std::move(out));
  }
  for (int m = 0; m < members; ++m) {
    std::string id = "C-" + std::to_string(m);
    r.chains[id] = dim.versions(id);
  }
  return r;
}

TEST(Scd2, ReplayIsDeterministic) {
  const int members = 50;
  std::vector<Step> steps = random_stream(20261120, members, true);
  RunResult a = run(steps, members);
  RunResult b = run(steps, members);
  ASSERT_EQ(a.emitted.size(), b.emitted.size());
  for (size_t i = 0; i < a.emitted.size(); ++i) EXPECT_TRUE(a.emitted[i] == b.emitted[i]) << "step " << i;
  EXPECT_EQ(a.chains, b.chains);
  size_t versions = 0;
  for (const auto& [id, chain] : a.chains) versions += chain.size();
  EXPECT_GT(versions, static_cast<size_t>(members) * 2);  // the stream exercised real histories
}

TEST(Scd2, ArrivalOrderIndependentFinalChain) {
  // Seqs (so sks) follow arrival and differ between orders; what a member's
  // history IS does not: the same event (by event_id) opens each version,
  // with the same window, attributes, flags and numbering. Holds for
  // distinct event times per member (ties are broken by seq = arrival).
  const int members = 60;
  std::vector<Step> shuffled = random_stream(7, members, false);
  std::vector<Step> in_time_order = shuffled;
  std::stable_sort(in_time_order.begin(), in_time_order.end(),
                   [](const Step& x, const Step& y) { return x.event.event_time_us < y.event.event_time_us; });
  std::vector<Step> reversed(in_time_order.rbegin(), in_time_order.rend());
  RunResult runs[] = {run(in_time_order, members), run(shuffled, members), run(reversed, members)};

  auto normalize = [](const RunResult& r) {
    std::map<std::string, std::vector<VersionRow>> out = r.chains;
    for (auto& [id, chain] : out) {
      for (auto& v : chain) {
        v.natural_id += "/" + r.event_id_of_seq.at(static_cast<uint64_t>(v.sk));
        v.sk = 0;
      }
    }
    return out;
  };
  auto want = normalize(runs[0]);
  EXPECT_EQ(normalize(runs[1]), want);
  EXPECT_EQ(normalize(runs[2]), want);
  EXPECT_NE(runs[0].chains, runs[1].chains);  // the sks themselves do differ
}

TEST(Scd2, EmittedChangesRebuildTheTable) {
  // A writer that applies exactly what is emitted holds, after every event,
  // exactly the member's chain (upserts only where rows changed, so any
  // missed upsert or delete shows here).
  const int members = 80;
  for (uint32_t seed : {99u, 100u, 101u}) {
    std::vector<Step> steps = random_stream(seed, members, true);
    Dimension dim = customers(kMixed);
    std::map<int64_t, VersionRow> table;  // what the writer would hold, by sk
    for (size_t i = 0; i < steps.size(); ++i) {
      DimChanges c;
      const std::string id = steps[i].fact ? steps[i].id : changes_of(steps[i].event)->natural_id;
      if (steps[i].fact) {
        dim.sk_for_fact(id, steps[i].t_us, i + 1, &c);
      } else {
        ASSERT_TRUE(dim.apply(steps[i].event, i + 1, &c).ok());
      }
      for (int64_t sk : c.deleted_sks) EXPECT_EQ(table.erase(sk), 1u) << "deleted unknown sk " << sk;
      for (const VersionRow& row : c.upserts) table[row.sk] = row;
      std::vector<VersionRow> held;
      for (const auto& [sk, row] : table)
        if (row.natural_id == id) held.push_back(row);
      std::sort(held.begin(), held.end(),
                [](const VersionRow& x, const VersionRow& y) { return x.version < y.version; });
      ASSERT_EQ(held, dim.versions(id)) << "seed " << seed << " step " << i << " member " << id;
    }
  }
}

TEST(Scd2, RepointsKeepFactsOnTheValidVersion) {
  const int members = 80;
  std::vector<Step> steps = random_stream(4242, members, true);
  Dimension dim = customers(kMixed);
  struct Fact {
    std::string id;
    int64_t t;
    int64_t sk;
  };
  std::vector<Fact> facts;
  size_t repointed = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    DimChanges out;
    if (steps[i].fact) {
      facts.push_back({steps[i].id, steps[i].t_us, dim.sk_for_fact(steps[i].id, steps[i].t_us, i + 1, &out)});
    } else {
      ASSERT_TRUE(dim.apply(steps[i].event, i + 1, &out).ok());
    }
    for (const Repoint& p : out.repoints) {
      for (Fact& f : facts) {
        if (f.id == p.natural_id && f.t >= p.from_us && f.t < p.to_us && f.sk != p.sk) {
          f.sk = p.sk;
          ++repointed;
        }
      }
    }
  }
  for (const Fact& f : facts) EXPECT_EQ(f.sk, dim.sk_at(f.id, f.t)) << f.id << " at " << f.t;
  EXPECT_GT(repointed, 0u);  // the stream did exercise re-pointing
}

TEST(Scd2, MemoryPerTypicalMember) {
  // A typical customer: a full registration and two small updates.
  const int members = 20000;
  Dimension dim = customers();
  size_t before = mallinfo2().uordblks;
  uint64_t seq = 1;
  for (int m = 0; m < members; ++m) {
    std::string id = "C-" + std::to_string(100000 + m);
    DimChanges out;
    ASSERT_TRUE(dim.apply(registered(id, at(0), {{"name", "Customer " + std::to_string(m)},
                                                 {"email", "customer" + std::to_string(m) + "@example.com"},
                                                 {"city", "Berlin"},
                                                 {"region", "BE"},
                                                 {"zip", "10115"},
                                                 {"country", "DE"},
                                                 {"segment", "retail"}}),
                          seq++, &out)
                    .ok());
    ASSERT_TRUE(dim.apply(updated(id, at(10), {{"city", "Paris"}}), seq++, &out).ok());
    ASSERT_TRUE(dim.apply(updated(id, at(20), {{"segment", "vip"}}), seq++, &out).ok());
  }
  size_t after = mallinfo2().uordblks;
  double per_member = static_cast<double>(after - before) / members;
  std::printf("[ memory ] %.0f heap bytes per customer with 3 change events, 3 versions\n", per_member);
  RecordProperty("bytes_per_member", static_cast<int>(per_member));
  // 250,000 members of all three dimensions in well under 1 GiB.
  EXPECT_LT(per_member, 1024.0);
  EXPECT_EQ(dim.member_count(), static_cast<size_t>(members));
}

}  // namespace
}  // namespace lh::projections
