// The subcommands of `roadside`. Each group adds its subcommands and their flags to the
// command line; after parsing, main runs the one that was chosen. A command's flags live in
// state its run function shares, so they outlive the parse.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "config/config.h"

namespace roadside::cli {

struct Command {
  CLI::App* app;             // chosen when *app is true after parsing
  std::function<int()> run;  // the exit status
};
using Commands = std::vector<Command>;

// serve, apply, token login, maintenance, healthcheck, import-xroad: the server and what runs beside it.
void add_server_commands(CLI::App& app, Commands& out);
// config show, config docs.
void add_config_commands(CLI::App& app, Commands& out);
// verify-globalconf, verify-asic, verify-archive (verify.h).
void add_verify_commands(CLI::App& app, Commands& out);
// testbed init, up, down.
void add_testbed_commands(CLI::App& app, Commands& out);
// init, keys, cas, csr, certs, register, clients, service-descriptions, access, local-groups,
// api-keys, api: the admin API's operations
// (server/local_admin.h).
void add_admin_commands(CLI::App& app, Commands& out);

// A line from standard input, not echoed when it is a terminal.
std::string read_secret_line(const char* prompt);

// The flags of every subcommand that loads the configuration.
struct ConfigFlags {
  std::string file;
  std::string data_dir;
  std::optional<int> health_port;
  std::string log_level;
  std::string server_conf;
  std::vector<std::string> sets;

  void add_to(CLI::App& cmd);
  void add_server_conf_to(CLI::App& cmd);
  // Defaults, the YAML file (--config or ROADSIDE_CONFIG), the environment, then the flags.
  Result<config::Config> load() const;
};

// Prints a configuration error; exit status 2.
int config_error(const Error& e);

}  // namespace roadside::cli
