// Test helpers for the pipeline: a scripted event stream (seqs assigned in
// order) with builders for every event type, and projection of a stream
// through Pipeline into the TableModel in batches of a given size.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "projections/pipeline.h"
#include "table_model.h"

namespace lh::projections::testing {

// 2026-11-01T00:00:00Z plus days/hours/minutes/seconds.
inline int64_t at(int day, int h, int m = 0, double s = 0) {
  return 1793491200000000LL + (((day * 24LL + h) * 60 + m) * 60) * 1000000LL +
         static_cast<int64_t>(s * 1e6);
}

inline events::Decimal money(int64_t units, uint8_t scale = 2) { return {units, scale}; }

struct Stream {
  std::vector<LoggedEvent> events;

  // Appends an event; returns its seq.
  uint64_t add(events::EventType type, int64_t t, events::EventData data) {
    LoggedEvent le;
    le.seq = events.size() + 1;
    le.ingest_time_us = t;
    le.event.event_id = "ev-" + std::to_string(le.seq);
    le.event.type = type;
    le.event.event_time_us = t;
    le.event.data = std::move(data);
    events.push_back(std::move(le));
    return events.size();
  }
  uint64_t vendor(const std::string& id, int64_t t, const std::string& name = "Shop") {
    events::VendorData d;
    d.vendor_id = id;
    d.name = name;
    d.tier = "gold";
    return add(events::EventType::vendor_registered, t, d);
  }
  uint64_t customer(const std::string& id, int64_t t, std::optional<std::string> segment,
                    std::optional<std::string> region, bool update = false) {
    events::CustomerData d;
    d.customer_id = id;
    if (!update) d.name = "Name " + id;
    d.segment = std::move(segment);
    d.region = std::move(region);
    return add(update ? events::EventType::customer_updated : events::EventType::customer_registered, t, d);
  }
  uint64_t product(const std::string& id, const std::string& vendor, int64_t t) {
    events::ProductData d;
    d.product_id = id;
    d.name = "Product " + id;
    d.vendor_id = vendor;
    return add(events::EventType::product_created, t, d);
  }
  uint64_t order(const std::string& id, const std::string& customer, int64_t t,
                 std::vector<events::OrderLine> lines, const std::string& currency = "EUR") {
    events::OrderPlaced d;
    d.order_id = id;
    d.customer_id = customer;
    d.currency = currency;
    d.lines = std::move(lines);
    return add(events::EventType::order_placed, t, d);
  }
  uint64_t status(const std::string& order, events::OrderStatus s, int64_t t,
                  std::optional<std::string> vendor = {}, std::optional<int32_t> line = {}) {
    events::OrderStatusChanged d;
    d.order_id = order;
    d.status = s;
    d.vendor_id = std::move(vendor);
    d.line_no = line;
    return add(events::EventType::order_status_changed, t, d);
  }
  uint64_t review(const std::string& vendor, int stars, int64_t t) {
    events::ReviewSubmitted d;
    d.review_id = "R-" + std::to_string(events.size() + 1);
    d.vendor_id = vendor;
    d.stars = stars;
    return add(events::EventType::review_submitted, t, d);
  }
  uint64_t stock(const std::string& vendor, const std::string& product, const std::string& wh,
                 int64_t level, int64_t t) {
    events::StockChanged d{vendor, product, wh, level};
    return add(events::EventType::stock_changed, t, d);
  }
  uint64_t view(int64_t t, const std::string& method, double latency_ms, int status_code = 200,
                std::optional<std::string> customer = {}, std::optional<std::string> product = {},
                std::optional<std::string> vendor = {}) {
    events::PageViewed d;
    d.session_id = "S-1";
    d.url = "/p";
    d.http_method = method;
    d.status_code = status_code;
    d.latency_ms = latency_ms;
    d.customer_id = std::move(customer);
    d.product_id = std::move(product);
    d.vendor_id = std::move(vendor);
    return add(events::EventType::page_viewed, t, d);
  }
};

inline events::OrderLine line(int32_t no, const std::string& product, const std::string& vendor,
                              int64_t qty, events::Decimal price,
                              std::optional<events::Decimal> freight = {}) {
  events::OrderLine l;
  l.line_no = no;
  l.product_id = product;
  l.vendor_id = vendor;
  l.quantity = qty;
  l.unit_price = price;
  l.freight = freight;
  return l;
}

// Projects `events` through one Pipeline in batches of `batch_size` (0: one
// batch) into *model; skips are passed to every batch. Returns the batches'
// total of projected events.
inline uint64_t project(Pipeline& p, const std::vector<LoggedEvent>& events, size_t batch_size,
                        TableModel* model, const std::vector<uint64_t>& skips = {}) {
  if (batch_size == 0) batch_size = events.size();
  uint64_t projected = 0;
  RowBatch rows;
  for (size_t i = 0; i < events.size(); i += batch_size) {
    auto batch = std::make_shared<EventBatch>(events.begin() + i,
                                              events.begin() + std::min(events.size(), i + batch_size));
    p.project(batch, skips, &rows);
    EXPECT_EQ(rows.after_seq, batch->front().seq - 1);
    EXPECT_EQ(rows.last_seq, batch->back().seq);
    projected += rows.events;
    model->apply(rows);
  }
  return projected;
}

inline Schema default_schema(WarehouseOptions o = {}) { return Schema::make(o).value(); }

// Projects `s` with every batch size of interest; calls check(model) for each.
template <class Check>
inline void for_batch_sizes(const Stream& s, Check&& check, const std::vector<uint64_t>& skips = {}) {
  Schema schema = default_schema();
  for (size_t bs : {size_t{1}, size_t{2}, size_t{0}}) {
    SCOPED_TRACE("batch size " + std::to_string(bs));
    Pipeline p(schema);
    TableModel m(schema);
    project(p, s.events, bs, &m, skips);
    EXPECT_EQ(m.problems, std::vector<std::string>{});
    check(m);
  }
}

}  // namespace lh::projections::testing
