// The management module's errors, with the fault codes X-Road's central server sends for
// them (ManagementRequestVerifier and its decoder callbacks; the int-test .feature files).
#pragma once

#include "base/errc.h"

namespace roadside::management {

enum class errc {
  invalid_request = 1,        // malformed message, missing part, a rule of PR-MSERV broken ("invalid_request")
  invalid_signature_value,    // a signature part does not verify ("invalid_signature_value")
  incorrect_certificate,      // a certificate part that is not a certificate ("incorrect_certificate")
  cert_validation,            // a certificate not trusted: chain, validity, OCSP, usage ("cert_validation")
  invalid_client_identifier,  // the server identifier in the body is malformed ("invalid_client_identifier")
  inconsistent_headers,       // a response whose headers differ from the request's ("inconsistent_headers")
  cannot_create_signature,    // the signer failed ("cannot_create_signature")
  http_error,                 // a response with the wrong content type ("http_error")
  service_failed,             // the central server answered with a SOAP fault ("service_failed")
  invalid_argument,           // a builder given identifiers of the wrong type (the caller's bug: "internal_error")
};
const FaultCategory& management_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), management_category()};
}

}  // namespace roadside::management

ROADSIDE_ERRC_ENUM(roadside::management::errc)
