#include "xml/errors.h"

namespace roadside::xml {

const FaultCategory& xml_category() noexcept {
  static const TableCategory<errc> c(
      "xml", {
                 {errc::invalid_hash_chain, "malformed_signature.invalid_hash_chain", "invalid hash chain"},
                 {errc::invalid_hash_chain_ref, "malformed_signature.invalid_hash_chain_ref", "invalid hash chain reference"},
                 {errc::hash_chain_unused_inputs, "malformed_signature.hashchain_unused_inputs", "hash chain leaves inputs unused"},
                 {errc::malformed_signature, "malformed_signature", "malformed signature"},
                 {errc::invalid_signature_value, "invalid_signature_value", "signature is not valid"},
                 {errc::xml_failure, "internal_error", "XML processing failed"},
                 {errc::schema_invalid, "invalid_xml", "not valid by its XML Schema"},
             });
  return c;
}

}  // namespace roadside::xml
