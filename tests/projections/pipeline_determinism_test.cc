// Determinism of the whole pipeline on a generated 7-day marketplace stream:
// whatever the batch boundaries, the final warehouse tables are identical;
// and the tables agree with what the generator says it produced.
#include <gtest/gtest.h>

#include <chrono>

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

}  // namespace
}  // namespace lh::projections::testing
