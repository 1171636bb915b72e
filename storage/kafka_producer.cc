#include "storage/kafka_producer.h"

#include <chrono>
#include <optional>
#include <variant>

#include <fmt/format.h>

#include "events/json_decoder.h"
#include "storage/kafka_common.h"
#include "storage/ndjson_reader.h"

namespace lh::storage {
namespace {

struct DeliveryState {
  uint64_t delivered = 0, failed = 0;
  std::string first_error;
};

extern "C" void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* st = static_cast<DeliveryState*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++st->delivered;
  } else {
    if (st->failed++ == 0) st->first_error = rd_kafka_err2str(m->err);
  }
}

}  // namespace

std::string_view kafka_key(const events::Event& e) {
  if (auto v = events::vendor_of(e)) return *v;
  return std::visit(
      [&](const auto& d) -> std::string_view {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, events::OrderPlaced>) {
          if (!d.lines.empty()) return d.lines.front().vendor_id;
          return d.order_id;
        } else if constexpr (std::is_same_v<T, events::CustomerData> ||
                             std::is_same_v<T, events::CustomerDeleted>) {
          return d.customer_id;
        } else if constexpr (std::is_same_v<T, events::ProductData>) {
          return d.product_id;
        } else if constexpr (std::is_same_v<T, events::OrderStatusChanged>) {
          return d.order_id;
        } else if constexpr (std::is_same_v<T, events::PageViewed>) {
          return d.session_id;
        } else {
          return e.event_id;
        }
      },
      e.data);
}

Result<ProduceSummary> produce_ndjson(const std::string& path, const ProduceOptions& o) {
  std::vector<std::string> cfg = {"linger.ms=20", "batch.num.messages=10000",
                                  "queue.buffering.max.messages=500000", "compression.type=none",
                                  "message.max.bytes=16000000"};
  cfg.insert(cfg.end(), o.config.begin(), o.config.end());
  auto conf = kafka_conf(o.brokers, cfg);
  if (!conf.ok()) return conf.error();
  DeliveryState st;
  rd_kafka_conf_set_dr_msg_cb(conf->get(), on_delivery);
  rd_kafka_conf_set_opaque(conf->get(), &st);
  char err[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), err, sizeof err);
  if (!raw) return Error{fmt::format("kafka producer: {}", err)};
  conf->release();  // owned by the handle now
  KafkaHandle rk(raw);

  NdjsonReaderOptions ropts;
  ropts.max_record_bytes = 16 << 20;
  auto reader = NdjsonReader::open(path, ropts);
  if (!reader.ok()) return reader.error();
  events::JsonDecoder decoder(events::DecoderOptions{16 << 20});
  events::Event ev;
  events::Rejection why;
  ProduceSummary s;
  uint64_t sent = 0;
  auto started = std::chrono::steady_clock::now();
  NdjsonRecord rec;
  while (true) {
    auto got = (*reader)->next(rec);
    if (!got.ok()) return got.error();
    if (!*got) break;
    std::optional<std::string_view> key;
    std::string key_copy;
    if (!rec.oversized && decoder.decode(rec.data, ev, why, /*padded=*/true)) {
      key_copy.assign(kafka_key(ev));
      key = key_copy;
    }
    void* key_ptr = key ? const_cast<char*>(key->data()) : nullptr;
    size_t key_len = key ? key->size() : 0;
    while (true) {
      rd_kafka_resp_err_t e = rd_kafka_producev(
          rk.get(), RD_KAFKA_V_TOPIC(o.topic.c_str()), RD_KAFKA_V_PARTITION(o.partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_VALUE(const_cast<char*>(rec.data.data()), rec.data.size()),
          RD_KAFKA_V_KEY(key_ptr, key_len),
          RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return Error{fmt::format("{}: line {}: cannot produce to {}: {}", path, rec.line, o.topic,
                                 rd_kafka_err2str(e))};
      rd_kafka_poll(rk.get(), 50);  // serve delivery reports, making room
    }
    ++sent;
    if (key) ++s.keyed;
    s.bytes += rec.data.size();
    rd_kafka_poll(rk.get(), 0);
  }
  // Wait for every delivery report (retries included) before declaring success.
  while (st.delivered + st.failed < sent) {
    rd_kafka_resp_err_t e = rd_kafka_flush(rk.get(), 1000);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    rd_kafka_poll(rk.get(), 100);
  }
  rd_kafka_poll(rk.get(), 0);
  s.messages = st.delivered;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (st.failed > 0)
    return Error{fmt::format("{}: {} of {} messages were not delivered to {}: {}", path, st.failed,
                             sent, o.topic, st.first_error)};
  return s;
}

}  // namespace lh::storage
