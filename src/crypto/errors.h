// Errors raised by the crypto module (the OpenSSL facade).
#pragma once

#include "base/errc.h"

namespace roadside::crypto {

enum class errc {
  bad_key = 1,
  bad_certificate,
  operation_failed,
  invalid_signature,
  unsupported_algorithm,
  incorrect_validation_info,
  cert_validation,
  wrong_password,
  bad_certificate_request  // a PKCS#10 request that cannot be read or whose signature does not verify
};
const FaultCategory& crypto_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), crypto_category()};
}

}  // namespace roadside::crypto

ROADSIDE_ERRC_ENUM(roadside::crypto::errc)
