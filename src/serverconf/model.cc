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
