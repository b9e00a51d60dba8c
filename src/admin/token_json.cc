#include "admin/token_json.h"

#include "admin/ids.h"
#include "base/clock.h"
#include "crypto/certificate_facts.h"

namespace roadside::admin {

using signer::CertStatus;
using signer::KeyUsage;

namespace {

// Whose a certificate or CSR is: a signing one's member, else the server's owner.
std::string owner_of(const ServerState& state, const std::optional<XRoadId>& member) {
  if (member) return api_id(*member);
  auto server = state.server_id();
  return server ? api_id(server->owner_member()) : std::string("-");
}

// X-Road's schema bounds its fields (a signature to 255 characters, a modulus to 1000, none
// empty): a longer value is shown cut, ending "...", as the schema's own examples show them;
// one the certificate does not have reads "none".
std::string bounded(std::string text, std::size_t max) {
  if (text.empty()) return "none";
  if (text.size() > max) text = text.substr(0, max - 3) + "...";
  return text;
}

}  // namespace

nlohmann::json certificate_details_json(const crypto::Certificate& cert) {
  const crypto::CertificateFacts f = crypto::describe(cert);
  nlohmann::json j = {{"issuer_distinguished_name", f.issuer_dn},
                      {"issuer_common_name", f.issuer_cn.empty() ? f.issuer_dn : f.issuer_cn},
                      {"subject_distinguished_name", f.subject_dn},
                      {"subject_common_name", f.subject_cn.empty() ? f.subject_dn : f.subject_cn},
                      {"not_before", format_rfc3339(f.not_before)},
                      {"not_after", format_rfc3339(f.not_after)},
                      {"serial", f.serial},
                      {"version", f.version},
                      {"signature_algorithm", f.signature_algorithm},
                      {"signature", bounded(f.signature, 255)},
                      {"public_key_algorithm", f.public_key_algorithm},
                      {"rsa_public_key_modulus", bounded(f.rsa_modulus, 1000)},
                      {"rsa_public_key_exponent", f.rsa_exponent},
                      {"hash", f.hash},
                      {"key_usages", f.key_usages},
                      {"subject_alternative_names", bounded(f.subject_alternative_names, 1000)}};
  if (f.public_key_algorithm == "EC") {
    j["ec_public_parameters"] = f.ec_parameters;
    j["ec_public_key_point"] = bounded(f.ec_point, 1000);
  }
  return j;
}

std::optional<FoundCert> find_cert(const std::vector<signer::TokenKey>& keys, const std::string& hash) {
  const std::string wanted = signer::normalized_cert_hash(hash);
  for (const auto& k : keys) {
    for (const auto& c : k.certs) {
      if (c.hash() == wanted) return FoundCert{&k, &c};
    }
  }
  return std::nullopt;
}

nlohmann::json certificate_actions(const signer::TokenKey& key, const signer::TokenCert& cert) {
  nlohmann::json actions = nlohmann::json::array();
  actions.push_back(cert.active ? "DISABLE" : "ACTIVATE");
  const bool auth = key.usage == KeyUsage::authentication;
  if (auth && (cert.status == CertStatus::saved || cert.status == CertStatus::global_error))
    actions.push_back("REGISTER");
  if (auth && (cert.status == CertStatus::registered || cert.status == CertStatus::registration_in_progress)) {
    actions.push_back("UNREGISTER");
  }
  if (!auth || cert.status != CertStatus::registered) actions.push_back("DELETE");
  return actions;
}

nlohmann::json token_certificate_json(const ServerState& state, const signer::TokenKey& key,
                                      const signer::TokenCert& cert) {
  return {{"ocsp_status", cert.active ? state.ocsp_status(cert.cert) : std::string("DISABLED")},
          {"owner_id", owner_of(state, cert.member)},
          {"active", cert.active},
          {"saved_to_configuration", true},
          {"certificate_details", certificate_details_json(cert.cert)},
          {"status", signer::cert_status_name(cert.status)},
          {"possible_actions", certificate_actions(key, cert)}};
}

nlohmann::json csr_json(const ServerState& state, const signer::TokenCsr& csr) {
  return {{"id", csr.csr_id},
          {"owner_id", owner_of(state, csr.member)},
          {"certificate_profile", csr.profile},
          {"possible_actions", nlohmann::json::array({"DELETE"})}};
}

nlohmann::json key_actions(const ServerState& state, const signer::TokenKey& key) {
  nlohmann::json actions = nlohmann::json::array({"DELETE", "EDIT_FRIENDLY_NAME"});
  if (state.token.active()) {
    if (!key.usage || key.usage == KeyUsage::authentication) actions.push_back("GENERATE_AUTH_CSR");
    if (!key.usage || key.usage == KeyUsage::signing) actions.push_back("GENERATE_SIGN_CSR");
  }
  return actions;
}

nlohmann::json key_json(const ServerState& state, const signer::TokenKey& key) {
  nlohmann::json certs = nlohmann::json::array(), csrs = nlohmann::json::array();
  for (const auto& c : key.certs) certs.push_back(token_certificate_json(state, key, c));
  for (const auto& c : key.csrs) csrs.push_back(csr_json(state, c));
  nlohmann::json j = {{"id", key.key_id},
                      {"name", key.friendly_name},
                      {"label", key.label},
                      {"certificates", certs},
                      {"certificate_signing_requests", csrs},
                      {"available", true},
                      {"saved_to_configuration", true},
                      {"possible_actions", key_actions(state, key)},
                      {"key_algorithm", key.ec ? "EC" : "RSA"}};
  if (key.usage) j["usage"] = signer::key_usage_name(*key.usage);
  return j;
}

nlohmann::json token_json(const ServerState& state, const std::vector<signer::TokenKey>& keys) {
  const bool logged_in = state.token.active();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : keys) list.push_back(key_json(state, k));
  nlohmann::json actions = nlohmann::json::array();
  actions.push_back(logged_in ? "LOGOUT" : "LOGIN");
  if (logged_in) actions.push_back("GENERATE_KEY");
  auto initialized = state.token.initialized();
  return {{"id", signer::SoftToken::kTokenId},
          {"name", "softToken-0"},
          {"type", "SOFTWARE"},
          {"keys", list},
          {"status", initialized.ok() && !*initialized ? "NOT_INITIALIZED" : "OK"},
          {"logged_in", logged_in},
          {"available", true},
          {"saved_to_configuration", true},
          {"read_only", false},
          {"token_infos", nlohmann::json::array()},
          {"possible_actions", actions}};
}

}  // namespace roadside::admin
