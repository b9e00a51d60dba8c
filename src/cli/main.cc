// roadside: the command line. main only builds the subcommands (each group in its own file,
// cli/command.h), parses, and runs the one chosen.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"Roadside: an X-Road Security Server in one small process", "roadside"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("roadside ") + ROADSIDE_VERSION);

  roadside::cli::Commands commands;
  roadside::cli::add_server_commands(app, commands);
  roadside::cli::add_config_commands(app, commands);
  roadside::cli::add_verify_commands(app, commands);
  roadside::cli::add_testbed_commands(app, commands);
  roadside::cli::add_admin_commands(app, commands);
  auto* version = app.add_subcommand("version", "Print the version");
  commands.push_back({version, [] {
                        std::cout << "roadside " << ROADSIDE_VERSION << "\n";
                        return 0;
                      }});

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& c : commands) {
    if (*c.app) return c.run();
  }
  return 0;
}
