#include "cli/command.h"

#include <iostream>

namespace roadside::cli {

void ConfigFlags::add_to(CLI::App& cmd) {
  cmd.add_option("-c,--config", file, "YAML configuration file (env ROADSIDE_CONFIG)");
  cmd.add_option("--data-dir", data_dir, "Data directory (env ROADSIDE_DATA_DIR)");
  cmd.add_option("--health-port", health_port, "Health listener port; 0 picks a free one (env ROADSIDE_HEALTH_PORT)");
  cmd.add_option("--log-level", log_level, "TRACE, DEBUG, INFO, WARN, ERROR or OFF (env XROAD_LOG_LEVEL)");
  cmd.add_option("--set", sets, "Set any option: --set database.port=5433 (repeatable)");
}

void ConfigFlags::add_server_conf_to(CLI::App& cmd) {
  cmd.add_option("--server-conf", server_conf, "Server configuration YAML applied to the database at start (env ROADSIDE_SERVER_CONF)");
}

Result<config::Config> ConfigFlags::load() const {
  config::Inputs in;
  in.env = config::process_env();
  std::string path = file;
  if (path.empty()) {
    if (auto it = in.env.find("ROADSIDE_CONFIG"); it != in.env.end()) path = it->second;
  }
  if (!path.empty()) in.file = path;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error(make_error_code(config::errc::invalid_value), "--set " + s + ": expected name=value");
    }
    in.flags.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  if (!data_dir.empty()) in.flags.emplace_back("data_dir", data_dir);
  if (health_port) in.flags.emplace_back("health.port", std::to_string(*health_port));
  if (!log_level.empty()) in.flags.emplace_back("log.level", log_level);
  if (!server_conf.empty()) in.flags.emplace_back("server_conf.file", server_conf);
  return config::Config::load(in);
}

int config_error(const Error& e) {
  std::cerr << "roadside: configuration error: " << e.detail() << "\n";
  return 2;
}

}  // namespace roadside::cli
