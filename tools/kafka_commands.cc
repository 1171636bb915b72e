// `ledgerhouse mock-kafka`: librdkafka's mock cluster as a stand-alone broker
// for demos and tests; `ledgerhouse produce`: an NDJSON file into a topic.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "storage/kafka_common.h"
#include "storage/kafka_producer.h"
#include "tools/command.h"

namespace lh::tools {
namespace {

struct MockArgs {
  int brokers = 3;
  int port = 0;
  std::vector<std::string> topics;
  int partitions = 4;
};

void run_mock(const MockArgs& a) {
  if (a.port != 0)
    throw CommandError(fmt::format(
        "--port {}: librdkafka 2.0's mock cluster listens on ephemeral ports only; use the "
        "bootstrap address it prints", a.port), 2);
  // Block the signals before the cluster's threads start, so that only
  // sigwait() below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto cluster = storage::MockKafkaCluster::start(a.brokers);
  if (!cluster.ok()) throw CommandError(cluster.error().message);
  for (const auto& t : a.topics)
    if (auto s = (*cluster)->create_topic(t, a.partitions); !s.ok()) throw CommandError(s.error().message);
  std::printf("%s\n", (*cluster)->bootstrap_servers().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "mock kafka cluster: %d brokers at %s%s; Ctrl-C stops it\n", a.brokers,
               (*cluster)->bootstrap_servers().c_str(),
               a.topics.empty() ? ""
                                : fmt::format(", topics {} ({} partitions each)",
                                              fmt::join(a.topics, ", "), a.partitions).c_str());
  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "mock kafka cluster: stopping (signal %d)\n", sig);
}

struct ProduceArgs {
  storage::ProduceOptions opts;
  std::string file;
};

void run_produce(const ProduceArgs& a) {
  auto r = storage::produce_ndjson(a.file, a.opts);
  if (!r.ok()) throw CommandError(r.error().message);
  double rate = r->seconds > 0 ? r->messages / r->seconds : 0;
  std::fprintf(stderr, "%s: %llu messages (%llu keyed, %s) to %s in %.2f s (%s msg/s)\n",
               a.file.c_str(), static_cast<unsigned long long>(r->messages),
               static_cast<unsigned long long>(r->keyed), human_bytes(r->bytes).c_str(),
               a.opts.topic.c_str(), r->seconds, human_count(rate).c_str());
}

}  // namespace

void register_kafka(CLI::App& app, GlobalOptions& g) {
  auto m = std::make_shared<MockArgs>();
  auto* mock = app.add_subcommand(
      "mock-kafka",
      "Run librdkafka's mock Kafka cluster (a real Kafka protocol server on 127.0.0.1) until\n"
      "SIGINT/SIGTERM; prints its bootstrap address on stdout. Topics are created on first use\n"
      "or with --topic. Data lives in memory only.");
  mock->add_option("--brokers", m->brokers, "Number of brokers")->check(CLI::Range(1, 64));
  mock->add_option("--port", m->port, "Not supported by librdkafka 2.0 (ephemeral ports only)");
  mock->add_option("--topic", m->topics, "Create this topic (repeatable)");
  mock->add_option("--partitions", m->partitions, "Partitions of each --topic")->check(CLI::Range(1, 10000));
  mock->callback([m] { run_mock(*m); });

  auto p = std::make_shared<ProduceArgs>();
  auto* prod = app.add_subcommand(
      "produce",
      "Write an NDJSON file to a Kafka topic, one message per line, keyed by the event's vendor\n"
      "(else its customer, product, order or session id; lines that are not valid events are\n"
      "sent too, without a key).");
  prod->add_option("--kafka", p->opts.brokers, "Bootstrap brokers (host:port,...)")->required();
  prod->add_option("--topic", p->opts.topic, "Topic")->required();
  prod->add_option("--partition", p->opts.partition, "Only this partition (default: by key)");
  prod->add_option("--kafka-config", p->opts.config, "librdkafka property key=value (repeatable)");
  prod->add_option("file", p->file, "NDJSON file, '-' for stdin")->required();
  prod->callback([p] { run_produce(*p); });
  (void)g;
}

}  // namespace lh::tools
