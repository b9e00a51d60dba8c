// Members and subsystems added to an instance after `init`, so an instance can carry the
// identifiers a test suite or a demo needs (`roadside testbed add-client`).
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "base/identifiers.h"
#include "base/result.h"

namespace roadside::testbed {

// Registers `client` (a MEMBER or SUBSYSTEM) in the instance in `dir` as a client of server
// `server` (1-based, as ssN): in shared-params (its member class, the member, the subsystem,
// the server's client list) and, for a member the server does not sign for yet, a signing
// key in the server's token with a certificate from the test CA. A subsystem brings its
// member along. Already registered parts are left as they are, so it may be run again, and
// run for another server it makes that server host the client as well (a clustered client).
// Takes effect when the instance is next started (`up` publishes shared-params then, and each
// server imports its token). Returns the updated instance.json.
Result<nlohmann::json> add_client(const std::filesystem::path& dir, int server, const XRoadId& client);

}  // namespace roadside::testbed
