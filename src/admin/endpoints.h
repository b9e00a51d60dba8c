// The admin API's routes, by X-Road's tags. Each add_* puts one group's routes on an Api.
#pragma once

#include <string>
#include <string_view>

#include "admin/api.h"
#include "admin/api_keys.h"
#include "admin/context.h"

namespace roadside::admin {

// /api-keys: create, list, read, update and revoke API keys (X-Road's key management).
void add_api_key_routes(Api& api, ApiKeys& keys);

struct SystemFacts {
  std::string node_type;  // PRIMARY, SECONDARY or STANDALONE
  // From the node.role option: standalone, primary or secondary.
  static SystemFacts of_role(std::string_view role);
};
// /tokens, /keys, /token-certificates: the software token's keys, CSRs and certificates.
void add_token_routes(Api& api, ServerState& state);

// /certificate-authorities, /keys/{id}/csrs, /tokens/{id}/keys-with-csrs: CSRs for the CAs of
// global configuration, their subjects built by each CA's certificate profile.
void add_csr_routes(Api& api, ServerState& state);

// PUT /token-certificates/{hash}/register and /unregister: X-Road's authCertReg (HTTPS to the
// Central Server) and authCertDeletion (through the client proxy).
void add_registration_routes(Api& api, ServerState& state);

// /clients: the members and subsystems the server hosts, their status, connection type and TLS
// certificates; clientReg, clientDeletion and ownerChange through the client proxy.
void add_client_routes(Api& api, ServerState& state);

// /initialization, /initialization/status: the owner, the server code and the token's PIN of
// a new server.
void add_initialization_routes(Api& api, ServerState& state);

// /clients/{id}/service-descriptions, /service-descriptions, /services, /endpoints: a client's
// WSDL, OpenAPI 3 and REST service descriptions read from their URLs (state.fetch), their
// services and endpoints.
void add_service_description_routes(Api& api, ServerState& state);

// /services/{id} (address, timeout, TLS check), /services/{id}/endpoints, /endpoints/{id}.
void add_service_routes(Api& api, ServerState& state);

// Access rights (/services/{id}/service-clients, /endpoints/{id}/service-clients,
// /clients/{id}/service-clients) and local groups (/clients/{id}/local-groups, /local-groups).
void add_access_routes(Api& api, ServerState& state);

// /system/anchor, its download and previews: the configuration anchor (anchor_file.h).
void add_anchor_routes(Api& api, ServerState& state);
// /backups: list, create, download, delete, upload and restore the server's backups (serverbackup).
void add_backup_routes(Api& api, ServerState& state);

// /system/certificate, its export, CSR and import: the internal TLS key and certificate.
void add_internal_tls_routes(Api& api, ServerState& state);

// /timestamping-services (approved) and /system/timestamping-services (configured).
void add_timestamping_routes(Api& api, ServerState& state);

// GET /system/server-address and GET /system/maintenance-mode, from global configuration.
void add_server_status_routes(Api& api, ServerState& state);

// /diagnostics: the global configuration's and OCSP's last rounds, add-ons, memory.
void add_diagnostics_routes(Api& api, ServerState& state);

// /message-log/messages: the records of a query id, and a record's ASiC-E container (Roadside's).
void add_message_log_routes(Api& api, ServerState& state);

// /audit-log: the audit trail in the database (audit_log.h), newest first (Roadside's).
void add_audit_routes(Api& api, ServerState& state);

// /system/version, /system/node-type, /openapi.yaml.
void add_system_routes(Api& api, SystemFacts facts);

// Every route above: the one table the HTTPS front and local callers (local_calls.h) share.
void add_all_routes(Api& api, ServerState& state, ApiKeys& keys, SystemFacts facts);

}  // namespace roadside::admin
