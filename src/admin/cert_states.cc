#include "admin/cert_states.h"

#include <algorithm>

#include "base/log.h"
#include "crypto/digest.h"

namespace roadside::admin {

using signer::CertStatus;

Result<int> follow_global_configuration(signer::SoftToken& token, const globalconf::SharedParameters& shared,
                                        const XRoadId& server) {
  ROADSIDE_TRY(auto keys, token.contents());
  const globalconf::SecurityServer* listed = shared.security_server(server);
  int changed = 0;
  for (const auto& key : keys) {
    if (key.usage != signer::KeyUsage::authentication) continue;
    for (const auto& cert : key.certs) {
      const std::string raw_hash = crypto::sha256(cert.cert.to_der());
      const bool in_conf = listed && std::find(listed->auth_cert_hashes.begin(), listed->auth_cert_hashes.end(),
                                               raw_hash) != listed->auth_cert_hashes.end();
      std::optional<CertStatus> next;
      if (in_conf && cert.status != CertStatus::registered && cert.status != CertStatus::deletion_in_progress) {
        next = CertStatus::registered;
      } else if (!in_conf && cert.status == CertStatus::registered) {
        next = CertStatus::global_error;
      } else if (!in_conf && cert.status == CertStatus::deletion_in_progress) {
        next = CertStatus::saved;
      }
      if (!next) continue;
      ROADSIDE_TRY_STATUS(token.set_status(cert.hash(), *next));
      ++changed;
      log::info("authentication certificate state follows global configuration",
                {{"cert_hash", cert.hash()},
                 {"from", signer::cert_status_name(cert.status)},
                 {"to", signer::cert_status_name(*next)}});
      log::audit(
          "Authentication certificate state changed", "system",
          {{"certHash", cert.hash()}, {"certHashAlgorithm", "SHA-256"}, {"status", signer::cert_status_name(*next)}});
    }
  }
  return changed;
}

}  // namespace roadside::admin
