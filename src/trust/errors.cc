#include "trust/errors.h"

namespace roadside::trust {

const FaultCategory& trust_category() noexcept {
  static const TableCategory<errc> category(
      "trust", {
                   {errc::incorrect_certificate, "incorrect_certificate", "signer certificate not acceptable"},
               });
  return category;
}

}  // namespace roadside::trust
