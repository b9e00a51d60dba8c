// OpenSSL's command-line tools as the independent other side of Roadside's protocols: an
// OCSP responder and a time-stamping authority Roadside did not write. Inputs and outputs
// are PEM text and DER bytes, written to and read from `dir`.
#pragma once

#include <string>

#include "support/test_support.h"

namespace roadside::testing {

// Runs a shell command; returns its exit code and, in `output`, what it printed (stdout
// and stderr).
int run_command(const std::string& command, std::string* output = nullptr);

struct OcspResponder {
  std::string ca_pem;          // the CA whose certificates it answers for
  std::string signer_pem;      // the responder certificate (or the CA's)
  std::string signer_key_pem;  // and its key
  // openssl's CA index: "V\t<expiry>\t\t<serial hex>\tunknown\t<subject>" lines ("R" for revoked).
  std::string index;
};
// `openssl ocsp -index` answers the DER OCSP request; returns the DER response.
std::string openssl_ocsp_respond(TempDir& dir, const OcspResponder& responder, const std::string& request_der,
                                 const std::string& extra = "-ndays 1");
// An index line saying the certificate with this serial is valid.
std::string ocsp_index_valid(const std::string& serial_hex);

// `openssl ts -reply` answers the DER time-stamp request as a TSA; returns the DER response.
std::string openssl_ts_reply(TempDir& dir, const std::string& tsa_pem, const std::string& tsa_key_pem,
                             const std::string& request_der);

}  // namespace roadside::testing
