// `ledgerhouse generate`: the marketplace simulation of generator.h as an
// NDJSON stream on stdout or into a file, ready for `ledgerhouse ingest`.
#include <fmt/format.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "events/event.h"
#include "tools/command.h"
#include "tools/generator.h"

namespace lh::tools {
namespace {

struct GenerateArgs {
  GeneratorOptions options;
  std::string start = "2026-11-01T00:00:00Z";
  std::string output = "-";
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

void print_summary(const GeneratorSummary& s, double seconds) {
  std::fprintf(stderr,
               "generated %llu lines: %llu valid events, %llu invalid records, %llu duplicates; "
               "%llu late; %.2f s (%.0f lines/s, %.1f MB)\n",
               static_cast<unsigned long long>(s.lines), static_cast<unsigned long long>(s.valid_events()),
               static_cast<unsigned long long>(s.invalid_records()),
               static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.late_events),
               seconds, seconds > 0 ? s.lines / seconds : 0.0, s.bytes / 1e6);
  std::string line = "  valid:";
  for (auto t : events::kAllEventTypes) line += fmt::format(" {} {},", events::to_string(t), s.valid(t));
  line.back() = '\n';
  std::fputs(line.c_str(), stderr);
  if (s.invalid_records() > 0) {
    line = "  invalid:";
    for (int k = 0; k < kDirtyKindCount; ++k)
      line += fmt::format(" {} {},", to_string(static_cast<DirtyKind>(k)), s.invalid_by_kind[k]);
    line.back() = '\n';
    std::fputs(line.c_str(), stderr);
  }
  std::fprintf(stderr, "  customers active before registering: %llu; stock-outs: %llu; events %s .. %s\n",
               static_cast<unsigned long long>(s.inferred_customers),
               static_cast<unsigned long long>(s.stockouts), events::format_time_us(s.first_time_us).c_str(),
               events::format_time_us(s.last_time_us).c_str());
}

void run_generate(const GenerateArgs& args, GlobalOptions& g) {
  GeneratorOptions options = args.options;
  const auto start = events::parse_rfc3339_us(args.start);
  if (!start)
    throw CommandError(fmt::format("--start: not an RFC 3339 time: \"{}\" (e.g. 2026-11-01T00:00:00Z)",
                                   args.start));
  options.start_us = *start;
  if (Status s = validate(options); !s.ok()) throw CommandError(s.error().message);

  std::unique_ptr<std::FILE, FileCloser> file;
  std::FILE* out = stdout;
  if (args.output != "-") {
    file.reset(std::fopen(args.output.c_str(), "wb"));
    if (!file) throw CommandError(fmt::format("cannot open {}: {}", args.output, std::strerror(errno)));
    out = file.get();
  }

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto last_report = t0;
  GeneratorProgressFn progress;
  const bool show_progress = progress_enabled(g);
  if (show_progress) {
    // Reported from between output blocks; it only reads, so the bytes stay the same.
    progress = [&](const GeneratorProgress& p) {
      const auto now = Clock::now();
      if (now - last_report < std::chrono::milliseconds(200)) return;
      last_report = now;
      const double secs = std::chrono::duration<double>(now - t0).count();
      const int64_t day = (p.sim_time_us - options.start_us) / 86400000000LL + 1;
      std::fprintf(stderr, "\r%12llu events  %8.0f events/s  day %lld/%d ", static_cast<unsigned long long>(p.lines),
                   secs > 0 ? p.lines / secs : 0.0, static_cast<long long>(day), options.days);
    };
  }
  auto result = generate_to_file(options, out, progress);
  if (show_progress) std::fputs("\r\033[K", stderr);
  if (!result.ok())
    throw CommandError(fmt::format("{}: {}", args.output == "-" ? "stdout" : args.output, result.error().message));
  if (file && std::fclose(file.release()) != 0)
    throw CommandError(fmt::format("{}: close failed: {}", args.output, std::strerror(errno)));
  if (!g.quiet) print_summary(*result, std::chrono::duration<double>(Clock::now() - t0).count());
}

}  // namespace

void register_generate(CLI::App& app, GlobalOptions& g) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Write a realistic, deterministic marketplace event stream (NDJSON): vendors, products, customers, "
      "web sessions, orders and their fulfilment. Same options and seed = same bytes.");
  GeneratorOptions& o = args->options;
  cmd->add_option("--days", o.days, "Simulated days")->capture_default_str();
  cmd->add_option("--vendors", o.vendors, "Number of vendors")->capture_default_str();
  cmd->add_option("--customers", o.customers, "Number of customers (half registered at the start)")
      ->capture_default_str();
  cmd->add_option("--products", o.products, "Number of products")->capture_default_str();
  cmd->add_option("--orders-per-day", o.orders_per_day,
                  "Orders on an average day; web traffic scales with it (~15 page views per order)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed; also part of every event_id, so streams of different "
                                    "seeds can go into one log")
      ->capture_default_str();
  cmd->add_option("--dirty-rate", o.dirty_rate,
                  "Share of output lines that are bad records (truncated, bad UTF-8, bad values, "
                  "duplicates...), 0..0.5")
      ->capture_default_str();
  cmd->add_option("--late-rate", o.late_rate,
                  "Share of page views, stock and status changes and updates that arrive late "
                  "(event_time 1 min - 3 h in the past)")
      ->capture_default_str();
  cmd->add_option("--start", args->start, "Start of the simulated period (RFC 3339)")->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Output file, - for stdout")->capture_default_str();
  cmd->callback([args, &g] { run_generate(*args, g); });
}

}  // namespace lh::tools
