// X-Road's authentication certificate states follow global configuration, as X-Road's signer
// has them: a certificate whose hash the configuration lists for this server is REGISTERED
// (from SAVED, REGISTRATION_IN_PROGRESS or GLOBAL_ERROR); a REGISTERED one the configuration
// no longer lists is GLOBAL_ERROR; one waiting for deletion that is gone from it is SAVED.
#pragma once

#include <optional>

#include "base/identifiers.h"
#include "base/result.h"
#include "globalconf/parameters.h"
#include "signer/token.h"

namespace roadside::admin {

// Brings the token's authentication certificates' states in line with `shared` for `server`.
// Returns how many changed (each logged and audited).
Result<int> follow_global_configuration(signer::SoftToken& token, const globalconf::SharedParameters& shared,
                                        const XRoadId& server);

}  // namespace roadside::admin
