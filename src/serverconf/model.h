// The Security Server's own configuration: its owner, the clients (members and subsystems)
// it hosts with their information systems' connection mode, their services, local groups
// and access rights. Until the admin API exists it comes from a declarative YAML file
// (docs/server-configuration.md) that `roadside apply FILE` or `serve --server-conf FILE`
// writes to the database; re-applying the same file changes nothing.
//
// Here: the configuration as a value (what the YAML file says, and its canonical JSON form in
// the database) and the access checks made against it. Its history in the database is
// revisions.h's.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/errc.h"
#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/certificate.h"
#include "globalconf/parameters.h"

namespace roadside::serverconf {

enum class errc {
  invalid_conf = 1,  // the YAML file does not describe a valid configuration
  no_conf,           // nothing applied yet
  changed,           // a change based on a revision that is no longer the newest (apply)
};
const FaultCategory& serverconf_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), serverconf_category()};
}

// How a client's information systems connect to the client proxy (X-Road's IS auth modes).
enum class IsAuth {
  noauth,     // HTTP or HTTPS, no client certificate
  sslnoauth,  // HTTPS only, no client certificate needed
  sslauth,    // HTTPS with a client certificate listed in is_certs
};
std::string_view to_string(IsAuth a) noexcept;

enum class ServiceType { rest, openapi, wsdl };
std::string_view to_string(ServiceType t) noexcept;

// A REST endpoint pattern: method ("*" for any) and path ("/pets/*", "/**"; "*" matches one
// segment, "**" any number of them).
struct Endpoint {
  std::string method = "*";
  std::string path = "/**";
  // A service's endpoint (not an access right's pattern): its id, and whether it was read from
  // the service's description (X-Road's "generated": the base endpoint "* /**" of a REST
  // service and an OpenAPI description's operations), which the admin API may not change.
  std::int64_t id = 0;
  bool generated = false;
  // `path` is the request's decoded, normalised path without its query
  // (proxy::normalize_service_path): every byte of it is matched, '?' included.
  bool matches(std::string_view method, std::string_view path) const;
  // X-Road's base endpoint ("*" "**"): a right to it is a right to the whole service, and the
  // metaservices do not list it.
  bool is_base() const { return method == "*" && path == "/**"; }
};

// X-Road's service description: where a client's services come from. A WSDL (its services),
// an OpenAPI 3 description (one REST service with its operations as endpoints) or a REST
// service's base URL. Disabling one disables its services: the admin API keeps each service's
// `disabled` and `disabled_notice` (what the proxies read) equal to its description's.
enum class DescriptionType { wsdl, openapi3, rest };
std::string_view to_string(DescriptionType t) noexcept;  // "WSDL", "OPENAPI3", "REST"

struct ServiceDescription {
  std::int64_t id = 0;  // unique among descriptions, endpoints and local groups; kept across revisions
  XRoadId client;       // MEMBER or SUBSYSTEM
  DescriptionType type = DescriptionType::wsdl;
  std::string url;
  bool disabled = false;
  std::string disabled_notice;
  std::string refreshed_at;  // RFC 3339 with milliseconds, when it was last read; empty: unknown
};

struct Service {
  XRoadId id;                    // SERVICE
  std::int64_t description = 0;  // its ServiceDescription's id
  std::string title;             // from the WSDL (<xroad:title>); may be empty
  ServiceType type = ServiceType::rest;
  std::string url;  // REST: base URL the path is appended to; SOAP: the service address
  std::chrono::milliseconds timeout{60'000};
  std::string wsdl_url;     // WSDL services: where the WSDL is read from (getWsdl)
  std::string openapi_url;  // OPENAPI services: where the description is read from (getOpenAPI)
  std::vector<Endpoint> endpoints;
  // HTTPS (the service and its description): whether the service's TLS certificate must be
  // one of its provider's is_certs; otherwise any certificate is accepted. X-Road's per-service
  // sslAuthentication ("Verify TLS certificate"), true when not set.
  bool tls_authentication = true;
  // A disabled service exists and keeps its access rights, and the metaservices still list and
  // describe it, but a call is refused with `disabled_notice` (X-Road's disabled service
  // description and its "disabledNotice").
  bool disabled = false;
  std::string disabled_notice;  // empty: X-Road's "Service 'ID' is disabled"
  // What a refused call is told: the notice, or X-Road's default. REQUIRES: disabled.
  std::string disabled_text() const;
};

struct AccessRight {
  XRoadId subject;  // MEMBER, SUBSYSTEM, GLOBALGROUP or LOCALGROUP
  XRoadId service;  // SERVICE
  Endpoint endpoint;
  std::string given_at;  // RFC 3339, when the admin API added it; empty: unknown
};

struct LocalGroup {
  XRoadId owner;  // the client the group belongs to
  std::string code;
  std::string description;
  std::vector<XRoadId> members;
  std::int64_t id = 0;                    // see ServiceDescription::id
  std::string updated_at;                 // RFC 3339; empty: unknown
  std::map<XRoadId, std::string> joined;  // when members were added (RFC 3339), where known
};

// X-Road's ClientStatus: where a client is in its registration with the Central Server.
// Global configuration moves it (admin/client_states.h): SAVED, REGISTRATION_IN_PROGRESS and
// GLOBAL_ERROR become REGISTERED once the shared parameters list the client on this server; a
// REGISTERED client they no longer list is GLOBAL_ERROR; the others wait for the administrator.
enum class ClientStatus {
  saved,
  registration_in_progress,
  registered,
  deletion_in_progress,
  global_error,
  disabling_in_progress,
  disabled,
  enabling_in_progress,
};
std::string_view to_string(ClientStatus s) noexcept;  // X-Road's name: "REGISTRATION_IN_PROGRESS"
std::optional<ClientStatus> client_status_from(std::string_view name) noexcept;

struct Client {
  XRoadId id;  // MEMBER or SUBSYSTEM
  IsAuth is_auth = IsAuth::noauth;
  // The information systems' TLS certificates: those SSLAUTH accepts at the client proxy, and
  // those the client's services with tls_authentication must present.
  std::vector<crypto::Certificate> is_certs;
  // Unset only in a document read from YAML without `status`: apply() (revisions.h) keeps the
  // status the newest revision has for the client, or REGISTERED for a client new to it.
  // Every stored revision has one.
  std::optional<ClientStatus> status;
  ClientStatus status_or_registered() const { return status.value_or(ClientStatus::registered); }
};

// A time-stamping service this server uses (X-Road's configured TSP): one of global
// configuration's approved TSAs, named and addressed as there. The message log tries them in
// this order.
struct TimestampingService {
  std::string name;
  std::string url;
  friend bool operator==(const TimestampingService&, const TimestampingService&) = default;
};

class ServerConf {
 public:
  // Parses the YAML document. errc::invalid_conf names the key at fault (or the line of a file
  // that is not UTF-8 text).
  static Result<ServerConf> parse_yaml(std::string_view yaml);
  // The canonical JSON form (what the database keeps) and back.
  std::string to_json() const;
  static Result<ServerConf> from_json(std::string_view json);

  XRoadId owner;  // MEMBER
  std::string server_code;
  std::vector<Client> clients;
  std::vector<Service> services;
  std::vector<LocalGroup> local_groups;
  std::vector<AccessRight> access;
  std::vector<ServiceDescription> descriptions;
  std::vector<TimestampingService> timestamping_services;
  std::int64_t last_id = 0;  // the highest id given to a description, an endpoint or a local group
  // The stored revision this was read from (load_latest), so a change made of it is refused if
  // another was stored meanwhile (apply); 0 for a document of its own (a YAML file). Not part
  // of the document.
  std::int64_t read_at_revision = 0;

  // Gives what the YAML file (or a revision stored before descriptions existed) leaves out:
  // every service a description (a client's services of one WSDL or OpenAPI URL share one, a
  // REST service has its own, disabled when all its services are), and every description,
  // service endpoint and local group an id above last_id. A no-op on what the admin API wrote;
  // parse_yaml and from_json call it, so the same YAML file gives the same ids every time.
  void assign_ids();
  // A new id, above every id given so far.
  std::int64_t new_id() { return ++last_id; }
  const ServiceDescription* description(std::int64_t id) const;
  // The services of description `id`, in order.
  std::vector<const Service*> services_of_description(std::int64_t id) const;

  XRoadId server_id() const;
  const Client* client(const XRoadId& id) const;
  const Service* service(const XRoadId& id) const;
  // Services `client` may call (metaservice allowedMethods), or all of the provider's.
  std::vector<const Service*> services_of(const XRoadId& provider) const;
  // Whether `caller` has a right to `service` at all (a SOAP service; metaservices listing or
  // describing it), directly, through a global group (per the global configuration) or
  // through a local group of the provider.
  bool allowed_service(const XRoadId& caller, const XRoadId& service, const globalconf::SharedParameters* shared) const;
  // Whether `caller` may call REST `service` with this method on this (decoded, normalised)
  // path: a right whose endpoint matches both.
  bool allowed(const XRoadId& caller, const XRoadId& service, std::string_view method, std::string_view path,
               const globalconf::SharedParameters* shared) const;

 private:
  // Whether a right to `service` whose endpoint passes `endpoint_ok` is the caller's.
  bool has_right(const XRoadId& caller, const XRoadId& service, const globalconf::SharedParameters* shared,
                 const std::function<bool(const Endpoint&)>& endpoint_ok) const;
  bool subject_matches(const XRoadId& subject, const XRoadId& caller, const XRoadId& provider,
                       const globalconf::SharedParameters* shared) const;
};

}  // namespace roadside::serverconf

ROADSIDE_ERRC_ENUM(roadside::serverconf::errc)
