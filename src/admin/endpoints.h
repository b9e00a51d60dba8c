// The admin API's routes, by X-Road's tags. Each add_* puts one group's routes on an Api.
#pragma once

#include <string>

#include "admin/api.h"
#include "admin/api_keys.h"

namespace roadside::admin {

// /api-keys: create, list, read, update and revoke API keys (X-Road's key management).
void add_api_key_routes(Api& api, ApiKeys& keys);

struct SystemFacts {
  std::string node_type;  // PRIMARY, SECONDARY or STANDALONE
};
// /system/version, /system/node-type, /openapi.yaml.
void add_system_routes(Api& api, SystemFacts facts);

}  // namespace roadside::admin
