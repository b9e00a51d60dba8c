// Text checks on untrusted bytes.
#pragma once

#include <string_view>

namespace roadside {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
// One pass, no allocation.
bool is_utf8(std::string_view s) noexcept;

}  // namespace roadside
