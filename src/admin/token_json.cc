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

bool token_active(const ServerState& state, const std::string& token_id) {
  if (token_id == signer::SoftToken::kTokenId) return state.token.active();
  auto token = state.hardware ? state.hardware->token(token_id) : nullptr;
  return token && token->active();
}

bool known_token(const ServerState& state, const std::string& token_id) {
  return token_id == signer::SoftToken::kTokenId || (state.hardware && state.hardware->token(token_id));
}

nlohmann::json key_actions(const ServerState& state, const signer::TokenKey& key) {
  nlohmann::json actions = nlohmann::json::array({"DELETE", "EDIT_FRIENDLY_NAME"});
  if (token_active(state, key.token_id)) {
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

namespace {

nlohmann::json keys_of(const ServerState& state, const std::vector<signer::TokenKey>& keys,
                       const std::string& token_id) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : keys) {
    if (k.token_id == token_id) list.push_back(key_json(state, k));
  }
  return list;
}

// X-Road's TokenStatus of a hardware token: what its device says of the user PIN.
std::string_view hardware_status(const signer::pkcs11::TokenInfo& info) {
  if (info.user_pin_locked) return "USER_PIN_LOCKED";
  if (info.user_pin_final_try) return "USER_PIN_FINAL_TRY";
  if (info.user_pin_count_low) return "USER_PIN_COUNT_LOW";
  return "OK";
}

}  // namespace

nlohmann::json hardware_token_json(const ServerState& state, const signer::HardwareToken& token,
                                   const std::vector<signer::TokenKey>& keys) {
  const auto info = token.info();
  const bool logged_in = token.active();
  const bool available = token.available();
  nlohmann::json list = keys_of(state, keys, token.id());
  nlohmann::json actions = nlohmann::json::array();
  if (logged_in) {
    actions.push_back("GENERATE_KEY");
    actions.push_back("LOGOUT");
  } else if (available) {
    actions.push_back("LOGIN");
  }
  auto flag = [](bool b) { return b ? "true" : "false"; };
  nlohmann::json infos = nlohmann::json::array();
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"Type", "Hardware"},
                                                        {"Manufacturer ID", info.manufacturer},
                                                        {"Model", info.model},
                                                        {"Serial Number", info.serial},
                                                        {"Label", info.label},
                                                        {"User PIN initialized", flag(info.user_pin_initialized)},
                                                        {"User PIN count low", flag(info.user_pin_count_low)},
                                                        {"User PIN final try", flag(info.user_pin_final_try)},
                                                        {"User PIN locked", flag(info.user_pin_locked)},
                                                        {"Token write protected", flag(info.write_protected)}}) {
    infos.push_back({{"key", key}, {"value", value}});
  }
  // X-Road's default friendly name: moduleType-serialNumber-label-slotIndex.
  const std::string name =
      token.options().module_type + "-" + info.serial + "-" + info.label + "-" + std::to_string(info.slot_index);
  return {{"id", token.id()},
          {"name", name},
          {"type", "HARDWARE"},
          {"keys", list},
          {"status", hardware_status(info)},
          {"logged_in", logged_in},
          {"available", available},
          {"saved_to_configuration", !list.empty()},
          {"read_only", token.options().read_only || info.write_protected},
          {"serial_number", info.serial},
          {"token_infos", infos},
          {"possible_actions", actions}};
}

nlohmann::json tokens_json(const ServerState& state, const std::vector<signer::TokenKey>& keys) {
  nlohmann::json out = nlohmann::json::array({token_json(state, keys)});
  if (state.hardware) {
    for (const auto& token : state.hardware->tokens()) out.push_back(hardware_token_json(state, *token, keys));
  }
  return out;
}

nlohmann::json token_json(const ServerState& state, const std::vector<signer::TokenKey>& keys) {
  const bool logged_in = state.token.active();
  nlohmann::json list = keys_of(state, keys, std::string(signer::SoftToken::kTokenId));
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
