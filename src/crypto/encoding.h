// Bytes as text: hex and base64.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/errors.h"

namespace roadside::crypto {

std::string to_hex(std::string_view bytes);  // lower case, two digits a byte
// The bytes of hex text (either case, two digits a byte); errc::operation_failed otherwise.
Result<std::string> from_hex(std::string_view text);
// Upper-case hex pairs joined by ':' ("0A:FF:..."): X-Road's delimited hashes
// (CryptoUtils.calculateDelimitedCertHexHash, the anchor hash).
std::string to_delimited_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Whitespace in `text` is skipped; errc::operation_failed when the rest is not base64.
Result<std::string> base64_decode(std::string_view text);

}  // namespace roadside::crypto
