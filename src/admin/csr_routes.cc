// CSRs and the CAs they go to, as X-Road's admin API has them: /certificate-authorities (the
// approved CAs of global configuration, with the CSR form of each CA's certificate profile),
// POST /keys/{id}/csrs (a CSR whose subject the profile builds from the form's values),
// GET /keys/{id}/csrs/{csr_id} and POST /tokens/{id}/keys-with-csrs.
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "admin/token_json.h"
#include "base/clock.h"
#include "crypto/csr.h"
#include "trust/certificate_profile.h"

namespace roadside::admin {

using signer::KeyUsage;

namespace {

std::optional<KeyUsage> usage_named(std::string_view name) {
  if (name == "SIGNING") return KeyUsage::signing;
  if (name == "AUTHENTICATION") return KeyUsage::authentication;
  return std::nullopt;
}

trust::CertType cert_type(KeyUsage usage) {
  return usage == KeyUsage::signing ? trust::CertType::sign : trust::CertType::auth;
}

// The approved CA of that name and its profile, or X-Road's error.
struct FoundCa {
  const globalconf::ApprovedCa* ca;
  const trust::CertificateProfile* profile;
  std::shared_ptr<const globalconf::SharedParameters> shared;  // keeps `ca` alive
};

std::variant<FoundCa, ApiError> find_ca(const ServerState& state, std::string_view name) {
  auto shared = state.shared();
  if (!shared) return bad_request("global_conf_outdated", {}, "no valid global configuration yet");
  for (const auto& ca : shared->approved_cas) {
    if (ca.name != name) continue;
    auto profile = trust::CertificateProfile::for_class(ca.certificate_profile_info);
    if (!profile.ok()) return ApiError{500, {"internal_error", {}}, {}, profile.error().detail()};
    return FoundCa{&ca, *profile, shared};
  }
  return ApiError{404, {"certificate_authority_not_found", {std::string(name)}}, {}, {}};
}

// What the profile is told: the server (auth), or the member and where the CSR is made (sign).
trust::ProfileParameters profile_parameters(const ServerState& state, const FoundCa& found,
                                            const std::optional<XRoadId>& member) {
  trust::ProfileParameters params;
  params.server = state.server_id();
  if (member) {
    params.client = member->owner_member();
    if (const auto* m = found.shared->member(*params.client)) params.member_name = m->name;
  }
  return params;
}

std::string file_name(KeyUsage usage, const std::optional<XRoadId>& member, std::string_view format) {
  std::string stamp = format_rfc3339(Clock::system().now()).substr(0, 10);
  std::string name = std::string(usage == KeyUsage::signing ? "sign" : "auth") + "_csr_" + stamp;
  if (member) name += "_" + api_id(*member);
  for (char& c : name) c = (c == ':' || c == '/') ? '_' : c;
  return name + (format == "DER" ? ".der" : ".pem");
}

Response csr_file(const signer::TokenCsr& csr, std::string_view format) {
  std::string body = csr.der;
  if (format != "DER") {
    auto request = crypto::CertificateRequest::from_der(csr.der);
    body = request.ok() ? request->to_pem() : std::string();
  }
  Response r{201, "application/octet-stream", std::move(body), {}};
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"" + file_name(csr.usage, csr.member, format) + "\"");
  return r;
}

struct CsrRequest {
  KeyUsage usage;
  std::string ca_name, format;
  std::optional<XRoadId> member;
  std::vector<std::pair<std::string, std::string>> values;
};

// CsrGenerate, or X-Road's error.
std::variant<CsrRequest, ApiError> read_csr_generate(const nlohmann::json& body) {
  if (!body.is_object()) return bad_request("invalid_request_body", {}, "CsrGenerate is a JSON object");
  CsrRequest out;
  auto usage = usage_named(json_string(body, "key_usage_type"));
  if (!usage) return bad_request("invalid_request_body", {"key_usage_type"});
  out.usage = *usage;
  out.ca_name = json_string(body, "ca_name");
  out.format = json_string(body, "csr_format", "PEM");
  if (out.format != "PEM" && out.format != "DER") return bad_request("invalid_request_body", {"csr_format"});
  if (out.usage == KeyUsage::signing) {
    auto member = parse_client_id(json_string(body, "member_id"));
    if (!member) return bad_request("invalid_member_id", {json_string(body, "member_id")});
    out.member = member;
  }
  const nlohmann::json& fields = json_member(body, "subject_field_values");
  if (!fields.is_null() && (!fields.is_object() || fields.size() > 32))
    return bad_request("invalid_request_body", {"subject_field_values"});
  for (const auto& [id, value] : fields.items()) {
    if (!value.is_string()) return bad_request("invalid_dn_parameter", {id});
    out.values.emplace_back(id, value.get<std::string>());
  }
  return out;
}

// Makes the CSR for `key_id` from a CsrGenerate: the profile checks every field and builds the
// subject; the token signs it.
std::variant<signer::TokenCsr, ApiError> generate(ServerState& state, Request& r, const std::string& key_id,
                                                  const CsrRequest& c) {
  const char* permission = c.usage == KeyUsage::signing ? "generate_sign_cert_req" : "generate_auth_cert_req";
  if (!permits(r.caller.roles, permission)) return ApiError{403, {"permission_denied", {permission}}, {}, {}};
  auto found = find_ca(state, c.ca_name);
  if (auto* e = std::get_if<ApiError>(&found)) return *e;
  const FoundCa& ca = std::get<FoundCa>(found);
  if (c.usage == KeyUsage::signing && ca.ca->authentication_only) {
    return bad_request("ca_cert_authentication_only", {c.ca_name});
  }
  if (c.usage == KeyUsage::authentication && !state.server_id()) return bad_request("server_not_initialized");
  const trust::ProfileParameters params = profile_parameters(state, ca, c.member);
  for (const auto& [id, value] : c.values) {
    if (auto st = ca.profile->validate_subject_field(cert_type(c.usage), params, id, value); !st.ok()) {
      return bad_request("invalid_dn_parameter", {id}, st.error().detail());
    }
  }
  // The subjectAltName field is the CSR's DNS name, not a part of its subject (as X-Road's signer has it).
  std::vector<std::pair<std::string, std::string>> dn_values;
  std::string dns_name;
  for (const auto& [id, value] : c.values) {
    if (id == "subjectAltName") {
      dns_name = value;
    } else {
      dn_values.emplace_back(id, value);
    }
  }
  auto dn = ca.profile->create_subject_dn(cert_type(c.usage), dn_values);
  if (!dn.ok()) return bad_request("invalid_dn_parameter", {}, dn.error().detail());
  std::vector<std::pair<std::string, std::string>> subject;
  for (const auto& a : *dn) subject.emplace_back(a.oid, a.value);
  auto made = state.token.make_csr(key_id, c.usage, c.member, subject, std::string(ca.profile->name()), dns_name);
  if (!made.ok()) {
    if (made.error().code() == signer::errc::token_not_active) return bad_request("token_not_active");
    if (made.error().code() == signer::errc::key_not_found)
      return bad_request("key_usage_mismatch", {key_id}, made.error().detail());
    return bad_request("csr_generation_failed", {}, made.error().detail());
  }
  r.audit = {{"keyId", key_id},
             {"keyUsage", signer::key_usage_name(c.usage)},
             {"clientIdentifier", c.member ? api_id(*c.member) : ""},
             {"subjectName", made->subject},
             {"certificateProfile", made->profile},
             {"csrFormat", c.format}};
  return std::move(made).value();
}

nlohmann::json ca_json(const globalconf::ApprovedCa& ca, const globalconf::CaCertificate& cert, bool top) {
  return {{"name", top ? ca.name : cert.cert.subject()},
          {"subject_distinguished_name", cert.cert.subject()},
          {"issuer_distinguished_name", cert.cert.issuer()},
          {"ocsp_response", "NOT_AVAILABLE"},
          {"not_after", format_rfc3339(cert.cert.not_after())},
          {"top_ca", top},
          {"path", top ? cert.cert.subject() : ca.top.cert.subject() + ":" + cert.cert.subject()},
          {"authentication_only", ca.authentication_only},
          {"certificate_profile_info", ca.certificate_profile_info},
          {"acme_capable", false},
          {"ocsp_responders", nlohmann::json::array()}};
}

}  // namespace

void add_csr_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/certificate-authorities", "view_approved_certificate_authorities",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto shared = state.shared();
             if (!shared) co_return bad_request("global_conf_outdated", {}, "no valid global configuration yet");
             const bool signing = r.query["key_usage_type"] == "SIGNING";
             const bool intermediates = r.query["include_intermediate_cas"] == "true";
             nlohmann::json list = nlohmann::json::array();
             for (const auto& ca : shared->approved_cas) {
               if (signing && ca.authentication_only) continue;
               list.push_back(ca_json(ca, ca.top, true));
               if (intermediates) {
                 for (const auto& i : ca.intermediates) list.push_back(ca_json(ca, i, false));
               }
             }
             co_return json_response(200, list);
           },
           false, "", false, "the CAs of global configuration (SIGNING: those that issue signing certificates)"});
  api.add({Verb::get, "/certificate-authorities/{ca_name}/csr-subject-fields",
           "generate_auth_cert_req|generate_sign_cert_req",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto usage = usage_named(r.query["key_usage_type"]);
             if (!usage) co_return bad_request("invalid_request_body", {"key_usage_type"});
             auto found = find_ca(state, r.param("ca_name"));
             if (auto* e = std::get_if<ApiError>(&found)) co_return *e;
             std::optional<XRoadId> member;
             if (*usage == KeyUsage::signing) {
               member = parse_client_id(r.query["member_id"]);
               if (!member) co_return bad_request("invalid_member_id", {r.query["member_id"]});
             }
             const FoundCa& ca = std::get<FoundCa>(found);
             nlohmann::json list = nlohmann::json::array();
             for (const auto& f :
                  ca.profile->subject_fields(cert_type(*usage), profile_parameters(state, ca, member))) {
               list.push_back({{"id", f.id},
                               {"label", f.label},
                               {"label_key", f.label_key},
                               {"default_value", f.default_value},
                               {"read_only", f.read_only},
                               {"required", f.required},
                               {"localized", true}});
             }
             co_return json_response(200, list);
           },
           false, "", false, "the CSR form of the CA's certificate profile, with its defaults"});
  api.add({Verb::post, "/keys/{id}/csrs", "generate_auth_cert_req|generate_sign_cert_req",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto body = r.json_body();
             auto c = read_csr_generate(body.value_or(nlohmann::json()));
             if (auto* e = std::get_if<ApiError>(&c)) co_return *e;
             auto made = generate(state, r, r.param("id"), std::get<CsrRequest>(c));
             if (auto* e = std::get_if<ApiError>(&made)) co_return *e;
             co_return csr_file(std::get<signer::TokenCsr>(made), std::get<CsrRequest>(c).format);
           },
           true, "Generate CSR", false, "a CSR for the key, its subject built by the CA's certificate profile"});
  api.add({Verb::get, "/keys/{id}/csrs/{csr_id}", "generate_auth_cert_req|generate_sign_cert_req",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = state.token.contents();
             if (!keys.ok()) co_return internal_error(keys.error());
             const std::string format = r.query.contains("csr_format") ? r.query["csr_format"] : "PEM";
             if (format != "PEM" && format != "DER") co_return bad_request("invalid_request_body", {"csr_format"});
             for (const auto& k : *keys) {
               if (k.key_id != r.param("id")) continue;
               for (const auto& csr : k.csrs) {
                 if (csr.csr_id == r.param("csr_id")) co_return csr_file(csr, format);
               }
             }
             co_return not_found("no such CSR");
           },
           false, "", false, "a CSR again, PEM or DER (csr_format)"});
  api.add({Verb::post, "/tokens/{id}/keys-with-csrs", "generate_key",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (!known_token(state, r.param("id"))) co_return not_found("no such token");
             auto body = r.json_body().value_or(nlohmann::json());
             if (!body.is_object()) co_return bad_request("invalid_request_body");
             auto c = read_csr_generate(json_member(body, "csr_generate_request"));
             if (auto* e = std::get_if<ApiError>(&c)) co_return *e;
             auto key =
                 state.token.generate_key(json_string(body, "key_label"), crypto::KeyType::rsa2048, r.param("id"));
             if (!key.ok()) {
               if (key.error().code() == signer::errc::token_not_available)
                 co_return ApiError{409, {"token_not_available", {}}, {}, key.error().detail()};
               co_return bad_request("token_not_active", {}, key.error().detail());
             }
             auto made = generate(state, r, key->key_id, std::get<CsrRequest>(c));
             if (auto* e = std::get_if<ApiError>(&made)) {
               (void)state.token.delete_key(key->key_id);  // nothing half made stays
               co_return *e;
             }
             auto keys = state.token.contents();
             if (!keys.ok()) co_return internal_error(keys.error());
             for (const auto& k : *keys) {
               if (k.key_id == key->key_id) {
                 co_return json_response(
                     201, {{"key", key_json(state, k)}, {"csr_id", std::get<signer::TokenCsr>(made).csr_id}});
               }
             }
             co_return internal_error(Error(std::make_error_code(std::errc::io_error), "the new key is gone"));
           },
           true, "Generate key and CSR", false, "a new key and its CSR in one step"});
}

}  // namespace roadside::admin
