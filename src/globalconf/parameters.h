// The configuration parts a Security Server lives by: shared parameters (members, servers,
// CAs, TSAs, groups; schema versions 2-6), private parameters (management service,
// time-stamping interval) and monitoring parameters (the monitoring client). Reference: xroad-protocols.md §4.5.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/crypto.h"
#include "globalconf/directory.h"

namespace roadside::globalconf {

struct OcspResponder {
  std::string url;
  std::optional<crypto::Certificate> cert;  // the responder's own certificate, when given
  std::string cost_type;                    // v6: FREE, PAID, UNDEFINED ("" before)
};

struct CaCertificate {
  crypto::Certificate cert;
  std::vector<OcspResponder> ocsp;
};

struct ApprovedCa {
  std::string name;
  bool authentication_only = false;
  CaCertificate top;
  std::vector<CaCertificate> intermediates;
  std::string certificate_profile_info;  // X-Road's Java class name of the certificate profile
};

struct ApprovedTsa {
  std::string name;
  std::string url;
  crypto::Certificate cert;
  std::string cost_type;
};

struct Member {
  XRoadId id;  // MEMBER
  std::string name;
  std::vector<XRoadId> subsystems;  // SUBSYSTEM
};

struct SecurityServer {
  XRoadId id;  // SERVER
  std::string address;
  std::vector<std::string> auth_cert_hashes;  // raw digests (SHA-256 in v3+, SHA-1 in v2)
  std::vector<XRoadId> clients;               // MEMBER or SUBSYSTEM
  bool in_maintenance = false;
  std::string maintenance_message;

  // Whether the server hosts `client`: its owner member itself, or a client it lists
  // (X-Road's SharedParametersCache: exactly these, never any subsystem of the owner).
  bool hosts(const XRoadId& client) const;
};

struct GlobalGroup {
  XRoadId id;  // GLOBALGROUP
  std::string description;
  std::vector<XRoadId> members;
};

struct ConfigurationSource {
  std::string address;
  std::vector<crypto::Certificate> internal_verification_certs;
  std::vector<crypto::Certificate> external_verification_certs;
};

class SharedParameters {
 public:
  static Result<SharedParameters> parse(std::string_view xml);
  // The V6 document (shared-params.xml) a Central Server publishes for this model.
  std::string to_xml() const;

  std::string instance;
  std::vector<ConfigurationSource> sources;
  std::vector<ApprovedCa> approved_cas;
  std::vector<ApprovedTsa> approved_tsas;
  std::vector<Member> members;
  std::vector<SecurityServer> security_servers;
  std::vector<GlobalGroup> global_groups;
  std::vector<std::string> member_classes;
  int ocsp_freshness_seconds = 3600;

  // A member or subsystem registered in this instance.
  bool has_client(const XRoadId& client) const;
  const Member* member(const XRoadId& member_id) const;
  const SecurityServer* security_server(const XRoadId& server_id) const;
  // Servers that host `client` (SecurityServer::hosts: where its services may be).
  std::vector<const SecurityServer*> servers_hosting(const XRoadId& client) const;
  // The server whose authentication certificate has this (raw) hash.
  const SecurityServer* server_by_auth_cert_hash(std::string_view hash) const;
  bool is_global_group_member(const XRoadId& client, const XRoadId& group) const;
  // The approved CA whose top or intermediate certificate has this subject, if any.
  const ApprovedCa* ca_by_subject(std::string_view subject) const;
};

struct PrivateParameters {
  std::string instance;
  std::vector<Anchor> federation_anchors;
  std::string auth_cert_reg_service_address;
  std::optional<crypto::Certificate> auth_cert_reg_service_cert;
  std::optional<XRoadId> management_service_provider;
  int timestamping_interval_seconds = 60;

  static Result<PrivateParameters> parse(std::string_view xml);
  // private-params.xml for this model (federation anchors are not written).
  std::string to_xml() const;
};

// The optional MONITORING part (monitoring-params.xml): the instance's central monitoring
// client, a member or a subsystem (exactly that one: a subsystem named does not admit its
// member, nor the other way round), or none.
struct MonitoringParameters {
  std::optional<XRoadId> monitoring_client;

  // errc::malformed for anything monitoring-conf.xsd refuses (an identifier with an unknown
  // element, one that is not a member or subsystem, no monitoringClient).
  static Result<MonitoringParameters> parse(std::string_view xml);
  std::string to_xml() const;
};

}  // namespace roadside::globalconf
