// Errors raised by the base module.
#pragma once

#include "base/errc.h"

namespace roadside::base {

enum class errc {
  invalid_identifier = 1,  // an X-Road identifier that is malformed or has forbidden characters
  invalid_argument,        // a value outside what a function accepts
  io_error,                // a file or OS call failed
  too_large,               // a file over the size its reader accepts
};

const FaultCategory& base_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), base_category()};
}

}  // namespace roadside::base

ROADSIDE_ERRC_ENUM(roadside::base::errc)
