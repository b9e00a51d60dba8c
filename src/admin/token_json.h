// The token's keys, certificates and CSRs as X-Road's admin API shows them (schemas Token,
// Key, TokenCertificate, TokenCertificateSigningRequest, CertificateDetails), with the
// possible actions X-Road's UI offers for each.
#pragma once

#include <nlohmann/json.hpp>

#include "admin/context.h"
#include "crypto/certificate.h"
#include "signer/token.h"

namespace roadside::admin {

nlohmann::json certificate_details_json(const crypto::Certificate& cert);
nlohmann::json token_certificate_json(const ServerState& state, const signer::TokenKey& key,
                                      const signer::TokenCert& cert);
nlohmann::json csr_json(const ServerState& state, const signer::TokenCsr& csr);
nlohmann::json key_json(const ServerState& state, const signer::TokenKey& key);
// The software token with its keys (those of `keys` with its id).
nlohmann::json token_json(const ServerState& state, const std::vector<signer::TokenKey>& keys);
// A hardware token with its keys (those of `keys` with its id), its state and what its device
// says of it (X-Road's token_infos).
nlohmann::json hardware_token_json(const ServerState& state, const signer::HardwareToken& token,
                                   const std::vector<signer::TokenKey>& keys);
// Every token: the software token, then the hardware tokens.
nlohmann::json tokens_json(const ServerState& state, const std::vector<signer::TokenKey>& keys);
// Whether the token `token_id` is logged in (and, for a hardware token, available).
bool token_active(const ServerState& state, const std::string& token_id);
// Whether `token_id` is the software token's or a hardware token's the devices list.
bool known_token(const ServerState& state, const std::string& token_id);

// The key and certificate of X-Road's certificate hash `hash` (any case), or std::nullopt.
struct FoundCert {
  const signer::TokenKey* key;
  const signer::TokenCert* cert;
};
std::optional<FoundCert> find_cert(const std::vector<signer::TokenKey>& keys, const std::string& hash);

// X-Road's possible actions (PossibleAction names).
nlohmann::json key_actions(const ServerState& state, const signer::TokenKey& key);
nlohmann::json certificate_actions(const signer::TokenKey& key, const signer::TokenCert& cert);

}  // namespace roadside::admin
