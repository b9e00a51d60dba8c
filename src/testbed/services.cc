#include "testbed/services.h"

#include "crypto/crypto.h"
#include "mime/multipart.h"

#include <nlohmann/json.hpp>

#include "base/random.h"
#include "base/utf8.h"
#include "xml/dom.h"

namespace roadside::testbed {
namespace {

namespace http = boost::beast::http;
constexpr std::size_t kMaxBody = 1 << 20;
constexpr std::size_t kMaxEchoBody = 16 << 20;

// Text the echo can put into its JSON answer: no type, or a textual one, and UTF-8 bytes.
// Anything else (application/octet-stream, images, text that is not UTF-8) is echoed as sent.
bool is_echoed_as_json(std::string_view content_type, std::string_view body) {
  const std::string type = mime::HeaderValue::parse(std::string(content_type)).value;
  const auto ends_with = [&](std::string_view suffix) {
    return type.size() >= suffix.size() && type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const bool textual = type.empty() || type.rfind("text/", 0) == 0 || type == "application/json" ||
                       type == "application/xml" || type == "application/x-www-form-urlencoded" ||
                       ends_with("+json") || ends_with("+xml");
  return textual && is_utf8(body);
}
constexpr std::uint64_t kMaxBytes = 2ull << 30;  // /bytes: the largest body it sends or takes

// GET /bytes/N: N bytes of a fixed pattern, streamed. POST or PUT /bytes[/...]: reads the
// body in pieces and answers {"size": N, "sha256": hex} -- a service for large messages that
// holds none of them in memory.
boost::asio::awaitable<void> serve_bytes(net::ServerExchange& ex, std::string_view path) {
  const auto method = ex.request().method();
  if (method == http::verb::get) {
    const std::string n(path.substr(std::min(path.size(), std::string_view("/bytes/").size())));
    std::uint64_t size = 0;
    const bool number = !n.empty() && n.size() <= 10 && n.find_first_not_of("0123456789") == std::string::npos;
    if (number) size = std::stoull(n);
    if (!number || size > kMaxBytes) {
      (void)co_await ex.respond(net::make_response(http::status::bad_request, "GET /bytes/N with N at most 2 GiB\n"));
      co_return;
    }
    http::response_header<> head;
    head.result(http::status::ok);
    head.set(http::field::content_type, "application/octet-stream");
    head.set(http::field::content_length, std::to_string(size));
    if (!(co_await ex.start_response(std::move(head))).ok()) co_return;
    std::string block(64 * 1024, '\0');
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>('a' + i % 26);
    for (std::uint64_t sent = 0; sent < size;) {
      const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), size - sent));
      if (!(co_await ex.write_body(std::string_view(block).substr(0, len))).ok()) co_return;
      sent += len;
    }
    (void)co_await ex.finish_response();
    co_return;
  }
  if (method != http::verb::post && method != http::verb::put) {
    (void)co_await ex.respond(net::make_response(http::status::method_not_allowed, "GET, POST or PUT\n"));
    co_return;
  }
  auto hasher = crypto::Hasher::sha256();
  std::string buf(64 * 1024, '\0');
  std::uint64_t size = 0;
  for (;;) {
    auto n = co_await ex.read_body(buf);
    if (!n.ok()) co_return;  // the server answers 408 / 413
    if (*n == 0) break;
    hasher.update(std::string_view(buf).substr(0, *n));
    size += *n;
  }
  nlohmann::json j = {{"size", size}, {"sha256", crypto::to_hex(hasher.finish())}};
  (void)co_await ex.respond(net::make_response(http::status::ok, j.dump() + "\n", "application/json"));
}

// The request's Envelope start tag and X-Road header, as bytes (so every namespace the
// header uses stays declared), and the Envelope's prefix; the response reuses both.
struct SoapHead {
  std::string head;    // "<SOAP-ENV:Envelope ...>...<SOAP-ENV:Header>...</SOAP-ENV:Header>"
  std::string prefix;  // "SOAP-ENV"
};

std::optional<SoapHead> soap_head(const std::string& envelope) {
  auto doc = xml::Document::parse(envelope, kMaxBody);
  if (!doc.ok() || doc->root().name() != "Envelope" || !doc->root().child("Header") || !doc->root().child("Body")) {
    return std::nullopt;
  }
  const auto env = envelope.find(":Envelope");
  const auto env_open = env == std::string::npos ? env : envelope.rfind('<', env);
  const auto name = envelope.find(":Header");
  if (env_open == std::string::npos || name == std::string::npos) return std::nullopt;
  const auto open = envelope.rfind('<', name);
  const std::string end_tag = "</" + envelope.substr(open + 1, name - open - 1) + ":Header>";
  const auto close = envelope.find(end_tag, name);
  if (close == std::string::npos) return std::nullopt;
  return SoapHead{envelope.substr(env_open, close + end_tag.size() - env_open), envelope.substr(env_open + 1, env - env_open - 1)};
}

}  // namespace

std::string echo_openapi() {
  return R"({"openapi":"3.0.3","info":{"title":"echo","version":"1.0","description":"Answers any request with JSON describing it."},)"
         R"("paths":{"/{path}":{"parameters":[{"name":"path","in":"path","required":true,"schema":{"type":"string"}}],)"
         R"("get":{"responses":{"200":{"description":"the request","content":{"application/json":{"schema":{"type":"object"}}}}}},)"
         R"("post":{"requestBody":{"content":{"*/*":{"schema":{"type":"string"}}}},)"
         R"("responses":{"200":{"description":"the request","content":{"application/json":{"schema":{"type":"object"}}}}}}}}})";
}

std::string get_random_wsdl(const std::string& endpoint) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"
    xmlns:id="http://x-road.eu/xsd/identifiers" xmlns:tns="http://test.x-road.global/producer"
    name="testService" targetNamespace="http://test.x-road.global/producer">
  <wsdl:types>
    <!-- The X-Road header elements inline, so SOAP clients need nothing from the network. -->
    <xsd:schema elementFormDefault="qualified" targetNamespace="http://x-road.eu/xsd/identifiers">
      <xsd:complexType name="XRoadIdentifierType">
        <xsd:sequence>
          <xsd:element name="xRoadInstance" type="xsd:string" minOccurs="0"/>
          <xsd:element name="memberClass" type="xsd:string" minOccurs="0"/>
          <xsd:element name="memberCode" type="xsd:string" minOccurs="0"/>
          <xsd:element name="subsystemCode" type="xsd:string" minOccurs="0"/>
          <xsd:element name="groupCode" type="xsd:string" minOccurs="0"/>
          <xsd:element name="serviceCode" type="xsd:string" minOccurs="0"/>
          <xsd:element name="serviceVersion" type="xsd:string" minOccurs="0"/>
          <xsd:element name="serverCode" type="xsd:string" minOccurs="0"/>
        </xsd:sequence>
        <xsd:attribute ref="id:objectType" use="required"/>
      </xsd:complexType>
      <xsd:attribute name="objectType" type="xsd:string"/>
    </xsd:schema>
    <xsd:schema elementFormDefault="qualified" targetNamespace="http://x-road.eu/xsd/xroad.xsd">
      <xsd:import namespace="http://x-road.eu/xsd/identifiers"/>
      <xsd:element name="client" type="id:XRoadIdentifierType"/>
      <xsd:element name="service" type="id:XRoadIdentifierType"/>
      <xsd:element name="id" type="xsd:string"/>
      <xsd:element name="protocolVersion" type="xsd:string"/>
    </xsd:schema>
    <xsd:schema elementFormDefault="qualified" targetNamespace="http://test.x-road.global/producer">
      <xsd:import namespace="http://x-road.eu/xsd/xroad.xsd"/>
      <xsd:element name="getRandom"><xsd:complexType><xsd:sequence/></xsd:complexType></xsd:element>
      <xsd:element name="getRandomResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="data" type="xsd:string"/>
      </xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="requestheader">
    <wsdl:part name="client" element="xrd:client"/><wsdl:part name="service" element="xrd:service"/>
    <wsdl:part name="id" element="xrd:id"/><wsdl:part name="protocolVersion" element="xrd:protocolVersion"/>
  </wsdl:message>
  <wsdl:message name="getRandom"><wsdl:part name="body" element="tns:getRandom"/></wsdl:message>
  <wsdl:message name="getRandomResponse"><wsdl:part name="body" element="tns:getRandomResponse"/></wsdl:message>
  <wsdl:portType name="testServicePortType">
    <wsdl:operation name="getRandom">
      <wsdl:input message="tns:getRandom"/><wsdl:output message="tns:getRandomResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="testServiceBinding" type="tns:testServicePortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="getRandom">
      <soap:operation soapAction="" style="document"/>
      <xrd:version>v1</xrd:version>
      <wsdl:input>
        <soap:body parts="body" use="literal"/>
        <soap:header message="tns:requestheader" part="client" use="literal"/>
        <soap:header message="tns:requestheader" part="service" use="literal"/>
        <soap:header message="tns:requestheader" part="id" use="literal"/>
        <soap:header message="tns:requestheader" part="protocolVersion" use="literal"/>
      </wsdl:input>
      <wsdl:output>
        <soap:body parts="body" use="literal"/>
        <soap:header message="tns:requestheader" part="client" use="literal"/>
        <soap:header message="tns:requestheader" part="service" use="literal"/>
        <soap:header message="tns:requestheader" part="id" use="literal"/>
        <soap:header message="tns:requestheader" part="protocolVersion" use="literal"/>
      </wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="testService">
    <wsdl:port binding="tns:testServiceBinding" name="testServicePort">
      <soap:address location=")" +
         endpoint + R"("/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
)";
}

ExampleServices::ExampleServices(boost::asio::io_context& io, net::ServerOptions options, metrics::Registry& metrics)
    : server_(io, std::move(options), [this](net::ServerExchange& ex) { return handle(ex); }, metrics) {}

boost::asio::awaitable<void> ExampleServices::handle(net::ServerExchange& ex) {
  const std::string target(ex.request().target());
  const std::string path = target.substr(0, target.find('?'));
  const std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  if (path == "/bytes" || path.rfind("/bytes/", 0) == 0) {
    co_await serve_bytes(ex, path);
    co_return;
  }
  const bool echo = path == "/echo" || path.rfind("/echo/", 0) == 0;
  // The echoes take larger bodies: the REST echo's, and SOAP attachments echoed back.
  auto body = co_await ex.read_body_all(echo || path == "/soap" ? kMaxEchoBody : kMaxBody);
  if (!body.ok()) co_return;
  if (echo) {
    const std::string content_type(ex.request()[http::field::content_type]);
    if (!is_echoed_as_json(content_type, *body)) {
      auto response = net::make_response(http::status::ok, std::move(body).value(),
                                         content_type.empty() ? "application/octet-stream" : content_type);
      response.set("X-Echo-Method", ex.request().method_string());
      response.set("X-Echo-Path", path);
      (void)co_await ex.respond(std::move(response));
      co_return;
    }
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& f : ex.request()) headers[std::string(f.name_string())] = std::string(f.value());
    nlohmann::json j = {{"method", std::string(ex.request().method_string())},
                        {"path", path},
                        {"query", query},
                        {"headers", headers},
                        {"body", *body}};
    (void)co_await ex.respond(net::make_response(http::status::ok, j.dump() + "\n", "application/json"));
    co_return;
  }
  if (path == "/openapi.json" && ex.request().method() == http::verb::get) {
    (void)co_await ex.respond(net::make_response(http::status::ok, echo_openapi(), "application/json"));
    co_return;
  }
  if (path == "/soap" && ex.request().method() == http::verb::get && query == "wsdl") {
    const std::string host(ex.request()[http::field::host]);
    (void)co_await ex.respond(net::make_response(http::status::ok, get_random_wsdl("http://" + host + "/soap"), "text/xml"));
    co_return;
  }
  if (path == "/soap" && ex.request().method() == http::verb::post) {
    // SwA and MTOM: the envelope is the first part; the attachments are echoed back.
    std::string envelope = *body;
    std::vector<mime::Part> attachments;
    std::string root_type = "text/xml; charset=utf-8";
    const auto ct = mime::HeaderValue::parse(std::string(ex.request()[http::field::content_type]));
    const bool multipart = ct.value == "multipart/related" && ct.params.count("boundary");
    std::optional<std::vector<mime::Part>> parts;
    if (multipart) {
      auto parsed = mime::parse_multipart(*body, ct.params.at("boundary"));
      if (parsed.ok() && !parsed->empty()) {
        parts = std::move(parsed).value();
        envelope = std::string(parts->front().body);
        root_type = parts->front().headers.get("content-type").value_or(root_type);
        attachments.assign(parts->begin() + 1, parts->end());
      }
    }
    auto head = soap_head(envelope);
    if (!head) {
      const std::string fault =
          "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body><SOAP-ENV:Fault>"
          "<faultcode>SOAP-ENV:Client</faultcode><faultstring>not a SOAP request with a header</faultstring>"
          "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
      (void)co_await ex.respond(net::make_response(http::status::internal_server_error, fault, "text/xml; charset=utf-8"));
      co_return;
    }
    const auto r = Random::system().bytes(4);
    const std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(r[0])) << 8) |
                            static_cast<unsigned char>(r[1]);
    const std::string& p = head->prefix;
    const std::string response = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + head->head + "<" + p +
                                 ":Body><ns1:getRandomResponse xmlns:ns1=\"http://test.x-road.global/producer\"><ns1:data>" +
                                 std::to_string(n) + "</ns1:data></ns1:getRandomResponse></" + p + ":Body></" + p + ":Envelope>\n";
    if (!parts) {
      (void)co_await ex.respond(net::make_response(http::status::ok, response, "text/xml; charset=utf-8"));
      co_return;
    }
    const std::string boundary = "example-" + crypto::to_hex(Random::system().bytes(8));
    std::string out = "--" + boundary + "\r\nContent-Type: " + root_type + "\r\nContent-ID: <response>\r\n\r\n" + response + "\r\n";
    for (const auto& a : attachments) {
      out += "--" + boundary + "\r\n";
      for (const auto& h : a.headers.list) out += h.name + ": " + h.value + "\r\n";
      out += "\r\n" + std::string(a.body) + "\r\n";
    }
    out += "--" + boundary + "--\r\n";
    const std::string type = mime::HeaderValue::parse(root_type).value;
    std::string content_type = "multipart/related; type=\"" + type + "\"; start=\"<response>\"; boundary=\"" + boundary + "\"";
    if (type == "application/xop+xml") content_type += "; start-info=\"text/xml\"";
    (void)co_await ex.respond(net::make_response(http::status::ok, std::move(out), content_type));
    co_return;
  }
  (void)co_await ex.respond(net::make_response(http::status::not_found, "not found\n"));
}

}  // namespace roadside::testbed
