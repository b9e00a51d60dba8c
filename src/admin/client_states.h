// X-Road's client statuses follow global configuration, as X-Road's GlobalConfChecker moves
// them: a client the shared parameters list on this server (its owner, or one of its clients)
// is REGISTERED when it was SAVED, REGISTRATION_IN_PROGRESS or GLOBAL_ERROR; a REGISTERED one
// they no longer list is GLOBAL_ERROR. DELETION_IN_PROGRESS stays until the administrator
// deletes the client (X-Road keeps it too). Global configuration has no field for a client's
// enabled state, and the Central Server carries clientDisable and clientEnable out at once: a
// listed client DISABLING_IN_PROGRESS is DISABLED at the next check, ENABLING_IN_PROGRESS
// REGISTERED (Roadside's reading; DISABLED stays DISABLED whatever the listing says).
#pragma once

#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "globalconf/parameters.h"
#include "serverconf/model.h"
#include "storage/store.h"

namespace roadside::admin {

struct ClientStatusChange {
  XRoadId client;
  serverconf::ClientStatus from, to;
};

// The status `client` should have now that `shared` is the global configuration; the
// client's own when nothing changes. `server` is this server's identifier.
serverconf::ClientStatus next_client_status(const serverconf::Client& client,
                                            const globalconf::SharedParameters& shared, const XRoadId& server);

// Moves every client of `conf` to next_client_status. Returns what changed.
std::vector<ClientStatusChange> follow_global_configuration(serverconf::ServerConf& conf,
                                                            const globalconf::SharedParameters& shared);

// The same on the newest revision in `store`, stored as a new revision when anything changed
// (each change logged and audited). Returns how many changed; 0 before initialization.
Result<int> follow_global_configuration(storage::Store& store, const globalconf::SharedParameters& shared);

}  // namespace roadside::admin
