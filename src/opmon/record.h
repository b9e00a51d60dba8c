// One operational data record: what a Security Server tells X-Road's operational monitoring
// about one message it mediated (PR-OPMON, the records of getSecurityServerOperationalData;
// X-Road's OperationalDataRecord). Every field but monitoringDataTs is optional, as in
// X-Road's JSON: a field the server did not learn (a request refused before its SOAP header
// was read has no service) is left out.
//
// Records are stored as JSON objects with X-Road's field names (to_json/from_json), and
// answered with the fields an `outputSpec` names (OutputSpec).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::opmon {

enum class errc {
  invalid_request = 1,  // X-Road's InvalidRequest: a query the protocol does not allow
  malformed_record,     // a stored record that is not a JSON object of X-Road's fields
  store_failed,         // the records could not be written or read
};
const FaultCategory& opmon_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), opmon_category()};
}

struct OpRecord {
  std::int64_t monitoring_data_ts = 0;  // Unix seconds: when the record was taken (queries go by it)
  std::optional<std::string> security_server_internal_ip;
  std::optional<std::string> security_server_type;                                             // "Client" or "Producer"
  std::optional<std::int64_t> request_in_ts, request_out_ts, response_in_ts, response_out_ts;  // Unix ms
  std::optional<std::string> client_xroad_instance, client_member_class, client_member_code, client_subsystem_code;
  std::optional<std::string> service_xroad_instance, service_member_class, service_member_code, service_subsystem_code,
      service_code, service_version;
  std::optional<std::string> rest_method, rest_path;
  std::optional<std::string> represented_party_class, represented_party_code;
  std::optional<std::string> message_id, message_user_id, message_issue, message_protocol_version;
  std::optional<std::string> client_security_server_address, service_security_server_address;
  std::optional<std::int64_t> request_size, request_mime_size, response_size, response_mime_size;
  std::optional<std::int64_t> request_attachment_count, response_attachment_count;
  std::optional<bool> succeeded;
  std::optional<std::string> fault_code, fault_string;
  std::optional<std::string> x_request_id;
  std::optional<std::int64_t> status_code;  // the REST response's HTTP status
  std::optional<std::string> service_type;  // WSDL, REST or OPENAPI3
  std::optional<std::string> xroad_version;

  friend bool operator==(const OpRecord&, const OpRecord&) = default;
};

// The record's client as XRoadId writes one: MEMBER:instance/class/member or SUBSYSTEM:.../subsystem.
std::string client_identifier(const OpRecord& record);
// The record's service as XRoadId writes one: SERVICE:instance/class/member[/subsystem]/code[/version]
// (without the version when `with_version` is false).
std::string service_identifier(const OpRecord& record, bool with_version = true);

// Cuts every text field to X-Road's bounds (255 bytes; faultString 2048), before a character
// rather than inside one: the proxies copy
// them from requests and answers, so a record never holds more than a few kilobytes.
void bound(OpRecord& record);

// X-Road's names of every field, in X-Road's order (the JSON keys and outputField values).
const std::vector<std::string_view>& field_names();

// The fields a response carries. X-Road's rules: an empty outputSpec means every field;
// monitoringDataTs only when named then (the query orders and cuts by it all the same); a
// client that is neither the server's owner nor the monitoring client never gets
// securityServerInternalIp.
class OutputSpec {
 public:
  // errc::invalid_request naming the first field X-Road does not know.
  static Result<OutputSpec> of(const std::vector<std::string>& output_fields, bool privileged);
  bool includes(std::string_view field) const;

 private:
  std::set<std::string, std::less<>> fields_;
};

// The record as X-Road's JSON object, with `spec`'s fields only (all when none is given).
nlohmann::json to_json(const OpRecord& record, const OutputSpec* spec = nullptr);
// The record a JSON object holds (one to_json wrote): errc::malformed_record otherwise.
Result<OpRecord> from_json(const nlohmann::json& object);

}  // namespace roadside::opmon

ROADSIDE_ERRC_ENUM(roadside::opmon::errc)
