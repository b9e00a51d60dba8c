// /system/version, /system/node-type and /openapi.yaml.
#include "admin/endpoints.h"

namespace roadside::admin {

void add_system_routes(Api& api, SystemFacts facts) {
  api.add({Verb::get, "/system/version", "view_version",
           [](Request&) -> asio::awaitable<HandlerResult> {
             // X-Road's VersionInfo requires its Java runtime's fields; Roadside has none, and
             // says so in them.
             co_return json_response(200, {{"info", "Roadside Security Server version " ROADSIDE_VERSION},
                                           {"java_version", 0},
                                           {"min_java_version", 0},
                                           {"max_java_version", 0},
                                           {"using_supported_java_version", true},
                                           {"java_vendor", "none (Roadside is not a Java program)"},
                                           {"java_runtime_version", "none"}});
           },
           false, "", false, "the server's version"});
  api.add({Verb::get, "/system/node-type", "view_node_type",
           [node_type = facts.node_type](Request&) -> asio::awaitable<HandlerResult> {
             co_return json_response(200, {{"node_type", node_type}});
           },
           false, "", false, "STANDALONE, PRIMARY or SECONDARY (a read-only node of a cluster)"});
  api.add({Verb::get, "/openapi.yaml", "view_version",
           [&api](Request&) -> asio::awaitable<HandlerResult> {
             Response r{200, "application/yaml", openapi_document(api), {}};
             co_return r;
           },
           false, "", false, "this description of the API (also at /api/openapi.yaml)"});
}

}  // namespace roadside::admin
