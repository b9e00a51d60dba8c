#include <map>

#include "admin/api.h"

namespace roadside::admin {

namespace {

// A YAML double-quoted scalar.
std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string lower(Verb method) {
  std::string out(boost::beast::http::to_string(method));
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

std::string openapi_document(const Api& api) {
  std::map<std::string, std::vector<const Route*>> paths;
  for (const auto& route : api.routes()) paths[route.path].push_back(&route);
  std::string out =
      "openapi: 3.0.3\n"
      "info:\n"
      "  title: Roadside Security Server admin API\n"
      "  version: " ROADSIDE_VERSION
      "\n"
      "  description: >-\n"
      "    The part of X-Road's Security Server admin API (openapi-definition.yaml, 2.1.0) that Roadside\n"
      "    implements, with X-Road's paths, methods, bodies and error format unchanged; request and\n"
      "    response bodies are X-Road's schemas. Operations Roadside adds are marked x-roadside-addition.\n"
      "    Each operation names the X-Road permission it needs (x-roadside-permission).\n"
      "servers:\n"
      "  - url: /api/v1\n"
      "security:\n"
      "  - ApiKeyAuth: []\n"
      "components:\n"
      "  securitySchemes:\n"
      "    ApiKeyAuth:\n"
      "      type: apiKey\n"
      "      in: header\n"
      "      name: Authorization\n"
      "      description: X-Road-ApiKey token=<api key>\n"
      "    BasicAuth:\n"
      "      type: http\n"
      "      scheme: basic\n"
      "paths:\n";
  for (const auto& [path, routes] : paths) {
    out += "  " + yaml_quoted(path) + ":\n";
    for (const Route* route : routes) {
      out += "    " + lower(route->method) + ":\n";
      out += "      summary: " + yaml_quoted(route->summary) + "\n";
      out += "      x-roadside-permission: " + route->permission + "\n";
      if (route->addition) out += "      x-roadside-addition: true\n";
      if (path.starts_with("/api-keys")) out += "      security:\n        - BasicAuth: []\n";
      out += "      responses:\n        default:\n          description: X-Road's response for this operation\n";
    }
  }
  return out;
}

}  // namespace roadside::admin
