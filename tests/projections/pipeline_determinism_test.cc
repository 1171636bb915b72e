// Determinism of the whole pipeline on a generated 7-day marketplace stream:
// whatever the batch boundaries, the final warehouse tables are identical;
// and the tables agree with what the generator says it produced.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "events/json_decoder.h"
#include "pipeline_fixture.h"
#include "tools/generator.h"

namespace lh::projections::testing {
namespace {

struct Generated {
  std::vector<LoggedEvent> events;
  tools::GeneratorSummary summary;
};

Generated generate_stream(const tools::GeneratorOptions& o) {
  Generated g;
  std::string text;
  auto summary = tools::generate(o, [&](std::string_view block) {
    text.append(block);
    return Status{};
  });
  EXPECT_TRUE(summary.ok());
  g.summary = summary.value();
  events::JsonDecoder decoder;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    LoggedEvent le;
    events::Rejection why;
    if (decoder.decode(std::string_view(text).substr(pos, nl - pos), le.event, why)) {
      le.seq = g.events.size() + 1;
      le.ingest_time_us = le.event.event_time_us;
      g.events.push_back(std::move(le));
    } else {
      ADD_FAILURE() << "generator line rejected: " << why.message;
    }
    pos = nl + 1;
  }
  return g;
}

TEST(PipelineDeterminism, SevenDayStreamGivesTheSameTablesWhateverTheBatchSize) {
  tools::GeneratorOptions o;
  o.days = 7;
  o.vendors = 12;
  o.customers = 800;
  o.products = 300;
  o.orders_per_day = 250;
  o.late_rate = 0.05;
  Generated g = generate_stream(o);
  ASSERT_GT(g.events.size(), 20000u);
  Schema schema = default_schema();

  std::string reference;
  for (size_t bs : {size_t{0}, size_t{4096}, size_t{97}, size_t{1}}) {
    SCOPED_TRACE("batch size " + std::to_string(bs));
    Pipeline p(schema);
    TableModel m(schema);
    EXPECT_EQ(project(p, g.events, bs, &m), g.events.size());
    EXPECT_EQ(m.problems, std::vector<std::string>{});
    std::string dump = m.dump();
    if (reference.empty()) {
      reference = std::move(dump);
      // The tables hold what the generator produced.
      using events::EventType;
      EXPECT_EQ(m.rows(Table::fact_clickstream).size(), g.summary.valid(EventType::page_viewed));
      EXPECT_EQ(m.rows(Table::fact_stock).size(), g.summary.valid(EventType::stock_changed));
      EXPECT_EQ(m.rows(Table::fact_order).size(), g.summary.valid(EventType::order_placed));
      EXPECT_GT(m.rows(Table::agg_pageviews_5m).size(), 1000u);
      EXPECT_GT(m.rows(Table::alert_high_latency).size(), 0u);
      for (const auto& e : m.errors) ADD_FAILURE() << e.seq << " " << e.owner << ": " << e.message;
      size_t inferred = 0;
      for (const auto& [k, row] : m.rows(Table::dim_customer))
        inferred += row[*schema.table(Table::dim_customer).column_index("is_inferred")] == "t";
      EXPECT_EQ(inferred, 0u);  // every inferred customer was completed by its registration
      EXPECT_GT(g.summary.inferred_customers, 0u);
    } else {
      EXPECT_TRUE(dump == reference) << "tables differ from the one-batch projection";
    }
  }
}

// The whole pipeline: applying merged groups of batches gives the same
// tables as applying the batches one by one.
TEST(PipelineDeterminism, MergedGroupsOfBatchesGiveTheSameTablesAsSequentialOnes) {
  tools::GeneratorOptions o;
  o.days = 4;
  o.vendors = 10;
  o.customers = 400;
  o.products = 200;
  o.orders_per_day = 200;
  o.late_rate = 0.1;
  o.seed = 11;
  const std::vector<LoggedEvent> events = generate_stream(o).events;
  ASSERT_GT(events.size(), 5000u);
  Schema schema = default_schema();
  Pipeline seq_p(schema), merged_p(schema);
  TableModel sequential(schema), merged(schema);
  const size_t bs = 97;
  std::vector<RowBatch> pending;
  size_t groups = 0;
  for (size_t i = 0, k = 0; i < events.size(); i += bs, ++k) {
    auto batch = std::make_shared<EventBatch>(events.begin() + i,
                                              events.begin() + std::min(events.size(), i + bs));
    RowBatch rows;
    seq_p.project(batch, {}, &rows);
    sequential.apply(rows);
    RowBatch rows2;
    merged_p.project(batch, {}, &rows2);
    pending.push_back(std::move(rows2));
    // Groups of varying size (1..13 batches).
    if (pending.size() >= 1 + k % 13 || i + bs >= events.size()) {
      std::vector<const RowBatch*> ptrs;
      for (const auto& p : pending) ptrs.push_back(&p);
      merged.apply(merge_batches(schema, ptrs), true);
      pending.clear();
      ++groups;
    }
  }
  EXPECT_GT(groups, 10u);
  EXPECT_EQ(sequential.problems, std::vector<std::string>{});
  EXPECT_EQ(merged.problems, std::vector<std::string>{});
  EXPECT_GT(sequential.rows(Table::fact_clickstream).size(), 1000u);
  EXPECT_TRUE(merged.dump() == sequential.dump()) << "merged groups give other tables";
}

// fact_vendor_performance recomputed from scratch, non-incrementally, from the
// whole stream, against what the incremental owners left in the tables.
TEST(PipelineDeterminism, VendorPerformanceEqualsARecomputationFromTheWholeStream) {
  tools::GeneratorOptions o;
  o.days = 7;
  o.vendors = 8;
  o.customers = 500;
  o.products = 200;
  o.orders_per_day = 200;
  o.late_rate = 0.1;
  o.seed = 7;
  Generated g = generate_stream(o);
  struct Day {
    int64_t orders = 0, lines = 0, units = 0, revenue = 0, cancelled = 0, returned = 0, reviews = 0,
            stars = 0, stockouts = 0;
    std::set<std::string> currencies;
    int scale = 0;
  };
  std::map<std::pair<std::string, int32_t>, Day> want;
  struct Line {
    std::string vendor;
    int32_t line_no;
    std::optional<int64_t> cancelled, returned;
  };
  std::map<std::string, std::vector<Line>> orders;
  std::map<std::string, int64_t> levels;
  for (const auto& le : g.events) {
    const int64_t t = le.event.event_time_us;
    const int32_t dk = date_key(t);
    if (const auto* op = std::get_if<events::OrderPlaced>(&le.event.data)) {
      std::set<std::string> vendors;
      for (const auto& l : op->lines) {
        Day& d = want[{l.vendor_id, dk}];
        d.lines += 1;
        d.units += l.quantity;
        d.revenue += l.quantity * l.unit_price.units;
        d.scale = l.unit_price.scale;
        d.currencies.insert(op->currency);
        vendors.insert(l.vendor_id);
        orders[op->order_id].push_back({l.vendor_id, l.line_no, {}, {}});
      }
      for (const auto& v : vendors) want[{v, dk}].orders += 1;
    } else if (const auto* sc = std::get_if<events::OrderStatusChanged>(&le.event.data)) {
      for (Line& l : orders[sc->order_id]) {
        if ((sc->vendor_id && l.vendor != *sc->vendor_id) || (sc->line_no && l.line_no != *sc->line_no)) continue;
        std::optional<int64_t>* since = sc->status == events::OrderStatus::cancelled  ? &l.cancelled
                                        : sc->status == events::OrderStatus::returned ? &l.returned
                                                                                      : nullptr;
        if (since && (!*since || t < **since)) *since = t;
      }
    } else if (const auto* rv = std::get_if<events::ReviewSubmitted>(&le.event.data)) {
      Day& d = want[{rv->vendor_id, dk}];
      d.reviews += 1;
      d.stars += rv->stars;
    } else if (const auto* st = std::get_if<events::StockChanged>(&le.event.data)) {
      const std::string key = st->vendor_id + "|" + st->product_id + "|" + st->warehouse;
      auto it = levels.find(key);
      if (it != levels.end() && it->second > 0 && st->quantity == 0) want[{st->vendor_id, dk}].stockouts += 1;
      levels[key] = st->quantity;
    }
  }
  for (const auto& [id, lines] : orders)
    for (const Line& l : lines) {
      if (l.cancelled) want[{l.vendor, date_key(*l.cancelled)}].cancelled += 1;
      if (l.returned) want[{l.vendor, date_key(*l.returned)}].returned += 1;
    }

  Schema schema = default_schema();
  Pipeline p(schema);
  TableModel m(schema);
  project(p, g.events, 1000, &m);
  ASSERT_TRUE(m.errors.empty());
  size_t compared = 0, with_returns = 0, with_cancels = 0;
  for (const auto& [key, d] : want) {
    std::string currency = "\\N", revenue = "0";
    if (d.currencies.size() == 1) {
      currency = *d.currencies.begin();
      revenue = events::to_string(events::Decimal{d.revenue, static_cast<uint8_t>(d.scale)});
    } else if (d.currencies.size() > 1) {
      currency = "MIXED";
      revenue = "\\N";
    }
    std::string avg = "\\N";
    if (d.reviews) {
      int64_t q = (200 * d.stars + d.reviews) / (2 * d.reviews);
      avg = std::to_string(q / 100) + "." + (q % 100 < 10 ? "0" : "") + std::to_string(q % 100);
    }
    const std::string expect = key.first + "\t" + std::to_string(key.second) + "\t" + currency + "\t" +
                               std::to_string(d.orders) + "\t" + std::to_string(d.lines) + "\t" +
                               std::to_string(d.units) + "\t" + revenue + "\t" + std::to_string(d.cancelled) +
                               "\t" + std::to_string(d.returned) + "\t" + std::to_string(d.reviews) + "\t" +
                               avg + "\t" + std::to_string(d.stockouts);
    EXPECT_EQ(row_text(m, Table::fact_vendor_performance, {key.first, std::to_string(key.second)}), expect);
    ++compared;
    with_returns += d.returned > 0;
    with_cancels += d.cancelled > 0;
  }
  // Rows the recomputation has no key for hold only zeros (a count moved away).
  for (const auto& [key, row] : m.rows(Table::fact_vendor_performance)) {
    if (!want.count({key[0], std::stoi(key[1])})) {
      EXPECT_EQ(row[4] + row[7] + row[8], "000") << key[0] << " " << key[1];
    }
  }
  EXPECT_GT(compared, 40u);
  EXPECT_GT(with_returns, 0u);
  EXPECT_GT(with_cancels, 0u);
}

// agg_pageviews_5m and fact_order recomputed from scratch the same way.
TEST(PipelineDeterminism, WindowsAndOrderSnapshotsEqualARecomputationFromTheWholeStream) {
  tools::GeneratorOptions o;
  o.days = 2;
  o.vendors = 8;
  o.customers = 500;
  o.products = 200;
  o.orders_per_day = 300;
  o.late_rate = 0.1;
  o.seed = 11;
  Generated g = generate_stream(o);
  struct Window {
    int64_t views = 0, errors = 0, sum_us = 0;
    double max = 0;
    std::vector<int64_t> hist = std::vector<int64_t>(kLatencyBuckets);
  };
  std::map<std::pair<int64_t, std::string>, Window> windows;
  struct Snapshot {
    std::map<int, int64_t> first;  // status -> earliest time
    std::pair<int64_t, uint64_t> latest{0, 0};
    int status = 0;
  };
  std::map<std::string, Snapshot> orders;
  for (const auto& le : g.events) {
    const int64_t t = le.event.event_time_us;
    if (const auto* pv = std::get_if<events::PageViewed>(&le.event.data)) {
      const int64_t start = t / 300000000 * 300000000;  // the stream's times are after 1970
      Window& w = windows[{start, pv->http_method}];
      w.views += 1;
      w.errors += pv->status_code >= 500;
      w.sum_us += std::llround(pv->latency_ms * 1000);
      w.max = std::max(w.max, pv->latency_ms);
      size_t b = 0;
      while (b < kLatencyBucketBoundsMs.size() && pv->latency_ms >= kLatencyBucketBoundsMs[b]) ++b;
      w.hist[b] += 1;
    } else if (const auto* op = std::get_if<events::OrderPlaced>(&le.event.data)) {
      orders[op->order_id];
    } else if (const auto* sc = std::get_if<events::OrderStatusChanged>(&le.event.data)) {
      Snapshot& s = orders[sc->order_id];
      const int st = static_cast<int>(sc->status);
      if (!s.first.count(st) || t < s.first[st]) s.first[st] = t;
      if (s.latest.second == 0 || std::make_pair(t, le.seq) > s.latest) {
        s.latest = {t, le.seq};
        s.status = st;
      }
    }
  }
  Schema schema = default_schema();
  Pipeline p(schema);
  TableModel m(schema);
  project(p, g.events, 333, &m);
  ASSERT_TRUE(m.errors.empty());
  EXPECT_EQ(m.rows(Table::agg_pageviews_5m).size(), windows.size());
  for (const auto& [key, w] : windows) {
    const int64_t avg_us = (2 * w.sum_us + w.views) / (2 * w.views);  // half-up
    std::string avg = std::to_string(avg_us / 1000) + ".";
    std::string frac = std::to_string(avg_us % 1000);
    avg += std::string(3 - frac.size(), '0') + frac;
    std::string hist = "{";
    for (size_t i = 0; i < w.hist.size(); ++i) hist += (i ? "," : "") + std::to_string(w.hist[i]);
    hist += "}";
    const std::string start = time_text(key.first);
    EXPECT_EQ(row_text(m, Table::agg_pageviews_5m, {start, key.second}),
              start + "\t" + key.second + "\t" + std::to_string(w.views) + "\t" + std::to_string(w.errors) +
                  "\t" + avg + "\t" + std::to_string(std::llround(w.max)) + "\t" + hist);
  }
  EXPECT_EQ(m.rows(Table::fact_order).size(), orders.size());
  const char* names[] = {"placed", "approved", "shipped", "delivered", "cancelled", "returned"};
  size_t with_status = 0;
  for (const auto& [id, s] : orders) {
    EXPECT_EQ(m.value(Table::fact_order, {id}, "status"), names[s.status]) << id;
    for (int st = 1; st <= 5; ++st) {
      auto it = s.first.find(st);
      EXPECT_EQ(m.value(Table::fact_order, {id}, std::string(names[st]) + "_time"),
                it == s.first.end() ? "\\N" : time_text(it->second))
          << id;
    }
    with_status += s.status != 0;
  }
  EXPECT_GT(with_status, 100u);
}

}  // namespace
}  // namespace lh::projections::testing
