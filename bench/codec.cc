// Per-event cost of the codecs: msgpack encode (log writer), msgpack decode
// (replay hot path), canonical JSON (log dump, produce), JSON decode with
// validation (ingest hot path). Each figure comes with a yardstick measured in
// the same run: a plain copy of the same bytes, msgpack-cxx's generic unpack
// (the object path PERF-NOTES measured slow), msgpack-cxx's packer writing the
// same layout as our hand-written writer, and simdjson's DOM parse alone of
// the same JSON lines.
//
// Run: build/bench/bench_codec [--benchmark_min_time=1]
#include <benchmark/benchmark.h>
#include <msgpack.hpp>
#include <simdjson.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/event.h"
#include "events/json_decoder.h"
#include "events/json_encoder.h"
#include "events/msgpack_codec.h"

namespace lh::events {
namespace {

// A marketplace-like mix: mostly clicks, then orders and their status
// changes, stock, reviews, and a trickle of dimension changes. Ids and text
// look like production ones (short ASCII, a few accents).
Event realistic_event(std::mt19937_64& rng, int64_t n) {
  auto pick = [&rng](int k) { return static_cast<int>(rng() % k); };
  auto ids = [&](const char* p, int k) { return std::string(p) + std::to_string(pick(k)); };
  Event e;
  e.event_id = "ev-" + std::to_string(n);
  e.event_time_us = 1795169700123000 + n * 1000;
  int r = pick(100);
  if (r < 50) {
    e.type = EventType::page_viewed;
    PageViewed d{"S-" + std::to_string(pick(100000)), "/p/" + ids("P-", 5000) + "?ref=home", "GET",
                 200, static_cast<double>(pick(200000)) / 1000.0, {}, {}, {}};
    if (pick(2)) d.customer_id = ids("C-", 100000);
    d.product_id = ids("P-", 5000);
    d.vendor_id = ids("V-", 200);
    e.data = std::move(d);
  } else if (r < 65) {
    e.type = EventType::order_placed;
    OrderPlaced d{ids("O-", 1000000), ids("C-", 100000), "EUR", {}};
    int lines = 1 + pick(4);
    for (int i = 1; i <= lines; ++i) {
      OrderLine l{i, ids("P-", 5000), ids("V-", 200), 1 + pick(3), Decimal{100 + pick(20000), 2}, {}};
      if (pick(2)) l.freight = Decimal{495, 2};
      d.lines.push_back(std::move(l));
    }
    e.data = std::move(d);
  } else if (r < 80) {
    e.type = EventType::order_status_changed;
    e.data = OrderStatusChanged{ids("O-", 1000000), static_cast<OrderStatus>(1 + pick(5)),
                                std::nullopt, std::nullopt};
  } else if (r < 90) {
    e.type = EventType::stock_changed;
    e.data = StockChanged{ids("V-", 200), ids("P-", 5000), "WH-" + std::to_string(pick(5)), pick(500)};
  } else if (r < 95) {
    e.type = EventType::review_submitted;
    e.data = ReviewSubmitted{ids("R-", 1000000), ids("O-", 1000000), ids("C-", 100000),
                             ids("P-", 5000), ids("V-", 200), 1 + pick(5),
                             std::string("Très bien, livraison rapide.")};
  } else if (r < 97) {
    e.type = pick(2) ? EventType::customer_registered : EventType::customer_updated;
    e.data = CustomerData{ids("C-", 100000), "Zoë O'Brien", "zoe@example.com", "Dublin",
                          "Leinster", "D02 X285", "IE", "retail"};
  } else if (r < 99) {
    e.type = pick(2) ? EventType::product_created : EventType::product_updated;
    e.data = ProductData{ids("P-", 5000), "Tea kettle 1.7 l", "kitchen", "Kettlr", ids("V-", 200),
                         Decimal{1990, 2}, "EUR", 1250};
  } else {
    e.type = pick(2) ? EventType::vendor_registered : EventType::vendor_updated;
    e.data = VendorData{ids("V-", 200), "Nordic Goods AB", "SE", "Malmö", "gold",
                        Decimal{125000, 6}, "active"};
  }
  return e;
}

struct Corpus {
  std::vector<Event> events;
  std::vector<std::string> payloads;
  size_t payload_bytes = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus c;
    std::mt19937_64 rng(2026);
    for (int64_t i = 0; i < 10000; ++i) {
      c.events.push_back(realistic_event(rng, i));
      std::string s;
      encode_msgpack(c.events.back(), s);
      c.payload_bytes += s.size();
      c.payloads.push_back(std::move(s));
    }
    return c;
  }();
  return c;
}

void BM_EncodeMsgpack(benchmark::State& state) {
  const Corpus& c = corpus();
  std::string buf;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    buf.clear();
    encode_msgpack(c.events[i], buf);
    bytes += buf.size();
    benchmark::DoNotOptimize(buf.data());
    if (++i == c.events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeMsgpack);

void BM_DecodeMsgpack(benchmark::State& state) {
  const Corpus& c = corpus();
  Event e;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    Status st = decode_msgpack(c.payloads[i], e);
    if (!st.ok()) {
      state.SkipWithError(st.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(e);
    bytes += c.payloads[i].size();
    if (++i == c.payloads.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeMsgpack);

void BM_AppendJson(benchmark::State& state) {
  const Corpus& c = corpus();
  std::string buf;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    buf.clear();
    append_json(c.events[i], buf);
    bytes += buf.size();
    benchmark::DoNotOptimize(buf.data());
    if (++i == c.events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_AppendJson);

// The event JSON of the contract (as a Kafka value or an NDJSON line): the
// corpus through the canonical encoder.
const std::vector<std::string>& json_lines() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    for (const Event& e : corpus().events) {
      std::string s;
      append_json(e, s);
      out.push_back(std::move(s));
    }
    return out;
  }();
  return lines;
}

// What the Kafka source and the NDJSON reader do per record: parse, check
// against the contract, fill an Event (unpadded input, as a Kafka value).
void BM_DecodeJson(benchmark::State& state) {
  const auto& lines = json_lines();
  JsonDecoder decoder;
  Event e;
  Rejection why;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    if (!decoder.decode(lines[i], e, why)) {
      state.SkipWithError(why.message.c_str());
      break;
    }
    benchmark::DoNotOptimize(e);
    bytes += lines[i].size();
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeJson);

// ------------------------------------------------------------ yardsticks --

// The floor under BM_DecodeJson: simdjson's DOM parse of the same lines
// (copied to its padded buffer, as the decoder's is), no field read.
void BM_Yardstick_SimdjsonParse(benchmark::State& state) {
  const auto& lines = json_lines();
  simdjson::dom::parser parser;
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(lines[i].data(), lines[i].size(), true).get(root) != simdjson::SUCCESS) {
      state.SkipWithError("simdjson parse failed");
      break;
    }
    benchmark::DoNotOptimize(root);
    bytes += lines[i].size();
    if (++i == lines.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Yardstick_SimdjsonParse);

// The floor under any decoder: touching each payload's bytes once.
void BM_Yardstick_CopyPayload(benchmark::State& state) {
  const Corpus& c = corpus();
  char buf[1 << 12];
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = c.payloads[i];
    std::memcpy(buf, p.data(), std::min(p.size(), sizeof buf));
    benchmark::DoNotOptimize(buf);
    bytes += p.size();
    if (++i == c.payloads.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Yardstick_CopyPayload);

// msgpack-cxx's generic path: unpack into an object tree (no conversion into
// the Event yet, so this is a lower bound of that path's cost).
void BM_Yardstick_MsgpackCxxUnpackObject(benchmark::State& state) {
  const Corpus& c = corpus();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = c.payloads[i];
    msgpack::object_handle oh = msgpack::unpack(p.data(), p.size());
    benchmark::DoNotOptimize(oh.get());
    bytes += p.size();
    if (++i == c.payloads.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Yardstick_MsgpackCxxUnpackObject);

// msgpack-cxx's visitor parser with a visitor that does nothing: the cost of
// walking the bytes alone, without building anything.
void BM_Yardstick_MsgpackCxxParseNullVisitor(benchmark::State& state) {
  const Corpus& c = corpus();
  size_t i = 0, bytes = 0;
  msgpack::null_visitor v;
  for (auto _ : state) {
    const std::string& p = c.payloads[i];
    bool ok = msgpack::parse(p.data(), p.size(), v);
    benchmark::DoNotOptimize(ok);
    bytes += p.size();
    if (++i == c.payloads.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Yardstick_MsgpackCxxParseNullVisitor);

// The encoder choice, measured: msgpack-cxx's packer into a std::string
// (through a write() adaptor) against our writer, on the commonest event.
struct StringStream {
  std::string* s;
  void write(const char* p, size_t n) { s->append(p, n); }
};

void pack_page_viewed(msgpack::packer<StringStream>& pk, const Event& e) {
  auto str = [&pk](std::string_view v) {
    pk.pack_str(static_cast<uint32_t>(v.size()));
    pk.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
  };
  const auto& d = std::get<PageViewed>(e.data);
  pk.pack_map(5);
  str("v");
  pk.pack_uint32(e.schema_version);
  str("id");
  str(e.event_id);
  str("t");
  pk.pack_uint8(static_cast<uint8_t>(e.type));
  str("ts");
  pk.pack_int64(e.event_time_us);
  str("d");
  pk.pack_map(5 + (d.customer_id ? 1 : 0) + (d.product_id ? 1 : 0) + (d.vendor_id ? 1 : 0));
  str("session_id");
  str(d.session_id);
  str("url");
  str(d.url);
  str("http_method");
  str(d.http_method);
  str("status_code");
  pk.pack_int32(d.status_code);
  str("latency_ms");
  pk.pack_double(d.latency_ms);
  if (d.customer_id) { str("customer_id"); str(*d.customer_id); }
  if (d.product_id) { str("product_id"); str(*d.product_id); }
  if (d.vendor_id) { str("vendor_id"); str(*d.vendor_id); }
}

std::vector<Event> page_views() {
  std::vector<Event> v;
  for (const Event& e : corpus().events)
    if (e.type == EventType::page_viewed) v.push_back(e);
  // Both writers must produce the same event, or the comparison is moot.
  // (Not the same bytes: msgpack-cxx 4.1's pack_double writes integral
  // doubles as integers, which decode_msgpack accepts for latency_ms.)
  for (const Event& e : v) {
    std::string b;
    StringStream ss{&b};
    msgpack::packer<StringStream> pk(ss);
    pack_page_viewed(pk, e);
    Event back;
    if (!decode_msgpack(b, back).ok() || back != e)
      throw std::logic_error("packer output does not decode to the same event");
  }
  return v;
}

void BM_EncodePageViewed_HandWritten(benchmark::State& state) {
  static const std::vector<Event> events = page_views();
  std::string buf;
  size_t i = 0;
  for (auto _ : state) {
    buf.clear();
    encode_msgpack(events[i], buf);
    benchmark::DoNotOptimize(buf.data());
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodePageViewed_HandWritten);

void BM_EncodePageViewed_MsgpackCxxPacker(benchmark::State& state) {
  static const std::vector<Event> events = page_views();
  std::string buf;
  StringStream ss{&buf};
  msgpack::packer<StringStream> pk(ss);
  size_t i = 0;
  for (auto _ : state) {
    buf.clear();
    pack_page_viewed(pk, events[i]);
    benchmark::DoNotOptimize(buf.data());
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodePageViewed_MsgpackCxxPacker);

}  // namespace
}  // namespace lh::events

BENCHMARK_MAIN();
