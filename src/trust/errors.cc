#include "trust/errors.h"

namespace roadside::trust {

const FaultCategory& trust_category() noexcept {
  static const TableCategory<errc> category(
      "trust", {
                   {errc::incorrect_certificate, "incorrect_certificate", "signer certificate not acceptable"},
                   {errc::invalid_certificate, "invalid_certificate", "certificate subject not readable by its profile"},
                   {errc::unknown_certificate_profile, "internal_error", "unknown certificate profile class"},
                   {errc::invalid_dn_parameter, "invalid_dn_parameter", "subject field not acceptable"},
                   {errc::malformed_subject, "internal_error", "malformed certificate subject"},
               });
  return category;
}

}  // namespace roadside::trust
