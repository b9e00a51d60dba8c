#include "management/errors.h"

namespace roadside::management {

const FaultCategory& management_category() noexcept {
  static const TableCategory<errc> c(
      "management",
      {
          {errc::invalid_request, "invalid_request", "invalid management request"},
          {errc::invalid_signature_value, "invalid_signature_value", "signature does not verify"},
          {errc::incorrect_certificate, "incorrect_certificate", "not a certificate"},
          {errc::cert_validation, "cert_validation", "certificate not valid"},
          {errc::invalid_client_identifier, "invalid_client_identifier", "invalid identifier"},
          {errc::inconsistent_headers, "inconsistent_headers", "response headers differ from the request's"},
          {errc::cannot_create_signature, "cannot_create_signature", "signing failed"},
          {errc::http_error, "http_error", "unexpected response"},
          {errc::service_failed, "service_failed", "the central server refused the request"},
          {errc::invalid_argument, "internal_error", "invalid argument"},
      });
  return c;
}

}  // namespace roadside::management
