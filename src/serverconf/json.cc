// ServerConf::to_json and from_json: the canonical JSON form, as the database keeps it.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/identifiers.h"
#include "base/json_text.h"
#include "crypto/certificate.h"
#include "serverconf/internal.h"
#include "serverconf/model.h"

namespace roadside::serverconf {
namespace {

using detail::invalid;
using nlohmann::json;

constexpr std::size_t kMaxDepth = 32;  // well above what the document nests

json endpoint_json(const Endpoint& e) {
  json j = {{"method", e.method}, {"path", e.path}};
  if (e.id != 0) j["id"] = e.id;
  if (e.generated) j["generated"] = true;
  return j;
}

Endpoint endpoint_from(const json& e) {
  Endpoint out{e.at("method").get<std::string>(), e.at("path").get<std::string>()};
  out.id = e.value("id", std::int64_t{0});
  out.generated = e.value("generated", false);
  return out;
}

DescriptionType description_type(const std::string& text) {
  return text == "OPENAPI3" ? DescriptionType::openapi3
         : text == "REST"   ? DescriptionType::rest
                            : DescriptionType::wsdl;
}

}  // namespace

std::string ServerConf::to_json() const {
  json j;
  j["owner"] = owner.to_string();
  j["server_code"] = server_code;
  j["clients"] = json::array();
  for (const auto& c : clients) {
    json certs = json::array();
    for (const auto& cert : c.is_certs) certs.push_back(cert.to_pem());
    json cj = {{"id", c.id.to_string()}, {"connection", to_string(c.is_auth)}, {"is_certificates", certs}};
    // REGISTERED is not written: every revision stored before statuses existed keeps its digest.
    if (c.status_or_registered() != ClientStatus::registered) cj["status"] = to_string(*c.status);
    j["clients"].push_back(std::move(cj));
  }
  j["services"] = json::array();
  for (const auto& s : services) {
    json eps = json::array();
    for (const auto& e : s.endpoints) eps.push_back(endpoint_json(e));
    json sj = {
        {"id", s.id.to_string()}, {"type", to_string(s.type)}, {"url", s.url},    {"timeout_ms", s.timeout.count()},
        {"wsdl", s.wsdl_url},     {"openapi", s.openapi_url},  {"endpoints", eps}};
    // Only when not the default: a document without them (and every revision stored before
    // they existed) keeps its digest.
    if (!s.tls_authentication) sj["tls_authentication"] = false;
    if (s.disabled) sj["disabled"] = true;
    if (!s.disabled_notice.empty()) sj["disabled_notice"] = s.disabled_notice;
    if (s.description != 0) sj["description"] = s.description;
    if (!s.title.empty()) sj["title"] = s.title;
    j["services"].push_back(std::move(sj));
  }
  j["local_groups"] = json::array();
  for (const auto& g : local_groups) {
    json members = json::array();
    for (const auto& m : g.members) members.push_back(m.to_string());
    json gj = {{"owner", g.owner.to_string()}, {"code", g.code}, {"description", g.description}, {"members", members}};
    if (g.id != 0) gj["id"] = g.id;
    if (!g.updated_at.empty()) gj["updated_at"] = g.updated_at;
    if (!g.joined.empty()) {
      gj["joined"] = json::object();
      for (const auto& [member, at] : g.joined) gj["joined"][member.to_string()] = at;
    }
    j["local_groups"].push_back(std::move(gj));
  }
  j["access"] = json::array();
  for (const auto& a : access) {
    json aj = {{"subject", a.subject.to_string()},
               {"service", a.service.to_string()},
               {"endpoint", endpoint_json(a.endpoint)}};
    if (!a.given_at.empty()) aj["given_at"] = a.given_at;
    j["access"].push_back(std::move(aj));
  }
  // Only when there are any: a document without them keeps its digest.
  if (!descriptions.empty()) {
    j["descriptions"] = json::array();
    for (const auto& d : descriptions) {
      json dj = {{"id", d.id}, {"client", d.client.to_string()}, {"type", to_string(d.type)}, {"url", d.url}};
      if (d.disabled) dj["disabled"] = true;
      if (!d.disabled_notice.empty()) dj["disabled_notice"] = d.disabled_notice;
      if (!d.refreshed_at.empty()) dj["refreshed_at"] = d.refreshed_at;
      j["descriptions"].push_back(std::move(dj));
    }
  }
  // Only when there are some: a document without them keeps its digest.
  for (const auto& t : timestamping_services) j["timestamping_services"].push_back({{"name", t.name}, {"url", t.url}});
  if (last_id != 0) j["last_id"] = last_id;
  return j.dump();
}

Result<ServerConf> ServerConf::from_json(std::string_view text) {
  std::string why;
  const auto parsed = roadside::json::parse_untrusted(text, kMaxDepth, &why);
  if (!parsed) return invalid("stored server configuration " + why);
  const json& j = *parsed;
  if (!j.is_object()) return invalid("stored server configuration is not a JSON object");
  try {
    ServerConf c;
    ROADSIDE_TRY(c.owner, XRoadId::parse(j.at("owner").get<std::string>()));
    c.server_code = j.at("server_code").get<std::string>();
    for (const auto& cj : j.at("clients")) {
      Client cl;
      ROADSIDE_TRY(cl.id, XRoadId::parse(cj.at("id").get<std::string>()));
      const auto mode = cj.at("connection").get<std::string>();
      cl.is_auth = mode == "SSLAUTH" ? IsAuth::sslauth : mode == "SSLNOAUTH" ? IsAuth::sslnoauth : IsAuth::noauth;
      cl.status = client_status_from(cj.value("status", std::string("REGISTERED")));
      if (!cl.status) return invalid("stored server configuration: unknown client status");
      for (const auto& pem : cj.at("is_certificates")) {
        ROADSIDE_TRY(crypto::Certificate cert, crypto::Certificate::from_pem(pem.get<std::string>()));
        cl.is_certs.push_back(std::move(cert));
      }
      c.clients.push_back(std::move(cl));
    }
    for (const auto& sj : j.at("services")) {
      Service s;
      ROADSIDE_TRY(s.id, XRoadId::parse(sj.at("id").get<std::string>()));
      const auto type = sj.at("type").get<std::string>();
      s.type = type == "WSDL" ? ServiceType::wsdl : type == "OPENAPI" ? ServiceType::openapi : ServiceType::rest;
      s.url = sj.at("url").get<std::string>();
      s.timeout = std::chrono::milliseconds(sj.at("timeout_ms").get<std::int64_t>());
      s.wsdl_url = sj.at("wsdl").get<std::string>();
      s.openapi_url = sj.at("openapi").get<std::string>();
      s.tls_authentication = sj.value("tls_authentication", true);
      s.disabled = sj.value("disabled", false);
      s.disabled_notice = sj.value("disabled_notice", std::string());
      s.description = sj.value("description", std::int64_t{0});
      s.title = sj.value("title", std::string());
      for (const auto& e : sj.at("endpoints")) s.endpoints.push_back(endpoint_from(e));
      c.services.push_back(std::move(s));
    }
    for (const auto& gj : j.at("local_groups")) {
      LocalGroup g;
      ROADSIDE_TRY(g.owner, XRoadId::parse(gj.at("owner").get<std::string>()));
      g.code = gj.at("code").get<std::string>();
      g.description = gj.at("description").get<std::string>();
      for (const auto& m : gj.at("members")) {
        ROADSIDE_TRY(XRoadId id, XRoadId::parse(m.get<std::string>()));
        g.members.push_back(id);
      }
      g.id = gj.value("id", std::int64_t{0});
      g.updated_at = gj.value("updated_at", std::string());
      if (gj.contains("joined")) {
        for (const auto& [member, at] : gj.at("joined").items()) {
          ROADSIDE_TRY(XRoadId id, XRoadId::parse(member));
          g.joined[id] = at.get<std::string>();
        }
      }
      c.local_groups.push_back(std::move(g));
    }
    for (const auto& aj : j.at("access")) {
      ROADSIDE_TRY(XRoadId subject, XRoadId::parse(aj.at("subject").get<std::string>()));
      ROADSIDE_TRY(XRoadId service, XRoadId::parse(aj.at("service").get<std::string>()));
      c.access.push_back({subject, service, endpoint_from(aj.at("endpoint")), aj.value("given_at", std::string())});
    }
    if (j.contains("descriptions")) {
      for (const auto& dj : j.at("descriptions")) {
        ServiceDescription d;
        d.id = dj.at("id").get<std::int64_t>();
        ROADSIDE_TRY(d.client, XRoadId::parse(dj.at("client").get<std::string>()));
        d.type = description_type(dj.at("type").get<std::string>());
        d.url = dj.at("url").get<std::string>();
        d.disabled = dj.value("disabled", false);
        d.disabled_notice = dj.value("disabled_notice", std::string());
        d.refreshed_at = dj.value("refreshed_at", std::string());
        c.descriptions.push_back(std::move(d));
      }
    }
    if (j.contains("timestamping_services")) {
      for (const auto& tj : j.at("timestamping_services")) {
        c.timestamping_services.push_back({tj.at("name").get<std::string>(), tj.at("url").get<std::string>()});
      }
    }
    c.last_id = j.value("last_id", std::int64_t{0});
    c.assign_ids();
    return c;
  } catch (const json::exception& e) {
    return invalid(std::string("stored server configuration is incomplete: ") + e.what());
  }
}

}  // namespace roadside::serverconf
