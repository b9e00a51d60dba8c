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
nlohmann::json token_json(const ServerState& state, const std::vector<signer::TokenKey>& keys);

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
