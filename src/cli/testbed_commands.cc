// testbed init, up, down: a local X-Road instance (the testbed module).
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/log.h"
#include "cli/command.h"
#include "testbed/instance.h"
#include "testbed/runner.h"

namespace roadside::cli {

void add_testbed_commands(CLI::App& app, Commands& out) {
  struct State {
    testbed::InitOptions init;
    std::string dir;
    bool no_servers = false;
  };
  auto s = std::make_shared<State>();
  auto* tb = app.add_subcommand("testbed", "A local X-Road instance: test CA, OCSP, TSA, configuration, servers");
  tb->require_subcommand(1);

  auto* init = tb->add_subcommand("init", "Create an instance in a folder (writes DIR/instance.json)");
  init->add_option("--dir", s->dir, "Folder for the instance")->required();
  init->add_option("--instance", s->init.instance, "Instance identifier")->capture_default_str();
  init->add_option("--servers", s->init.servers, "Number of security servers (1 to 20)")->capture_default_str();
  init->add_flag("--ecdsa", s->init.ecdsa, "ECDSA (P-256) keys instead of RSA 2048");
  out.push_back({init, [s] {
                   if (const char* pin = std::getenv("XROAD_TOKEN_PIN"); pin && *pin) s->init.pin = pin;
                   s->init.dir = s->dir;
                   auto made = testbed::init_instance(s->init);
                   if (!made.ok()) {
                     std::cerr << "roadside: " << made.error().detail() << "\n" << made.error().fault_code() << "\n";
                     return 1;
                   }
                   std::cout << "instance " << (*made)["instance"].get<std::string>() << " created in " << s->dir << " with "
                             << (*made)["servers"].size() << " servers\n  run it:  roadside testbed up --dir " << s->dir
                             << "\n  contract: " << (std::filesystem::path(s->dir) / "instance.json").string() << "\n";
                   return 0;
                 }});

  auto* up = tb->add_subcommand("up", "Run the instance in the foreground until SIGTERM");
  up->add_option("--dir", s->dir, "Folder of the instance")->required();
  up->add_flag("--no-servers", s->no_servers, "Run the CA, OCSP, TSA, publisher and services only; the servers run elsewhere (containers)");
  out.push_back({up, [s] {
                   (void)log::init(log::Level::info);
                   return testbed::run_instance(s->dir, !s->no_servers);
                 }});

  auto* down = tb->add_subcommand("down", "Stop an instance running in the background");
  down->add_option("--dir", s->dir, "Folder of the instance")->required();
  out.push_back({down, [s] { return testbed::stop_instance(s->dir); }});
}

}  // namespace roadside::cli
