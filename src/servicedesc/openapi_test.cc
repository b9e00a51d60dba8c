// The OpenAPI reader against X-Road's own inputs (vectors/xroad/admin-api/openapiparser,
// expectations from OpenApiParserTest) and shapes they do not cover.
#include "servicedesc/openapi.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "servicedesc/uri.h"
#include "support/test_support.h"

namespace roadside::servicedesc {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr std::string_view kUrl = "https://example.org/descriptions/openapi.yaml";

std::vector<std::string> codes(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) out.push_back(e.to_string());
  return out;
}

class OpenApiVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::vectors_dir();
    if (!dir) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    dir_ = *dir / "xroad/admin-api/openapiparser";
  }
  Outcome<OpenApiDescription> parse(const std::string& name, std::string_view url = kUrl) const {
    return parse_openapi(testing::read_file(dir_ / name), url);
  }
  OpenApiDescription parsed(const std::string& name) const {
    auto r = parse(name);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.failure().detail());
    return r.ok() ? *r : OpenApiDescription{};
  }
  fs::path dir_;
};

TEST_F(OpenApiVectors, EveryFileHasAnExpectation) {
  const std::set<std::string> covered = {"valid.yaml",
                                         "valid.json",
                                         "v310.yaml",
                                         "v310.json",
                                         "warnings.yml",
                                         "duplicateendpoint.yaml",
                                         "invalid_version.yaml",
                                         "invalid_version.json",
                                         "valid_modified.yaml"};
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_TRUE(covered.count(e.path().filename().string())) << "no expectation for " << e.path().filename();
  }
}

TEST_F(OpenApiVectors, ValidYamlAndJson) {
  for (const char* name : {"valid.yaml", "valid.json"}) {
    const auto d = parsed(name);
    EXPECT_TRUE(d.warnings.empty()) << name << ": " << ::testing::PrintToString(d.warnings);
    EXPECT_TRUE(d.validation_warnings().empty()) << name;
    EXPECT_EQ(d.base_url, "https://example.org/api") << name;
    EXPECT_EQ(d.version, "3.0.2") << name;
    EXPECT_THAT(codes(d.endpoints), UnorderedElementsAre("GET /test", "POST /test")) << name;
  }
}

TEST_F(OpenApiVectors, OpenApi310HasThreeOperations) {
  for (const char* name : {"v310.yaml", "v310.json"}) {
    const auto d = parsed(name);
    EXPECT_TRUE(d.warnings.empty()) << name << ": " << ::testing::PrintToString(d.warnings);
    EXPECT_EQ(d.base_url, "https://example.org/api") << name;
    EXPECT_THAT(codes(d.endpoints), UnorderedElementsAre("GET /test", "POST /test", "POST /file")) << name;
  }
}

TEST_F(OpenApiVectors, WarningsYmlWarnsAndKeepsTheTemplatedBaseUrl) {
  const auto d = parsed("warnings.yml");
  EXPECT_EQ(d.base_url, "https://{securityserver}/r1");
  EXPECT_FALSE(d.warnings.empty());
  EXPECT_THAT(d.warnings, ::testing::Contains(::testing::HasSubstr("Declared path parameter instanceId")));
  ASSERT_EQ(d.validation_warnings().size(), 1U);
  EXPECT_EQ(d.validation_warnings()[0].code, "openapi_validation_warnings");
  EXPECT_EQ(d.validation_warnings()[0].metadata, d.warnings);
  EXPECT_THAT(codes(d.endpoints), ElementsAre("GET /*/*/*/*/listMethods", "GET /*/*/*/*/allowedMethods"));
}

TEST_F(OpenApiVectors, DuplicateEndpointIsAParsingError) {
  auto r = parse("duplicateendpoint.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "openapi_parsing_error");
  EXPECT_THAT(r.failure().detail(), ::testing::HasSubstr("\"get\" twice"));
  EXPECT_THAT(r.failure().metadata(), ElementsAre(r.failure().detail()));
}

TEST_F(OpenApiVectors, UnsupportedVersions) {
  for (const char* name : {"invalid_version.yaml", "invalid_version.json"}) {  // 3.1.1 and 3.2.0
    auto r = parse(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.failure().fault_code(), "unsupported_openapi_version") << name;
    EXPECT_TRUE(r.failure().metadata().empty()) << name;
  }
}

// OpenApiParserTest.shouldFailIfInvalidProtocol: the production parser reads http(s) only.
TEST_F(OpenApiVectors, NonHttpDocumentUrlIsAParsingError) {
  auto r = parse("valid.json", "file:src/test/resources/openapiparser/valid.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "openapi_parsing_error");
  EXPECT_THAT(r.failure().metadata(), ElementsAre("Invalid protocol: file"));
}

// The service-description refresh tests switch valid.yaml for valid_modified.yaml.
TEST_F(OpenApiVectors, RefreshToModifiedReportsEndpointChanges) {
  const auto before = parsed("valid.yaml"), after = parsed("valid_modified.yaml");
  EXPECT_TRUE(after.warnings.empty());
  const auto changes = diff_endpoints(before.endpoints, after.endpoints);
  EXPECT_THAT(codes(changes.added), UnorderedElementsAre("PATCH /test", "GET /foo"));
  EXPECT_THAT(codes(changes.removed), ElementsAre("POST /test"));
  const auto warnings = change_warnings(changes);
  ASSERT_EQ(warnings.size(), 2U);
  EXPECT_EQ(warnings[0].code, "adding_endpoints");
  EXPECT_THAT(warnings[0].metadata, UnorderedElementsAre("PATCH /test", "GET /foo"));
  EXPECT_EQ(warnings[1], (Warning{"deleting_endpoints", {"POST /test"}}));
  EXPECT_TRUE(diff_endpoints(before.endpoints, before.endpoints).empty());
}

// --- Shapes X-Road's inputs do not cover --------------------------------------------------

Outcome<OpenApiDescription> parse(const std::string& text, std::string_view url = kUrl) {
  return parse_openapi(text, url);
}

std::string spec(const std::string& servers, const std::string& paths, const std::string& version = "3.0.3") {
  return "openapi: " + version + "\ninfo: {title: t, version: '1'}\n" + servers + "paths:\n" + paths;
}

TEST(ParseOpenApi, BaseUrlIsResolvedAgainstTheDocument) {
  const std::string ok_path = "  /a:\n    get: {responses: {'200': {description: ok}}}\n";
  for (const auto& [servers, expected] : std::vector<std::pair<std::string, std::string>>{
           {"", "https://example.org/"},
           {"servers: []\n", "https://example.org/"},
           {"servers: [{url: /v1}]\n", "https://example.org/v1"},
           {"servers: [{url: v1/x}]\n", "https://example.org/descriptions/v1/x"},
           {"servers: [{url: ../up}]\n", "https://example.org/up"},
           {"servers: [{url: '//other.example/p'}]\n", "https://other.example/p"},
           {"servers: [{url: 'http://svc:8080/r/./s/../t'}]\n", "http://svc:8080/r/t"},
           {"servers: [{url: '/{base}/v1', variables: {base: {default: x}}}]\n", "https://example.org/{base}/v1"},
           {"servers: [{url: '{scheme}://host/v1'}]\n", "{scheme}://host/v1"},
           {"servers: [{url: 'https://one/'}, {url: 'https://two/'}]\n", "https://one/"},
       }) {
    auto r = parse(spec(servers, ok_path));
    ASSERT_TRUE(r.ok()) << servers << r.failure().detail();
    EXPECT_EQ(r->base_url, expected) << servers;
    EXPECT_TRUE(r->warnings.empty()) << servers << ::testing::PrintToString(r->warnings);
  }
}

TEST(ParseOpenApi, NonHttpServerUrlIsAParsingError) {
  for (const char* servers :
       {"servers: [{url: 'ftp://host/api'}]\n", "servers: [{url: 'file:///etc/passwd'}]\n",
        "servers: [{url: 'gopher://{h}/x'}]\n", "servers: [{url: 'https://a b/'}]\n",
        "servers: [{url: 'https:http://x/'}]\n", "servers: [{url: 'https:///x'}]\n", "servers: [{url: 'http://'}]\n"}) {
    auto r = parse(spec(servers, "  /a:\n    get: {responses: {}}\n"));
    ASSERT_FALSE(r.ok()) << servers;
    EXPECT_EQ(r.failure().fault_code(), "openapi_parsing_error") << servers;
  }
}

TEST(ParseOpenApi, VersionsXRoadAccepts) {
  for (const char* v : {"3.0.0", "3.0.3", "'3.0'", "3.1.0"}) {
    EXPECT_TRUE(parse(spec("", "  /a:\n    get: {responses: {}}\n", v)).ok()) << v;
  }
  for (const char* v : {"3.1.1", "2.0", "'3'", "[3]", "4.0.0"}) {
    auto r = parse(spec("", "  /a:\n    get: {responses: {}}\n", v));
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.failure().fault_code(), "unsupported_openapi_version") << v;
  }
  auto swagger = parse("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n");
  ASSERT_FALSE(swagger.ok());
  EXPECT_EQ(swagger.failure().fault_code(), "openapi_parsing_error");
}

TEST(ParseOpenApi, TemplatesBecomeStarsAndTheSameEndpointTwiceIsRefused) {
  auto r = parse(spec("", R"(  /pets/{id}:
    parameters: [{name: id, in: path, required: true}]
    get: {responses: {}}
    delete: {responses: {}}
  /a/{x}y{z}/b{:
    get: {parameters: [{$ref: '#/components/parameters/x'}, {name: z, in: path}], responses: {}}
  x-extension: {}
components:
  parameters:
    x: {name: x, in: path, required: true}
)"));
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  EXPECT_THAT(codes(r->endpoints), ElementsAre("GET /pets/*", "DELETE /pets/*", "GET /a/*/b{"));
  EXPECT_TRUE(r->warnings.empty()) << ::testing::PrintToString(r->warnings);
  auto twice = parse(spec("", "  /p/{a}:\n    get: {responses: {}}\n  /p/{b}:\n    get: {responses: {}}\n"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.failure().fault_code(), "openapi_parsing_error");
  EXPECT_THAT(twice.failure().detail(), ::testing::HasSubstr("GET /p/*"));
}

TEST(ParseOpenApi, WarningsForWhatTheSpecificationRequires) {
  auto r = parse(
      "openapi: 3.0.1\nunknown: 1\npaths:\n  /a:\n    get: {}\n    bogus: 1\n    post: 5\n  noslash:\n    get: "
      "{responses: {}}\n");
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  EXPECT_THAT(r->warnings, UnorderedElementsAre("attribute unknown is unexpected", "attribute info is missing",
                                                "attribute paths.'/a'.bogus is unexpected",
                                                "attribute paths.'/a'(get).responses is missing",
                                                "attribute paths.'/a'(post) is not of type `object`",
                                                "attribute paths.'noslash' does not start with /"));
  auto no_paths = parse("openapi: 3.0.1\ninfo: {title: t, version: '1'}\n");
  ASSERT_TRUE(no_paths.ok());
  EXPECT_THAT(no_paths->warnings, ElementsAre("attribute paths is missing"));
  auto v31 = parse("openapi: 3.1.0\ninfo: {title: t, version: '1'}\n");  // paths and responses optional in 3.1
  ASSERT_TRUE(v31.ok());
  EXPECT_TRUE(v31->warnings.empty());
}

TEST(ParseOpenApi, PathItemReferencesAreFollowedWithinTheDocument) {
  auto r = parse(R"({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    "paths": {"/a": {"$ref": "#/components/pathItems/a"}, "/b": {"$ref": "other.yaml#/x"}},
    "components": {"pathItems": {"a": {"get": {}, "put": {}}}}})");
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  EXPECT_THAT(codes(r->endpoints), ElementsAre("GET /a", "PUT /a"));
  EXPECT_THAT(r->warnings, ElementsAre(::testing::HasSubstr("paths.'/b'.$ref")));
}

TEST(ParseOpenApi, JsonAndYamlReadTheSame) {
  const std::string yaml = spec("servers: [{url: 'https://svc/api'}]\n", "  /a:\n    get: {responses: {}}\n");
  const std::string json =
      R"({"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":[{"url":"https://svc/api"}],
    "paths":{"/a":{"get":{"responses":{}}}}})";
  auto a = parse(yaml), b = parse(json), c = parse("\xEF\xBB\xBF" + json);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->endpoints, b->endpoints);
  EXPECT_EQ(a->base_url, b->base_url);
  EXPECT_EQ(b->endpoints, c->endpoints);
  // YAML's flow style looks like JSON but is not: read as YAML, as X-Road reads both.
  auto flow = parse("{openapi: 3.0.0, info: {title: t, version: '1'}, paths: {/a: {get: {responses: {}}}}}");
  ASSERT_TRUE(flow.ok()) << flow.failure().detail();
  EXPECT_THAT(codes(flow->endpoints), ElementsAre("GET /a"));
}

TEST(ParseOpenApi, HostileInputsAreParsingErrors) {
  std::string laughs = "openapi: 3.0.0\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) laughs += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    laughs += "]\n";
  }
  const std::string deep_flow = "openapi: 3.0.0\nx: " + std::string(100'000, '[') + std::string(100'000, ']') + "\n";
  std::string deep_block = "openapi: 3.0.0\n";
  for (int i = 0; i < 1000; ++i) deep_block += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  const std::string deep_json =
      "{\"openapi\":\"3.0.0\",\"x\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  const std::string cycle = "openapi: 3.0.0\nx: &a [*a]\n";
  const std::string dup_json = R"({"openapi":"3.0.0","openapi":"3.0.1"})";
  OpenApiLimits small;
  small.max_bytes = 100;
  for (const auto& [name, text, limits] : std::vector<std::tuple<std::string, std::string, OpenApiLimits>>{
           {"billion laughs", laughs, {}},
           {"deep flow", deep_flow, {}},
           {"deep block", deep_block, {}},
           {"deep json", deep_json, {}},
           {"recursive alias", cycle, {}},
           {"duplicate json key", dup_json, {}},
           {"oversized", std::string(200, ' '), small},
           {"not utf-8", "openapi: \"3.0.\xff\"\n", {}},
           {"not yaml", "openapi: [\n", {}},
           {"empty", "", {}},
           {"scalar", "3.0.0", {}},
           {"complex key", "? [a]\n: b\n", {}},
       }) {
    auto r = parse_openapi(text, kUrl, limits);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.failure().fault_code(), "openapi_parsing_error") << name << ": " << r.failure().detail();
  }
}

TEST(Uri, ResolvesAsRfc3986) {
  // RFC 3986 section 5.4's examples.
  const std::string base = "http://a/b/c/d;p?q";
  for (const auto& [ref, expected] :
       std::vector<std::pair<std::string, std::string>>{{"g:h", "g:h"},
                                                        {"g", "http://a/b/c/g"},
                                                        {"./g", "http://a/b/c/g"},
                                                        {"g/", "http://a/b/c/g/"},
                                                        {"/g", "http://a/g"},
                                                        {"//g", "http://g"},
                                                        {"?y", "http://a/b/c/d;p?y"},
                                                        {"g?y", "http://a/b/c/g?y"},
                                                        {"#s", "http://a/b/c/d;p?q#s"},
                                                        {"", "http://a/b/c/d;p?q"},
                                                        {".", "http://a/b/c/"},
                                                        {"..", "http://a/b/"},
                                                        {"../g", "http://a/b/g"},
                                                        {"../../g", "http://a/g"},
                                                        {"../../../g", "http://a/g"},
                                                        {"/./g", "http://a/g"},
                                                        {"g.", "http://a/b/c/g."},
                                                        {"./../g", "http://a/b/g"},
                                                        {"g;x=1/../y", "http://a/b/c/y"}}) {
    EXPECT_EQ(resolve_uri(base, ref), expected) << ref;
  }
  EXPECT_EQ(resolve_uri("relative/x", "y"), std::nullopt);
  EXPECT_EQ(uri_scheme("HTTPS://x"), "https");
  EXPECT_EQ(uri_scheme("/a:b"), "");
}

}  // namespace
}  // namespace roadside::servicedesc
