// The configuration file (TOML, toml++): one file for everything the flags
// set. Precedence, lowest first: built-in defaults < file < LEDGERHOUSE_*
// environment variables < command-line flags.
//
// The table of known keys is the command line itself: key `name` at the top
// level is the global flag `--name`, key `name` in table `[cmd]` is the flag
// `--name` of subcommand `cmd` (`-` written `_`), and its environment
// variable is LEDGERHOUSE_<CMD>_<NAME> unless the flag names another one.
// Table [warehouse] (projections::WarehouseOptions: SCD policies, holidays,
// alert threshold, shards) has no flags. docs/operations.md lists the keys.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tools/command.h"

namespace lh::tools {

// Call after every register_<name>() and before app.parse(): adds
// -c/--config FILE (LEDGERHOUSE_CONFIG), gives every option its
// LEDGERHOUSE_* variable, and applies the file named by argv or the
// environment (none by default). A bad file is a CommandError (exit 2) that
// names file:line and the key of every problem.
void setup_config(CLI::App& app, GlobalOptions& g, int argc, char** argv);

// Loads `path` and applies its values to the options of `app` (as the new
// defaults: an environment variable or a flag given later still wins) and
// to g.warehouse. Returns every problem found, one message each
// ("FILE:LINE: unknown key 'run.batch_evnts' (did you mean batch_events?)");
// empty = the file is valid.
std::vector<std::string> apply_config_file(CLI::App& app, GlobalOptions& g, const std::string& path);

// True for an option that is a setting (a key of the file): not a
// positional, help, version, --config, nor --yes (a destructive command is
// confirmed by a person, never by a file or a variable left behind).
bool is_setting(const CLI::Option* o);
// The key of a flag or subcommand name: "batch-events" -> "batch_events".
std::string key_of(const std::string& flag_or_command);

// A connection string or URI with its password replaced by "***".
std::string mask_password(const std::string& dsn);

void register_config(CLI::App& app, GlobalOptions& g);  // config check|show|keys

}  // namespace lh::tools
