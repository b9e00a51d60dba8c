#include "opmon/record.h"

#include <algorithm>
#include <variant>

namespace roadside::opmon {

const FaultCategory& opmon_category() noexcept {
  static const TableCategory<errc> c("opmon",
                                     {
                                         {errc::invalid_request, "invalid_request", "invalid request"},
                                         {errc::malformed_record, "internal_error", "malformed record"},
                                         {errc::store_failed, "internal_error", "operational data store failed"},
                                     });
  return c;
}

namespace {

using Member = std::variant<std::optional<std::string> OpRecord::*, std::optional<std::int64_t> OpRecord::*,
                            std::optional<bool> OpRecord::*>;
struct Field {
  std::string_view name;
  Member member;
};

constexpr std::string_view kMonitoringDataTs = "monitoringDataTs";
constexpr std::string_view kInternalIp = "securityServerInternalIp";

// Every field but monitoringDataTs, in X-Road's order (PR-OPMON §2).
const Field kFields[] = {
    {kInternalIp, &OpRecord::security_server_internal_ip},
    {"securityServerType", &OpRecord::security_server_type},
    {"requestInTs", &OpRecord::request_in_ts},
    {"requestOutTs", &OpRecord::request_out_ts},
    {"responseInTs", &OpRecord::response_in_ts},
    {"responseOutTs", &OpRecord::response_out_ts},
    {"clientXRoadInstance", &OpRecord::client_xroad_instance},
    {"clientMemberClass", &OpRecord::client_member_class},
    {"clientMemberCode", &OpRecord::client_member_code},
    {"clientSubsystemCode", &OpRecord::client_subsystem_code},
    {"serviceXRoadInstance", &OpRecord::service_xroad_instance},
    {"serviceMemberClass", &OpRecord::service_member_class},
    {"serviceMemberCode", &OpRecord::service_member_code},
    {"serviceSubsystemCode", &OpRecord::service_subsystem_code},
    {"serviceCode", &OpRecord::service_code},
    {"restMethod", &OpRecord::rest_method},
    {"restPath", &OpRecord::rest_path},
    {"serviceVersion", &OpRecord::service_version},
    {"representedPartyClass", &OpRecord::represented_party_class},
    {"representedPartyCode", &OpRecord::represented_party_code},
    {"messageId", &OpRecord::message_id},
    {"messageUserId", &OpRecord::message_user_id},
    {"messageIssue", &OpRecord::message_issue},
    {"messageProtocolVersion", &OpRecord::message_protocol_version},
    {"clientSecurityServerAddress", &OpRecord::client_security_server_address},
    {"serviceSecurityServerAddress", &OpRecord::service_security_server_address},
    {"requestSize", &OpRecord::request_size},
    {"requestMimeSize", &OpRecord::request_mime_size},
    {"requestAttachmentCount", &OpRecord::request_attachment_count},
    {"responseSize", &OpRecord::response_size},
    {"responseMimeSize", &OpRecord::response_mime_size},
    {"responseAttachmentCount", &OpRecord::response_attachment_count},
    {"succeeded", &OpRecord::succeeded},
    {"serviceType", &OpRecord::service_type},
    {"faultCode", &OpRecord::fault_code},
    {"faultString", &OpRecord::fault_string},
    {"statusCode", &OpRecord::status_code},
    {"xRoadVersion", &OpRecord::xroad_version},
    {"xRequestId", &OpRecord::x_request_id},
};

const Field* find_field(std::string_view name) {
  for (const auto& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed_record), std::move(detail));
}

}  // namespace

std::string client_identifier(const OpRecord& r) {
  std::string out = (r.client_subsystem_code ? "SUBSYSTEM:" : "MEMBER:") + r.client_xroad_instance.value_or("") + "/" +
                    r.client_member_class.value_or("") + "/" + r.client_member_code.value_or("");
  if (r.client_subsystem_code) out += "/" + *r.client_subsystem_code;
  return out;
}

std::string service_identifier(const OpRecord& r, bool with_version) {
  std::string out = "SERVICE:" + r.service_xroad_instance.value_or("") + "/" + r.service_member_class.value_or("") +
                    "/" + r.service_member_code.value_or("");
  if (r.service_subsystem_code) out += "/" + *r.service_subsystem_code;
  out += "/" + r.service_code.value_or("");
  if (with_version && r.service_version) out += "/" + *r.service_version;
  return out;
}

void bound(OpRecord& record) {
  for (const auto& f : kFields) {
    if (const auto* member = std::get_if<std::optional<std::string> OpRecord::*>(&f.member)) {
      auto& value = record.**member;
      const std::size_t limit = f.name == "faultString" ? 2048 : 255;
      if (!value || value->size() <= limit) continue;
      // Cut before a character, not inside one: the text goes on to JSON and Prometheus.
      // (At most 3 bytes back: text that is not UTF-8 is cut where the bound is.)
      auto continues = [&](std::size_t at) { return (static_cast<unsigned char>((*value)[at]) & 0xC0) == 0x80; };
      std::size_t cut = limit;
      while (cut > 0 && limit - cut < 3 && continues(cut)) --cut;
      value->resize(continues(cut) ? limit : cut);
    }
  }
}

const std::vector<std::string_view>& field_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out{kMonitoringDataTs};
    for (const auto& f : kFields) out.push_back(f.name);
    return out;
  }();
  return names;
}

Result<OutputSpec> OutputSpec::of(const std::vector<std::string>& output_fields, bool privileged) {
  OutputSpec spec;
  for (const auto& name : output_fields) {
    if (name != kMonitoringDataTs && !find_field(name)) {
      return Error(make_error_code(errc::invalid_request),
                   "Unknown output field in search criteria: " + name.substr(0, 64));
    }
  }
  if (output_fields.empty()) {
    spec.fields_.insert(field_names().begin(), field_names().end());
  } else {
    spec.fields_.insert(output_fields.begin(), output_fields.end());
  }
  if (!privileged) spec.fields_.erase(std::string(kInternalIp));
  return spec;
}

bool OutputSpec::includes(std::string_view field) const {
  return fields_.find(field) != fields_.end();
}

nlohmann::json to_json(const OpRecord& record, const OutputSpec* spec) {
  nlohmann::json out = nlohmann::json::object();
  if (!spec || spec->includes(kMonitoringDataTs)) out[std::string(kMonitoringDataTs)] = record.monitoring_data_ts;
  for (const auto& f : kFields) {
    if (spec && !spec->includes(f.name)) continue;
    std::visit(
        [&](auto member) {
          if (const auto& value = record.*member) out[std::string(f.name)] = *value;
        },
        f.member);
  }
  return out;
}

Result<OpRecord> from_json(const nlohmann::json& object) {
  if (!object.is_object()) return malformed("an operational data record is not a JSON object");
  OpRecord r;
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    if (key == kMonitoringDataTs) {
      if (!value.is_number_integer()) return malformed("monitoringDataTs is not an integer");
      r.monitoring_data_ts = value.get<std::int64_t>();
      continue;
    }
    const Field* f = find_field(key);
    if (!f) return malformed("unknown field " + key);
    bool typed = true;
    std::visit(
        [&](auto member) {
          using T = typename std::remove_reference_t<decltype(r.*member)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            typed = value.is_string();
          } else if constexpr (std::is_same_v<T, bool>) {
            typed = value.is_boolean();
          } else {
            typed = value.is_number_integer();
          }
          if (typed) r.*member = value.get<T>();
        },
        f->member);
    if (!typed) return malformed("field " + key + " has the wrong type");
  }
  return r;
}

}  // namespace roadside::opmon
