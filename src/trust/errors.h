// Errors raised by the trust module. A signature or certificate that fails its checks
// mostly carries the error of the check that failed (xml::, crypto::); these are trust's own.
#pragma once

#include "base/errc.h"

namespace roadside::trust {

enum class errc {
  incorrect_certificate = 1,  // a message's signer is not who the message says, or not a signing certificate
  invalid_certificate,        // a certificate subject a profile cannot read (X-Road's business error INVALID_CERTIFICATE)
  unknown_certificate_profile,  // an approved CA names a certificate profile class Roadside does not have
  invalid_dn_parameter,         // a subject field or distinguished name a profile refuses (CSR forms)
  malformed_subject,            // SkKlass3: a serial number starting with 0 (X-Road: INTERNAL_ERROR)
};

const FaultCategory& trust_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), trust_category()};
}

}  // namespace roadside::trust

ROADSIDE_ERRC_ENUM(roadside::trust::errc)
