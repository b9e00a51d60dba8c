#include "serverconf/model.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serverconf/internal.h"

namespace roadside::serverconf {

const FaultCategory& serverconf_category() noexcept {
  static const TableCategory<errc> c("serverconf",
                                     {
                                         {errc::invalid_conf, "invalid_conf", "invalid server configuration"},
                                         {errc::no_conf, "server_not_configured", "no server configuration applied"},
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
