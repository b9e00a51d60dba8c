// What the admin API's routes work on: the server's state as the running server (or the CLI,
// with no server running) has it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "base/clock.h"
#include "base/identifiers.h"
#include "crypto/certificate.h"
#include "globalconf/parameters.h"
#include "serverbackup/backups.h"
#include "signer/hardware_tokens.h"
#include "signer/token.h"
#include "storage/store.h"

namespace roadside::admin {

namespace asio = boost::asio;

// What a background job (the global configuration's download, the OCSP round) last did, for
// /diagnostics. `known` is false where no server runs (the CLI on its own).
struct JobStatus {
  bool known = false;
  std::optional<Clock::time_point> last;  // the last attempt; none yet
  std::optional<Clock::time_point> next;  // the next one, as planned
  std::string error;                      // why the last attempt failed; "" when it worked
};

// What a sender without a running server (the CLI in its own process) answers.
inline Error no_running_server() {
  return Error(std::make_error_code(std::errc::operation_not_supported),
               "sending to the Central Server needs a running server");
}

// What a server without a message log (variant slim, or the CLI on its own) answers.
inline Error no_message_log() {
  return Error(std::make_error_code(std::errc::operation_not_supported), "this server keeps no message log");
}

// One record of the message log, as the console lists it (no message content).
struct LoggedMessage {
  std::int64_t id = 0;
  Clock::time_point time;
  std::string query_id;
  std::string x_request_id;
  bool response = false;
  std::string client;  // the record's owner: the client (outgoing) or the provider (incoming)
  bool timestamped = false;
  bool archived = false;
  bool body_logged = true;
};

// A record's signed documents as one file: X-Road's container name and its bytes.
struct ContainerFile {
  std::string name;
  std::string bytes;
};

// The message log's time-stamping, as its job last found it.
struct TimestampingState {
  bool running = false;  // false: no message log (or no running server)
  std::optional<Clock::time_point> last_success;
  std::optional<Clock::time_point> failing_since;  // none: not failing
  std::string problem;  // why messages are refused now (the readiness reason); "" when they are not
};

// The add-ons this server runs, for /diagnostics (X-Road's message log and op-monitor).
struct AddOns {
  bool message_log = false;
  bool op_monitoring = false;
  bool database_encrypted = false;     // messagelog.encryption_enabled
  bool archive_encrypted = false;      // messagelog.archive_encryption_enabled
  std::string grouping_rule = "NONE";  // X-Road's archive grouping: NONE, MEMBER, SUBSYSTEM
};

// The messages this node's proxies handled since it started.
struct Traffic {
  bool known = false;  // false where no server runs
  Clock::time_point since;
  std::uint64_t client_ok = 0, client_fault = 0;  // the client proxy's: sent for the information systems
  std::uint64_t server_ok = 0, server_fault = 0;  // the server proxy's: received from other servers
};

// The keys a member's message-log archives are encrypted to (X-Road's
// MessageLogArchiveEncryptionMember): its own, or the default key (`default_used`).
struct ArchiveKeys {
  std::vector<std::string> keys;
  bool default_used = true;
};

// A server component's reason not to take messages now (readiness).
struct NotReady {
  std::string component;
  std::string reason;
};

struct ServerState {
  storage::Store& store;
  signer::SoftToken& token;
  // The hardware (PKCS#11) tokens devices.ini names; nullptr without signer.devices.
  std::shared_ptr<signer::HardwareTokens> hardware;
  // The global configuration in use; nullptr before the first download (or without an anchor).
  std::function<std::shared_ptr<const globalconf::SharedParameters>()> shared = [] { return nullptr; };
  // The private parameters in use (the management service's addresses); nullptr without.
  std::function<std::shared_ptr<const globalconf::PrivateParameters>()> private_params = [] { return nullptr; };
  // A fresh OCSP response (DER) for an own certificate, or std::nullopt when none is at hand.
  std::function<std::optional<std::string>(const crypto::Certificate&)> ocsp_response = [](const crypto::Certificate&) {
    return std::nullopt;
  };
  // Sends an authCertReg request (HTTPS to the Central Server, its TLS certificate pinned to
  // `server_cert`): the HTTP response's content type and body.
  std::function<asio::awaitable<Result<std::pair<std::string, std::string>>>(
      std::string url, crypto::Certificate server_cert, std::string content_type, std::string body)>
      post_auth_cert_reg = [](std::string, crypto::Certificate, std::string,
                              std::string) -> asio::awaitable<Result<std::pair<std::string, std::string>>> {
    co_return no_running_server();
  };
  // Sends a management request other than authCertReg as X-Road's Security Server does: an
  // HTTP POST to this server's own client proxy (127.0.0.1), which carries it to the
  // management service provider's server and on to the Central Server. The HTTP response's
  // content type and body; an error when the client proxy cannot be reached.
  std::function<asio::awaitable<Result<std::pair<std::string, std::string>>>(std::string content_type,
                                                                             std::string body)>
      post_management_request =
          [](std::string, std::string) -> asio::awaitable<Result<std::pair<std::string, std::string>>> {
    co_return no_running_server();
  };
  // Reads a service description (WSDL, OpenAPI) by HTTP GET, http or https (any server
  // certificate, as X-Road reads them), no redirects, within the limits of the server's
  // wiring (admin_api.cc: 10 MiB, X-Road's MAX_DESCRIPTION_SIZE, and a time limit). The body
  // of a 2xx answer; an error naming the cause otherwise. Unset: every fetch fails.
  std::function<asio::awaitable<Result<std::string>>(std::string url)> fetch;
  // The instance identifier of the configuration anchor ("" without one).
  std::function<std::string()> instance = [] { return std::string(); };
  // This server's id (owner and server code) from its configuration; nullopt before
  // initialization.
  std::function<std::optional<XRoadId>()> server_id = [] { return std::nullopt; };
  // X-Road's OCSP status of an own certificate (CertificateOcspStatus): "OCSP_RESPONSE_GOOD", ...
  std::function<std::string(const crypto::Certificate&)> ocsp_status = [](const crypto::Certificate&) {
    return std::string("OCSP_RESPONSE_UNKNOWN");
  };
  // Told after the token's certificates changed, so a new one's OCSP response is fetched at once.
  std::function<void()> certificates_changed = [] {};
  // The configuration anchor file (globalconf.anchor); "" when none is configured.
  std::string anchor_file;
  // Told after the anchor file was replaced: the running server reads it again and downloads
  // the configuration with it at once. Without a server, the next start reads it.
  std::function<void()> anchor_replaced = [] {};
  // The global configuration download's last round.
  std::function<JobStatus()> globalconf_status = [] { return JobStatus{}; };
  // The OCSP refresher's last round for the own certificates.
  std::function<JobStatus()> ocsp_round = [] { return JobStatus{}; };
  // The internal TLS key and certificate (PEM: key, certificate), made on first use.
  std::function<Result<std::pair<std::string, std::string>>()> internal_tls = [] {
    return Result<std::pair<std::string, std::string>>(
        Error(std::make_error_code(std::errc::operation_not_supported), "no internal TLS key here"));
  };
  // Replaces the internal TLS key and certificate with a new pair; the listeners present it
  // from their next start.
  std::function<Status()> new_internal_tls = [] {
    return Status(Error(std::make_error_code(std::errc::operation_not_supported), "no internal TLS key here"));
  };
  // Stores `pem` (the key, then the certificate and its chain) as the internal TLS key and
  // certificate; the listeners present it from their next start.
  std::function<Status(const std::string& pem)> store_internal_tls = [](const std::string&) {
    return Status(Error(std::make_error_code(std::errc::operation_not_supported), "no internal TLS key here"));
  };
  // The message log's time-stamping job.
  std::function<TimestampingState()> timestamping = [] { return TimestampingState{}; };
  AddOns add_ons;
  // The keys the archives of member "INSTANCE/CLASS/CODE" are encrypted to; unset unless archives
  // are encrypted and grouped by member or subsystem (X-Road then lists the server's members).
  std::function<Result<ArchiveKeys>(const std::string& member)> archive_keys;
  std::function<Traffic()> traffic = [] { return Traffic{}; };
  // Why this node takes no messages now (/readyz's reasons); none when it is ready.
  std::function<std::vector<NotReady>()> readiness = [] { return std::vector<NotReady>{}; };
  // The message log's records of `query_id`, oldest first, at most `limit`;
  // errc::operation_not_supported without a message log.
  std::function<Result<std::vector<LoggedMessage>>(const std::string& query_id, std::size_t limit)> logged_messages =
      [](const std::string&, std::size_t) { return Result<std::vector<LoggedMessage>>(no_message_log()); };
  // Record `id`'s ASiC-E container, as the client proxy's /asic gives it; nullopt when there is
  // no such record (or it was archived and deleted). Errors: errc::operation_not_supported
  // without a message log, errc::resource_unavailable_try_again before it is time-stamped,
  // base::errc::too_large past the container limit.
  std::function<Result<std::optional<ContainerFile>>(std::int64_t id)> message_container = [](std::int64_t) {
    return Result<std::optional<ContainerFile>>(no_message_log());
  };
  // The backups (backup.*): their folder, and how they are encrypted and opened.
  serverbackup::BackupOptions backups;
  // Told after a restore replaced the database's configuration and keys: the running server
  // stops, so that its supervisor starts it on them.
  std::function<void()> restored = [] {};
};

// The server's id as the newest server configuration in `store` has it; nullopt before
// initialization (what ServerState::server_id answers in a server and in the CLI).
std::optional<XRoadId> stored_server_id(storage::Store& store);

}  // namespace roadside::admin
