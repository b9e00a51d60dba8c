// The timestamping services this server uses (X-Road's configured TSPs), in the server
// configuration (serverconf::ServerConf::timestamping_services), in the order the message
// log tries them.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "serverconf/revisions.h"
#include "storage/store.h"

namespace roadside::admin {

using ConfiguredTsp = serverconf::TimestampingService;

// The configured services; none before the server is initialized.
Result<std::vector<ConfiguredTsp>> configured_tsps(storage::Store& store);
// Stores them as a new revision of the server configuration. REQUIRES: an initialized server.
Status store_configured_tsps(storage::Store& store, const std::vector<ConfiguredTsp>& tsps);

}  // namespace roadside::admin
