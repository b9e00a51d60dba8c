#include "crypto/errors.h"

namespace roadside::crypto {

const FaultCategory& crypto_category() noexcept {
  static const TableCategory<errc> c(
      "crypto", {
                    {errc::bad_key, "internal_error", "invalid key"},
                    {errc::bad_certificate, "incorrect_certificate", "invalid certificate"},
                    {errc::operation_failed, "internal_error", "cryptographic operation failed"},
                    {errc::invalid_signature, "invalid_signature_value", "signature does not verify"},
                    {errc::unsupported_algorithm, "invalid_signature_value", "unsupported algorithm"},
                    {errc::incorrect_validation_info, "incorrect_validation_info", "OCSP response not acceptable"},
                    {errc::cert_validation, "cert_validation", "certificate not valid"},
                    {errc::wrong_password, "pin_incorrect", "wrong password"},
                    {errc::bad_certificate_request, "invalid_request", "invalid certificate request"},
                });
  return c;
}

}  // namespace roadside::crypto
