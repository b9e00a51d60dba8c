// serve, apply, token login and logout, maintenance, healthcheck, import-xroad.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/command.h"
#include "cli/healthcheck.h"
#include "net/url.h"
#include "server/application.h"
#include "server/control.h"
#include "server/import_xroad.h"

namespace roadside::cli {

std::string read_secret_line(const char* prompt) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

namespace {

// One command to the running server through <data_dir>/control.sock; its answer printed.
int control(const config::Config& cfg, const std::string& command, const std::string& argument) {
  const auto socket = std::filesystem::path(cfg.str("data_dir")) / "control.sock";
  auto answer = server::control_request(socket, command, argument, std::chrono::seconds(30));
  if (!answer.ok()) {
    std::cerr << "roadside: " << answer.error().detail() << " (is `roadside serve` running with data_dir "
              << cfg.str("data_dir") << "?)\n";
    return 1;
  }
  const bool ok = answer->rfind("ok:", 0) == 0;
  (ok ? std::cout : std::cerr) << *answer << "\n";
  return ok ? 0 : 1;
}

void add_serve(CLI::App& app, Commands& out) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* cmd = app.add_subcommand("serve", "Run the Security Server until SIGTERM");
  flags->add_to(*cmd);
  flags->add_server_conf_to(*cmd);
  out.push_back({cmd, [flags] {
                   auto cfg = flags->load();
                   if (!cfg.ok()) return config_error(cfg.error());
                   auto level = log::parse_level(cfg->str("log.level"));
                   if (auto st = log::init(level.value_or(log::Level::info), cfg->str("log.audit")); !st.ok())
                     return config_error(st.error());
                   server::Application application(std::move(cfg).value());
                   return application.run();
                 }});
}

// A subcommand that loads the configuration and takes one positional argument.
CLI::Option* add_with_argument(CLI::App& app, Commands& out, const std::string& name, const std::string& help,
                               const std::string& argument, const std::string& argument_help,
                               std::function<int(const config::Config&, const std::string&)> run) {
  struct State {
    ConfigFlags flags;
    std::string argument;
  };
  auto s = std::make_shared<State>();
  auto* cmd = app.add_subcommand(name, help);
  s->flags.add_to(*cmd);
  auto* option = cmd->add_option(argument, s->argument, argument_help)->required();
  out.push_back({cmd, [s, run = std::move(run)] {
                   auto cfg = s->flags.load();
                   if (!cfg.ok()) return config_error(cfg.error());
                   return run(*cfg, s->argument);
                 }});
  return option;
}

void add_apply(CLI::App& app, Commands& out) {
  add_with_argument(
      app, out, "apply",
      "Apply a server configuration YAML to the database (idempotent); running servers take it within seconds", "file",
      "The server configuration (docs/server-configuration.md)",
      [](const config::Config& cfg, const std::string& file) {
        (void)log::init(log::Level::warn);
        return server::apply_server_conf(cfg, file);
      });
}

void add_token(CLI::App& app, Commands& out) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* token = app.add_subcommand("token", "The tokens of a running server: its software token, or a hardware one");
  token->require_subcommand(1);
  auto* login = token->add_subcommand(
      "login",
      "Log the running server in to a token: the software token with the PIN from XROAD_TOKEN_PIN, or hardware "
      "token ID (--token) with XROAD_TOKEN_<ID>_PIN; else the first line of standard input");
  flags->add_to(*login);
  auto login_token = std::make_shared<std::string>();
  login->add_option("--token", *login_token, "A hardware token's id (roadside-api GET /tokens lists them)");
  out.push_back({login, [flags, login_token] {
                   auto cfg = flags->load();
                   if (!cfg.ok()) return config_error(cfg.error());
                   std::string pin;
                   if (login_token->empty()) {
                     pin = cfg->str("token.pin");
                   } else if (const char* set = std::getenv(("XROAD_TOKEN_" + *login_token + "_PIN").c_str())) {
                     pin = set;
                   }
                   if (pin.empty()) pin = read_secret_line("PIN: ");
                   const int rc = login_token->empty()
                                      ? control(*cfg, "token-login", pin)
                                      : control(*cfg, "hardware-token-login", *login_token + "\n" + pin);
                   std::fill(pin.begin(), pin.end(), '\0');
                   return rc;
                 }});
  auto logout_flags = std::make_shared<ConfigFlags>();
  auto* logout = token->add_subcommand("logout",
                                       "Log the running server out of a token (X-Road's Log out): its keys stop "
                                       "signing and the server is not ready until a login");
  logout_flags->add_to(*logout);
  auto logout_token = std::make_shared<std::string>();
  logout->add_option("--token", *logout_token, "A hardware token's id; without it, the software token");
  out.push_back({logout, [logout_flags, logout_token] {
                   auto cfg = logout_flags->load();
                   if (!cfg.ok()) return config_error(cfg.error());
                   return logout_token->empty() ? control(*cfg, "token-logout", "")
                                                : control(*cfg, "hardware-token-logout", *logout_token);
                 }});
}

void add_import_xroad(CLI::App& app, Commands& out) {
  struct State {
    ConfigFlags flags;
    server::ImportXRoadOptions options;
  };
  auto s = std::make_shared<State>();
  auto* cmd = app.add_subcommand(
      "import-xroad",
      "Take over a Java Security Server: its keys, configuration, anchor and internal TLS key from its backup "
      "(.gpg or .tar) or a copy of its /etc/xroad, into this server's empty database (docs/import-xroad.md)");
  s->flags.add_to(*cmd);
  cmd->add_option("source", s->options.source, "The backup archive, or the /etc/xroad folder")->required();
  cmd->add_option("--db-dump", s->options.db_dump,
                  "With a folder: the serverconf database's dump (pg_dump -F c, as X-Road's backup_db.sh makes it)");
  cmd->add_option("--gpg-home", s->options.gpg_home,
                  "The keyring that checks the .gpg backup's signature and opens an encrypted one (X-Road's "
                  "/etc/xroad/gpghome); without it the signature is not checked");
  cmd->add_option("--gpg", s->options.gpg, "The gpg program")->capture_default_str();
  out.push_back({cmd, [s] {
                   auto cfg = s->flags.load();
                   if (!cfg.ok()) return config_error(cfg.error());
                   (void)log::init(log::Level::warn, cfg->str("log.audit"));
                   return server::import_xroad(*cfg, s->options);
                 }});
}

void add_maintenance(CLI::App& app, Commands& out) {
  add_with_argument(
      app, out, "maintenance",
      "Maintenance mode of the running server: on makes /readyz and X-Road's health check answer 503 "
      "so load balancers drain it",
      "state", "on or off",
      [](const config::Config& cfg, const std::string& state) { return control(cfg, "maintenance", state); })
      ->check(CLI::IsMember({"on", "off"}));
}

void add_healthcheck(CLI::App& app, Commands& out) {
  struct State {
    ConfigFlags flags;
    std::string path = "/livez", url;
    int timeout_ms = 3000;
  };
  auto s = std::make_shared<State>();
  auto* cmd = app.add_subcommand("healthcheck",
                                 "Ask this server's health listener (health.address or loopback, health.port) for "
                                 "/livez; exit 0 on 200 (the image's HEALTHCHECK)");
  s->flags.add_to(*cmd);
  cmd->add_option("--path", s->path, "/livez or /readyz")
      ->check(CLI::IsMember({"/livez", "/readyz"}))
      ->capture_default_str();
  cmd->add_option("--url", s->url, "Probe this URL instead (http://host:port/path)");
  cmd->add_option("--timeout-ms", s->timeout_ms, "Time limit")->check(CLI::Range(100, 60000))->capture_default_str();
  out.push_back(
      {cmd, [s] {
         std::string url = s->url;
         if (url.empty()) {
           auto cfg = s->flags.load();
           if (!cfg.ok()) return config_error(cfg.error());
           const auto port = cfg->integer("health.port");
           if (port == 0) {
             std::cerr << "roadside: healthcheck: health.port is 0 (a free port picked at start); give --url\n";
             return 2;
           }
           url = net::local_base_url("http", cfg->str("health.address"), static_cast<unsigned short>(port)) + s->path;
         }
         return healthcheck(url, std::chrono::milliseconds(s->timeout_ms));
       }});
}

}  // namespace

void add_server_commands(CLI::App& app, Commands& out) {
  add_serve(app, out);
  add_apply(app, out);
  add_healthcheck(app, out);
  add_token(app, out);
  add_maintenance(app, out);
  add_import_xroad(app, out);
}

}  // namespace roadside::cli
