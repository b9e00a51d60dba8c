// The timestamping services this server is to use (X-Road's configured TSPs), kept in the
// database as the setting "timestamping_services" (JSON [{"name","url"}]), instance-wide.
// The message log's time-stamping (server/timestamping_service.h) asks them in this order.
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
