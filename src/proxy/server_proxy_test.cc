// The server proxy over fakes (proxy_fakes.h): no sockets, no keys on disk, no services.
// Every fault code the server proxy sends a client's Security Server is produced here (the
// faultcode of the SOAP fault it answers with), together with what it must not do (call a
// service for a refused request, sign a refused answer). The client's signature and the peer's
// certificate are checked by a fake, except at the end, where X-Road's own rules check
// genuine signatures that a test breaks.
#include "proxy/server_proxy.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "crypto/crypto.h"
#include "proxy/proxy_fakes.h"
#include "proxy/rest.h"
#include "proxy/soap.h"
#include "signer/message_signer.h"
#include "support/test_support.h"

namespace roadside::proxy {
namespace {

using namespace fakes;
using http::verb;

constexpr std::string_view kServerConf = R"(
owner: EE/COM/2
server_code: ss2
clients:
  - id: EE/COM/2/SERVICE
    connection: noauth
    services:
      - code: echo
        url: http://backend.example/api
      - code: described
        type: OPENAPI
        url: http://backend.example/described
        openapi: http://backend.example/openapi.json
      - code: getState
        version: v1
        type: WSDL
        url: http://backend.example/soap
      - code: secret
        url: http://backend.example/secret
      - code: hidden
        version: v1
        type: WSDL
        url: http://backend.example/hidden
    access:
      - service: echo
        subjects: [EE/COM/1/CLIENT]
      - service: described
        subjects: [EE/COM/1/CLIENT]
      - service: getState
        version: v1
        subjects: [EE/COM/1/CLIENT]
)";

// A SOAP request from EE/COM/1/CLIENT to EE/COM/2/SERVICE's `service`, `body` in its Body.
// The WSDL services (getState, hidden) are version v1.
std::string soap_message(std::string_view service, std::string_view body, std::string_view client = "CLIENT") {
  return std::string(R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"><SOAP-ENV:Header>)") +
         R"(<xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1</id:memberCode><id:subsystemCode>)" +
         std::string(client) + R"(</id:subsystemCode></xrd:client>)" +
         R"(<xrd:service id:objectType="SERVICE"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>2</id:memberCode><id:subsystemCode>SERVICE</id:subsystemCode><id:serviceCode>)" +
         std::string(service) + "</id:serviceCode>" +
         (service == "getState" || service == "hidden" ? "<id:serviceVersion>v1</id:serviceVersion>" : "") + "</xrd:service>" +
         R"(<xrd:id>abc</xrd:id><xrd:protocolVersion>4.0</xrd:protocolVersion></SOAP-ENV:Header><SOAP-ENV:Body>)" + std::string(body) +
         "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

class ServerProxyTest : public ::testing::Test, protected FakeWorld {
 protected:
  ServerProxyTest() {
    shared->instance = "EE";
    shared->members = {{id("MEMBER:EE/COM/1"), "Client", {id("SUBSYSTEM:EE/COM/1/CLIENT"), id("SUBSYSTEM:EE/COM/1/OTHER")}},
                       {id("MEMBER:EE/COM/2"), "Provider", {id("SUBSYSTEM:EE/COM/2/SERVICE")}}};
    add_server("SERVER:EE/COM/1/ss1", ss1_auth->info.cert, {id("SUBSYSTEM:EE/COM/1/CLIENT"), id("SUBSYSTEM:EE/COM/1/OTHER")});
    add_server("SERVER:EE/COM/9/ss9", ss9_auth->info.cert, {});
    auto parsed = serverconf::ServerConf::parse_yaml(kServerConf);
    EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
    conf = std::make_shared<serverconf::ServerConf>(std::move(parsed).value());
    globalconf_problem = "no configuration downloaded from /var/lib/roadside";
    ctx.services = services;
    // The services answer as services do: JSON for REST, the SOAP response for SOAP.
    services->answer = [](const std::string& url, const std::string&, const std::string& body) -> Result<net::ClientResponse> {
      if (url.find("/soap") == std::string::npos) return http_answer(200, "application/json", "{\"ok\":1}");
      std::string response = body;
      response.replace(response.find("<m:getState xmlns:m=\"urn:m\"/>"), 29, "<m:getStateResponse xmlns:m=\"urn:m\"/>");
      return http_answer(200, "text/xml; charset=UTF-8", response);
    };
  }

  void add_server(std::string_view server_id, const crypto::Certificate& auth, std::vector<XRoadId> clients) {
    globalconf::SecurityServer s;
    s.id = id(server_id);
    s.address = "peer.example";
    s.auth_cert_hashes = {crypto::sha256(auth.to_der())};
    s.clients = std::move(clients);
    shared->security_servers.push_back(std::move(s));
  }

  // A request as the client's Security Server sends it: signed, its TLS certificate ss1's.
  FakeExchange transport(TransportMessage message, bool signed_message = true, net::PeerChain chain = {}) {
    message.signature.signature = "<signature/>";
    message.ocsp_responses = {"ocsp-of-ss1"};
    return sent(message, signed_message,
                chain.empty() ? net::PeerChain{ss1_auth->info.cert.to_der()} : std::move(chain));
  }
  // `message` as a server whose TLS certificate chain is `chain` sends it, signature and all
  // (cut out when not `signed_message`).
  static FakeExchange sent(const TransportMessage& message, bool signed_message, net::PeerChain chain) {
    const EncodedMessage encoded = encode_transport(message);
    std::string body = encoded.joined();
    if (!signed_message) {  // the signature part cut out
      const auto at = body.rfind("\r\n--", body.find(kSignatureType));
      body.erase(at, body.rfind("\r\n--") - at);
    }
    net::PeerInfo peer;
    peer.tls = true;
    peer.chain = std::move(chain);
    return FakeExchange(verb::post, "/", {{"Content-Type", encoded.content_type}}, std::move(body), std::move(peer));
  }
  FakeExchange rest(std::string target = "/r1/EE/COM/2/SERVICE/echo/pets", std::string client = "EE/COM/1/CLIENT",
                    std::string method = "GET") {
    RestRequestHead head{std::move(method), std::move(target), {{"X-Road-Client", std::move(client)}, {"x-road-id", "EE-1"}}};
    TransportMessage m;
    m.message_type = std::string(kRestRequestType);
    m.message = head.serialize();
    return transport(std::move(m));
  }
  FakeExchange soap(std::string_view service = "getState", std::string_view body = "<m:getState xmlns:m=\"urn:m\"/>",
                    std::string_view client = "CLIENT") {
    TransportMessage m;
    m.message_type = "text/xml; charset=UTF-8";
    m.message = soap_message(service, body, client);
    return transport(std::move(m));
  }

  FakeExchange& handle(FakeExchange& ex) {
    ServerProxy proxy(io, ctx);
    run(io, proxy, ex);
    return ex;
  }
  std::string fault(FakeExchange ex) { return fault_code_of(handle(ex)); }
  // The signed answer, decoded.
  TransportMessage answer_of(const FakeExchange& ex) {
    auto m = decode_transport(ex.header("Content-Type"), ex.body());
    EXPECT_TRUE(m.ok()) << ex.status() << " " << ex.body();
    return m.ok() ? std::move(m).value() : TransportMessage{};
  }
  void services_fail(net::errc e) {
    services->answer = [e](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
      return Error(net::make_error_code(e), "http://backend.example:80/api: 10.0.0.7 refused");
    };
  }

  // From now on the peer's certificate and the client's signature are checked by X-Road's
  // rules, not the fake trust: ss1 also has a TLS key of the test PKI's CA, which the
  // configuration approves, and the client's member EE/COM/1 signs with one of its keys; each
  // is good by the CA's OCSP responder now.
  void trust_by_xroads_rules() {
    clock.set(std::chrono::system_clock::now());  // the test CA issues from the real time, not 2023
    approve_test_ca(*shared);
    shared->security_servers[0].auth_cert_hashes.push_back(crypto::sha256(ss1_tls_key->info.cert.to_der()));
    ctx.trust = &trust::Trust::xroad();
  }
  // A REST request of EE/COM/1/CLIENT that POSTs `body` to the echo service (unsigned).
  static TransportMessage rest_post(std::string body) {
    RestRequestHead head{
        "POST",
        "/r1/EE/COM/2/SERVICE/echo/pets",
        {{"X-Road-Client", "EE/COM/1/CLIENT"}, {"x-road-id", "EE-1"}, {"Content-Type", "application/json"}}};
    TransportMessage m;
    m.message_type = std::string(kRestRequestType);
    m.message = head.serialize();
    if (!body.empty()) m.body = net::Payload(std::move(body));
    return m;
  }
  // `request` signed by the client's member as its batch signer does; with `batch_with`, in
  // one batch with those messages (a hash tree, each message getting its own chain).
  TransportMessage signed_by_client(TransportMessage request, std::vector<signer::MessageParts> batch_with = {}) {
    return signed_as_batch(std::move(request), *client_key, clock.now(), std::move(batch_with));
  }
  // `request` as ss1 sends it over TLS with its CA-issued key, that key's OCSP response in it.
  FakeExchange from_ss1(TransportMessage request) {
    request.ocsp_responses = {good_ocsp(ss1_tls_key->info.cert, clock.now())};
    return sent(request, true, {ss1_tls_key->info.cert.to_der()});
  }

  std::shared_ptr<FakeServices> services = std::make_shared<FakeServices>();
  std::shared_ptr<const signer::OpenKey> ss1_auth = make_key("ss1", crypto::Usage::tls_server_and_client);
  std::shared_ptr<const signer::OpenKey> ss9_auth = make_key("ss9", crypto::Usage::tls_server_and_client);
  std::shared_ptr<const signer::OpenKey> ss1_tls_key =
      key_from_test_ca({.common_name = "ss1", .usage = crypto::Usage::tls_server_and_client});
  std::shared_ptr<const signer::OpenKey> client_key = member_signing_key(id("MEMBER:EE/COM/1"), "ss1");
};

TEST_F(ServerProxyTest, ARestRequestReachesItsServiceAndTheAnswerIsSignedWithTheRequestHash) {
  FakeExchange ex = rest();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(services->called.size(), 1u);
  EXPECT_NE(services->called[0].find("backend.example"), std::string::npos);
  EXPECT_NE(services->called[0].find("/api/pets"), std::string::npos) << services->called[0];
  TransportMessage answer = answer_of(ex);
  auto head = RestResponseHead::parse(answer.message);
  ASSERT_TRUE(head.ok()) << answer.message;
  EXPECT_EQ(head->status, 200u);
  EXPECT_FALSE(last_header(head->headers, "x-road-request-hash").value_or("").empty());
  EXPECT_EQ(last_header(head->headers, "x-road-client"), "EE/COM/1/CLIENT");
  EXPECT_EQ(signer.calls, 1);
  // The request's signature and the peer's certificate were checked at the request's time.
  ASSERT_EQ(trust.signers.size(), 1u);
  EXPECT_EQ(trust.signers[0].to_string(), "SUBSYSTEM:EE/COM/1/CLIENT");
  ASSERT_EQ(trust.asked_at.size(), 2u);  // the peer's certificate, the client's signature
  for (auto at : trust.asked_at) EXPECT_EQ(at, clock.now());
  EXPECT_EQ(trust.ocsp_seen, std::vector<std::vector<std::string>>{{"ocsp-of-ss1"}});  // the OCSP the request carried
}

TEST_F(ServerProxyTest, ASoapRequestGetsItsServicesAnswerWithTheRequestHash) {
  FakeExchange ex = soap();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  TransportMessage answer = answer_of(ex);
  EXPECT_NE(answer.message.find("getStateResponse"), std::string::npos) << answer.message;
  EXPECT_NE(answer.message.find("<xrd:requestHash"), std::string::npos) << answer.message;
}

// X-Road's operational data: one record per message, with what the server proxy learnt of it.
class ServerProxyOpMonitoringTest : public ServerProxyTest {
 protected:
  ServerProxyOpMonitoringTest() {
    ctx.op_monitor = [this](opmon::OpRecord r) { records.push_back(std::move(r)); };
  }
  std::vector<opmon::OpRecord> records;
};

TEST_F(ServerProxyOpMonitoringTest, ARestCallIsRecordedWithItsServiceTypeStatusAndTimes) {
  FakeExchange ex = rest();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(records.size(), 1u);
  const opmon::OpRecord& r = records[0];
  EXPECT_EQ(r.security_server_type, "Producer");
  EXPECT_EQ(r.client_subsystem_code, "CLIENT");
  EXPECT_EQ(r.service_subsystem_code, "SERVICE");
  EXPECT_TRUE(r.service_code && !r.service_code->empty());
  EXPECT_EQ(r.service_type, "REST");
  EXPECT_TRUE(r.rest_method && !r.rest_method->empty());
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.succeeded, true);
  EXPECT_TRUE(times_in_order(r));
}

TEST_F(ServerProxyOpMonitoringTest, ASoapCallIsRecordedAsAWsdlService) {
  FakeExchange ex = soap();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].service_type, "WSDL");
  EXPECT_EQ(records[0].service_code, "getState");
  EXPECT_EQ(records[0].message_protocol_version, "4.0");
  EXPECT_GT(records[0].request_size.value_or(0), 100);
  EXPECT_GT(records[0].response_size.value_or(0), 100);
  EXPECT_EQ(records[0].succeeded, true);
}

TEST_F(ServerProxyOpMonitoringTest, AServicesOwnSoapFaultIsPassedOnAndRecordedAsUnsuccessful) {
  services->answer = [](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
    return http_answer(500, "text/xml; charset=UTF-8",
                       "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body>"
                       "<SOAP-ENV:Fault><faultcode>Server.NoBooks</faultcode><faultstring>out of books</faultstring>"
                       "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>");
  };
  FakeExchange ex = soap();
  handle(ex);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].succeeded, false);
  EXPECT_EQ(records[0].fault_code, "Server.NoBooks");
  EXPECT_EQ(records[0].fault_string, "out of books");
}

TEST_F(ServerProxyOpMonitoringTest, ARefusedCallIsRecordedWithTheFaultTheClientGot) {
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/nothing")), "server.serverproxy.unknown_service");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].succeeded, false);
  EXPECT_EQ(records[0].fault_code, "server.serverproxy.unknown_service");
  EXPECT_EQ(records[0].service_code, "nothing");
  EXPECT_FALSE(records[0].request_out_ts);  // the service was never called
}

TEST_F(ServerProxyTest, MetaservicesAreAnsweredHere) {
  FakeExchange list = soap("listMethods", "<xrd:listMethods/>");
  EXPECT_EQ(handle(list).status(), 200u) << list.body();
  EXPECT_NE(answer_of(list).message.find("getState"), std::string::npos);
  FakeExchange allowed = rest("/r1/EE/COM/2/SERVICE/allowedMethods");
  EXPECT_EQ(handle(allowed).status(), 200u) << allowed.body();
  EXPECT_TRUE(services->called.empty());
}

// ---- every fault the server proxy answers with: server.serverproxy.* ------------------

TEST_F(ServerProxyTest, InvalidMessage) {
  EXPECT_EQ(fault(FakeExchange(verb::get, "/", {}, "")), "server.serverproxy.invalid_http_method");
  TransportMessage other;
  other.message_type = "application/json";
  other.message = "{}";
  EXPECT_EQ(fault(transport(other)), "server.serverproxy.invalid_message");
  EXPECT_EQ(fault(rest("/r1/EE/COM")), "server.serverproxy.invalid_message");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/echo", "EE/COM")), "server.serverproxy.invalid_message");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/echo", "EE/COM/1/CLIENT", "BREW")), "server.serverproxy.invalid_message");
  EXPECT_EQ(fault(FakeExchange(verb::post, "/", {{"Content-Type", "multipart/mixed; boundary=x"}}, "junk",
                               {{}, true, {ss1_auth->info.cert.to_der()}})),
            "server.serverproxy.missing_soap");  // X-Road's ServerProxyProcessingError
  EXPECT_EQ(fault(FakeExchange(verb::post, "/", {{"Content-Type", "multipart/related; boundary=x"}}, "junk",
                               {{}, true, {ss1_auth->info.cert.to_der()}})),
            "server.serverproxy.service_failed.invalid_content_type");  // X-Road's InvalidContentTypeFromClientProxy
  EXPECT_TRUE(services->called.empty());
}

TEST_F(ServerProxyTest, GlobalConfOutdatedSaysSoWithoutNamingThisServersFolders) {
  globalconf_on = false;
  FakeExchange ex = rest();
  handle(ex);
  EXPECT_EQ(fault_code_of(ex), "server.serverproxy.global_conf_outdated");
  EXPECT_EQ(ex.bytes_read(), 0u);
  EXPECT_EQ(ex.body().find("/var/lib/roadside"), std::string::npos) << ex.body();
}

TEST_F(ServerProxyTest, ServerNotConfigured) {
  serverconf_on = false;
  EXPECT_EQ(fault(rest()), "server.serverproxy.server_not_configured");
}

TEST_F(ServerProxyTest, SslAuthenticationFailed) {
  // No certificate; one registered for no server; not an authentication certificate; one
  // without a good OCSP status; the sending server does not host the client.
  EXPECT_EQ(fault(FakeExchange(verb::post, "/", {{"Content-Type", "text/xml"}}, "", {{}, true, {}})),
            "server.serverproxy.ssl_authentication_failed");
  TransportMessage m;
  m.message_type = std::string(kRestRequestType);
  m.message = RestRequestHead{"GET", "/r1/EE/COM/2/SERVICE/echo", {{"X-Road-Client", "EE/COM/1/CLIENT"}}}.serialize();
  FakeExchange stranger = transport(m, true, {make_key("stranger", crypto::Usage::tls_server_and_client)->info.cert.to_der()});
  EXPECT_EQ(fault_code_of(handle(stranger)), "server.serverproxy.ssl_authentication_failed");
  EXPECT_EQ(stranger.bytes_read(), 0u);  // refused before its body is read
  EXPECT_EQ(fault(transport(m, true, {make_key("signer", crypto::Usage::signing)->info.cert.to_der()})),
            "server.serverproxy.ssl_authentication_failed");
  trust.refuse_certificate = Error(make_error_code(crypto::errc::incorrect_validation_info), "no good OCSP response");
  EXPECT_EQ(fault(rest()), "server.serverproxy.ssl_authentication_failed");
  trust.refuse_certificate.reset();
  EXPECT_EQ(fault(transport(m, true, {ss9_auth->info.cert.to_der()})), "server.serverproxy.ssl_authentication_failed");
  EXPECT_TRUE(services->called.empty());
}

TEST_F(ServerProxyTest, MissingSignature) {
  TransportMessage m;
  m.message_type = std::string(kRestRequestType);
  m.message = RestRequestHead{"GET", "/r1/EE/COM/2/SERVICE/echo", {{"X-Road-Client", "EE/COM/1/CLIENT"}}}.serialize();
  EXPECT_EQ(fault(transport(m, false)), "server.serverproxy.missing_signature");
}

TEST_F(ServerProxyTest, TheClientsSignatureIsRefused) {
  trust.refuse_message = Error(make_error_code(crypto::errc::invalid_signature), "the signature does not verify");
  EXPECT_EQ(fault(rest()), "server.serverproxy.invalid_signature_value");
  EXPECT_EQ(fault(soap()), "server.serverproxy.invalid_signature_value");
  trust.refuse_message = Error(make_error_code(crypto::errc::bad_certificate), "signed by another member");
  EXPECT_EQ(fault(rest()), "server.serverproxy.incorrect_certificate");
  trust.refuse_message = Error(make_error_code(crypto::errc::incorrect_validation_info), "no good OCSP for the signer");
  EXPECT_EQ(fault(rest()), "server.serverproxy.incorrect_validation_info");
  EXPECT_TRUE(services->called.empty());
}

TEST_F(ServerProxyTest, MissingHeaderField) {
  TransportMessage m;
  m.message_type = std::string(kRestRequestType);
  m.message = RestRequestHead{"GET", "/r1/EE/COM/2/SERVICE/echo", {}}.serialize();
  EXPECT_EQ(fault(transport(m)), "server.serverproxy.missing_header_field");
}

TEST_F(ServerProxyTest, SoapTheServerProxyCannotUse) {
  TransportMessage m;
  m.message_type = "text/xml";
  m.message = "<not-xml";
  EXPECT_EQ(fault(transport(m)), "server.serverproxy.invalid_soap");
  EXPECT_EQ(fault(soap("getState", "<a/><b/>")), "server.serverproxy.invalid_body");
  m.message = R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body/></SOAP-ENV:Envelope>)";
  EXPECT_EQ(fault(transport(m)), "server.serverproxy.missing_header");
  std::string old_version = soap_message("getState", "<m:getState xmlns:m=\"urn:m\"/>");
  old_version.replace(old_version.find(">4.0<"), 5, ">3.1<");
  m.message = old_version;
  EXPECT_EQ(fault(transport(m)), "server.serverproxy.invalid_protocol_version");
}

TEST_F(ServerProxyTest, UnknownServiceAndServiceType) {
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/nothing")), "server.serverproxy.unknown_service");
  EXPECT_EQ(fault(soap("nothing", "<m:nothing xmlns:m=\"urn:m\"/>")), "server.serverproxy.unknown_service");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/getOpenAPI?serviceCode=echo")), "server.serverproxy.unknown_service");  // no description
  EXPECT_EQ(fault(soap("getWsdl", "<xrd:getWsdl><xrd:serviceCode>nothing</xrd:serviceCode></xrd:getWsdl>")),
            "server.serverproxy.unknown_service");
  // (A WSDL service always has a version in YAML, and a REST path names none: one without.)
  serverconf::Service unversioned;
  unversioned.id = id("SERVICE:EE/COM/2/SERVICE/legacy");
  unversioned.type = serverconf::ServiceType::wsdl;
  unversioned.url = "http://backend.example/legacy";
  conf->services.push_back(unversioned);
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/legacy")), "server.serverproxy.service_type");
  EXPECT_EQ(fault(soap("echo", "<m:echo xmlns:m=\"urn:m\"/>")), "server.serverproxy.service_type");
  EXPECT_TRUE(services->called.empty());
}

TEST_F(ServerProxyTest, AccessDeniedOnEveryWayToAService) {
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/secret")), "server.serverproxy.access_denied");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/echo", "EE/COM/1/OTHER")), "server.serverproxy.access_denied");
  EXPECT_EQ(fault(soap("hidden", "<m:hidden xmlns:m=\"urn:m\"/>")), "server.serverproxy.access_denied");
  EXPECT_EQ(fault(soap("getState", "<m:getState xmlns:m=\"urn:m\"/>", "OTHER")), "server.serverproxy.access_denied");
  EXPECT_EQ(fault(soap("getWsdl", "<xrd:getWsdl><xrd:serviceCode>hidden</xrd:serviceCode><xrd:serviceVersion>v1</xrd:serviceVersion></xrd:getWsdl>")),
            "server.serverproxy.access_denied");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/getOpenAPI?serviceCode=described", "EE/COM/1/OTHER")), "server.serverproxy.access_denied");
  EXPECT_TRUE(services->called.empty());
  EXPECT_EQ(signer.calls, 0);
}

TEST_F(ServerProxyTest, ADisabledServiceAnswersItsNoticeToThoseWhoMayCallIt) {
  for (auto& service : conf->services) {
    service.disabled = true;
    service.disabled_notice = "Back on Monday";
  }
  FakeExchange soap_call = soap();
  EXPECT_EQ(fault_code_of(handle(soap_call)), "server.serverproxy.service_disabled");
  EXPECT_NE(soap_call.body().find("Back on Monday"), std::string::npos) << soap_call.body();
  FakeExchange rest_call = rest();
  EXPECT_EQ(fault_code_of(handle(rest_call)), "server.serverproxy.service_disabled");
  EXPECT_NE(rest_call.body().find("Back on Monday"), std::string::npos) << rest_call.body();
  // The access check comes first (X-Road's order), and the metaservices still list it.
  EXPECT_EQ(fault(soap("getState", "<m:getState xmlns:m=\"urn:m\"/>", "OTHER")), "server.serverproxy.access_denied");
  FakeExchange list = soap("listMethods", "<xrd:listMethods/>");
  EXPECT_EQ(handle(list).status(), 200u) << list.body();
  EXPECT_NE(answer_of(list).message.find("getState"), std::string::npos);
  EXPECT_TRUE(services->called.empty());
}

// X-Road's verifySecurityServer: a SOAP request that names a security server is served only
// by that one.
TEST_F(ServerProxyTest, ARequestForAnotherSecurityServerIsRefused) {
  auto naming = [&](std::string_view server_code) {
    TransportMessage m;
    m.message_type = "text/xml; charset=UTF-8";
    m.message = soap_message("getState", "<m:getState xmlns:m=\"urn:m\"/>");
    const std::string server = R"(<xrd:securityServer id:objectType="SERVER"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>2</id:memberCode><id:serverCode>)" +
                               std::string(server_code) + "</id:serverCode></xrd:securityServer>";
    m.message.insert(m.message.find("<xrd:id>"), server);
    return transport(std::move(m));
  };
  EXPECT_EQ(fault(naming("ss3")), "server.serverproxy.service_failed.invalid_security_server");
  EXPECT_TRUE(services->called.empty());
  FakeExchange here = naming("ss2");
  EXPECT_EQ(handle(here).status(), 200u) << here.body();
}

TEST_F(ServerProxyTest, BadRequest) {
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/getOpenAPI")), "server.serverproxy.bad_request");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/echo/%2e%2e/secret")), "server.serverproxy.bad_request");
}

TEST_F(ServerProxyTest, ServiceFailuresNameTheKindButNoAddress) {
  const std::vector<std::pair<net::errc, std::string>> cases = {
      {net::errc::connect_failed, "server.serverproxy.service_failed.network_error"},
      {net::errc::timeout, "server.serverproxy.service_failed.network_error"},
      {net::errc::tls_failed, "server.serverproxy.service_failed.ssl_authentication_failed"},
      {net::errc::protocol_error, "server.serverproxy.service_failed.invalid_message"},
      {net::errc::bad_url, "server.serverproxy.service_failed"},
  };
  for (const auto& [e, code] : cases) {
    services_fail(e);
    FakeExchange ex = rest();
    EXPECT_EQ(fault_code_of(handle(ex)), code);
    EXPECT_EQ(ex.body().find("10.0.0.7"), std::string::npos) << ex.body();
    EXPECT_EQ(fault(soap()), code);
  }
}

TEST_F(ServerProxyTest, AServiceAnswerThatCannotBeUsed) {
  services->answer = [](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
    return http_answer(100, "", "");
  };
  EXPECT_EQ(fault(rest()), "server.serverproxy.service_failed.invalid_message");
  // A status past 599, which a REST response part cannot carry (found by http_head_fuzz).
  services->answer = [](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
    return http_answer(604, "text/plain", "x");
  };
  EXPECT_EQ(fault(rest()), "server.serverproxy.service_failed.invalid_message");
  services->answer = [](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
    return http_answer(200, "application/json", "{}");
  };
  EXPECT_EQ(fault(soap()), "server.serverproxy.service_failed.invalid_content_type");
  services->answer = [](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
    return http_answer(200, "text/xml", "<not-a-soap-message/>");
  };
  EXPECT_EQ(fault(soap()), "server.serverproxy.service_failed.invalid_soap");
  services->answer = [](const std::string&, const std::string&, const std::string&) -> Result<net::ClientResponse> {
    return http_answer(404, "text/html", "gone");
  };
  EXPECT_EQ(fault(soap("getWsdl", "<xrd:getWsdl><xrd:serviceCode>getState</xrd:serviceCode><xrd:serviceVersion>v1</xrd:serviceVersion></xrd:getWsdl>")),
            "server.serverproxy.service_failed.invalid_message");
  EXPECT_EQ(fault(rest("/r1/EE/COM/2/SERVICE/getOpenAPI?serviceCode=described")), "server.serverproxy.service_failed.invalid_message");
  EXPECT_EQ(signer.calls, 0);
}

TEST_F(ServerProxyTest, TheAnswerCannotBeSigned) {
  keys.refuse = Error(make_error_code(signer::errc::token_not_active), "the token is not logged in");
  EXPECT_EQ(fault(rest()), "server.serverproxy.token_not_active");
  EXPECT_EQ(fault(soap()), "server.serverproxy.token_not_active");
  // After `roadside token logout` the service was called and only the signing failed.
  EXPECT_TRUE(services->called.empty()) << "a service was called for an answer that cannot be signed";
  keys.refuse = Error(make_error_code(signer::errc::key_not_found), "no signing key for EE/COM/2");
  EXPECT_EQ(fault(rest()), "server.serverproxy.key_not_found");
  keys.refuse.reset();
  signer.refuse = Error(make_error_code(signer::errc::ocsp_unavailable), "no OCSP response for the signing certificate");
  EXPECT_EQ(fault(soap()), "server.serverproxy.cert_validation");
  // An error about this server itself reaches the peer as an internal error, its text kept here.
  signer.refuse = Error(std::make_error_code(std::errc::io_error), "cannot write /var/lib/roadside/spool/x");
  FakeExchange ex = soap();
  EXPECT_EQ(fault_code_of(handle(ex)), "server.serverproxy.internal_error");
  EXPECT_EQ(ex.body().find("/var/lib/roadside"), std::string::npos) << ex.body();
}

// ---- the client's signature by X-Road's rules (trust::Trust::xroad()) ---------------------
// Genuine signatures by signer::sign_batch (what the batch signer signs with), then broken.

TEST_F(ServerProxyTest, AGenuineSignatureOfTheClientPassesXRoadsRules) {
  trust_by_xroads_rules();
  FakeExchange ex = from_ss1(signed_by_client(rest_post("{\"name\":\"rex\"}")));
  EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
  ASSERT_EQ(services->called.size(), 1u);
  // Signed by another member: refused by the same rules.
  client_key = member_signing_key(id("MEMBER:EE/COM/2"), "ss2");
  EXPECT_EQ(fault(from_ss1(signed_by_client(rest_post("{\"name\":\"rex\"}")))),
            "server.serverproxy.incorrect_certificate");
  EXPECT_EQ(services->called.size(), 1u);
}

TEST_F(ServerProxyTest, MalformedSignatureWithoutTheSigningCertificateXadesRequires) {
  trust_by_xroads_rules();
  TransportMessage request = signed_by_client(rest_post("{\"name\":\"rex\"}"));
  request.signature.signature = without_element(request.signature.signature, "xades:SigningCertificate");
  EXPECT_EQ(fault(from_ss1(request)), "server.serverproxy.malformed_signature");
  EXPECT_TRUE(services->called.empty());
}

// The batch's other message, a HashValue in this request's chain, altered: the chain's top is
// no longer the result the signature covers.
TEST_F(ServerProxyTest, InvalidHashChainWhenAnotherMessageOfTheBatchIsAltered) {
  trust_by_xroads_rules();
  TransportMessage request = signed_by_client(rest_post("{\"name\":\"rex\"}"), {{"another request", {}, {}}});
  request.signature.hash_chain = with_other_digest_after(*request.signature.hash_chain, "<ns2:HashValue>");
  EXPECT_EQ(fault(from_ss1(request)), "server.serverproxy.malformed_signature.invalid_hash_chain");
  EXPECT_TRUE(services->called.empty());
}

// The body changed after it was signed: its DataRef's digest no longer matches it.
TEST_F(ServerProxyTest, InvalidHashChainRefWhenTheBodyChangedAfterSigning) {
  trust_by_xroads_rules();
  TransportMessage request = signed_by_client(rest_post("{\"name\":\"rex\"}"));
  request.body = net::Payload(std::string("{\"name\":\"rex\",\"admin\":true}"));
  EXPECT_EQ(fault(from_ss1(request)), "server.serverproxy.malformed_signature.invalid_hash_chain_ref");
  EXPECT_TRUE(services->called.empty());
}

// A batch signature is checked once (trust/verifier.cc keeps it), each message's own parts
// every time: the batch's signature and result, seen before, with a body changed since.
TEST_F(ServerProxyTest, AMessageOfABatchSeenBeforeIsStillCheckedOnItsOwn) {
  trust_by_xroads_rules();
  const TransportMessage request = signed_by_client(rest_post("{\"name\":\"rex\"}"), {{"another request", {}, {}}});
  for (int i = 0; i < 2; ++i) {
    FakeExchange ex = from_ss1(request);
    EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
  }
  TransportMessage changed = request;
  changed.body = net::Payload(std::string("{\"name\":\"rex\",\"admin\":true}"));
  EXPECT_EQ(fault(from_ss1(changed)), "server.serverproxy.malformed_signature.invalid_hash_chain_ref");
  EXPECT_EQ(services->called.size(), 2u);
}

// A message signed in a batch without a body, sent with one: no DataRef covers the body.
TEST_F(ServerProxyTest, HashChainUnusedInputsWhenABodyIsAddedToASignedMessage) {
  trust_by_xroads_rules();
  TransportMessage request = signed_by_client(rest_post(""), {{"another request", {}, {}}});
  request.body = net::Payload(std::string("{\"name\":\"rex\"}"));
  EXPECT_EQ(fault(from_ss1(request)), "server.serverproxy.malformed_signature.hashchain_unused_inputs");
  EXPECT_TRUE(services->called.empty());
}

// ---- this server's files --------------------------------------------------------------

// A request over 1 MiB waits in a spool file; one that does not fit the spool's limits
// (proxy.spool_quota_bytes, proxy.spool_min_free_bytes: free space on its file system) is
// refused, and the fault names no folder of this server.
TEST_F(ServerProxyTest, IoErrorWhenTheRequestDoesNotFitTheSpool) {
  testing::TempDir spool;
  ctx.spool_dir = spool.path();
  const net::SpoolLimits quota_in_use{.quota_bytes = kSpoolAbove, .min_free_bytes = 0};
  const net::SpoolLimits disk_full{.min_free_bytes = UINT64_MAX / 4};  // more free space kept than any disk has
  for (const auto& limits : {quota_in_use, disk_full}) {
    SpoolLimitsForTest spool_limits(limits);
    TransportMessage request = rest_post(std::string(2 * kSpoolAbove, 'x'));
    FakeExchange ex = transport(std::move(request));
    handle(ex);
    EXPECT_EQ(fault_code_of(ex), "server.serverproxy.io_error") << ex.body();
    EXPECT_EQ(ex.body().find(spool.path().string()), std::string::npos) << ex.body();
    EXPECT_EQ(net::spooled_bytes(), 0u);
  }
  EXPECT_TRUE(services->called.empty());
}

// ---- large SOAP messages ------------------------------------------------------------------

// Bytes that repeat only after a long while, so a misplaced slice shows.
std::string pattern(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(i * 131 + (i >> 9)));
  return out;
}

// A SOAP request to getState with an attachment over 1 MiB, signed by the client by X-Road's
// rules, as ss1 sends it with the IS's Content-Type.
class LargeSoapTest : public ServerProxyTest {
 protected:
  LargeSoapTest() {
    ctx.spool_dir = spool.path();
    trust_by_xroads_rules();
    // The service answers with the envelope of what it got.
    services->answer = [this](const std::string&, const std::string&, const std::string& body) -> Result<net::ClientResponse> {
      auto got = split_soap_message(kIsType, body);
      if (!got.ok()) return got.error();
      received = std::move(got).value();
      std::string response = received.soap;
      response.replace(response.find("<m:getState xmlns:m=\"urn:m\"/>"), 29, "<m:getStateResponse xmlns:m=\"urn:m\"/>");
      return http_answer(200, "text/xml; charset=UTF-8", response);
    };
  }
  TransportMessage request() const {
    TransportMessage m;
    m.message_type = "text/xml; charset=UTF-8";
    m.message = soap_message("getState", "<m:getState xmlns:m=\"urn:m\"/>");
    m.attachments.push_back({{{"Content-Type", "application/octet-stream"}, {"Content-Transfer-Encoding", "binary"}}, net::Payload(attachment)});
    return m;
  }
  FakeExchange sent_by_ss1(TransportMessage m) {
    m.ocsp_responses = {good_ocsp(ss1_tls_key->info.cert, clock.now())};
    const EncodedMessage encoded = encode_transport(m);
    net::PeerInfo peer;
    peer.tls = true;
    peer.chain = {ss1_tls_key->info.cert.to_der()};
    return FakeExchange(verb::post, "/", {{"Content-Type", encoded.content_type}, {"x-original-content-type", kIsType}}, encoded.joined(),
                        std::move(peer));
  }

  static constexpr const char* kIsType = "multipart/related; type=\"text/xml\"; charset=UTF-8; boundary=isb";
  testing::TempDir spool;
  const std::string attachment = pattern(3 * kSpoolAbove + 11);
  SoapMessage received;
};

// The attachment is checked against the client's signature in pieces and sent to the service
// from the server proxy's spool file, byte for byte, with the IS's Content-Type and boundary.
TEST_F(LargeSoapTest, AnAttachmentIsVerifiedInPiecesAndReachesTheServiceFromTheSpoolFile) {
  FakeExchange ex = sent_by_ss1(signed_by_client(request()));
  ASSERT_EQ(handle(ex).status(), 200u) << ex.body().substr(0, 1000);
  EXPECT_FALSE(answer_of(ex).message.empty());
  ASSERT_EQ(services->sent.size(), 1u);
  EXPECT_EQ(services->heads[0][http::field::content_type], kIsType);
  std::size_t from_file = 0;
  for (const auto& piece : services->sent[0]) {
    if (!piece.in_memory() && piece.read_all(UINT64_MAX).value() == attachment) ++from_file;
  }
  EXPECT_EQ(from_file, 1u);
  ASSERT_EQ(received.attachments.size(), 1u);
  EXPECT_TRUE(received.attachments[0].body.bytes() == attachment);
  EXPECT_EQ(last_header(received.attachments[0].headers, "content-transfer-encoding"), "binary");
  EXPECT_EQ(received.soap, request().message);
  services->sent.clear();  // what the fake kept of the request: the spool file is gone with it
  EXPECT_EQ(net::spooled_bytes(), 0u);
}

// A byte of the attachment changed after it was signed: its DataRef's digest no longer matches.
TEST_F(LargeSoapTest, AnAttachmentChangedAfterSigningIsRefused) {
  TransportMessage m = signed_by_client(request());
  std::string changed = attachment;
  changed[2 * kSpoolAbove] ^= 1;
  m.attachments[0].body = net::Payload(changed);
  EXPECT_EQ(fault(sent_by_ss1(std::move(m))), "server.serverproxy.malformed_signature.invalid_hash_chain_ref");
  EXPECT_TRUE(services->called.empty());
}

// A service's answer over 1 MiB waits in a spool file, and its attachment goes back from it.
TEST_F(LargeSoapTest, AServicesLargeAttachmentIsSignedAndSentFromTheSpoolFile) {
  const std::string answered = pattern(2 * kSpoolAbove + 1).substr(3);
  services->answer = [&](const std::string&, const std::string&, const std::string& body) -> Result<net::ClientResponse> {
    auto got = split_soap_message(kIsType, body);
    if (!got.ok()) return got.error();
    SoapMessage response;
    response.content_type = "multipart/related; type=\"text/xml\"; boundary=svc";
    response.soap_content_type = "text/xml; charset=UTF-8";
    response.soap = got->soap;
    response.soap.replace(response.soap.find("<m:getState xmlns:m=\"urn:m\"/>"), 29, "<m:getStateResponse xmlns:m=\"urn:m\"/>");
    response.attachments.push_back({{{"Content-Type", "application/octet-stream"}}, net::Payload(answered)});
    response.multipart = true;
    net::ClientResponse r = http_answer(200, response.content_type, "");
    net::PayloadBuilder b(spool.path(), 0);
    EXPECT_TRUE(b.append(join_soap_message(response)).ok());
    r.spooled_body = std::move(b).finish();
    return r;
  };
  FakeExchange ex = sent_by_ss1(signed_by_client(request()));
  ASSERT_EQ(handle(ex).status(), 200u) << ex.body().substr(0, 1000);
  EXPECT_EQ(ex.header("x-original-content-type"), "multipart/related; type=\"text/xml\"; boundary=svc");
  TransportMessage answer = answer_of(ex);
  ASSERT_EQ(answer.attachments.size(), 1u);
  EXPECT_TRUE(answer.attachments[0].body.bytes() == answered);
  EXPECT_NE(answer.message.find("getStateResponse"), std::string::npos);
  services->sent.clear();
  EXPECT_EQ(net::spooled_bytes(), 0u);
}


// The message log (variant full): a request is logged once it is known to be taken (signature,
// access right), before the service sees it; the signed response before it is sent back. The
// provider owns the records here.
TEST_F(ServerProxyTest, TheRequestIsLoggedBeforeTheServiceAndTheSignedResponseBeforeTheReply) {
  FakeMessageLog log;
  ctx.message_log = &log;
  FakeExchange ex = rest();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_FALSE(log.entries[0].record.response);
  EXPECT_TRUE(log.entries[1].record.response);
  for (const auto& e : log.entries) {
    EXPECT_EQ(e.record.client.to_string(), "SUBSYSTEM:EE/COM/2/SERVICE");
    EXPECT_TRUE(e.server_side);
    EXPECT_TRUE(e.rest);
    EXPECT_FALSE(e.record.signature.empty());
  }
  TransportMessage answer = answer_of(ex);
  EXPECT_EQ(log.entries[1].record.signature, answer.signature.signature);  // what was sent is what was logged
}

TEST_F(ServerProxyTest, ARequestThatCannotBeLoggedNeverReachesTheService) {
  FakeMessageLog log;
  log.fail_from = 0;
  ctx.message_log = &log;
  FakeExchange ex = rest();
  handle(ex);
  EXPECT_EQ(fault_code_of(ex), "server.serverproxy.logging_failed") << ex.body();
  EXPECT_TRUE(services->called.empty());
}

TEST_F(ServerProxyTest, ARefusedRequestIsNotLogged) {
  FakeMessageLog log;
  ctx.message_log = &log;
  FakeExchange ex = rest("/r1/EE/COM/2/SERVICE/echo/pets", "EE/COM/1/OTHER");
  handle(ex);
  EXPECT_NE(fault_code_of(ex), "") << ex.body();
  EXPECT_TRUE(log.entries.empty());
}

TEST_F(ServerProxyTest, WhileTimeStampingHasFailedTooLongNoServiceIsCalled) {
  FakeMessageLog log;
  log.refuse = Error(make_error_code(messagelog::errc::timestamping_failed), "time-stamping has failed since 12:00");
  ctx.message_log = &log;
  FakeExchange ex = soap();
  handle(ex);
  EXPECT_EQ(fault_code_of(ex), "server.serverproxy.timestamper_failed") << ex.body();
  EXPECT_TRUE(services->called.empty());
}

}  // namespace
}  // namespace roadside::proxy
