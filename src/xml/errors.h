// The xml module's errors, with the X-Road fault codes a verifier reports.
#pragma once

#include "base/errc.h"

namespace roadside::xml {

enum class errc {
  invalid_hash_chain = 1,    // malformed, or the computed top differs from the result
  invalid_hash_chain_ref,    // a reference that does not resolve, or a data digest that does not match
  hash_chain_unused_inputs,  // a data part that no DataRef covers
  malformed_signature,       // a signature document not shaped as X-Road's XAdES profile requires
  invalid_signature_value,   // a reference digest or the signature value does not verify
  xml_failure,               // libxml2 could not do what was asked
  schema_invalid,            // a document or element that its XML Schema does not allow
};
const FaultCategory& xml_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), xml_category()}; }

}  // namespace roadside::xml

ROADSIDE_ERRC_ENUM(roadside::xml::errc)
