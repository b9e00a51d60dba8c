#include "xroadimport/serverconf_dump.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "base/clock.h"
#include "base/errc.h"
#include "base/utf8.h"

namespace roadside::xroadimport {

const FaultCategory& xroadimport_category() noexcept {
  static const TableCategory<errc> c(
      "xroadimport", {
                         {errc::not_xroad, "not_xroad_backup", "not a Java Security Server's backup or folder"},
                         {errc::unreadable, "xroad_backup_unreadable", "a part of the X-Road backup cannot be read"},
                         {errc::not_empty, "target_not_empty", "the server already has a configuration or keys"},
                     });
  return c;
}

namespace {

using backup::PgDump;
using backup::PgTable;
using serverconf::ServerConf;
using Value = std::optional<std::string>;

Error unreadable(const std::string& what) {
  return Error(errc::unreadable, what);
}

// A table's rows, their columns by name. A table the dump lacks has no rows.
class Rows {
 public:
  Rows(const PgDump& dump, std::string_view schema, std::string_view name) : name_(name) {
    table_ = dump.table(schema, name);
  }
  bool present() const { return table_ != nullptr; }
  std::size_t size() const { return table_ ? table_->rows.size() : 0; }
  // Column `column` of row `row`; NULL for a column the table lacks.
  const Value& get(std::size_t row, std::string_view column) const {
    static const Value null;
    auto at = table_->column(column);
    return at ? table_->rows[row][*at] : null;
  }
  std::string text(std::size_t row, std::string_view column) const { return get(row, column).value_or(""); }
  // Every text of the table is UTF-8, as PostgreSQL keeps it and the configuration's JSON needs
  // it: a byte COPY's escapes can make is refused here, naming the row.
  Status check_utf8() const {
    if (!table_) return {};
    for (std::size_t r = 0; r < table_->rows.size(); ++r) {
      for (const auto& v : table_->rows[r]) {
        if (v && !is_utf8(*v)) return unreadable(where(r) + " holds text that is not UTF-8");
      }
    }
    return {};
  }
  // An id column (bigint); an error naming the table and row when it is NULL or not a number.
  Result<std::int64_t> id(std::size_t row, std::string_view column) const {
    const Value& v = get(row, column);
    std::int64_t n = 0;
    if (!v || std::from_chars(v->data(), v->data() + v->size(), n).ec != std::errc() || n < 0)
      return unreadable(name_ + " row " + std::to_string(row + 1) + ": " + std::string(column) + " is " +
                        (v ? "'" + v->substr(0, 40) + "'" : std::string("NULL")));
    return n;
  }
  std::string where(std::size_t row) const { return name_ + " row " + std::to_string(row + 1); }

 private:
  std::string name_;
  const PgTable* table_ = nullptr;
};

bool is_true(const Value& v) {
  return v && (*v == "t" || *v == "true");
}

// X-Road's timestamp without a time zone ("2024-05-02 10:11:12.123456") as RFC 3339 in UTC
// with milliseconds; "" when it is not one.
std::string timestamp(const Value& v) {
  if (!v || v->size() < 19 || (*v)[10] != ' ') return {};
  std::string s = v->substr(0, 19);
  s[10] = 'T';
  std::string fraction = ".000";
  if (v->size() > 20 && (*v)[19] == '.') {
    std::string digits = v->substr(20, 3);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return {};
    fraction = "." + digits + std::string(3 - digits.size(), '0');
  }
  s += fraction + "Z";
  return parse_rfc3339(s) ? s : std::string();
}

// The identifier table's row as an X-Road identifier, by its Hibernate discriminator.
Result<XRoadId> identifier(const Rows& ids, std::size_t row) {
  const std::string kind = ids.text(row, "discriminator");
  const std::string inst = ids.text(row, "xroadinstance"), cls = ids.text(row, "memberclass"),
                    code = ids.text(row, "membercode"), sub = ids.text(row, "subsystemcode");
  Result<XRoadId> id = Error(errc::not_xroad, ids.where(row) + ": an identifier of kind '" + kind.substr(0, 20) +
                                                  "' (not a client, service, group or server) is passed over");
  if (kind == "C") {
    id = sub.empty() ? XRoadId::member(inst, cls, code) : XRoadId::subsystem(inst, cls, code, sub);
  } else if (kind == "S") {
    id = XRoadId::service(inst, cls, code, sub, ids.text(row, "servicecode"), ids.text(row, "serviceversion"));
  } else if (kind == "GG") {
    id = XRoadId::global_group(inst, ids.text(row, "groupcode"));
  } else if (kind == "LG") {
    id = XRoadId::local_group(ids.text(row, "groupcode"));
  } else if (kind == "SS") {
    id = XRoadId::server(inst, cls, code, ids.text(row, "servercode"));
  }
  if (!id.ok() && id.error().code() != errc::not_xroad) return unreadable(ids.where(row) + ": " + id.error().detail());
  return id;
}

std::optional<serverconf::ClientStatus> client_status(std::string_view s) {
  using serverconf::ClientStatus;
  static const std::map<std::string_view, ClientStatus> names = {
      {"saved", ClientStatus::saved},
      {"registration in progress", ClientStatus::registration_in_progress},
      {"registered", ClientStatus::registered},
      {"deletion in progress", ClientStatus::deletion_in_progress},
      {"global error", ClientStatus::global_error},
      {"disabled", ClientStatus::disabled},
      {"disabling in progress", ClientStatus::disabling_in_progress},
      {"enabling in progress", ClientStatus::enabling_in_progress},
  };
  auto it = names.find(s);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

// Everything the tables hold, by their X-Road ids, as it is read.
struct Tables {
  std::map<std::int64_t, XRoadId> identifiers;
  std::map<std::int64_t, XRoadId> clients;  // client.id → the client's identifier
  std::map<std::int64_t, std::size_t> descriptions;  // servicedescription.id → conf.descriptions
};

constexpr std::chrono::seconds kMinTimeout{1}, kMaxTimeout{3600};
constexpr std::size_t kMaxBuilt = 500'000;  // endpoints and access rights in all

}  // namespace

Result<ServerConf> server_conf_from_dump(const PgDump& dump, Report& report, std::string_view schema) {
  const Rows ids(dump, schema, "identifier"), clients(dump, schema, "client"), server(dump, schema, "serverconf");
  if (!ids.present() || !clients.present() || !server.present())
    return Error(errc::not_xroad, "the database dump has no " + std::string(schema) +
                                      ".serverconf, .client and .identifier tables: not an X-Road Security "
                                      "Server's configuration database");
  if (server.size() != 1)
    return Error(errc::not_xroad, "the dump's serverconf table has " + std::to_string(server.size()) +
                                      " rows, not one: the server was never initialized");
  for (const char* table : {"identifier", "client", "serverconf", "servicedescription", "service", "endpoint",
                            "accessright", "localgroup", "groupmember", "tsp"})
    ROADSIDE_TRY_STATUS(Rows(dump, schema, table).check_utf8());
  Tables t;
  ServerConf conf;
  for (std::size_t r = 0; r < ids.size(); ++r) {
    ROADSIDE_TRY(std::int64_t id, ids.id(r, "id"));
    auto x = identifier(ids, r);
    if (!x.ok()) {
      if (x.error().code() == errc::unreadable) return x.error();
      report.left(x.error().detail());  // another kind (a central service's): an error if anything refers to it
      continue;
    }
    t.identifiers.emplace(id, std::move(x).value());
  }
  auto id_of = [&](const Rows& rows, std::size_t r, std::string_view column) -> Result<XRoadId> {
    ROADSIDE_TRY(std::int64_t ref, rows.id(r, column));
    auto it = t.identifiers.find(ref);
    if (it == t.identifiers.end())
      return unreadable(rows.where(r) + ": " + std::string(column) + " " + std::to_string(ref) + " is no identifier");
    return it->second;
  };

  // The client a row's client_id names.
  auto client_of = [&](const Rows& rows, std::size_t r) -> Result<XRoadId> {
    ROADSIDE_TRY(std::int64_t ref, rows.id(r, "client_id"));
    auto it = t.clients.find(ref);
    if (it == t.clients.end())
      return unreadable(rows.where(r) + ": client_id " + std::to_string(ref) + " is no client");
    return it->second;
  };

  // Clients, with their information systems' certificates.
  std::map<std::int64_t, std::size_t> client_index;  // client.id → conf.clients
  std::set<XRoadId> client_ids;
  for (std::size_t r = 0; r < clients.size(); ++r) {
    ROADSIDE_TRY(std::int64_t id, clients.id(r, "id"));
    ROADSIDE_TRY(XRoadId client, id_of(clients, r, "identifier"));
    if (!client.is_client()) return unreadable(clients.where(r) + ": " + client.to_string() + " is not a client");
    serverconf::Client c{client, serverconf::IsAuth::noauth, {}, std::nullopt};
    const std::string mode = clients.text(r, "isauthentication");
    if (mode == "SSLAUTH") {
      c.is_auth = serverconf::IsAuth::sslauth;
    } else if (mode == "SSLNOAUTH") {
      c.is_auth = serverconf::IsAuth::sslnoauth;
    } else if (!mode.empty() && mode != "NOSSL") {
      return unreadable(clients.where(r) + ": isauthentication '" + mode.substr(0, 20) + "' is not X-Road's");
    }
    const std::string status = clients.text(r, "clientstatus");
    c.status = client_status(status);
    if (!c.status) {
      c.status = serverconf::ClientStatus::saved;
      report.left("the status '" + status.substr(0, 40) + "' of client " + client.to_string() +
                  " is not X-Road's: it is SAVED here, and the global configuration moves it");
    }
    if (!client_ids.insert(client).second || !client_index.emplace(id, conf.clients.size()).second)
      return unreadable(clients.where(r) + ": " + client.to_string() + " (id " + std::to_string(id) +
                        ") is there twice");
    t.clients.emplace(id, client);
    conf.clients.push_back(std::move(c));
  }
  {
    ROADSIDE_TRY(std::int64_t owner, server.id(0, "owner"));
    auto it = t.clients.find(owner);
    if (it == t.clients.end() || it->second.type() != ObjectType::member)
      return Error(errc::not_xroad, "the dump's serverconf.owner is not a member among its clients");
    conf.owner = it->second;
    conf.server_code = server.text(0, "servercode");
    ROADSIDE_TRY(XRoadId sid, XRoadId::server(conf.owner.instance(), conf.owner.member_class(),
                                              conf.owner.member_code(), conf.server_code));
    (void)sid;
  }
  const Rows certs(dump, schema, "certificate");
  std::size_t is_certs = 0;
  for (std::size_t r = 0; r < certs.size(); ++r) {
    ROADSIDE_TRY(std::int64_t client_id, certs.id(r, "client_id"));
    auto at = client_index.find(client_id);
    if (at == client_index.end())
      return unreadable(certs.where(r) + ": client_id " + std::to_string(client_id) + " is no client");
    auto der = backup::decode_bytea_hex(certs.text(r, "data"));
    auto cert = der ? crypto::Certificate::from_der(*der) : Result<crypto::Certificate>(unreadable("not bytea"));
    if (!cert.ok()) {
      report.left("an information system's TLS certificate of " + conf.clients[at->second].id.to_string() +
                  " (certificate row " + std::to_string(r + 1) +
                  "): not a certificate (a large object of an old "
                  "server is not in its dump): add it again");
      continue;
    }
    conf.clients[at->second].is_certs.push_back(std::move(cert).value());
    ++is_certs;
  }

  // Service descriptions and their services, REST endpoints.
  const Rows descriptions(dump, schema, "servicedescription"), services(dump, schema, "service"),
      endpoints(dump, schema, "endpoint");
  for (std::size_t r = 0; r < descriptions.size(); ++r) {
    ROADSIDE_TRY(std::int64_t id, descriptions.id(r, "id"));
    serverconf::ServiceDescription d;
    d.id = id;
    ROADSIDE_TRY(d.client, client_of(descriptions, r));
    const std::string type = descriptions.text(r, "type");
    if (type == "WSDL" || type.empty()) {
      d.type = serverconf::DescriptionType::wsdl;
    } else if (type == "REST") {
      d.type = serverconf::DescriptionType::rest;
    } else if (type == "OPENAPI3") {
      d.type = serverconf::DescriptionType::openapi3;
    } else {
      return unreadable(descriptions.where(r) + ": type '" + type.substr(0, 20) + "' is not X-Road's");
    }
    d.url = descriptions.text(r, "url");
    d.disabled = is_true(descriptions.get(r, "disabled"));
    d.disabled_notice = descriptions.text(r, "disablednotice");
    d.refreshed_at = timestamp(descriptions.get(r, "refresheddate"));
    if (!t.descriptions.emplace(id, conf.descriptions.size()).second)
      return unreadable(descriptions.where(r) + ": id " + std::to_string(id) + " is there twice");
    conf.descriptions.push_back(std::move(d));
  }
  std::set<XRoadId> service_ids;
  for (std::size_t r = 0; r < services.size(); ++r) {
    ROADSIDE_TRY(std::int64_t description_id, services.id(r, "servicedescription_id"));
    const auto at = t.descriptions.find(description_id);
    if (at == t.descriptions.end())
      return unreadable(services.where(r) + ": servicedescription_id is no service description");
    const serverconf::ServiceDescription* d = &conf.descriptions[at->second];
    const XRoadId& client = d->client;
    serverconf::Service s;
    ROADSIDE_TRY(
        s.id, XRoadId::service(client.instance(), client.member_class(), client.member_code(), client.subsystem_code(),
                               services.text(r, "servicecode"), services.text(r, "serviceversion")));
    s.description = d->id;
    s.title = services.text(r, "title");
    s.url = services.text(r, "url");
    s.type = d->type == serverconf::DescriptionType::wsdl   ? serverconf::ServiceType::wsdl
             : d->type == serverconf::DescriptionType::rest ? serverconf::ServiceType::rest
                                                            : serverconf::ServiceType::openapi;
    if (s.type == serverconf::ServiceType::wsdl) s.wsdl_url = d->url;
    if (s.type == serverconf::ServiceType::openapi) s.openapi_url = d->url;
    if (const Value& timeout = services.get(r, "timeout")) {
      int seconds = 0;
      if (std::from_chars(timeout->data(), timeout->data() + timeout->size(), seconds).ec != std::errc())
        return unreadable(services.where(r) + ": timeout '" + timeout->substr(0, 20) + "' is not a number");
      // (X-Road's 0 is no time limit: the longest one here.)
      const auto kept =
          seconds <= 0 ? kMaxTimeout : std::clamp(std::chrono::seconds(seconds), kMinTimeout, kMaxTimeout);
      if (kept.count() != seconds)
        report.left("the timeout of " + s.id.to_string() + " (" + std::to_string(seconds) +
                    " s; 0 is none in X-Road) is " + std::to_string(kept.count()) + " s here, which takes 1 to 3600");
      s.timeout = kept;
    }
    const Value& tls = services.get(r, "sslauthentication");
    s.tls_authentication = !tls || is_true(tls);
    s.disabled = d->disabled;
    s.disabled_notice = d->disabled_notice;
    if (!service_ids.insert(s.id).second)
      return unreadable(services.where(r) + ": " + s.id.to_string() + " is there twice");
    conf.services.push_back(std::move(s));
  }
  // Endpoints and rights each go to every version of a service code: their number is bounded
  // as it is built, not only by the rows read.
  std::size_t built = 0;
  // The services of a client by service code (of every version), for endpoints and rights.
  std::map<std::pair<XRoadId, std::string>, std::vector<std::size_t>> by_code;
  for (std::size_t i = 0; i < conf.services.size(); ++i) {
    const XRoadId& sid = conf.services[i].id;
    by_code[{sid.service_provider(), std::string(sid.service_code())}].push_back(i);
  }
  auto services_with = [&](const XRoadId& provider, const std::string& code) -> const std::vector<std::size_t>& {
    static const std::vector<std::size_t> none;
    auto it = by_code.find({provider, code});
    return it == by_code.end() ? none : it->second;
  };
  // An endpoint belongs to the REST services of its client with its service code; X-Road's
  // "**" is Roadside's "/**". (A WSDL service's one base endpoint is implicit here.)
  std::map<std::int64_t, std::pair<XRoadId, serverconf::Endpoint>> endpoint_rows;  // id → (client, endpoint+code)
  std::map<std::int64_t, std::string> endpoint_codes;
  for (std::size_t r = 0; r < endpoints.size(); ++r) {
    ROADSIDE_TRY(std::int64_t id, endpoints.id(r, "id"));
    ROADSIDE_TRY(XRoadId client, client_of(endpoints, r));
    serverconf::Endpoint e;
    e.id = id;
    e.method = endpoints.text(r, "method");
    e.path = endpoints.text(r, "path");
    if (e.path == "**") e.path = "/**";
    e.generated = is_true(endpoints.get(r, "generated"));
    if (e.method.empty() || e.path.empty() || e.path.front() != '/')
      return unreadable(endpoints.where(r) + ": method '" + e.method.substr(0, 20) + "' path '" + e.path.substr(0, 80) +
                        "' is not an endpoint");
    const std::string code = endpoints.text(r, "servicecode");
    for (std::size_t i : services_with(client, code)) {
      if (conf.services[i].type == serverconf::ServiceType::wsdl) continue;
      if (++built > kMaxBuilt)
        return unreadable("more than " + std::to_string(kMaxBuilt) + " endpoints and access rights");
      conf.services[i].endpoints.push_back(e);
    }
    endpoint_rows.emplace(id, std::make_pair(client, e));
    endpoint_codes.emplace(id, code);
  }

  // Access rights: to each service of the client with the endpoint's service code.
  const Rows rights(dump, schema, "accessright");
  for (std::size_t r = 0; r < rights.size(); ++r) {
    ROADSIDE_TRY(std::int64_t endpoint_id, rights.id(r, "endpoint_id"));
    auto e = endpoint_rows.find(endpoint_id);
    if (e == endpoint_rows.end()) return unreadable(rights.where(r) + ": endpoint_id is no endpoint");
    ROADSIDE_TRY(XRoadId subject, id_of(rights, r, "subjectid"));
    if (!subject.is_client() && subject.type() != ObjectType::global_group && subject.type() != ObjectType::local_group)
      return unreadable(rights.where(r) + ": subject " + subject.to_string() + " cannot be given a right");
    const XRoadId& provider = e->second.first;
    const std::string& code = endpoint_codes.at(endpoint_id);
    bool any = false;
    for (std::size_t i : services_with(provider, code)) {
      const serverconf::Service& s = conf.services[i];
      serverconf::Endpoint pattern;
      if (s.type != serverconf::ServiceType::wsdl) {
        pattern.method = e->second.second.method;
        pattern.path = e->second.second.path;
      }
      if (++built > kMaxBuilt)
        return unreadable("more than " + std::to_string(kMaxBuilt) + " endpoints and access rights");
      conf.access.push_back({subject, s.id, pattern, timestamp(rights.get(r, "rightsgiven"))});
      any = true;
    }
    if (!any)
      report.left("an access right of " + subject.to_string() + " to service code '" + code + "' of " +
                  provider.to_string() + ": the client has no such service");
  }

  // Local groups and their members.
  const Rows groups(dump, schema, "localgroup"), members(dump, schema, "groupmember");
  std::map<std::int64_t, std::size_t> group_index;
  for (std::size_t r = 0; r < groups.size(); ++r) {
    ROADSIDE_TRY(std::int64_t id, groups.id(r, "id"));
    ROADSIDE_TRY(XRoadId client, client_of(groups, r));
    ROADSIDE_TRY(XRoadId code, XRoadId::local_group(groups.text(r, "groupcode")));
    (void)code;
    group_index.emplace(id, conf.local_groups.size());
    conf.local_groups.push_back({client,
                                 groups.text(r, "groupcode"),
                                 groups.text(r, "description"),
                                 {},
                                 id,
                                 timestamp(groups.get(r, "updated")),
                                 {}});
  }
  for (std::size_t r = 0; r < members.size(); ++r) {
    ROADSIDE_TRY(std::int64_t group_id, members.id(r, "localgroup_id"));
    auto g = group_index.find(group_id);
    if (g == group_index.end()) return unreadable(members.where(r) + ": localgroup_id is no local group");
    ROADSIDE_TRY(XRoadId member, id_of(members, r, "groupmemberid"));
    if (!member.is_client()) return unreadable(members.where(r) + ": " + member.to_string() + " is not a client");
    auto& group = conf.local_groups[g->second];
    if (std::find(group.members.begin(), group.members.end(), member) != group.members.end()) continue;
    group.members.push_back(member);
    if (auto at = timestamp(members.get(r, "added")); !at.empty()) group.joined.emplace(member, at);
  }

  // Time-stamping services, in X-Road's order (by id).
  const Rows tsps(dump, schema, "tsp");
  std::vector<std::pair<std::int64_t, serverconf::TimestampingService>> ordered;
  for (std::size_t r = 0; r < tsps.size(); ++r) {
    ROADSIDE_TRY(std::int64_t id, tsps.id(r, "id"));
    ordered.push_back({id, {tsps.text(r, "name"), tsps.text(r, "url")}});
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [id, tsp] : ordered) conf.timestamping_services.push_back(std::move(tsp));

  // (X-Road's ids are kept: the next one is above all of them. ServerConf::assign_ids would
  // find nothing to do here, in time quadratic in the services.)
  for (const auto& d : conf.descriptions) conf.last_id = std::max(conf.last_id, d.id);
  for (const auto& g : conf.local_groups) conf.last_id = std::max(conf.last_id, g.id);
  for (const auto& sv : conf.services) {
    for (const auto& e : sv.endpoints) conf.last_id = std::max(conf.last_id, e.id);
  }
  std::size_t rest_endpoints = 0;
  for (const auto& s : conf.services) rest_endpoints += s.endpoints.size();
  report.took("server configuration: owner " + conf.owner.to_string() + ", server code " + conf.server_code + "; " +
              std::to_string(conf.clients.size()) + " clients, " + std::to_string(is_certs) +
              " information-system certificates, " + std::to_string(conf.descriptions.size()) +
              " service descriptions, " + std::to_string(conf.services.size()) + " services, " +
              std::to_string(rest_endpoints) + " REST endpoints, " + std::to_string(conf.access.size()) +
              " access rights, " + std::to_string(conf.local_groups.size()) + " local groups, " +
              std::to_string(conf.timestamping_services.size()) + " time-stamping services");
  if (Rows keys(dump, schema, "apikey"); keys.size() > 0)
    report.left(std::to_string(keys.size()) +
                " API keys: X-Road keeps only their hashes, in a form Roadside does not "
                "check; make new ones (roadside api-keys create)");
  return conf;
}

}  // namespace roadside::xroadimport
