// The configuration file: TOML keys mapped onto the command line's options
// (see config.h for the mapping and the precedence).
#include "tools/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "projections/dimension.h"
#include "projections/scd2.h"

namespace lh::tools {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

CLI::Option* find_option(CLI::App& app, const std::string& key) {
  for (CLI::Option* o : app.get_options())
    if (is_setting(o) && key_of(o->get_lnames().front()) == key) return o;
  return nullptr;
}

CLI::App* find_subcommand(CLI::App& app, const std::string& key) {
  for (CLI::App* s : app.get_subcommands({}))
    if (key_of(s->get_name()) == key) return s;
  return nullptr;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& k : known) {
    size_t d = edit_distance(key, k);
    if (d < best_d) best_d = d, best = k;
  }
  return best.empty() ? "" : " (did you mean " + best + "?)";
}

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

// Collects the problems of one file, each prefixed by FILE:LINE.
struct Loader {
  CLI::App& root;
  GlobalOptions& g;
  std::string path;
  std::vector<std::string> errors;

  std::vector<std::pair<uint32_t, std::string>> found;  // (line, message)

  void error(const toml::source_region& at, const std::string& what) {
    found.emplace_back(at.begin.line, fmt::format("{}:{}: {}", path, at.begin.line, what));
  }

  // A scalar as the text CLI11 converts; "" with an error when `want` (the
  // option's type) does not accept it.
  // `type` is CLI11's type name, e.g. "UINT:INT in [1 - 1000000]".
  bool scalar_text(const toml::node& n, const std::string& type, const std::string& key, std::string& out) {
    std::string want = type.substr(0, type.find_first_of(" :"));
    bool numeric = want == "INT" || want == "UINT" || want == "FLOAT" || want == "NUMBER";
    if (auto s = n.value_exact<std::string>(); s && !numeric) {
      out = *s;
      return true;
    }
    if (auto i = n.value_exact<int64_t>(); i && want != "TEXT") {
      out = std::to_string(*i);
      return true;
    }
    if (auto d = n.value_exact<double>(); d && (want == "FLOAT" || want == "NUMBER")) {
      out = fmt::format("{}", *d);
      return true;
    }
    error(n.source(), fmt::format("{}: expected {}, got {}", key,
                                  numeric ? (want == "FLOAT" ? "a number" : "an integer") : "a string",
                                  type_name(n)));
    return false;
  }

  void apply_option(CLI::Option* o, const toml::node& n, const std::string& key) {
    bool flag = o->get_expected_max() == 0;
    bool many = o->get_items_expected_max() > 1;
    std::string want = o->get_type_name();
    std::vector<std::string> values;
    if (flag) {
      auto b = n.value_exact<bool>();
      if (!b) return error(n.source(), fmt::format("{}: expected true or false, got {}", key, type_name(n)));
      values.push_back(*b ? "true" : "false");
    } else if (many) {
      const toml::array* arr = n.as_array();
      if (!arr) return error(n.source(), fmt::format("{}: expected an array, got {}", key, type_name(n)));
      for (const toml::node& e : *arr) {
        std::string v;
        if (!scalar_text(e, want, key + "[]", v)) return;
        values.push_back(std::move(v));
      }
    } else {
      std::string v;
      if (!scalar_text(n, want, key, v)) return;
      values.push_back(std::move(v));
    }
    if (values.empty()) return;  // `key = []`: none, which is every list option's default
    // The option's own conversion and checks (ranges, allowed values) run
    // now; clear() then forgets the result so that an environment variable
    // or a flag given on the command line still overrides it.
    try {
      o->clear();
      for (const auto& v : values) o->add_result(v);
      o->run_callback();
      o->clear();
      o->default_str(many ? fmt::format("[{}]", fmt::join(values, ", ")) : values.front());
    } catch (const CLI::Error& e) {
      o->clear();
      error(n.source(), fmt::format("{}: {}", key, e.what()));
    }
  }

  void apply_table(CLI::App& app, const toml::table& t, const std::string& prefix) {
    for (auto&& [k, v] : t) {
      std::string key(k.str());
      std::string full = prefix + key;
      if (&app == &root && key == "warehouse") {
        if (const toml::table* w = v.as_table()) apply_warehouse(*w);
        else error(v.source(), fmt::format("warehouse: expected a table, got {}", type_name(v)));
        continue;
      }
      if (CLI::Option* o = find_option(app, key)) {
        apply_option(o, v, full);
        continue;
      }
      if (CLI::App* sub = find_subcommand(app, key)) {
        if (const toml::table* st = v.as_table()) apply_table(*sub, *st, full + ".");
        else error(v.source(), fmt::format("{}: is a table of settings of `{}`, got {}", full, sub->get_name(),
                                           type_name(v)));
        continue;
      }
      std::vector<std::string> known;
      for (CLI::Option* o : app.get_options())
        if (is_setting(o)) known.push_back(key_of(o->get_lnames().front()));
      for (CLI::App* s : app.get_subcommands({})) known.push_back(key_of(s->get_name()));
      if (&app == &root) known.push_back("warehouse");
      error(k.source(), fmt::format("unknown key '{}'{}", full, did_you_mean(key, known)));
    }
  }

  bool int_in(const toml::node& n, const std::string& key, int64_t lo, int64_t hi, int64_t& out) {
    auto i = n.value_exact<int64_t>();
    if (!i) {
      error(n.source(), fmt::format("{}: expected an integer, got {}", key, type_name(n)));
      return false;
    }
    if (*i < lo || *i > hi) {
      error(n.source(), fmt::format("{}: {} is out of range {}..{}", key, *i, lo, hi));
      return false;
    }
    out = *i;
    return true;
  }

  void apply_scd(const toml::table& t) {
    for (auto&& [k, v] : t) {
      std::string dim_name(k.str());
      int d = 0;
      while (d < projections::kDimCount && projections::to_string(static_cast<projections::Dim>(d)) != dim_name) ++d;
      if (d == projections::kDimCount) {
        error(k.source(), fmt::format("unknown key 'warehouse.scd.{}': a dimension is vendor, customer or product{}",
                                      dim_name, did_you_mean(dim_name, {"vendor", "customer", "product"})));
        continue;
      }
      const toml::table* attrs = v.as_table();
      if (!attrs) {
        error(v.source(), fmt::format("warehouse.scd.{}: expected a table attribute = \"type1|type2|type3\"", dim_name));
        continue;
      }
      auto dim = static_cast<projections::Dim>(d);
      auto& policy = g.warehouse.policies[d];
      for (auto&& [ak, av] : *attrs) {
        std::string attr(ak.str()), key = "warehouse.scd." + dim_name + "." + attr;
        if (!projections::attr_index(dim, attr)) {
          error(ak.source(), fmt::format("{}: dim_{} has no attribute '{}'{} (attributes: {})", key, dim_name, attr,
                                         did_you_mean(attr, projections::spec(dim).attrs),
                                         fmt::join(projections::spec(dim).attrs, ", ")));
          continue;
        }
        auto s = av.value_exact<std::string>();
        if (s && *s == "type1") policy.attrs[attr] = projections::AttrPolicy::type1;
        else if (s && *s == "type2") policy.attrs[attr] = projections::AttrPolicy::type2;
        else if (s && *s == "type3") policy.attrs[attr] = projections::AttrPolicy::type3;
        else error(av.source(), fmt::format("{}: expected \"type1\", \"type2\" or \"type3\"", key));
      }
    }
  }

  void apply_warehouse(const toml::table& t) {
    auto& w = g.warehouse;
    std::vector<std::string> known = {"alert_latency_ms", "holidays",      "date_from_year", "date_to_year",
                                      "customer_shards",  "product_shards", "order_shards",   "traffic_shards",
                                      "scd"};
    for (auto&& [k, v] : t) {
      std::string key(k.str()), full = "warehouse." + key;
      int64_t i = 0;
      if (key == "alert_latency_ms") {
        if (int_in(v, full, 0, int64_t{1} << 40, i)) w.alert_latency_ms = i;
      } else if (key == "date_from_year" || key == "date_to_year") {
        if (int_in(v, full, 1900, 2200, i)) (key == "date_from_year" ? w.date_from_year : w.date_to_year) = int(i);
      } else if (key.size() > 7 && key.compare(key.size() - 7, 7, "_shards") == 0 &&
                 std::find(known.begin(), known.end(), key) != known.end()) {
        int* target = key == "customer_shards" ? &w.customer_shards
                      : key == "product_shards" ? &w.product_shards
                      : key == "order_shards"   ? &w.order_shards
                                                : &w.traffic_shards;
        if (int_in(v, full, 1, 1024, i)) *target = int(i);
      } else if (key == "holidays") {
        apply_holidays(v, full);
      } else if (key == "scd") {
        if (const toml::table* s = v.as_table()) apply_scd(*s);
        else error(v.source(), full + ": expected a table [warehouse.scd.<dimension>]");
      } else {
        error(k.source(), fmt::format("unknown key '{}'{}", full, did_you_mean(key, known)));
      }
    }
    // What only the whole set can tell (years in order): Schema::make.
    projections::WarehouseOptions check = w;
    check.schema = "dwh";
    if (auto s = projections::Schema::make(check); !s.ok()) error(t.source(), "[warehouse]: " + s.error().message);
  }

  void apply_holidays(const toml::node& v, const std::string& key) {
    const toml::array* arr = v.as_array();
    if (!arr) return error(v.source(), fmt::format("{}: expected an array of \"YYYY-MM-DD\"", key));
    std::vector<std::string> days;
    for (const toml::node& e : *arr) {
      std::string day;
      if (auto d = e.value_exact<toml::date>()) {
        day = fmt::format("{:04d}-{:02d}-{:02d}", d->year, d->month, d->day);
      } else if (auto s = e.value_exact<std::string>()) {
        day = *s;
      } else {
        error(e.source(), fmt::format("{}: expected a date, got {}", key, type_name(e)));
        continue;
      }
      projections::WarehouseOptions probe;
      probe.holidays = {day};
      if (auto s = projections::Schema::make(probe); !s.ok()) {
        error(e.source(), fmt::format("{}: {}", key, s.error().message));
        continue;
      }
      days.push_back(day);
    }
    g.warehouse.holidays = days;
  }
};

// LEDGERHOUSE_<CMD>_<NAME> for every option that has none yet.
void name_environment(CLI::App& app, const std::string& prefix) {
  for (CLI::Option* o : app.get_options())
    if (is_setting(o) && o->get_envname().empty()) o->envname(prefix + upper(o->get_lnames().front()));
  for (CLI::App* s : app.get_subcommands({})) name_environment(*s, prefix + upper(s->get_name()) + "_");
}

// The warehouse settings have no flags: their variables are read here.
void warehouse_environment(GlobalOptions& g, std::vector<std::string>& errors) {
  auto number = [&](const char* name, int64_t lo, int64_t hi, auto& target) {
    const char* v = std::getenv(name);
    if (!v || !*v) return;
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (*end || n < lo || n > hi)
      errors.push_back(fmt::format("{}='{}': expected an integer in {}..{}", name, v, lo, hi));
    else
      target = static_cast<std::remove_reference_t<decltype(target)>>(n);
  };
  auto& w = g.warehouse;
  number("LEDGERHOUSE_WAREHOUSE_ALERT_LATENCY_MS", 0, int64_t{1} << 40, w.alert_latency_ms);
  number("LEDGERHOUSE_WAREHOUSE_DATE_FROM_YEAR", 1900, 2200, w.date_from_year);
  number("LEDGERHOUSE_WAREHOUSE_DATE_TO_YEAR", 1900, 2200, w.date_to_year);
  number("LEDGERHOUSE_WAREHOUSE_CUSTOMER_SHARDS", 1, 1024, w.customer_shards);
  number("LEDGERHOUSE_WAREHOUSE_PRODUCT_SHARDS", 1, 1024, w.product_shards);
  number("LEDGERHOUSE_WAREHOUSE_ORDER_SHARDS", 1, 1024, w.order_shards);
  number("LEDGERHOUSE_WAREHOUSE_TRAFFIC_SHARDS", 1, 1024, w.traffic_shards);
  if (const char* h = std::getenv("LEDGERHOUSE_WAREHOUSE_HOLIDAYS")) {
    w.holidays.clear();
    std::string all = h;
    for (size_t start = 0; start < all.size();) {
      size_t comma = all.find(',', start);
      if (comma == std::string::npos) comma = all.size();
      std::string day = all.substr(start, comma - start);
      if (!day.empty()) w.holidays.push_back(day);
      start = comma + 1;
    }
  }
  projections::WarehouseOptions check = w;
  check.schema = "dwh";
  if (auto s = projections::Schema::make(check); !s.ok())
    errors.push_back("LEDGERHOUSE_WAREHOUSE_*: " + s.error().message);
}

std::string join_lines(const std::vector<std::string>& errors) {
  return fmt::format("{}", fmt::join(errors, "\n"));
}

}  // namespace

std::string key_of(const std::string& flag_or_command) {
  std::string k = flag_or_command;
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

bool is_setting(const CLI::Option* o) {
  if (o->get_lnames().empty()) return false;
  const std::string& n = o->get_lnames().front();
  return n != "help" && n != "help-all" && n != "version" && n != "config" && n != "yes";
}

std::vector<std::string> apply_config_file(CLI::App& app, GlobalOptions& g, const std::string& path) {
  Loader l{app, g, path, {}, {}};
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0)  // not even opened
      return {fmt::format("{}: {}", path, e.description())};
    return {fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description())};
  }
  l.apply_table(app, t, "");
  // Keys come back sorted by name: report in the file's order.
  std::stable_sort(l.found.begin(), l.found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> errors;
  for (auto& f : l.found) errors.push_back(std::move(f.second));
  return errors;
}

std::string mask_password(const std::string& dsn) {
  std::string out = dsn;
  // URI: scheme://user:password@host
  if (size_t scheme = out.find("://"); scheme != std::string::npos) {
    size_t at = out.find('@', scheme + 3);
    size_t colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // key=value form and URI parameters: password=...
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    size_t start = p + 9, end = start;
    if (end < out.size() && out[end] == '\'') {
      ++end;
      while (end < out.size() && out[end] != '\'') end += out[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
    }
    out.replace(start, end - start, "***");
  }
  return out;
}

void setup_config(CLI::App& app, GlobalOptions& g, int argc, char** argv) {
  app.add_option("-c,--config", g.config_file,
                 "TOML configuration file (see docs/operations.md); environment variables and flags override it")
      ->envname("LEDGERHOUSE_CONFIG");
  name_environment(app, "LEDGERHOUSE_");
  // The file must be applied before parsing (its values are the defaults
  // that the environment and the flags override), so it is found here.
  std::string path;
  if (const char* e = std::getenv("LEDGERHOUSE_CONFIG")) path = e;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;
    if ((a == "-c" || a == "--config") && i + 1 < argc) path = argv[++i];
    else if (a.rfind("--config=", 0) == 0) path = a.substr(9);
    else if (a.rfind("-c", 0) == 0 && a.size() > 2 && a[2] != '-') path = a.substr(2);
  }
  std::vector<std::string> errors;
  if (!path.empty()) errors = apply_config_file(app, g, path);
  warehouse_environment(g, errors);
  if (!errors.empty()) throw CommandError("bad configuration:\n" + join_lines(errors), 2);
}

}  // namespace lh::tools
