// The fixed PKI that the OCSP, time-stamp and ASiC targets verify against: the seeds in their
// corpora are signed with its keys, so they get past the signature checks and the fuzzer
// explores what follows them. (A PKI made afresh in each run would not do: a response signed
// with one run's key does not verify in the next.)
//
// Its certificates are in fuzz_pki_certs.h, which make_seeds.cc writes together with the
// seeds; the keys are not kept. To change a seed, run make_seeds: it makes a new PKI and
// rewrites the certificates and every seed signed with the old one.
#pragma once

#include "crypto/crypto.h"
#include "fuzz_pki_certs.h"

namespace roadside::fuzz {

// X-Road instance FUZZ, under one CA with the FiVRK certificate profile.
struct FuzzPki {
  crypto::Certificate ca;       // "Fuzz CA", self-signed
  crypto::Certificate ocsp;     // the CA's delegated OCSP responder (EKU OCSPSigning)
  crypto::Certificate tsa;      // the instance's TSA (EKU timeStamping), issued by the CA
  crypto::Certificate rogue;    // a self-signed OCSP responder: authorized only where listed
  crypto::Certificate good;     // FUZZ/COM/1234's signing certificate, which the seeds say is good
  crypto::Certificate revoked;  // FUZZ/COM/4321's, which the seeds say is revoked
};

// The PKI of fuzz_pki_certs.h, parsed once.
inline const FuzzPki& fuzz_pki() {
  using crypto::Certificate;
  static const FuzzPki pki{*Certificate::from_pem(seeds::kCaPem),   *Certificate::from_pem(seeds::kOcspPem),
                           *Certificate::from_pem(seeds::kTsaPem),  *Certificate::from_pem(seeds::kRoguePem),
                           *Certificate::from_pem(seeds::kGoodPem), *Certificate::from_pem(seeds::kRevokedPem)};
  return pki;
}

}  // namespace roadside::fuzz
