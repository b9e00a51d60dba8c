// The timestamping services this server is to use (X-Road's configured TSPs), kept in the
// database as the setting "timestamping_services" (JSON [{"name","url"}]), instance-wide.
// Roadside's message log does not time-stamp yet; this is the list it is to use, in order.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "storage/store.h"

namespace roadside::admin {

struct ConfiguredTsp {
  std::string name, url;
};

// The configured services; none when the setting is absent (or not a JSON array).
Result<std::vector<ConfiguredTsp>> configured_tsps(storage::Store& store);
Status store_configured_tsps(storage::Store& store, const std::vector<ConfiguredTsp>& tsps);

}  // namespace roadside::admin
