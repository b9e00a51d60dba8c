#include "opmon/query.h"

#include <charconv>

#include <zlib.h>

#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::opmon {

namespace {

Error invalid(std::string detail) {
  return Error(make_error_code(errc::invalid_request), std::move(detail));
}

// xs:long, surrounding whitespace allowed.
std::optional<std::int64_t> parse_long(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t' || text.front() == '\r'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

Result<std::int64_t> required_long(const xml::Element& parent, std::string_view name) {
  auto text = parent.child_text(name);
  if (!text) return invalid("searchCriteria has no " + std::string(name));
  auto v = parse_long(*text);
  if (!v) return invalid(std::string(name) + " is not a number: " + text->substr(0, 64));
  return *v;
}

// The member (or subsystem) `id` in the client or the service role of `r`.
bool in_role(const OpRecord& r, const XRoadId& id, bool as_client) {
  const auto& instance = as_client ? r.client_xroad_instance : r.service_xroad_instance;
  const auto& member_class = as_client ? r.client_member_class : r.service_member_class;
  const auto& member_code = as_client ? r.client_member_code : r.service_member_code;
  const auto& subsystem = as_client ? r.client_subsystem_code : r.service_subsystem_code;
  const std::string_view want_subsystem = id.subsystem_code();
  return instance == id.instance() && member_class == id.member_class() && member_code == id.member_code() &&
         (want_subsystem.empty() ? !subsystem.has_value() : subsystem == want_subsystem);
}

}  // namespace

Result<OperationalDataRequest> parse_operational_data_request(std::string_view soap, std::size_t max_bytes) {
  auto doc = xml::Document::parse(soap, max_bytes);
  if (!doc.ok()) return invalid("the request is not usable XML: " + doc.error().detail());
  auto body = doc->root().child("Body");
  auto call = body ? body->child("getSecurityServerOperationalData") : std::nullopt;
  if (!call || call->ns() != kOpMonitoringNs)
    return invalid("the request has no getSecurityServerOperationalData element");
  auto criteria = call->child("searchCriteria");
  if (!criteria) return invalid("getSecurityServerOperationalData has no searchCriteria");
  OperationalDataRequest out;
  ROADSIDE_TRY(out.records_from, required_long(*criteria, "recordsFrom"));
  ROADSIDE_TRY(out.records_to, required_long(*criteria, "recordsTo"));
  if (auto client = criteria->child("client")) {
    auto id = xml::identifier_from_element(*client);
    if (!id.ok()) return invalid("searchCriteria/client: " + id.error().detail());
    out.service_provider = std::move(id).value();
  }
  if (auto spec = call->child("outputSpec")) {
    for (const auto& field : spec->children("outputField")) out.output_fields.push_back(field.text());
  }
  return out;
}

Status check_operational_data_request(const OperationalDataRequest& request, const OperationalDataQuery& query) {
  const std::int64_t available_before = query.now_s - query.offset_s;
  if (request.records_from < 0) return invalid("Records from timestamp is a negative number");
  if (request.records_to < 0) return invalid("Records to timestamp is a negative number");
  if (request.records_to < request.records_from)
    return invalid("Records to timestamp is earlier than records from timestamp");
  if (request.records_from >= available_before)
    return invalid("Records not available from " + std::to_string(request.records_from) + " yet");
  if (auto spec = OutputSpec::of(request.output_fields, query.privileged); !spec.ok()) return spec.error();
  return {};
}

Result<OperationalDataResponse> answer_operational_data(OpStore& store, const OperationalDataRequest& request,
                                                        const OperationalDataQuery& query) {
  ROADSIDE_TRY_STATUS(check_operational_data_request(request, query));
  const std::int64_t available_before = query.now_s - query.offset_s;
  std::int64_t to = request.records_to;
  ROADSIDE_TRY(OutputSpec spec, OutputSpec::of(request.output_fields, query.privileged));

  OperationalDataResponse out;
  if (to >= available_before) {
    to = available_before - 1;
    out.next_records_from = available_before;
  }
  const std::optional<XRoadId> requester = query.privileged ? std::nullopt : std::optional(query.requester);
  auto match = [&](const OpRecord& r) {
    if (requester && !in_role(r, *requester, true) && !in_role(r, *requester, false)) return false;
    return !request.service_provider || in_role(r, *request.service_provider, false);
  };
  ROADSIDE_TRY(OpQueryResult found,
               store.query(request.records_from, to, query.max_records, match,
                           query.privileged ? query.max_scanned_records : query.max_scanned_records_plain));
  if (found.next_records_from) out.next_records_from = found.next_records_from;

  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : found.records) records.push_back(to_json(r, &spec));
  out.records_count = found.records.size();
  out.payload = gzip(
      nlohmann::json{{"records", std::move(records)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  const std::string om(kOpMonitoringNs);
  out.body_xml = "<om:getSecurityServerOperationalDataResponse xmlns:om=\"" + om + "\"><om:recordsCount>" +
                 std::to_string(out.records_count) + "</om:recordsCount><om:records>cid:" + std::string(kPayloadCid) +
                 "</om:records>";
  if (out.next_records_from)
    out.body_xml += "<om:nextRecordsFrom>" + std::to_string(*out.next_records_from) + "</om:nextRecordsFrom>";
  out.body_xml += "</om:getSecurityServerOperationalDataResponse>";
  return out;
}

std::string gzip(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace roadside::opmon
