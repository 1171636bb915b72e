// `ledgerhouse config check FILE`: validates a configuration file.
// `ledgerhouse config show`: the effective configuration (defaults < file <
// environment < flags) as a TOML file, every key with its help and variable.
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "events/json_encoder.h"
#include "projections/dimension.h"
#include "tools/config.h"

namespace lh::tools {
namespace {

// TOML string: JSON string escapes are valid TOML basic-string escapes.
std::string quoted(const std::string& s) {
  std::string out;
  events::append_json_string(s, out);
  return out;
}

std::string toml_value(const CLI::Option* o, const std::vector<std::string>& values, bool is_dsn) {
  bool flag = o->get_expected_max() == 0;
  bool many = o->get_items_expected_max() > 1;
  std::string t = o->get_type_name();  // "UINT:INT in [1 - 1000000]"
  t = t.substr(0, t.find_first_of(" :"));
  bool numeric = t == "INT" || t == "UINT" || t == "FLOAT" || t == "NUMBER";
  auto one = [&](const std::string& v) {
    if (flag) return std::string(v == "true" || v == "1" ? "true" : "false");
    if (numeric && !v.empty()) return v;
    return quoted(is_dsn ? mask_password(v) : v);
  };
  if (many) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + one(values[i]);
    return out + "]";
  }
  return one(values.empty() ? std::string() : values.back());
}

// The value an option has now: from the command line or the environment,
// else its default (which a configuration file has replaced).
std::vector<std::string> effective(const CLI::Option* o) {
  if (o->count() > 0) return o->results();
  if (const char* e = std::getenv(o->get_envname().c_str()); e && !o->get_envname().empty()) return {e};
  std::string d = o->get_default_str();
  bool many = o->get_items_expected_max() > 1;
  if (many) {
    // "[a, b]" (as the loader stores it) or CLI11's "[a,b]" / "".
    std::vector<std::string> out;
    if (d.size() >= 2 && d.front() == '[') d = d.substr(1, d.size() - 2);
    for (size_t start = 0; start < d.size();) {
      size_t comma = d.find(',', start);
      if (comma == std::string::npos) comma = d.size();
      std::string item = d.substr(start, comma - start);
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      if (!item.empty()) out.push_back(item);
      start = comma + 1;
    }
    return out;
  }
  return {d};
}

bool has_settings(CLI::App& app) {
  for (const CLI::Option* o : app.get_options())
    if (is_setting(o)) return true;
  for (CLI::App* s : app.get_subcommands({}))
    if (has_settings(*s)) return true;
  return false;
}

void show_app(CLI::App& app, const std::string& table, std::string& out) {
  std::string body;
  for (const CLI::Option* o : app.get_options()) {
    if (!is_setting(o)) continue;
    const std::string& n = o->get_lnames().front();
    std::string desc = o->get_description();
    for (char& c : desc)
      if (c == '\n') c = ' ';
    body += fmt::format("# {} (--{}, {})\n{} = {}\n", desc, n, o->get_envname(), key_of(n),
                        toml_value(o, effective(o), n == "pg"));
  }
  if (!body.empty()) out += (table.empty() ? "" : "\n[" + table + "]\n") + body;
  for (CLI::App* s : app.get_subcommands({}))
    if (has_settings(*s) && s->get_name() != "config")
      show_app(*s, (table.empty() ? "" : table + ".") + key_of(s->get_name()), out);
}

void show_warehouse(const GlobalOptions& g, std::string& out) {
  const auto& w = g.warehouse;
  out += "\n# Warehouse model (no flags; LEDGERHOUSE_WAREHOUSE_<KEY> variables, holidays comma-separated)\n";
  out += "[warehouse]\n";
  out += fmt::format("alert_latency_ms = {}\n", w.alert_latency_ms);
  std::string days;
  for (const auto& h : w.holidays) days += (days.empty() ? "" : ", ") + quoted(h);
  out += fmt::format("holidays = [{}]\n", days);
  out += fmt::format("date_from_year = {}\ndate_to_year = {}\n", w.date_from_year, w.date_to_year);
  out += fmt::format("customer_shards = {}\nproduct_shards = {}\norder_shards = {}\ntraffic_shards = {}\n",
                     w.customer_shards, w.product_shards, w.order_shards, w.traffic_shards);
  for (int d = 0; d < projections::kDimCount; ++d) {
    auto dim = static_cast<projections::Dim>(d);
    out += fmt::format("\n# dim_{} attributes: {}; not listed = type2\n[warehouse.scd.{}]\n",
                       projections::to_string(dim), fmt::join(projections::spec(dim).attrs, ", "),
                       projections::to_string(dim));
    for (const auto& [attr, p] : w.policies[d].attrs)
      out += fmt::format("{} = \"{}\"\n", attr,
                         p == projections::AttrPolicy::type1   ? "type1"
                         : p == projections::AttrPolicy::type3 ? "type3"
                                                               : "type2");
  }
}

}  // namespace

void register_config(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("config", "Check or show the configuration (TOML file, see docs/operations.md)");
  cmd->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* check = cmd->add_subcommand(
      "check",
      "Validate a configuration file: syntax, unknown keys, types and values. Prints every problem\n"
      "as FILE:LINE: message; exit 0 when valid, 1 when not.");
  check->add_option("file", *file, "The TOML file")->required();
  check->callback([file, &app, &g] {
    auto errors = apply_config_file(app, g, *file);
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    if (!errors.empty()) {
      std::fprintf(stderr, "%s: %zu problem%s\n", file->c_str(), errors.size(), errors.size() == 1 ? "" : "s");
      g.exit_code = 1;
      return;
    }
    std::printf("%s: ok\n", file->c_str());
  });
  auto* show = cmd->add_subcommand(
      "show",
      "Print the effective configuration (defaults < -c FILE < LEDGERHOUSE_* < flags) as TOML,\n"
      "with each key's flag and variable; the PostgreSQL password is masked.");
  show->callback([&app, &g] {
    std::string out = "# ledgerhouse effective configuration\n";
    show_app(app, "", out);
    show_warehouse(g, out);
    std::fputs(out.c_str(), stdout);
  });
}

}  // namespace lh::tools
