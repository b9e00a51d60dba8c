// The trust of instance FUZZ as its shared parameters would give it (fuzz_pki.h): one CA with
// its OCSP responder and the FiVRK certificate profile, and one TSA.
#pragma once

#include <string>

#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "trust/certificate_profile.h"

namespace roadside::fuzz {

inline globalconf::SharedParameters fuzz_trust(const crypto::Certificate& ca, const crypto::Certificate& ocsp,
                                               const crypto::Certificate& tsa) {
  globalconf::SharedParameters p;
  p.instance = "FUZZ";
  p.member_classes = {"COM"};
  p.approved_cas.push_back({.name = "Fuzz CA",
                            .top = {ca, {{.url = "http://ocsp.fuzz", .cert = ocsp}}},
                            .certificate_profile_info = std::string(trust::kFiVrkProfile)});
  p.approved_tsas.push_back({.name = "Fuzz TSA", .url = "http://tsa.fuzz", .cert = tsa});
  return p;
}

}  // namespace roadside::fuzz
