// What the admin service checks of a WSDL's services before it stores them, and what it tells
// the user when a refresh changes them (X-Road's ServiceDescriptionService and
// ServiceChangeChecker). In X-Road's order, adding or updating a WSDL description is:
//   parse_wsdl (which checks identifiers) -> find_service_clash -> the external validator
//   (validator.h) -> check_service_urls (only when adding) -> warnings, then store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "servicedesc/errors.h"
#include "servicedesc/wsdl.h"

namespace roadside::servicedesc {

// X-Road's strict identifier check (the Security Server's strict-identifier-checks: true):
// only ASCII letters, digits and ' ( ) + , - . = ? ; the empty string passes.
bool is_valid_identifier(std::string_view text);

// invalid_wsdl_service_identifier when a service code or version fails is_valid_identifier;
// metadata: each failing code and version, in service order. std::nullopt when all pass.
std::optional<Failure> check_service_identifiers(const std::vector<WsdlService>& services);

// invalid_service_url when a service's address does not start with http:// or https://
// (a service without an address passes); metadata: each such address. X-Road checks this only
// when a description is added, not when one is updated or refreshed.
std::optional<Failure> check_service_urls(const std::vector<WsdlService>& services);

// A service description the client already has.
struct ExistingDescription {
  std::string url;
  std::vector<WsdlService> services;
};

// service_already_exists when a candidate's full code equals (ignoring ASCII case) that of a
// service in one of `others` (the client's other descriptions: leave out the one being
// updated or refreshed). Metadata: pairs of the existing service's full code and its
// description's URL, as X-Road lists them ([C1, U1, C2, U2, ...]), each existing service once.
std::optional<Failure> find_service_clash(const std::vector<WsdlService>& candidates,
                                          const std::vector<ExistingDescription>& others);

// What a refresh (or a new URL) does to a description's services, by full service code.
struct ServiceChanges {
  std::vector<std::string> added;    // in the new WSDL only
  std::vector<std::string> removed;  // in the old one only
  // In both, with another title or address. X-Road warns of none of these: it takes the new
  // title and keeps each existing service's address, timeout and TLS setting.
  std::vector<std::string> changed;
  bool empty() const { return added.empty() && removed.empty(); }  // as X-Road's isEmpty()
};
ServiceChanges diff_services(const std::vector<WsdlService>& before, const std::vector<WsdlService>& after);

// The warnings X-Road gives for `changes` unless the user ignores warnings: adding_services
// and deleting_services, each with its full service codes, and only when not empty.
std::vector<Warning> change_warnings(const ServiceChanges& changes);

}  // namespace roadside::servicedesc
