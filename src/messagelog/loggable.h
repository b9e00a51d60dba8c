// What goes into a message-log record (X-Road's MessageBodyManipulator and
// LogManager.createMessageRecord): whether a message's body is logged, what is kept of a
// message whose body is not (a metadata-only record), and how much of a body is logged.
//
// Body logging (UG-SYSPAR §3.7, message-body-logging and its per-subsystem overrides):
//   body_logging on:   logged unless the service's provider is in disabled-body-logging-
//                      local-producer-subsystems (server proxy: the provider is ours) or
//                      disabled-body-logging-remote-producer-subsystems (client proxy);
//   body_logging off:  not logged unless the provider is in the matching enabled-* list.
// A metadata-only record keeps (UG-SYSPAR §3.7.1):
//   SOAP  the X-Road header fields (PR-MESS §2.2: client, service, userId, issue, id,
//         requestHash, protocolVersion) and representedParty, rewritten in X-Road's order and
//         namespace prefixes, without securityServer (targeting), a security token or any
//         other header; the Body holds one empty element xroad:<serviceCode> (a response's:
//         xroad:<serviceCode>Response), as X-Road's SoapBuilder writes it;
//   REST  the request line without the service path and query (the response's status and
//         reason as they are) and the X-Road headers of PR-REST §4.3 (X-Road-Client,
//         -Service, -Id, -UserId, -Issue, -Request-Hash, -Request-Id, -Error,
//         -Security-Server, -Represented-Party); the body is dropped.
// Such a record's signature no longer verifies against its message (X-Road's note).
//
// Body size (max-loggable-message-body-size, truncated-body-allowed): each attachment (a REST
// body, a SOAP attachment) up to the limit is logged whole; a larger one is truncated to the
// limit when truncation is allowed and refused otherwise (errc::body_too_large, X-Road's
// logging_failed: the message fails); a limit of 0 logs no attachment at all. A batch-signed
// SOAP message's attachments are not logged (X-Road logs only its hash chain).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "messagelog/message_log.h"

namespace roadside::messagelog {

// The options as configured (messagelog.*), before parsing.
struct LoggingOptions {
  bool body_logging = true;                          // messagelog.body_logging
  std::string enabled_local_producers;               // messagelog.enabled_body_logging_local_producer_subsystems
  std::string enabled_remote_producers;              // messagelog.enabled_body_logging_remote_producer_subsystems
  std::string disabled_local_producers;              // messagelog.disabled_body_logging_local_producer_subsystems
  std::string disabled_remote_producers;             // messagelog.disabled_body_logging_remote_producer_subsystems
  std::uint64_t max_loggable_body_bytes = 10 << 20;  // messagelog.max_loggable_body_bytes
  bool truncated_body_allowed = false;               // messagelog.truncated_body_allowed
};

struct LoggingPolicy {
  bool body_logging = true;
  // The subsystems whose body logging is the opposite of body_logging: those of the enabled-*
  // lists when body logging is off, of the disabled-* lists when it is on.
  std::vector<XRoadId> local_producer_overrides;
  std::vector<XRoadId> remote_producer_overrides;
  std::uint64_t max_loggable_body_bytes = 10 << 20;
  bool truncated_body_allowed = false;

  // Parses and checks the options as X-Road does at start: each list is comma-separated
  // subsystem ids "INSTANCE/CLASS/MEMBER/SUBSYSTEM" (spaces around parts ignored); an entry
  // without exactly four parts, or with a part X-Road does not allow, is refused, and so is an
  // enabled-* list while body logging is on, or a disabled-* list while it is off
  // (base::errc::invalid_argument naming the option). A subsystem code with "/" or "," cannot
  // be named (X-Road's rule; PR-MESS §2.7 allows neither "/" nor, in REST, a code that needs
  // escaping).
  static Result<LoggingPolicy> from_options(const LoggingOptions& options);
};

// One list of subsystem ids as the override options take it.
Result<std::vector<XRoadId>> parse_subsystem_list(std::string_view text);

// Whether a message to or from `service_provider`'s service keeps its body: `server_side`
// when the server proxy logs it (the provider is a local producer), else the client proxy.
bool body_logged(const LoggingPolicy& policy, const XRoadId& service_provider, bool server_side);

// The metadata-only SOAP message of `soap` (see above). errc::log_failed when it is not a
// SOAP envelope with a header and a body.
Result<std::string> metadata_only_soap(std::string_view soap, bool response);
// The metadata-only REST header part of `part` (a request or a response part, see above).
// errc::log_failed when a request part's target is not an X-Road REST target.
Result<std::string> metadata_only_rest(std::string_view part);

// What to do with an attachment of `size` bytes under the size options.
struct BodyDecision {
  enum class Action { keep, truncate, refuse, drop } action;
  std::uint64_t bytes;  // how many bytes are logged (0 for refuse and drop)
};
BodyDecision loggable_body(std::uint64_t size, std::uint64_t max_loggable_body_bytes, bool truncated_body_allowed);

// The record to write for `entry`: body_logged set; without the body, the message made
// metadata-only and the attachments dropped; with it, each attachment kept, truncated (a
// slice of its payload, never read into memory) or refused (errc::body_too_large).
Result<MessageRecordInput> loggable_record(const LoggingPolicy& policy, LogEntry entry);

}  // namespace roadside::messagelog
