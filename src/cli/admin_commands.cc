// The admin CLI: X-Road's admin operations as commands (init, keys, cas, csr, certs, register,
// api-keys, api, backup). Each command is one or two requests of the admin API (admin/local_calls.h)
// answered by the running server through its control socket, or in this process on the
// database when none runs (server/local_admin.h): one implementation per operation, the API's.
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "cli/command.h"
#include "server/backup_commands.h"
#include "server/local_admin.h"

namespace roadside::cli {
namespace {

using admin::LocalRequest;
using admin::Verb;

// What every admin command shares: the configuration flags, and where a binary answer goes.
struct Common {
  ConfigFlags flags;
  std::string output;  // -o: a file for the answer's bytes; empty: standard output
};

// A path segment as the API's paths take it: everything but unreserved characters escaped.
std::string segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || c == ':') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

LocalRequest json_request(Verb method, std::string path, const nlohmann::json& body = nullptr) {
  LocalRequest r;
  r.method = method;
  r.path = std::move(path);
  if (!body.is_null()) r.body = body.dump();
  return r;
}

// The answer of one request, or an exit status: 1 when the API refused (its error printed),
// 2 when the configuration is wrong, 3 when neither a server nor the database answered.
struct Outcome {
  std::optional<admin::Response> response;
  int status = 0;
};

Outcome call(const Common& common, const LocalRequest& request) {
  auto cfg = common.flags.load();
  if (!cfg.ok()) return {std::nullopt, config_error(cfg.error())};
  // Answered in this process, a change's audit record goes where the server's would; standard
  // output is the answer's.
  const std::string audit = cfg->str("log.audit");
  if (auto st = log::init(log::Level::error, audit == "stdout" ? "/dev/stderr" : audit); !st.ok()) {
    // A change answered here would go unaudited.
    std::cerr << "roadside: the audit log (log.audit) cannot be opened: " << st.error().detail() << "\n";
    return {std::nullopt, 2};
  }
  auto answer = server::call_admin_api(*cfg, request);
  if (!answer.ok()) {
    std::cerr << "roadside: " << answer.error().detail() << "\n";
    return {std::nullopt, 3};
  }
  if (answer->response.status >= 300) {
    std::cerr << "roadside: " << boost::beast::http::to_string(request.method) << " " << request.path << ": "
              << answer->response.status << " " << answer->response.body << "\n";
    return {std::nullopt, 1};
  }
  return {std::move(answer->response), 0};
}

nlohmann::json body_json(const admin::Response& response) {
  auto json = nlohmann::json::parse(response.body, nullptr, false);
  return json.is_discarded() ? nlohmann::json() : json;
}

// Prints a JSON answer indented, or writes other bytes to -o (or standard output).
int print(const Common& common, const admin::Response& response) {
  std::string bytes = response.body;
  if (response.content_type.rfind("application/json", 0) == 0 && !bytes.empty()) {
    bytes = body_json(response).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (common.output.empty()) {
    std::cout << bytes;
    return 0;
  }
  std::ofstream out(common.output, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out.flush()) {
    std::cerr << "roadside: cannot write " << common.output << "\n";
    return 1;
  }
  return 0;
}

int run_and_print(const Common& common, const LocalRequest& request) {
  auto outcome = call(common, request);
  if (!outcome.response) return outcome.status;
  return print(common, *outcome.response);
}

// A subcommand of `parent` with the configuration flags and -o.
CLI::App* command(CLI::App& parent, const std::string& name, const std::string& help,
                  const std::shared_ptr<Common>& common) {
  auto* cmd = parent.add_subcommand(name, help);
  common->flags.add_to(*cmd);
  cmd->add_option("-o,--output", common->output, "Write the answer to this file");
  return cmd;
}

// Reads a whole file, or "-" for standard input; nullopt (and a message) when it cannot.
std::optional<std::string> read_input(const std::string& path) {
  std::string bytes;
  if (path == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), {});
    return bytes;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "roadside: cannot read " << path << "\n";
    return std::nullopt;
  }
  bytes.assign(std::istreambuf_iterator<char>(in), {});
  return bytes;
}

// Commands on one resource: METHOD PREFIX/{id}SUFFIX with no body ("certs activate HASH").
struct OnOne {
  const char* name;
  const char* help;
  Verb method;
  const char* suffix;
};
void add_on_one(CLI::App& parent, Commands& out, const std::string& prefix, const char* what,
                std::initializer_list<OnOne> commands) {
  struct State : Common {
    std::string id;
  };
  for (const OnOne& one : commands) {
    auto s = std::make_shared<State>();
    auto* cmd = command(parent, one.name, one.help, s);
    cmd->add_option("id", s->id, what)->required();
    out.push_back({cmd, [s, one, prefix] {
                     return run_and_print(*s, json_request(one.method, prefix + segment(s->id) + one.suffix));
                   }});
  }
}

// Runs `cmd` as the request `make` builds from its flags.
template <typename State>
void on_run(CLI::App* cmd, Commands& out, std::shared_ptr<State> s, std::function<LocalRequest(const State&)> make) {
  out.push_back({cmd, [s, make = std::move(make)] { return run_and_print(*s, make(*s)); }});
}

// `init`: X-Road's initialization (owner, server code, the token's PIN).
void add_init(CLI::App& app, Commands& out) {
  struct State : Common {
    std::string owner, server_code;
    bool ignore_warnings = false;
  };
  auto s = std::make_shared<State>();
  auto* cmd = command(app, "init",
                      "Initialize a new server: its owner (CLASS:CODE), its server code and the software token's PIN "
                      "(XROAD_TOKEN_PIN or the first line of standard input)",
                      s);
  cmd->add_option("--owner", s->owner, "The owner member's class and code: COM:1234")->required();
  cmd->add_option("--server-code", s->server_code, "The security server's code")->required();
  cmd->add_flag("--ignore-warnings", s->ignore_warnings, "Go on although the owner is not registered (yet)");
  out.push_back({cmd, [s] {
                   const auto colon = s->owner.find(':');
                   if (colon == std::string::npos) {
                     std::cerr << "roadside: --owner is CLASS:CODE, e.g. COM:1234\n";
                     return 2;
                   }
                   auto cfg = s->flags.load();
                   if (!cfg.ok()) return config_error(cfg.error());
                   std::string pin = cfg->str("token.pin");
                   if (pin.empty()) pin = read_secret_line("Token PIN: ");
                   auto request = json_request(Verb::post, "/initialization",
                                               {{"owner_member_class", s->owner.substr(0, colon)},
                                                {"owner_member_code", s->owner.substr(colon + 1)},
                                                {"security_server_code", s->server_code},
                                                {"software_token_pin", pin},
                                                {"ignore_warnings", s->ignore_warnings}});
                   std::fill(pin.begin(), pin.end(), '\0');
                   const int rc = run_and_print(*s, request);
                   std::fill(request.body.begin(), request.body.end(), '\0');
                   if (rc == 0)
                     std::cout << "initialized: owner " << s->owner << ", server code " << s->server_code << "\n";
                   return rc;
                 }});
}

// `keys list|generate|rename|delete`: the software token's keys.
void add_keys(CLI::App& app, Commands& out) {
  auto* keys = app.add_subcommand("keys", "The software token's keys");
  keys->require_subcommand(1);
  auto list = std::make_shared<Common>();
  out.push_back({command(*keys, "list", "The token with its keys, certificates and CSRs", list),
                 [list] { return run_and_print(*list, json_request(Verb::get, "/tokens/0")); }});

  struct Generate : Common {
    std::string label;
  };
  auto gen = std::make_shared<Generate>();
  auto* generate = command(*keys, "generate", "Generate a key in the token (logged in)", gen);
  generate->add_option("--label", gen->label, "The key's label");
  out.push_back({generate, [gen] {
                   return run_and_print(*gen, json_request(Verb::post, "/tokens/0/keys", {{"label", gen->label}}));
                 }});

  struct Named : Common {
    std::string id, label;
  };
  auto ren = std::make_shared<Named>();
  auto* rename = command(*keys, "rename", "Rename a key", ren);
  rename->add_option("id", ren->id, "The key's id")->required();
  rename->add_option("label", ren->label, "Its new name")->required();
  out.push_back(
      {rename, [ren] {
         return run_and_print(*ren, json_request(Verb::patch, "/keys/" + segment(ren->id), {{"name", ren->label}}));
       }});

  auto del = std::make_shared<Named>();
  auto* remove = command(*keys, "delete", "Delete a key with its CSRs and certificates", del);
  remove->add_option("id", del->id, "The key's id")->required();
  out.push_back(
      {remove, [del] { return run_and_print(*del, json_request(Verb::delete_, "/keys/" + segment(del->id))); }});
}

// `cas`: the approved certificate authorities of global configuration.
void add_cas(CLI::App& app, Commands& out) {
  struct State : Common {
    std::string usage;
  };
  auto s = std::make_shared<State>();
  auto* cmd = command(app, "cas", "The certificate authorities global configuration approves", s);
  cmd->add_option("--usage", s->usage, "sign or auth: only the CAs that issue such certificates")
      ->check(CLI::IsMember({"sign", "auth"}));
  out.push_back({cmd, [s] {
                   auto request = json_request(Verb::get, "/certificate-authorities");
                   if (!s->usage.empty())
                     request.query["key_usage_type"] = s->usage == "sign" ? "SIGNING" : "AUTHENTICATION";
                   return run_and_print(*s, request);
                 }});
}

// `csr create`: a CSR for a key (or a new key), its subject built by the CA's profile from the
// fields given and the profile's defaults.
void add_csr(CLI::App& app, Commands& out) {
  auto* csr = app.add_subcommand("csr", "Certificate signing requests");
  csr->require_subcommand(1);
  struct State : Common {
    std::string key, new_key, usage = "sign", ca, member, format = "PEM";
    std::vector<std::string> fields;
  };
  auto s = std::make_shared<State>();
  auto* cmd =
      command(*csr, "create",
              "A CSR for a key of the token (--key ID) or a new one (--new-key LABEL); the subject's fields the "
              "CA's profile asks for from --field NAME=VALUE or the profile's defaults",
              s);
  auto* key = cmd->add_option("--key", s->key, "The key's id");
  auto* new_key = cmd->add_option("--new-key", s->new_key, "Generate a key with this label first");
  key->excludes(new_key);
  cmd->add_option("--usage", s->usage, "sign or auth")->check(CLI::IsMember({"sign", "auth"}))->capture_default_str();
  cmd->add_option("--ca", s->ca, "The CA's name (roadside cas)")->required();
  cmd->add_option("--member", s->member, "The member a signing certificate is for: INSTANCE:CLASS:CODE");
  cmd->add_option("--field", s->fields, "A subject field: --field O=Company (repeatable)");
  cmd->add_option("--format", s->format, "PEM or DER")->check(CLI::IsMember({"PEM", "DER"}))->capture_default_str();
  out.push_back(
      {cmd, [s] {
         if (s->key.empty() && s->new_key.empty()) {
           std::cerr << "roadside: csr create needs --key ID or --new-key LABEL\n";
           return 2;
         }
         const std::string usage = s->usage == "sign" ? "SIGNING" : "AUTHENTICATION";
         auto form = json_request(Verb::get, "/certificate-authorities/" + segment(s->ca) + "/csr-subject-fields");
         form.query["key_usage_type"] = usage;
         if (!s->member.empty()) form.query["member_id"] = s->member;
         auto fields = call(*s, form);
         if (!fields.response) return fields.status;
         std::map<std::string, std::string> given;
         for (const auto& f : s->fields) {
           const auto eq = f.find('=');
           if (eq == std::string::npos || eq == 0) {
             std::cerr << "roadside: --field " << f << ": expected NAME=VALUE\n";
             return 2;
           }
           given[f.substr(0, eq)] = f.substr(eq + 1);
         }
         nlohmann::json values = nlohmann::json::object();
         std::string missing;
         for (const auto& field : body_json(*fields.response)) {
           const std::string id = admin::json_string(field, "id");
           std::string value = admin::json_string(field, "default_value");
           if (auto it = given.find(id); it != given.end()) value = it->second;
           if (value.empty() && field.value("required", false)) missing += " " + id;
           if (!value.empty()) values[id] = value;
         }
         if (!missing.empty()) {
           std::cerr << "roadside: the CA's profile needs these subject fields:" << missing
                     << " (give them with --field NAME=VALUE)\n";
           return 2;
         }
         nlohmann::json generate = {{"key_usage_type", usage},
                                    {"ca_name", s->ca},
                                    {"csr_format", s->format},
                                    {"subject_field_values", values}};
         if (!s->member.empty()) generate["member_id"] = s->member;
         std::string key_id = s->key;
         if (key_id.empty()) {
           auto made = call(*s, json_request(Verb::post, "/tokens/0/keys-with-csrs",
                                             {{"key_label", s->new_key}, {"csr_generate_request", generate}}));
           if (!made.response) return made.status;
           const auto json = body_json(*made.response);
           key_id = admin::json_string(admin::json_member(json, "key"), "id");
           std::cerr << "key " << key_id << " generated; CSR " << admin::json_string(json, "csr_id") << "\n";
           auto get = json_request(Verb::get,
                                   "/keys/" + segment(key_id) + "/csrs/" + segment(admin::json_string(json, "csr_id")));
           get.query["csr_format"] = s->format;
           return run_and_print(*s, get);
         }
         return run_and_print(*s, json_request(Verb::post, "/keys/" + segment(key_id) + "/csrs", generate));
       }});
}

// `certs import|show|activate|disable|delete|register`: the token's certificates.
void add_certs(CLI::App& app, Commands& out) {
  auto* certs = app.add_subcommand("certs", "The token's certificates");
  certs->require_subcommand(1);
  struct State : Common {
    std::string argument, address;
  };
  auto imp = std::make_shared<State>();
  auto* import = command(*certs, "import", "Import a certificate (PEM or DER) a CA issued for a key of the token", imp);
  import->add_option("file", imp->argument, "The certificate file, or - for standard input")->required();
  out.push_back({import, [imp] {
                   auto bytes = read_input(imp->argument);
                   if (!bytes) return 2;
                   LocalRequest r;
                   r.method = Verb::post;
                   r.path = "/token-certificates";
                   r.content_type = "application/octet-stream";
                   r.body = std::move(*bytes);
                   return run_and_print(*imp, r);
                 }});
  add_on_one(*certs, out, "/token-certificates/", "The certificate's SHA-256 hash (hex)",
             {{"show", "A certificate by its SHA-256 hash", Verb::get, ""},
              {"activate", "Use a certificate", Verb::put, "/activate"},
              {"disable", "Stop using a certificate", Verb::put, "/disable"},
              {"unregister", "Unregister an authentication certificate (authCertDeletion)", Verb::put, "/unregister"},
              {"delete", "Delete a certificate from the token", Verb::delete_, ""}});
  auto reg = std::make_shared<State>();
  auto* registration = command(app, "register",
                               "Register an authentication certificate with the Central Server (X-Road's authCertReg): "
                               "the running server sends it; global configuration lists it once approved",
                               reg);
  registration->add_option("hash", reg->argument, "The authentication certificate's SHA-256 hash")->required();
  registration->add_option("--address", reg->address, "This server's address other servers reach it at")->required();
  out.push_back({registration, [reg] {
                   return run_and_print(
                       *reg, json_request(Verb::put, "/token-certificates/" + segment(reg->argument) + "/register",
                                          {{"address", reg->address}}));
                 }});
}

// `api-keys create|list|revoke`: X-Road's API keys, as the local administrator.
void add_api_keys(CLI::App& app, Commands& out) {
  auto* keys = app.add_subcommand("api-keys", "The admin API's keys");
  keys->require_subcommand(1);
  struct State : Common {
    std::vector<std::string> roles;
    std::string id;
  };
  auto create = std::make_shared<State>();
  auto* make =
      command(*keys, "create", "A new key with these roles (X-Road's role names); the key is shown once", create);
  make->add_option("roles", create->roles, "XROAD_SECURITY_OFFICER, XROAD_SYSTEM_ADMINISTRATOR, ...")->required();
  out.push_back({make, [create] {
                   return run_and_print(*create, json_request(Verb::post, "/api-keys", nlohmann::json(create->roles)));
                 }});
  auto list = std::make_shared<State>();
  out.push_back({command(*keys, "list", "The keys, without their secrets", list),
                 [list] { return run_and_print(*list, json_request(Verb::get, "/api-keys")); }});
  auto revoke = std::make_shared<State>();
  auto* cmd = command(*keys, "revoke", "Revoke a key", revoke);
  cmd->add_option("id", revoke->id, "The key's id")->required();
  out.push_back({cmd, [revoke] {
                   return run_and_print(*revoke, json_request(Verb::delete_, "/api-keys/" + segment(revoke->id)));
                 }});
}

// `api METHOD PATH`: any operation of the admin API, as X-Road's document names it.
void add_api(CLI::App& app, Commands& out) {
  struct State : Common {
    std::string method, path, data, content_type = "application/json";
    std::vector<std::string> query;
  };
  auto s = std::make_shared<State>();
  auto* cmd = command(app, "api", "Any admin API operation: roadside api GET /tokens/0 (the path after /api/v1)", s);
  cmd->add_option("method", s->method, "GET, POST, PUT, PATCH or DELETE")->required();
  cmd->add_option("path", s->path, "The path after /api/v1, percent-encoded")->required();
  cmd->add_option("-d,--data", s->data, "The body: JSON text, or @FILE");
  cmd->add_option("--content-type", s->content_type, "The body's type")->capture_default_str();
  cmd->add_option("-q,--query", s->query, "A query parameter NAME=VALUE (repeatable)");
  out.push_back({cmd, [s] {
                   LocalRequest r;
                   r.method = boost::beast::http::string_to_verb(s->method);
                   if (r.method == Verb::unknown) {
                     std::cerr << "roadside: unknown method " << s->method << "\n";
                     return 2;
                   }
                   r.path = s->path;
                   r.content_type = s->content_type;
                   if (!s->data.empty() && s->data.front() == '@') {
                     auto bytes = read_input(s->data.substr(1));
                     if (!bytes) return 2;
                     r.body = std::move(*bytes);
                   } else {
                     r.body = s->data;
                   }
                   for (const auto& q : s->query) {
                     const auto eq = q.find('=');
                     r.query[q.substr(0, eq)] = eq == std::string::npos ? "" : q.substr(eq + 1);
                   }
                   return run_and_print(*s, r);
                 }});
}

// An X-Road identifier as X-Road's Client schema takes it: INSTANCE:CLASS:CODE[:SUBSYSTEM].
std::optional<nlohmann::json> client_body(const std::string& id) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t colon; (colon = id.find(':', start)) != std::string::npos; start = colon + 1) {
    parts.push_back(id.substr(start, colon - start));
  }
  parts.push_back(id.substr(start));
  if (parts.size() < 3 || parts.size() > 4) return std::nullopt;
  nlohmann::json client = {{"instance_id", parts[0]}, {"member_class", parts[1]}, {"member_code", parts[2]}};
  if (parts.size() == 4) client["subsystem_code"] = parts[3];
  return client;
}

// `clients`: the members and subsystems this server hosts, and their registration.
void add_clients(CLI::App& app, Commands& out) {
  auto* clients = app.add_subcommand("clients", "The members and subsystems this server hosts");
  clients->require_subcommand(1);
  auto list = std::make_shared<Common>();
  on_run<Common>(command(*clients, "list", "The clients of this server", list), out, list,
                 [](const Common&) { return json_request(Verb::get, "/clients"); });
  struct Add : Common {
    std::string id, connection;
    bool ignore_warnings = false;
  };
  auto add = std::make_shared<Add>();
  auto* cmd = command(*clients, "add", "Add a member or subsystem (INSTANCE:CLASS:CODE[:SUBSYSTEM]) as a client", add);
  cmd->add_option("id", add->id, "The client's id: DEV:COM:1234:SUB")->required();
  cmd->add_option("--connection", add->connection, "HTTP, HTTPS_NO_AUTH or HTTPS")
      ->check(CLI::IsMember({"HTTP", "HTTPS_NO_AUTH", "HTTPS"}));
  cmd->add_flag("--ignore-warnings", add->ignore_warnings, "Add it although global configuration does not know it");
  out.push_back({cmd, [add] {
                   auto client = client_body(add->id);
                   if (!client) {
                     std::cerr << "roadside: a client id is INSTANCE:CLASS:CODE or INSTANCE:CLASS:CODE:SUBSYSTEM\n";
                     return 2;
                   }
                   if (!add->connection.empty()) (*client)["connection_type"] = add->connection;
                   return run_and_print(*add,
                                        json_request(Verb::post, "/clients",
                                                     {{"client", *client}, {"ignore_warnings", add->ignore_warnings}}));
                 }});
  add_on_one(*clients, out, "/clients/", "The client's id: DEV:COM:1234:SUB",
             {{"show", "One client", Verb::get, ""},
              {"register", "Register the client with the Central Server (clientReg)", Verb::put, "/register"},
              {"unregister", "Unregister the client (clientDeletion)", Verb::put, "/unregister"},
              {"make-owner", "Make the member this server's owner (ownerChange)", Verb::put, "/make-owner"},
              {"disable", "Disable the subsystem (clientDisable)", Verb::put, "/disable"},
              {"enable", "Enable the subsystem again (clientEnable)", Verb::put, "/enable"},
              {"delete", "Delete the client from this server", Verb::delete_, ""}});
}

// `service-descriptions`: WSDL, OpenAPI 3 and REST descriptions of a client's services.
void add_service_descriptions(CLI::App& app, Commands& out) {
  auto* sd = app.add_subcommand("service-descriptions", "The service descriptions of a client's services");
  sd->require_subcommand(1);
  add_on_one(*sd, out, "/clients/", "The client's id",
             {{"list", "A client's service descriptions", Verb::get, "/service-descriptions"}});
  struct Add : Common {
    std::string client, type = "WSDL", url, service_code;
    bool ignore_warnings = false;
  };
  auto add = std::make_shared<Add>();
  auto* cmd = command(*sd, "add", "Add a description by its URL: WSDL, OPENAPI3, or REST with --service-code", add);
  cmd->add_option("client", add->client, "The client's id")->required();
  cmd->add_option("url", add->url, "Where the description is (REST: the service's base URL)")->required();
  cmd->add_option("--type", add->type, "WSDL, OPENAPI3 or REST")
      ->check(CLI::IsMember({"WSDL", "OPENAPI3", "REST"}))
      ->capture_default_str();
  cmd->add_option("--service-code", add->service_code, "The REST service's code (OPENAPI3, REST)");
  cmd->add_flag("--ignore-warnings", add->ignore_warnings, "Add it despite X-Road's warnings");
  on_run<Add>(cmd, out, add, [](const Add& s) {
    nlohmann::json body = {{"url", s.url}, {"type", s.type}, {"ignore_warnings", s.ignore_warnings}};
    if (!s.service_code.empty()) body["rest_service_code"] = s.service_code;
    return json_request(Verb::post, "/clients/" + segment(s.client) + "/service-descriptions", body);
  });
  add_on_one(*sd, out, "/service-descriptions/", "The description's id",
             {{"show", "One service description", Verb::get, ""},
              {"services", "The services of a description", Verb::get, "/services"},
              {"refresh", "Read the description again from its URL", Verb::put, "/refresh"},
              {"enable", "Enable the description's services", Verb::put, "/enable"},
              {"delete", "Delete the description and its services", Verb::delete_, ""}});
  struct Disable : Common {
    std::string id, notice;
  };
  auto disable = std::make_shared<Disable>();
  auto* off = command(*sd, "disable", "Disable the description's services: calls are refused with the notice", disable);
  off->add_option("id", disable->id, "The description's id")->required();
  off->add_option("--notice", disable->notice, "What a refused caller is told");
  on_run<Disable>(off, out, disable, [](const Disable& s) {
    return json_request(Verb::put, "/service-descriptions/" + segment(s.id) + "/disable",
                        {{"disabled_notice", s.notice}});
  });
}

// `access`: who may call a service (X-Road's service clients of a service).
void add_access(CLI::App& app, Commands& out) {
  auto* access = app.add_subcommand("access", "Access rights to a service");
  access->require_subcommand(1);
  add_on_one(*access, out, "/services/", "The service's id: DEV:COM:1234:SUB:code",
             {{"list", "Who may call the service", Verb::get, "/service-clients"}});
  struct Change : Common {
    std::string service;
    std::vector<std::string> subjects;
  };
  for (const auto& [name, help, suffix] :
       {std::tuple{"add", "Let subsystems, global groups (INSTANCE:group) or local groups (their number) call it", ""},
        std::tuple{"remove", "Take the right away again", "/delete"}}) {
    auto s = std::make_shared<Change>();
    auto* cmd = command(*access, name, help, s);
    cmd->add_option("service", s->service, "The service's id: DEV:COM:1234:SUB:code")->required();
    cmd->add_option("subjects", s->subjects, "Service clients: DEV:COM:1234:SUB, DEV:security-server-owners, 7")
        ->required();
    on_run<Change>(cmd, out, s, [suffix = std::string(suffix)](const Change& c) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& subject : c.subjects) items.push_back({{"id", subject}});
      return json_request(Verb::post, "/services/" + segment(c.service) + "/service-clients" + suffix,
                          {{"items", items}});
    });
  }
}

// `local-groups`: a client's local groups and their members.
void add_local_groups(CLI::App& app, Commands& out) {
  auto* groups = app.add_subcommand("local-groups", "A client's local groups");
  groups->require_subcommand(1);
  add_on_one(*groups, out, "/clients/", "The client's id",
             {{"list", "A client's local groups", Verb::get, "/local-groups"}});
  struct Add : Common {
    std::string client, code, description;
  };
  auto add = std::make_shared<Add>();
  auto* cmd = command(*groups, "add", "A new local group of a client", add);
  cmd->add_option("client", add->client, "The client's id")->required();
  cmd->add_option("code", add->code, "The group's code")->required();
  cmd->add_option("--description", add->description, "What the group is")->required();
  on_run<Add>(cmd, out, add, [](const Add& s) {
    return json_request(Verb::post, "/clients/" + segment(s.client) + "/local-groups",
                        {{"code", s.code}, {"description", s.description}});
  });
  add_on_one(
      *groups, out, "/local-groups/", "The group's id",
      {{"show", "One group with its members", Verb::get, ""}, {"delete", "Delete the group", Verb::delete_, ""}});
  struct Members : Common {
    std::string id;
    std::vector<std::string> members;
  };
  for (const auto& [name, help, suffix] : {std::tuple{"add-members", "Add members to the group", "/members"},
                                           std::tuple{"remove-members", "Remove members", "/members/delete"}}) {
    auto s = std::make_shared<Members>();
    auto* member_cmd = command(*groups, name, help, s);
    member_cmd->add_option("id", s->id, "The group's id")->required();
    member_cmd->add_option("members", s->members, "Members or subsystems: DEV:COM:1234:SUB")->required();
    on_run<Members>(member_cmd, out, s, [suffix = std::string(suffix)](const Members& m) {
      return json_request(Verb::post, "/local-groups/" + segment(m.id) + suffix, {{"items", m.members}});
    });
  }
}

}  // namespace

// `backup`: the server's backups. create, list and delete are the admin API's /backups;
// verify and restore work on a file in this process (server/backup_commands.h).
void add_backup(CLI::App& app, Commands& out) {
  auto* group =
      app.add_subcommand("backup", "The server's backups: create, list, delete, verify, restore (docs/backups.md)");
  group->require_subcommand(1);
  auto create = std::make_shared<Common>();
  auto* create_cmd =
      command(*group, "create", "Back up the configuration and keys now (signed with the authentication key)", create);
  on_run<Common>(create_cmd, out, create, [](const Common&) { return json_request(Verb::post, "/backups"); });
  auto list = std::make_shared<Common>();
  auto* list_cmd = command(*group, "list", "The backups in backup.dir, newest first", list);
  on_run<Common>(list_cmd, out, list, [](const Common&) { return json_request(Verb::get, "/backups"); });
  add_on_one(*group, out, "/backups/", "The backup's file name",
             {{"delete", "Delete a backup file", Verb::delete_, ""},
              {"download", "A backup file's bytes (-o FILE)", Verb::get, "/download"}});
  struct FileState {
    ConfigFlags flags;
    server::BackupFileOptions options;
  };
  for (const bool restore : {false, true}) {
    auto s = std::make_shared<FileState>();
    auto* cmd = group->add_subcommand(
        restore ? "restore" : "verify",
        restore ? "Replace the configuration and keys with a backup's, the server stopped (another server's only with "
                  "--force)"
                : "Check every byte of a backup and who signed it");
    s->flags.add_to(*cmd);
    cmd->add_option("file", s->options.file, "The backup: a path, or a file name in backup.dir")->required();
    cmd->add_option("--trusted-signer", s->options.trusted_signer,
                    "The hash of the authentication certificate that signed it, when global configuration does not "
                    "list it (a certificate replaced since)");
    if (restore) cmd->add_flag("--force", s->options.force, "Restore a backup of another server than this database's");
    out.push_back({cmd, [s, restore] {
                     auto cfg = s->flags.load();
                     if (!cfg.ok()) return config_error(cfg.error());
                     (void)log::init(log::Level::warn, cfg->str("log.audit"));
                     return restore ? server::restore_backup_file(*cfg, s->options)
                                    : server::verify_backup_file(*cfg, s->options);
                   }});
  }
}

void add_admin_commands(CLI::App& app, Commands& out) {
  add_init(app, out);
  add_keys(app, out);
  add_cas(app, out);
  add_csr(app, out);
  add_certs(app, out);
  add_clients(app, out);
  add_service_descriptions(app, out);
  add_access(app, out);
  add_local_groups(app, out);
  add_api_keys(app, out);
  add_api(app, out);
  add_backup(app, out);
}

}  // namespace roadside::cli
