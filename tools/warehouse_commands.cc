// `ledgerhouse init-db`, `grant-vendor` and `projection list|pause|resume|
// reset|skip`: the PostgreSQL side of the warehouse, through PgWriter.
#include <cstdio>

#include <fmt/format.h>

#include "events/json_encoder.h"
#include "projections/ddl.h"
#include "storage/pg_writer.h"
#include "tools/command.h"

namespace lh::tools {
namespace {

// Admin commands fail at once on a refused connection: a person is waiting.
std::unique_ptr<storage::PgWriter> connect(const GlobalOptions& g, const projections::Schema& s) {
  storage::PgOptions o;
  o.dsn = g.pg_dsn;
  o.retry_for_s = 0;
  auto w = storage::PgWriter::connect(o, s);
  if (!w.ok()) throw CommandError(w.error().message);
  return std::move(w.value());
}

void check(const Status& st) {
  if (!st.ok()) throw CommandError(st.error().message);
}

void run_init_db(GlobalOptions& g) {
  auto s = warehouse_schema(g);
  auto w = connect(g, s);
  check(w->init_db());
  if (!g.quiet)
    std::printf("warehouse schema %s ready (%s): %zu tables, %zu views, dim_date %d..%d, DDL version %d\n",
                g.schema.c_str(), storage::describe_dsn(g.pg_dsn).c_str(), s.tables().size(),
                projections::view_names().size(), s.options().date_from_year, s.options().date_to_year,
                projections::Schema::kDdlVersion);
}

void run_grant_vendor(GlobalOptions& g, const std::string& vendor, const std::string& role,
                      const std::string& password) {
  auto s = warehouse_schema(g);
  auto w = connect(g, s);
  check(w->grant_vendor(vendor, role, password));
  if (!g.quiet)
    std::printf("role %s reads vendor %s's rows of schema %s (read-only)%s\n", role.c_str(), vendor.c_str(),
                g.schema.c_str(), password.empty() ? "; no password set" : "");
}

storage::Checkpoint read_checkpoint(storage::PgWriter& w, const GlobalOptions& g) {
  auto cp = w.checkpoint();
  if (!cp.ok()) throw CommandError(cp.error().message);
  if (!cp->initialized)
    throw CommandError(fmt::format("warehouse schema {} does not exist in PostgreSQL ({}): run `ledgerhouse init-db`",
                                   g.schema, storage::describe_dsn(g.pg_dsn)));
  return cp.value();
}

void run_list(GlobalOptions& g, bool json) {
  auto s = warehouse_schema(g);
  auto w = connect(g, s);
  auto cp = read_checkpoint(*w, g);
  if (json) {
    std::string out = fmt::format("{{\"schema\":\"{}\",\"ddl_version\":{},\"last_seq\":{},\"projections\":[", g.schema,
                                  cp.ddl_version, cp.last_seq);
    for (size_t i = 0; i < cp.projections.size(); ++i) {
      const auto& p = cp.projections[i];
      out += fmt::format("{}{{\"name\":", i ? "," : "");
      events::append_json_string(p.name, out);
      out += fmt::format(",\"version\":{},\"last_seq\":{},\"paused\":{}}}", p.version, p.last_seq,
                         p.paused ? "true" : "false");
    }
    out += "],\"skips\":[";
    for (size_t i = 0; i < cp.skips.size(); ++i) out += fmt::format("{}{}", i ? "," : "", cp.skips[i]);
    std::printf("%s]}\n", out.c_str());
    return;
  }
  std::printf("%-20s %7s %12s  %s\n", "projection", "version", "last_seq", "state");
  for (const auto& p : cp.projections)
    std::printf("%-20s %7d %12llu  %s\n", p.name.c_str(), p.version, static_cast<unsigned long long>(p.last_seq),
                p.paused ? "paused" : "running");
  if (!cp.skips.empty()) {
    std::string list;
    for (auto seq : cp.skips) list += (list.empty() ? "" : ", ") + std::to_string(seq);
    std::printf("skipped seqs: %s\n", list.c_str());
  }
}

void run_pause(GlobalOptions& g, const std::string& name, bool paused) {
  auto s = warehouse_schema(g);
  auto w = connect(g, s);
  check(w->set_paused(name, paused));
  if (!g.quiet) std::printf("projection %s %s\n", name.c_str(), paused ? "paused" : "resumed");
}

void run_reset(GlobalOptions& g, bool yes) {
  if (!yes)
    throw CommandError(fmt::format("projection reset empties every projected table of schema {} and sets the "
                                   "checkpoints to 0 (the next run rebuilds from seq 1); run it again with --yes",
                                   g.schema),
                       2);
  auto s = warehouse_schema(g);
  auto w = connect(g, s);
  check(w->reset());
  if (!g.quiet) std::printf("warehouse schema %s reset: checkpoints at 0\n", g.schema.c_str());
}

void run_skip(GlobalOptions& g, uint64_t seq, const std::string& reason) {
  auto s = warehouse_schema(g);
  auto w = connect(g, s);
  check(w->record_skip(seq, reason));
  if (!g.quiet) std::printf("seq %llu will be passed over: %s\n", static_cast<unsigned long long>(seq), reason.c_str());
}

}  // namespace

void register_init_db(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("init-db",
                                 "Create the warehouse schema in PostgreSQL: tables, indexes, views, row-level "
                                 "security, dim_date, checkpoints (idempotent)");
  cmd->callback([&g] { run_init_db(g); });
}

void register_grant_vendor(CLI::App& app, GlobalOptions& g) {
  struct Args {
    std::string vendor, role, password;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("grant-vendor",
                                 "Create or update a read-only login role that sees only one vendor's rows");
  cmd->add_option("VENDOR_ID", a->vendor, "The vendor the role may read")->required();
  cmd->add_option("--role", a->role, "Login role name")->required();
  cmd->add_option("--password", a->password, "Password of the role (default: unchanged, or none)");
  cmd->callback([a, &g] { run_grant_vendor(g, a->vendor, a->role, a->password); });
}

void register_projection(CLI::App& app, GlobalOptions& g) {
  auto* proj = app.add_subcommand("projection", "List and control the warehouse projections");
  proj->require_subcommand(1);

  auto json = std::make_shared<bool>(false);
  auto* list = proj->add_subcommand("list", "Projections with their version, checkpoint and state");
  list->add_flag("--json", *json, "Machine-readable output");
  list->callback([json, &g] { run_list(g, *json); });

  auto name = std::make_shared<std::string>();
  auto* pause = proj->add_subcommand("pause", "Stop applying a projection (the others go on)");
  pause->add_option("NAME", *name, "Projection name")->required();
  pause->callback([name, &g] { run_pause(g, *name, true); });
  auto* resume = proj->add_subcommand("resume", "Apply a paused projection again");
  resume->add_option("NAME", *name, "Projection name")->required();
  resume->callback([name, &g] { run_pause(g, *name, false); });

  auto yes = std::make_shared<bool>(false);
  auto* reset = proj->add_subcommand("reset", "Empty every projected table and set the checkpoints to 0");
  reset->add_flag("--yes", *yes, "Really do it");
  reset->callback([yes, &g] { run_reset(g, *yes); });

  auto seq = std::make_shared<uint64_t>(0);
  auto reason = std::make_shared<std::string>();
  auto* skip = proj->add_subcommand("skip", "Record that an event (by seq) must be passed over");
  skip->add_option("SEQ", *seq, "Sequence number of the event")->required();
  skip->add_option("--reason", *reason, "Why (kept with the skip)")->required();
  skip->callback([seq, reason, &g] { run_skip(g, *seq, *reason); });
}

}  // namespace lh::tools
