// The test instance's Central Server, management side: it reads the management requests
// Security Servers send (management/verify.h), records them, approves them (at once, or when
// `roadside testbed approve` says so) and applies them to the instance's shared parameters as
// X-Road's Central Server does, so the publisher republishes them.
//
// State, in the instance folder (kept across `up` runs, shared by every process that opens it):
//   central/requests.json       every request received: id, type, state, fields (JSON)
//   central/received/ID.xml     the SOAP part of request ID as it arrived (requests that
//                               came over HTTP; `testbed requests --soap ID` prints it)
//   central/lock                flock(2)ed while one process reads and rewrites the state
//   globalconf/shared-params.xml  the shared parameters; approved changes are written here,
//                               and `up` republishes when this file changes
//
// What approval changes (SharedParameters' model, V6 shared-params):
//   authCertReg      the server added (owner, address) when new, the certificate's SHA-256
//                    added to its authCertHashes; the owner member (and its class) added when
//                    the instance does not have it yet, and to the security-server-owners group
//   clientReg        the client added to the server's clients (its member and subsystem too
//                    when new)
//   clientDeletion   the client removed from the server's clients
//   authCertDeletion the hash removed
//   ownerChange      the server's identifier takes the new owner (who must be its client);
//                    the new owner leaves the client list, the old owner joins it
//   addressChange    the address
//   maintenanceModeEnable/Disable  inMaintenanceMode with its message
//   clientDisable/Enable, clientRename  recorded and approved, but shared parameters have no
//                    field for a client's enabled state or a subsystem's name: nothing changes
// A request that cannot be applied (an unknown server, a client the server does not have, a
// certificate registered for another server) is refused with invalid_request when it arrives,
// as X-Road's Central Server refuses it through its admin API.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/identifiers.h"
#include "base/result.h"
#include "globalconf/parameters.h"
#include "management/messages.h"
#include "management/verify.h"

namespace roadside::testbed {

// X-Road's ManagementRequestStatus, as far as the testbed uses it.
enum class RequestState { submitted_for_approval, approved };
std::string_view state_name(RequestState state) noexcept;  // "SUBMITTED_FOR_APPROVAL", "APPROVED"

// What a request asks for, as the Central Server keeps it.
struct ManagementChange {
  management::RequestType type = management::RequestType::client_reg;
  XRoadId server;
  std::optional<XRoadId> client;  // clientReg ...; ownerChange: the new owner
  std::optional<std::string> address;
  std::optional<std::string> auth_cert_hash;  // raw SHA-256 of the certificate (authCert* requests)
  std::optional<std::string> subsystem_name;
  std::optional<std::string> message;
};

// The change a verified request's body asks for.
ManagementChange change_of(const management::RequestBody& body);

// Applies `change` to `shared` as X-Road's Central Server does on approval (file comment).
// Errors: management::errc::invalid_request naming why it cannot be applied; `shared` is
// then unchanged.
Status apply_change(globalconf::SharedParameters& shared, const ManagementChange& change);

// Whether X-Road's Central Server holds this type for its administrator (registrations,
// owner and address changes, renames); it carries out the others at once.
bool needs_approval(management::RequestType type) noexcept;

struct ManagementRecord {
  std::int64_t id = 0;
  RequestState state = RequestState::submitted_for_approval;
  ManagementChange change;
  std::int64_t received_at = 0;  // Unix seconds
  std::int64_t approved_at = 0;  // Unix seconds; 0 while not approved
};
nlohmann::json to_json(const ManagementRecord& record);

// An answer to an HTTP request: status, Content-Type, body.
struct ManagementAnswer {
  unsigned status = 200;
  std::string content_type;
  std::string body;
};

class ManagementDesk {
 public:
  // `dir` is the instance folder. `hold`: requests X-Road holds for approval wait for
  // approve() (`testbed init --hold-requests`); otherwise every request is approved as it
  // arrives. `management_service` is the private parameters' managementRequestServiceProviderId.
  // `clock` must outlive the desk.
  ManagementDesk(std::filesystem::path dir, bool hold, XRoadId management_service, Clock& clock = Clock::system());

  // A request as it arrives over HTTP: read and verified against the current shared
  // parameters (management::read_request), recorded, and approved when it need not wait.
  // `direct`: it came to authCertRegServiceAddress, where only authCertReg is taken; the
  // management service provider's endpoint takes every other type. Refusals are X-Road's
  // SOAP fault with status 500; success is 200 with build_response's answer.
  ManagementAnswer handle(std::string_view content_type, std::string_view body, bool direct);

  // Records a verified request (and approves it unless held). Returns its record.
  Result<ManagementRecord> submit(const management::VerifiedRequest& request);
  // Approves a held request and applies it. Errors: base::errc::invalid_argument (no such id,
  // or approved already), apply_change's.
  Result<ManagementRecord> approve(std::int64_t id);
  Result<std::vector<ManagementRecord>> list() const;
  // The instance's current shared parameters.
  Result<globalconf::SharedParameters> shared_parameters() const;

  const std::filesystem::path& dir() const { return dir_; }
  // Where handle() keeps the SOAP part of the request `id` as it arrived; the whole request, as
  // a MIME entity (Content-Type, a blank line, the body), is beside it with the extension .http.
  std::filesystem::path received_soap_path(std::int64_t id) const;

 private:
  std::filesystem::path dir_;
  bool hold_;
  XRoadId management_service_;
  Clock* clock_;
};

}  // namespace roadside::testbed
