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

// Lists in the instance a Security Server that `up` does not run (one that comes from
// elsewhere: a Java server taken over by `roadside import-xroad`, a server under test): in
// shared-params its owner and `clients` (members, subsystems) with their members and classes,
// and the server with `address` and the hash of its authentication certificate, read from the
// software token in `token` (keyconf.xml: the active certificate of its authentication key).
// The instance's CA learns every certificate of the token it issued (TestCa::know), so its
// OCSP responder answers good for them. Takes effect when the instance is next started.
Status add_server(const std::filesystem::path& dir, const XRoadId& server, const std::string& address,
                  const std::filesystem::path& token, const std::vector<XRoadId>& clients);

}  // namespace roadside::testbed
