#include "serverconf/model.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serverconf/internal.h"

namespace roadside::serverconf {

const FaultCategory& serverconf_category() noexcept {
  static const TableCategory<errc> c(
      "serverconf", {
                        {errc::invalid_conf, "invalid_conf", "invalid server configuration"},
                        {errc::no_conf, "server_not_configured", "no server configuration applied"},
                        {errc::changed, "configuration_changed", "the server configuration changed meanwhile"},
                    });
  return c;
}

std::string_view to_string(IsAuth a) noexcept {
  switch (a) {
    case IsAuth::noauth:
      return "NOAUTH";
    case IsAuth::sslnoauth:
      return "SSLNOAUTH";
    case IsAuth::sslauth:
      return "SSLAUTH";
  }
  return "NOAUTH";
}

namespace {
constexpr std::pair<ClientStatus, std::string_view> kClientStatuses[] = {
    {ClientStatus::saved, "SAVED"},
    {ClientStatus::registration_in_progress, "REGISTRATION_IN_PROGRESS"},
    {ClientStatus::registered, "REGISTERED"},
    {ClientStatus::deletion_in_progress, "DELETION_IN_PROGRESS"},
    {ClientStatus::global_error, "GLOBAL_ERROR"},
    {ClientStatus::disabling_in_progress, "DISABLING_IN_PROGRESS"},
    {ClientStatus::disabled, "DISABLED"},
    {ClientStatus::enabling_in_progress, "ENABLING_IN_PROGRESS"},
};
}  // namespace

std::string_view to_string(ClientStatus s) noexcept {
  for (const auto& [status, name] : kClientStatuses)
    if (status == s) return name;
  return "SAVED";
}

std::optional<ClientStatus> client_status_from(std::string_view name) noexcept {
  for (const auto& [status, known] : kClientStatuses)
    if (known == name) return status;
  return std::nullopt;
}

std::string_view to_string(ServiceType t) noexcept {
  switch (t) {
    case ServiceType::rest:
      return "REST";
    case ServiceType::openapi:
      return "OPENAPI";
    case ServiceType::wsdl:
      return "WSDL";
  }
  return "REST";
}

std::string_view to_string(DescriptionType t) noexcept {
  switch (t) {
    case DescriptionType::wsdl:
      return "WSDL";
    case DescriptionType::openapi3:
      return "OPENAPI3";
    case DescriptionType::rest:
      return "REST";
  }
  return "WSDL";
}

namespace detail {

Error invalid(std::string detail) {
  return Error(make_error_code(errc::invalid_conf), std::move(detail));
}

}  // namespace detail

XRoadId ServerConf::server_id() const {
  return *XRoadId::server(owner.instance(), owner.member_class(), owner.member_code(), server_code);
}

std::string Service::disabled_text() const {
  return disabled_notice.empty() ? "Service '" + id.to_string() + "' is disabled" : disabled_notice;
}

const Client* ServerConf::client(const XRoadId& id) const {
  for (const auto& c : clients) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const Service* ServerConf::service(const XRoadId& id) const {
  for (const auto& s : services) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<const Service*> ServerConf::services_of(const XRoadId& provider) const {
  std::vector<const Service*> out;
  for (const auto& s : services) {
    if (s.id.service_provider() == provider) out.push_back(&s);
  }
  return out;
}

}  // namespace roadside::serverconf

namespace roadside::serverconf {

namespace {

// The description a service of a YAML file belongs to: its WSDL's or its OpenAPI
// description's URL for the client, or a REST service's own.
DescriptionType description_type(ServiceType t) {
  switch (t) {
    case ServiceType::wsdl:
      return DescriptionType::wsdl;
    case ServiceType::openapi:
      return DescriptionType::openapi3;
    case ServiceType::rest:
      return DescriptionType::rest;
  }
  return DescriptionType::rest;
}

std::string description_url(const Service& s) {
  switch (s.type) {
    case ServiceType::wsdl:
      return s.wsdl_url;
    case ServiceType::openapi:
      return s.openapi_url.empty() ? s.url : s.openapi_url;
    case ServiceType::rest:
      return s.url;
  }
  return s.url;
}

}  // namespace

void ServerConf::assign_ids() {
  for (const auto& d : descriptions) last_id = std::max(last_id, d.id);
  for (const auto& g : local_groups) last_id = std::max(last_id, g.id);
  for (const auto& s : services) {
    for (const auto& e : s.endpoints) last_id = std::max(last_id, e.id);
  }
  for (auto& d : descriptions) {
    if (d.id == 0) d.id = new_id();
  }
  for (auto& s : services) {
    const bool known = std::any_of(descriptions.begin(), descriptions.end(),
                                   [&](const ServiceDescription& d) { return d.id == s.description && d.id != 0; });
    if (!known) {
      const XRoadId client = s.id.service_provider();
      const DescriptionType type = description_type(s.type);
      const std::string url = description_url(s);
      auto shared = std::find_if(descriptions.begin(), descriptions.end(), [&](const ServiceDescription& d) {
        return type != DescriptionType::rest && d.type == type && d.client == client && d.url == url;
      });
      if (shared == descriptions.end()) {
        descriptions.push_back({new_id(), client, type, url, s.disabled, s.disabled_notice, {}});
        s.description = descriptions.back().id;
      } else {
        s.description = shared->id;
        shared->disabled = shared->disabled && s.disabled;
        if (shared->disabled_notice.empty()) shared->disabled_notice = s.disabled_notice;
      }
    }
    for (auto& e : s.endpoints) {
      if (e.id == 0) e.id = new_id();
    }
  }
  for (auto& g : local_groups) {
    if (g.id == 0) g.id = new_id();
  }
}

const ServiceDescription* ServerConf::description(std::int64_t id) const {
  for (const auto& d : descriptions) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

std::vector<const Service*> ServerConf::services_of_description(std::int64_t id) const {
  std::vector<const Service*> out;
  for (const auto& s : services) {
    if (s.description == id) out.push_back(&s);
  }
  return out;
}

}  // namespace roadside::serverconf
