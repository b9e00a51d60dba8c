#include "servicedesc/openapi.h"

#include <algorithm>
#include <array>
#include <set>

#include "base/utf8.h"
#include "servicedesc/uri.h"

namespace roadside::servicedesc {
namespace {

constexpr std::array<std::string_view, 8> kMethods = {"get",     "put",  "post",  "delete",
                                                      "options", "head", "patch", "trace"};
constexpr std::array<std::string_view, 9> kTopLevel = {"openapi",  "info", "servers",      "paths",   "components",
                                                       "security", "tags", "externalDocs", "webhooks"};
constexpr std::array<std::string_view, 5> kPathItemFields = {"$ref", "summary", "description", "servers", "parameters"};
constexpr std::size_t kMaxRefHops = 16;

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

Failure parsing_error(std::string why) {
  // X-Road's ParsingException: the message is the metadata.
  std::vector<std::string> metadata{why};
  return {errc::openapi_parsing_error, std::move(why), std::move(metadata)};
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// X-Road's path.replaceAll("\\{[^/]*}", "*"), by hand: from each '{', the longest run without
// '/' that ends in '}' becomes '*'; a '{' without one stays.
std::string endpoint_path(std::string_view path) {
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '{') {
      const std::size_t segment_end = std::min(path.find('/', i), path.size());
      const std::size_t close = path.substr(i, segment_end - i).rfind('}');
      if (close != std::string_view::npos) {
        out += '*';
        i += close + 1;
        continue;
      }
    }
    out += path[i++];
  }
  return out;
}

// The names between braces in a path template (swagger-parser's \{(.+?)\}).
std::vector<std::string> template_parameters(std::string_view path) {
  std::vector<std::string> names;
  std::size_t i = 0;
  while ((i = path.find('{', i)) != std::string_view::npos) {
    const auto close = path.find('}', i + 2);
    if (close == std::string_view::npos) break;
    names.emplace_back(path.substr(i + 1, close - i - 1));
    i = close + 1;
  }
  return names;
}

// A local reference ("#/components/parameters/id") in the document, following references
// to references a few hops; nullptr when it leads nowhere in the document.
const Node* follow(const Node& root, const Node* node) {
  for (std::size_t hops = 0; node && node->is_mapping() && hops < kMaxRefHops; ++hops) {
    const Node* ref = node->get("$ref");
    if (!ref) return node;
    if (!ref->is_scalar() || !ref->text.starts_with("#")) return nullptr;
    std::string_view pointer = std::string_view(ref->text).substr(1);
    const Node* at = &root;
    while (at && !pointer.empty()) {
      if (pointer.front() != '/') return nullptr;
      pointer.remove_prefix(1);
      const auto end = std::min(pointer.find('/'), pointer.size());
      std::string token;
      for (std::size_t i = 0; i < end; ++i) {
        if (pointer[i] == '~' && i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
          token += pointer[++i] == '0' ? '~' : '/';
        } else {
          token += pointer[i];
        }
      }
      pointer.remove_prefix(end);
      if (at->kind == Node::Kind::sequence) {
        std::size_t index = 0;
        if (token.empty() || token.size() > 9 ||
            !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          return nullptr;
        }
        index = std::stoul(token);
        at = index < at->items.size() ? at->items[index].get() : nullptr;
      } else {
        at = at->get(token);
      }
    }
    node = at;
  }
  return node && node->is_mapping() && !node->get("$ref") ? node : nullptr;
}

bool declares_path_parameter(const Node& root, const Node* parameters, std::string_view name) {
  if (!parameters || parameters->kind != Node::Kind::sequence) return false;
  for (const auto& item : parameters->items) {
    const Node* p = follow(root, item.get());
    if (!p) continue;
    const Node* in = p->get("in");
    const Node* n = p->get("name");
    if (in && in->is_scalar() && in->text == "path" && n && n->is_scalar() && n->text == name) return true;
  }
  return false;
}

// Whether a parameter is a remote reference Roadside cannot read: it may declare anything.
bool has_unreadable_parameter(const Node& root, const Node* parameters) {
  if (!parameters || parameters->kind != Node::Kind::sequence) return false;
  return std::any_of(parameters->items.begin(), parameters->items.end(), [&](const auto& item) {
    const Node* ref = item->get("$ref");
    return ref && ref->is_scalar() && !ref->text.starts_with("#") && !follow(root, item.get());
  });
}

bool scalar(const Node* n) {
  return n && n->is_scalar();
}

class Reader {
 public:
  Reader(const Node& root, bool v30) : root_(root), v30_(v30) {}

  std::vector<std::string> warnings;
  std::vector<Endpoint> endpoints;

  void top_level() {
    for (const auto& [key, value] : root_.entries) {
      if (!one_of(kTopLevel, key) && key != "jsonSchemaDialect" && !key.starts_with("x-"))
        warn("attribute " + key + " is unexpected");
    }
    const Node* info = root_.get("info");
    if (!info) {
      warn("attribute info is missing");
    } else if (!info->is_mapping()) {
      warn("attribute info is not of type `object`");
    } else {
      if (!scalar(info->get("title"))) warn("attribute info.title is missing");
      if (!scalar(info->get("version"))) warn("attribute info.version is missing");
    }
  }

  Status paths() {
    const Node* paths = root_.get("paths");
    if (!paths) {
      if (v30_) warn("attribute paths is missing");
      return ok_status();
    }
    if (!paths->is_mapping()) {
      warn("attribute paths is not of type `object`");
      return ok_status();
    }
    std::set<std::string> seen;
    for (const auto& [path, raw_item] : paths->entries) {
      if (path.starts_with("x-")) continue;
      const std::string where = "paths.'" + path + "'";
      if (!path.starts_with("/")) warn("attribute " + where + " does not start with /");
      const Node* item = raw_item.get();
      if (!item->is_mapping()) {
        warn("attribute " + where + " is not of type `object`");
        continue;
      }
      if (item->get("$ref")) {
        item = follow(root_, item);
        if (!item) {
          warn("attribute " + where + ".$ref is not a reference within the description (others are not read)");
          continue;
        }
      }
      for (const auto& [key, value] : item->entries) {
        if (!one_of(kMethods, key) && !one_of(kPathItemFields, key) && !key.starts_with("x-")) {
          warn("attribute " + where + "." + key + " is unexpected");
        }
      }
      std::vector<const Node*> operations;
      for (const auto& [key, operation] : item->entries) {
        if (!one_of(kMethods, key)) continue;
        const std::string op_where = where + "(" + key + ")";
        if (!operation->is_mapping()) {
          warn("attribute " + op_where + " is not of type `object`");
          continue;
        }
        if (v30_ && !operation->get("responses")) warn("attribute " + op_where + ".responses is missing");
        Endpoint e{upper(key), endpoint_path(path)};
        if (!seen.insert(e.to_string()).second) {
          return make_error(errc::openapi_parsing_error,
                            "the endpoint " + e.to_string() + " appears twice (" + where + ")");
        }
        endpoints.push_back(std::move(e));
        operations.push_back(operation.get());
      }
      check_path_parameters(path, where, *item, operations);
    }
    return ok_status();
  }

 private:
  void warn(std::string message) {
    if (std::find(warnings.begin(), warnings.end(), message) == warnings.end()) warnings.push_back(std::move(message));
  }

  // swagger-parser's check: each {name} in the path is a path parameter of the path item or
  // of every operation.
  void check_path_parameters(const std::string& path, const std::string& where, const Node& item,
                             const std::vector<const Node*>& operations) {
    const Node* shared = item.get("parameters");
    if (has_unreadable_parameter(root_, shared)) return;
    for (const auto& name : template_parameters(path)) {
      if (declares_path_parameter(root_, shared, name)) continue;
      const bool missing = std::any_of(operations.begin(), operations.end(), [&](const Node* op) {
        const Node* own = op->get("parameters");
        return !has_unreadable_parameter(root_, own) && !declares_path_parameter(root_, own, name);
      });
      if (missing) {
        warn("attribute " + where + ". Declared path parameter " + name +
             " needs to be defined as a path parameter in path or operation level");
      }
    }
  }

  const Node& root_;
  bool v30_;
};

// servers[0].url, or the default server "/" (swagger-parser's, for no servers).
std::string server_url(const Node& root, std::vector<std::string>& warnings) {
  const Node* servers = root.get("servers");
  if (!servers || (servers->kind == Node::Kind::sequence && servers->items.empty())) return std::string("/");
  if (servers->kind != Node::Kind::sequence) {
    warnings.emplace_back("attribute servers is not of type `array`");
    return std::string("/");
  }
  const Node* first = servers->items.front().get();
  const Node* url = first->is_mapping() ? first->get("url") : nullptr;
  if (!scalar(url)) {
    warnings.emplace_back("attribute servers[0].url is missing");
    return std::string("/");
  }
  return url->text;
}

bool url_text_ok(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '|';
  });
}

}  // namespace

std::vector<Warning> OpenApiDescription::validation_warnings() const {
  if (warnings.empty()) return {};
  return {{std::string(kOpenApiValidationWarnings), warnings}};
}

Outcome<OpenApiDescription> parse_openapi(std::string_view bytes, std::string_view url, const OpenApiLimits& limits) {
  const std::string source(url);
  if (const std::string scheme = uri_scheme(url); scheme != "http" && scheme != "https") {
    return parsing_error("Invalid protocol: " + scheme);
  }
  if (bytes.size() > limits.max_bytes) {
    return parsing_error("Error reading OpenAPI description: Size exceeds " + std::to_string(limits.max_bytes) +
                         " bytes.");
  }
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  if (!is_utf8(bytes)) return parsing_error("Unable to parse OpenAPI description from " + source + ": not UTF-8");
  auto document = parse_document(bytes, limits.document);
  if (!document.ok()) {
    return parsing_error("Unable to parse OpenAPI description from " + source + ": " + document.error().detail());
  }
  const Node& root = **document;
  if (!root.is_mapping())
    return parsing_error("Unable to parse OpenAPI description from " + source + ": not a mapping");
  const Node* version = root.get("openapi");
  if (!version) return parsing_error("Unable to parse OpenAPI description from " + source + ": no openapi field");
  // X-Road: version.startsWith("3.0") || version.equals("3.1.0"); Jackson's asText() of a
  // mapping or sequence is "".
  const std::string v = version->is_scalar() ? version->text : std::string();
  if (!v.starts_with("3.0") && v != "3.1.0") {
    return Failure(errc::unsupported_openapi_version, "OpenAPI version " + v + " not supported");
  }

  OpenApiDescription out;
  out.version = v;
  Reader reader(root, v.starts_with("3.0"));
  reader.top_level();
  const std::string written = server_url(root, reader.warnings);
  if (!url_text_ok(written)) return parsing_error("the server URL \"" + written + "\" is not a URL");
  const bool templated = written.find('{') != std::string::npos;
  if (templated && (!uri_scheme(written).empty() || written.find("://") != std::string::npos)) {
    // An absolute URL with variables, kept as written as X-Road keeps it; its scheme, unless
    // a variable too ("{scheme}://..."), is checked below.
    out.base_url = written;
  } else {
    out.base_url = resolve_uri(source, written).value_or(written);
  }
  // http or https with a host ("https:x" or "https:///x" is no address to send requests to);
  // a URL whose scheme is a variable is left as it is.
  const std::string base_scheme = uri_scheme(out.base_url);
  const std::string_view after_scheme =
      std::string_view(out.base_url).substr(std::min(out.base_url.size(), base_scheme.size()));
  if (!base_scheme.empty() && ((base_scheme != "http" && base_scheme != "https") || !after_scheme.starts_with("://") ||
                               after_scheme.size() == 3 || after_scheme[3] == '/')) {
    return parsing_error("the server URL " + out.base_url + " is not an http or https URL with a host");
  }
  if (auto paths = reader.paths(); !paths.ok()) return parsing_error(paths.error().detail());
  out.endpoints = std::move(reader.endpoints);
  out.warnings = std::move(reader.warnings);
  return out;
}

EndpointChanges diff_endpoints(const std::vector<Endpoint>& before, const std::vector<Endpoint>& after) {
  EndpointChanges changes;
  for (const auto& e : after) {
    if (std::find(before.begin(), before.end(), e) == before.end()) changes.added.push_back(e);
  }
  for (const auto& e : before) {
    if (std::find(after.begin(), after.end(), e) == after.end()) changes.removed.push_back(e);
  }
  return changes;
}

std::vector<Warning> change_warnings(const EndpointChanges& changes) {
  auto codes = [](const std::vector<Endpoint>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.to_string());
    return out;
  };
  std::vector<Warning> warnings;
  if (!changes.added.empty()) warnings.push_back({std::string(kAddingEndpoints), codes(changes.added)});
  if (!changes.removed.empty()) warnings.push_back({std::string(kDeletingEndpoints), codes(changes.removed)});
  return warnings;
}

}  // namespace roadside::servicedesc
