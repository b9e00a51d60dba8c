// Internal to serverconf/: what the module's files share. Not for other modules.
#pragma once

#include <string>

#include "base/result.h"

namespace roadside::serverconf::detail {

// An errc::invalid_conf error saying `detail`.
Error invalid(std::string detail);

}  // namespace roadside::serverconf::detail
