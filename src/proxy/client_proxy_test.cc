// The client proxy over fakes (proxy_fakes.h): no sockets, no keys on disk, no peers. Every
// fault code the client proxy produces is produced here, as the information system sees it
// (X-Road-Error of a REST error, faultcode of a SOAP fault), together with what it must not
// do (a request sent twice, a signature made for a refused request). The provider's signature
// is checked by a fake, except at the end, where X-Road's own rules check genuine signatures
// that a test breaks.
#include "proxy/client_proxy.h"

#include <gtest/gtest.h>

#include <sstream>

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
owner: EE/COM/1
server_code: ss1
clients:
  - id: EE/COM/1/CLIENT
    connection: noauth
  - id: EE/COM/1/TLS
    connection: sslnoauth
  - id: EE/COM/1/CERT
    connection: sslauth
    is_certificates:
      - |
)";

// The server configuration, with the SSLAUTH client's IS certificate.
std::string server_conf(const crypto::Certificate& is_cert) {
  std::string yaml(kServerConf);
  std::istringstream pem(is_cert.to_pem());
  for (std::string line; std::getline(pem, line);) yaml += "        " + line + "\n";
  return yaml;
}

const std::string kRestTarget = "/r1/EE/COM/2/SERVICE/echo/pets?limit=1";

// The client's identifier parts inside <xrd:client> (instance to subsystem code).
constexpr std::string_view kClient =
    "EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1</id:memberCode><id:subsystemCode>CLIENT";

std::string soap_request(std::string_view client = kClient, std::string_view protocol = "4.0", std::string_view body = "<m:getState xmlns:m=\"urn:m\"/>") {
  return std::string(R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"><SOAP-ENV:Header>)") +
         R"(<xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>)" + std::string(client) + R"(</id:subsystemCode></xrd:client>)" +
         R"(<xrd:service id:objectType="SERVICE"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>2</id:memberCode><id:subsystemCode>SERVICE</id:subsystemCode><id:serviceCode>getState</id:serviceCode></xrd:service>)" +
         R"(<xrd:id>abc</xrd:id><xrd:protocolVersion>)" + std::string(protocol) + R"(</xrd:protocolVersion></SOAP-ENV:Header><SOAP-ENV:Body>)" +
         std::string(body) + "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

// A transport message as the provider's server sends it, signature and all.
net::ClientResponse answer_as_sent(const TransportMessage& response, const std::string& auth_der) {
  const EncodedMessage encoded = encode_transport(response);
  return http_answer(200, encoded.content_type, encoded.joined(), {auth_der});
}

// A signed transport message as the provider's server sends it (for the fake trust).
net::ClientResponse signed_answer(TransportMessage response, const std::string& auth_der) {
  response.signature.signature = "<signature/>";
  return answer_as_sent(response, auth_der);
}

class ClientProxyTest : public ::testing::Test, protected FakeWorld {
 protected:
  ClientProxyTest() {
    shared->instance = "EE";
    shared->members = {{id("MEMBER:EE/COM/1"), "Client", {id("SUBSYSTEM:EE/COM/1/CLIENT")}},
                       {id("MEMBER:EE/COM/2"), "Provider", {id("SUBSYSTEM:EE/COM/2/SERVICE")}}};
    for (const char* code : {"ss2", "ss3"}) {
      globalconf::SecurityServer s;
      s.id = id(std::string("SERVER:EE/COM/2/") + code);
      s.address = std::string(code) + ".example";
      s.clients = {id("SUBSYSTEM:EE/COM/2/SERVICE")};
      s.auth_cert_hashes = {crypto::sha256(code == std::string("ss2") ? ss2_auth->info.cert.to_der() : ss3_auth->info.cert.to_der())};
      shared->security_servers.push_back(std::move(s));
    }
    auto parsed = serverconf::ServerConf::parse_yaml(server_conf(is_key->info.cert));
    EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
    conf = std::make_shared<serverconf::ServerConf>(std::move(parsed).value());
    globalconf_problem = "the configuration expired";
    ctx.peers = peers;
    // By default each server answers a REST request as a provider does.
    peers->answer = [this](const globalconf::SecurityServer& server, const TransportMessage& request) -> Result<net::ClientResponse> {
      return rest_answer(server, request);
    };
  }

  // The provider's REST response to `request` (unsigned), with `hash` as its request hash.
  static TransportMessage rest_response(const TransportMessage& request, std::string hash = {}) {
    std::optional<std::string> digest;
    if (request.body) digest = request.body_digest(crypto::kSha512Uri).value();
    if (hash.empty()) hash = rest_request_hash_of_digest(request.message, digest);
    RestResponseHead head{200, "OK", {{"Content-Type", "application/json"}, {"x-road-request-hash", hash}}};
    TransportMessage response;
    response.message_type = std::string(kRestResponseType);
    response.message = head.serialize();
    response.body = net::Payload(std::string("{\"pets\":[]}"));
    return response;
  }
  Result<net::ClientResponse> rest_answer(const globalconf::SecurityServer& server, const TransportMessage& request,
                                          std::string hash = {}) {
    return signed_answer(rest_response(request, std::move(hash)), auth_der_of(server));
  }

  // From now on the provider's signatures are checked by X-Road's rules, not the fake trust:
  // its member EE/COM/2 signs with a key of the test PKI's CA, which the configuration
  // approves, good by the CA's OCSP responder now.
  void trust_by_xroads_rules() {
    clock.set(std::chrono::system_clock::now());  // the test CA issues from the real time, not 2023
    approve_test_ca(*shared);
    ctx.trust = &trust::Trust::xroad();
  }
  // `response` signed by the provider's member as its batch signer does; with `batch_with`,
  // in one batch with those messages (a hash tree, each message getting its own chain).
  TransportMessage signed_by_provider(TransportMessage response, std::vector<signer::MessageParts> batch_with = {}) {
    return signed_as_batch(std::move(response), *provider_key, clock.now(), std::move(batch_with));
  }

  // The SOAP response of a provider: the request's header, its requestHash, `edit` applied.
  Result<net::ClientResponse> soap_answer(const globalconf::SecurityServer& server, const TransportMessage& request,
                                          const std::function<std::string(std::string)>& edit = {}) {
    std::string response = request.message;
    response.replace(response.find("<m:getState"), std::string("<m:getState xmlns:m=\"urn:m\"/>").size(),
                     "<m:getStateResponse xmlns:m=\"urn:m\"/>");
    response = insert_request_hash(response, soap_request_hash(request.message)).value();
    if (edit) response = edit(response);
    TransportMessage out;
    out.message_type = "text/xml; charset=UTF-8";
    out.message = response;
    return signed_answer(std::move(out), auth_der_of(server));
  }

  std::string auth_der_of(const globalconf::SecurityServer& server) const {
    return server.id.to_string() == "SERVER:EE/COM/2/ss2" ? ss2_auth->info.cert.to_der() : ss3_auth->info.cert.to_der();
  }

  FakeExchange rest(std::vector<std::pair<std::string, std::string>> headers = {{"X-Road-Client", "EE/COM/1/CLIENT"}},
                    std::string target = kRestTarget, net::PeerInfo peer = {}) {
    return FakeExchange(verb::get, std::move(target), std::move(headers), "", std::move(peer));
  }
  FakeExchange soap(std::string body = soap_request(), std::string content_type = "text/xml; charset=UTF-8") {
    return FakeExchange(verb::post, "/", {{"Content-Type", content_type}}, std::move(body));
  }

  // Runs `ex` through a client proxy made now (after the test changed the context).
  FakeExchange& handle(FakeExchange& ex) {
    ClientProxy proxy(io, ctx);
    run(io, proxy, ex);
    return ex;
  }
  // The fault code the IS got: X-Road-Error of a REST error, else the SOAP faultcode.
  static std::string fault_of(const FakeExchange& ex) { return fault_code_of(ex); }
  std::string fault(FakeExchange ex) { return fault_of(handle(ex)); }

  std::shared_ptr<FakePeers> peers = std::make_shared<FakePeers>();
  std::shared_ptr<const signer::OpenKey> is_key = make_key("information system", crypto::Usage::tls_client);
  std::shared_ptr<const signer::OpenKey> ss2_auth = make_key("ss2", crypto::Usage::tls_server_and_client);
  std::shared_ptr<const signer::OpenKey> ss3_auth = make_key("ss3", crypto::Usage::tls_server_and_client);
  std::shared_ptr<const signer::OpenKey> provider_key = member_signing_key(id("MEMBER:EE/COM/2"), "ss2");
};

TEST_F(ClientProxyTest, ARestRequestIsSignedSentOnceAndItsVerifiedAnswerPassedOn) {
  peers->fastest_index = 1;  // ss3 connects first
  FakeExchange ex = rest();
  handle(ex);
  EXPECT_EQ(ex.status(), 200u) << ex.body();
  EXPECT_EQ(ex.body(), "{\"pets\":[]}");
  EXPECT_EQ(ex.header("Content-Type"), "application/json");
  EXPECT_EQ(peers->contacted, std::vector<std::string>{"SERVER:EE/COM/2/ss3"});
  EXPECT_EQ(peers->ocsp_sent, std::vector<std::vector<std::string>>{{"ocsp-response"}});  // the own auth certificate's
  EXPECT_EQ(signer.calls, 1);
  // The answer was checked as the provider's, at the request's time.
  ASSERT_EQ(trust.signers.size(), 1u);
  EXPECT_EQ(trust.signers[0].to_string(), "SUBSYSTEM:EE/COM/2/SERVICE");
  EXPECT_EQ(trust.asked_at[0], clock.now());
}

// X-Road's operational data: one record per message, with what the client proxy learnt of it.
class ClientProxyOpMonitoringTest : public ClientProxyTest {
 protected:
  ClientProxyOpMonitoringTest() {
    ctx.op_monitor = [this](opmon::OpRecord r) { records.push_back(std::move(r)); };
  }
  std::vector<opmon::OpRecord> records;
};

TEST_F(ClientProxyOpMonitoringTest, ARestExchangeIsRecordedWithItsPartiesSizesAndTimes) {
  FakeExchange ex = rest({{"X-Road-Client", "EE/COM/1/CLIENT"}, {"X-Road-Id", "query-7"}, {"X-Road-UserId", "EE1234"}});
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(records.size(), 1u);
  const opmon::OpRecord& r = records[0];
  EXPECT_EQ(r.security_server_type, "Client");
  EXPECT_EQ(r.client_member_code, "1");
  EXPECT_EQ(r.client_subsystem_code, "CLIENT");
  EXPECT_EQ(r.service_member_code, "2");
  EXPECT_EQ(r.service_subsystem_code, "SERVICE");
  EXPECT_EQ(r.service_code, "echo");
  EXPECT_EQ(r.rest_method, "GET");
  EXPECT_EQ(r.rest_path, "/pets");
  EXPECT_EQ(r.message_id, "query-7");
  EXPECT_EQ(r.message_user_id, "EE1234");
  EXPECT_TRUE(r.x_request_id && r.x_request_id->size() == 36);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.request_size, 0);
  EXPECT_EQ(r.response_size, 11);  // {"pets":[]}
  EXPECT_EQ(r.succeeded, true);
  EXPECT_FALSE(r.fault_code);
  EXPECT_TRUE(r.service_security_server_address == "ss2.example" || r.service_security_server_address == "ss3.example");
  EXPECT_TRUE(times_in_order(r));
}

TEST_F(ClientProxyOpMonitoringTest, ASoapExchangeIsRecordedWithItsHeader) {
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) { return soap_answer(s, r); };
  FakeExchange ex = soap();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(records.size(), 1u);
  const opmon::OpRecord& r = records[0];
  EXPECT_EQ(r.service_code, "getState");
  EXPECT_EQ(r.message_protocol_version, "4.0");
  EXPECT_TRUE(r.message_id && !r.message_id->empty());
  EXPECT_GT(r.request_size.value_or(0), 100);
  EXPECT_GT(r.response_size.value_or(0), 100);
  EXPECT_EQ(r.request_attachment_count, 0);
  EXPECT_EQ(r.succeeded, true);
  EXPECT_FALSE(r.rest_method);
}

TEST_F(ClientProxyOpMonitoringTest, AFailedMessageIsRecordedWithItsFault) {
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/CLIENT"}}, "/r1/EE/COM/9/NOBODY/echo")), "server.clientproxy.unknown_member");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].succeeded, false);
  EXPECT_EQ(records[0].fault_code, "server.clientproxy.unknown_member");
  EXPECT_TRUE(records[0].fault_string && !records[0].fault_string->empty());
  EXPECT_EQ(records[0].service_member_code, "9");
  EXPECT_FALSE(records[0].request_out_ts);  // never sent
}

TEST_F(ClientProxyOpMonitoringTest, ListingClientsIsNotAMessage) {
  FakeExchange ex(verb::get, "/listClients", {}, "");
  handle(ex);
  EXPECT_EQ(ex.status(), 200u) << ex.body();
  EXPECT_TRUE(records.empty());
}

TEST_F(ClientProxyTest, ASoapRequestGetsTheProvidersResponse) {
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) { return soap_answer(s, r); };
  FakeExchange ex = soap();
  handle(ex);
  EXPECT_EQ(ex.status(), 200u) << ex.body();
  EXPECT_NE(ex.body().find("getStateResponse"), std::string::npos) << ex.body();
}

// A long call: the answer is checked at the time it came back, not when the request arrived.
TEST_F(ClientProxyTest, TheAnswerIsCheckedWhenItArrives) {
  const auto arrived = clock.now();
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    clock.advance(std::chrono::seconds(90));
    return rest_answer(s, r);
  };
  FakeExchange ex = rest();
  EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
  ASSERT_EQ(trust.asked_at.size(), 1u);
  EXPECT_EQ(trust.asked_at[0], arrived + std::chrono::seconds(90));
}

// ---- the information system's faults: client.* (HTTP 400) ------------------------------

TEST_F(ClientProxyTest, BadRequest) {
  EXPECT_EQ(fault(FakeExchange(verb::get, "/nothing", {}, "")), "client.bad_request");
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/CLIENT"}}, "/r1/EE/COM")), "client.bad_request");
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM"}})), "client.bad_request");
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/CLIENT"}}, "/r1/EE/COM/2/SERVICE/echo/%2e%2e/admin")), "client.bad_request");
  EXPECT_EQ(fault(FakeExchange(verb::get, "/listClients?xRoadInstance=OTHER", {}, "")), "client.bad_request");
  EXPECT_EQ(peers->contacted.size(), 0u);
}

TEST_F(ClientProxyTest, MissingHeaderField) {
  FakeExchange ex = rest({});
  handle(ex);
  EXPECT_EQ(fault_of(ex), "client.missing_header_field");
  EXPECT_EQ(ex.status(), 400u);
  std::string without_id = soap_request();
  without_id.erase(without_id.find("<xrd:id>abc</xrd:id>"), 20);
  EXPECT_EQ(fault(soap(without_id)), "client.missing_header_field");
  // An identifier without its member code.
  EXPECT_EQ(fault(soap(soap_request("EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:subsystemCode>CLIENT"))),
            "client.bad_request");
}

TEST_F(ClientProxyTest, IsAuthenticationModes) {
  // SSLNOAUTH over plain HTTP; SSLAUTH without a certificate, and with another one.
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/TLS"}})), "server.clientproxy.ssl_authentication_failed");
  net::PeerInfo tls;
  tls.tls = true;
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/CERT"}}, kRestTarget, tls)), "server.clientproxy.ssl_authentication_failed");
  tls.chain = {make_key("stranger", crypto::Usage::tls_client)->info.cert.to_der()};
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/CERT"}}, kRestTarget, tls)), "server.clientproxy.ssl_authentication_failed");
  // Over HTTPS the SSLNOAUTH client passes.
  FakeExchange ok = rest({{"X-Road-Client", "EE/COM/1/TLS"}}, kRestTarget, tls);
  EXPECT_EQ(handle(ok).status(), 200u) << ok.body();
}

// X-Road's SoapActionMalformedHeader: an unquoted SOAPAction was passed on to the service.
TEST_F(ClientProxyTest, ASoapActionThatIsNotAQuotedStringIsRefused) {
  for (const char* bad : {"http://example.org/action", "\"", "x\""}) {
    FakeExchange ex(verb::post, "/", {{"Content-Type", "text/xml; charset=UTF-8"}, {"SOAPAction", bad}}, soap_request());
    EXPECT_EQ(fault_of(handle(ex)), "client.invalid_soap_action") << bad;
  }
  for (const char* good : {"\"\"", "", "\"urn:get\""}) {
    FakeExchange ex(verb::post, "/", {{"Content-Type", "text/xml; charset=UTF-8"}, {"SOAPAction", good}}, soap_request());
    EXPECT_NE(fault_of(handle(ex)), "client.invalid_soap_action") << good;
  }
}

TEST_F(ClientProxyTest, SoapMessagesTheClientProxyCannotUse) {
  EXPECT_EQ(fault(soap(soap_request(), "application/json")), "client.invalid_content_type");
  EXPECT_EQ(fault(soap("", "text/xml")), "client.invalid_soap");  // X-Road's EmptyQuery
  EXPECT_EQ(fault(soap("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", "multipart/related; boundary=b; type=\"text/xml\"")),
            "client.invalid_content_type");
  EXPECT_EQ(fault(soap("garbage", "multipart/related; boundary=b")), "client.missing_soap");  // no delimiter at all: X-Road finds no SOAP part
  EXPECT_EQ(fault(soap("<not-xml")), "client.invalid_soap");
  EXPECT_EQ(fault(soap(R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body/></SOAP-ENV:Envelope>)")),
            "client.missing_header");
  EXPECT_EQ(fault(soap(soap_request(kClient, "3.1"))), "client.invalid_protocol_version");
  EXPECT_EQ(fault(soap(soap_request(kClient, "4.0", "<a/><b/>"))), "client.invalid_body");
  EXPECT_EQ(signer.calls, 0);
}

// ---- this server's faults: server.clientproxy.* (HTTP 500) -----------------------------

TEST_F(ClientProxyTest, ServerNotConfigured) {
  serverconf_on = false;
  EXPECT_EQ(fault(rest()), "server.clientproxy.server_not_configured");
  EXPECT_EQ(fault(soap()), "server.clientproxy.server_not_configured");
}

TEST_F(ClientProxyTest, UnknownMember) {
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/9/OTHER"}})), "server.clientproxy.unknown_member");  // not hosted here
  EXPECT_EQ(fault(rest({{"X-Road-Client", "EE/COM/1/CLIENT"}}, "/r1/EE/COM/7/NOBODY/echo")), "server.clientproxy.unknown_member");
  shared->security_servers.clear();  // known, but hosted nowhere
  EXPECT_EQ(fault(rest()), "server.clientproxy.unknown_member");
}

TEST_F(ClientProxyTest, GlobalConfOutdated) {
  globalconf_on = false;
  FakeExchange ex = rest();
  handle(ex);
  EXPECT_EQ(fault_of(ex), "server.clientproxy.global_conf_outdated");
  EXPECT_EQ(ex.status(), 500u);
  EXPECT_NE(ex.body().find("the configuration expired"), std::string::npos) << ex.body();
  EXPECT_EQ(fault(soap()), "server.clientproxy.global_conf_outdated");
  EXPECT_EQ(fault(FakeExchange(verb::get, "/listClients", {}, "")), "server.clientproxy.global_conf_outdated");
}

TEST_F(ClientProxyTest, MaintenanceMode) {
  for (auto& s : shared->security_servers) s.in_maintenance = true;
  EXPECT_EQ(fault(rest()), "server.clientproxy.maintenance_mode");
  EXPECT_EQ(peers->contacted.size(), 0u);
}

TEST_F(ClientProxyTest, TheTokenIsNotLoggedInOrHasNoKeyForTheClient) {
  keys.refuse = Error(make_error_code(signer::errc::token_not_active), "the token is not logged in");
  EXPECT_EQ(fault(rest()), "server.clientproxy.token_not_active");
  keys.refuse = Error(make_error_code(signer::errc::key_not_found), "no signing key for EE/COM/1");
  EXPECT_EQ(fault(rest()), "server.clientproxy.key_not_found");
  EXPECT_EQ(peers->contacted.size(), 0u);
}

TEST_F(ClientProxyTest, NoFreshOcspResponseForTheOwnAuthenticationCertificate) {
  ocsp.refuse = Error(make_error_code(crypto::errc::incorrect_validation_info), "no fresh response");
  EXPECT_EQ(fault(rest()), "server.clientproxy.incorrect_validation_info");
  EXPECT_EQ(signer.calls, 0);
}

TEST_F(ClientProxyTest, TheSignerFails) {
  signer.refuse = Error(make_error_code(signer::errc::ocsp_unavailable), "no OCSP response for the signing certificate");
  EXPECT_EQ(fault(rest()), "server.clientproxy.cert_validation");
  EXPECT_EQ(peers->contacted.size(), 0u);
}

TEST_F(ClientProxyTest, NetworkErrorAfterTryingEveryServerThatWasNotReached) {
  peers->answer = [](const globalconf::SecurityServer&, const TransportMessage&) -> Result<net::ClientResponse> {
    return Error(net::make_error_code(net::errc::connect_failed), "connection refused");
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.network_error");
  EXPECT_EQ(peers->contacted.size(), 2u);  // both servers, as nothing was sent
}

TEST_F(ClientProxyTest, ARequestThatMayHaveReachedAServerIsNotSentToAnother) {
  peers->answer = [](const globalconf::SecurityServer&, const TransportMessage&) -> Result<net::ClientResponse> {
    return Error(net::make_error_code(net::errc::timeout), "no answer in 300 s");
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.network_error");
  EXPECT_EQ(peers->contacted.size(), 1u);
}

TEST_F(ClientProxyTest, AnUnreachableServerIsSkippedForTheNext) {
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) -> Result<net::ClientResponse> {
    if (s.id.to_string() == "SERVER:EE/COM/2/ss2") return Error(net::make_error_code(net::errc::connect_failed), "refused");
    return rest_answer(s, r);
  };
  FakeExchange ex = rest();
  EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
  EXPECT_EQ(peers->contacted, (std::vector<std::string>{"SERVER:EE/COM/2/ss2", "SERVER:EE/COM/2/ss3"}));
}

TEST_F(ClientProxyTest, SslAuthenticationFailedWhenAnotherServerAnswers) {
  // ss2 is sent the request and ss3's certificate answers; then no certificate at all.
  peers->fastest_index = 0;
  peers->answer = [this](const globalconf::SecurityServer&, const TransportMessage& r) -> Result<net::ClientResponse> {
    return rest_answer(shared->security_servers[1], r);
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.ssl_authentication_failed");
  EXPECT_EQ(peers->contacted, std::vector<std::string>{"SERVER:EE/COM/2/ss2"});
  peers->answer = [](const globalconf::SecurityServer&, const TransportMessage&) -> Result<net::ClientResponse> {
    return http_answer(200, "text/xml", "<x/>", {});
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.ssl_authentication_failed");
}

TEST_F(ClientProxyTest, InvalidMessageFromTheProvidersServer) {
  // text/xml that is not a SOAP fault; a transport message without a signature; a SOAP
  // response to a REST request.
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage&) -> Result<net::ClientResponse> {
    return http_answer(500, "text/xml", "<html/>", {auth_der_of(s)});
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.service_failed.invalid_soap");
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage&) -> Result<net::ClientResponse> {
    return http_answer(200, "multipart/mixed; boundary=x", "--x\r\n\r\n--x--\r\n", {auth_der_of(s)});
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.missing_signature");
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage&) {
    TransportMessage soap_response;
    soap_response.message_type = "text/xml; charset=UTF-8";
    soap_response.message = "<x/>";
    return Result<net::ClientResponse>(signed_answer(std::move(soap_response), auth_der_of(s)));
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.invalid_message");
  // A content type no transport message has: the provider's fault, not the IS's.
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage&) -> Result<net::ClientResponse> {
    return http_answer(200, "text/html", "<html/>", {auth_der_of(s)});
  };
  FakeExchange html = rest();
  EXPECT_EQ(fault_of(handle(html)), "server.clientproxy.service_failed.invalid_content_type");
  EXPECT_EQ(html.status(), 500u);
  // A REST response to a SOAP request.
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) { return rest_answer(s, r); };
  EXPECT_EQ(fault(soap()), "server.clientproxy.service_failed.invalid_soap");
}

TEST_F(ClientProxyTest, TheProvidersSignatureIsRefused) {
  trust.refuse_message = Error(make_error_code(crypto::errc::invalid_signature), "the signature does not verify");
  EXPECT_EQ(fault(rest()), "server.clientproxy.invalid_signature_value");
  trust.refuse_message = Error(make_error_code(crypto::errc::bad_certificate), "signed by another member");
  EXPECT_EQ(fault(rest()), "server.clientproxy.incorrect_certificate");
}

TEST_F(ClientProxyTest, InconsistentResponse) {
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) { return rest_answer(s, r, "another-hash"); };
  EXPECT_EQ(fault(rest()), "server.clientproxy.service_failed.inconsistent_response");
  // SOAP: no requestHash, another one, another id.
  const std::vector<std::function<std::string(std::string)>> edits = {
      [](std::string m) {
        const auto a = m.find("<xrd:requestHash");
        return m.erase(a, m.find("</xrd:requestHash>") + 18 - a);
      },
      [](std::string m) {
        const auto a = m.find('>', m.find("<xrd:requestHash")) + 1;
        return m.replace(a, m.find("</xrd:requestHash>") - a, "b3RoZXI=");
      },
      [](std::string m) { return m.replace(m.find("<xrd:id>abc"), 11, "<xrd:id>xyz"); },
  };
  for (const auto& edit : edits) {
    peers->answer = [&](const globalconf::SecurityServer& s, const TransportMessage& r) { return soap_answer(s, r, edit); };
    EXPECT_EQ(fault(soap()), "server.clientproxy.service_failed.inconsistent_response");
  }
}

TEST_F(ClientProxyTest, TheProvidersFaultReachesTheIsAsItWasSent) {
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage&) -> Result<net::ClientResponse> {
    return http_answer(500, "text/xml", soap_fault_xml({"server.serverproxy.access_denied", "not allowed", "id-1"}), {auth_der_of(s)});
  };
  FakeExchange ex = rest();
  EXPECT_EQ(fault_of(handle(ex)), "server.serverproxy.access_denied");
  EXPECT_EQ(ex.status(), 500u);
  EXPECT_EQ(fault(soap()), "server.serverproxy.access_denied");
}

TEST_F(ClientProxyTest, SoapMessagesShareOneMemoryBudget) {
  ctx.soap_memory = std::make_shared<net::ByteBudget>(64);  // less than one message
  EXPECT_EQ(fault(soap()), "server.clientproxy.internal_error");
  EXPECT_EQ(ctx.soap_memory->used(), 0u);  // and given back
}

TEST_F(ClientProxyTest, ARequestOverTheLargestMessage) {
  ctx.max_message_bytes = 16;
  EXPECT_EQ(fault(soap()), "server.clientproxy.invalid_message");
}

// One snapshot per request: the configuration seen at its start is the one used throughout,
// even when a newer one (here: none) arrives while the request is on its way.
TEST_F(ClientProxyTest, ARequestUsesTheConfigurationItStartedWith) {
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    globalconf_on = false;  // the configuration expires while the provider answers
    return rest_answer(s, r);
  };
  FakeExchange ex = rest();
  EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
}

TEST_F(ClientProxyTest, TheFastestServerIsRememberedForAnHour) {
  peers->fastest_index = 1;
  FakeExchange a = rest();
  handle(a);
  FakeExchange b = rest();
  handle(b);  // a new proxy: a new memory
  EXPECT_EQ(peers->fastest_asked, 2);
  ClientProxy proxy(io, ctx);
  for (int i = 0; i < 2; ++i) {
    FakeExchange ex = rest();
    run(io, proxy, ex);
  }
  EXPECT_EQ(peers->fastest_asked, 3);  // asked once by this proxy
  clock.advance(std::chrono::minutes(61));
  FakeExchange later = rest();
  run(io, proxy, later);
  EXPECT_EQ(peers->fastest_asked, 4);  // forgotten after an hour
}

// ---- security server targeting (PR-TARGETSS, PR-REST's X-Road-Security-Server) ----------
// A request that names one of the provider's servers goes to that one alone: no race for the
// fastest, no failover. ss2 and ss3 both host the provider.

// The securityServer header naming server `code` of member EE/COM/`member`.
std::string security_server_xml(std::string_view member, std::string_view code) {
  return R"(<xrd:securityServer id:objectType="SERVER"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>)" +
         std::string(member) + "</id:memberCode><id:serverCode>" + std::string(code) + "</id:serverCode></xrd:securityServer>";
}
// soap_request() with `header` among its X-Road headers.
std::string soap_request_with(const std::string& header) {
  std::string request = soap_request();
  return request.insert(request.find("<xrd:id>"), header);
}
// A REST request of EE/COM/1/CLIENT with X-Road-Security-Server: `server`.
FakeExchange rest_to(const std::string& server) {
  return FakeExchange(verb::get, kRestTarget, {{"X-Road-Client", "EE/COM/1/CLIENT"}, {"X-Road-Security-Server", server}}, "");
}

TEST_F(ClientProxyTest, ARequestThatNamesAServerGoesToThatServerEveryTime) {
  for (const std::string named : {"ss2", "ss3", "ss2"}) {
    peers->fastest_index = named == "ss2" ? 1 : 0;  // the other server would connect first
    peers->contacted.clear();
    FakeExchange ex = rest_to("EE/COM/2/" + named);
    EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
    EXPECT_EQ(peers->contacted, std::vector<std::string>{"SERVER:EE/COM/2/" + named});
  }
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) { return soap_answer(s, r); };
  for (const std::string named : {"ss3", "ss2", "ss3"}) {
    peers->fastest_index = named == "ss2" ? 1 : 0;
    peers->contacted.clear();
    FakeExchange ex = soap(soap_request_with(security_server_xml("2", named)));
    EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
    EXPECT_EQ(peers->contacted, std::vector<std::string>{"SERVER:EE/COM/2/" + named});
  }
  EXPECT_EQ(peers->fastest_asked, 0);  // no race among the provider's servers
}

TEST_F(ClientProxyTest, ANamedServerThatCannotBeReachedIsNotReplacedByAnother) {
  peers->answer = [](const globalconf::SecurityServer&, const TransportMessage&) -> Result<net::ClientResponse> {
    return Error(net::make_error_code(net::errc::connect_failed), "connection refused");
  };
  EXPECT_EQ(fault(rest_to("EE/COM/2/ss3")), "server.clientproxy.network_error");
  EXPECT_EQ(peers->contacted, std::vector<std::string>{"SERVER:EE/COM/2/ss3"});
}

TEST_F(ClientProxyTest, InvalidSecurityServerWhenTheNamedServerIsUnknownOrDoesNotHostTheProvider) {
  // A server of the client's member, hosting the client only.
  globalconf::SecurityServer ss1;
  ss1.id = id("SERVER:EE/COM/1/ss1");
  ss1.address = "ss1.example";
  ss1.clients = {id("SUBSYSTEM:EE/COM/1/CLIENT")};
  shared->security_servers.push_back(ss1);

  FakeExchange unknown = rest_to("EE/COM/2/ss9");
  EXPECT_EQ(fault_of(handle(unknown)), "server.clientproxy.invalid_security_server");
  EXPECT_EQ(unknown.status(), 500u);
  EXPECT_NE(unknown.body().find("could not find security server SERVER:EE/COM/2/ss9"), std::string::npos) << unknown.body();
  FakeExchange elsewhere = rest_to("EE/COM/1/ss1");
  EXPECT_EQ(fault_of(handle(elsewhere)), "server.clientproxy.invalid_security_server");
  EXPECT_NE(elsewhere.body().find("SERVER:EE/COM/1/ss1 does not host SUBSYSTEM:EE/COM/2/SERVICE"), std::string::npos) << elsewhere.body();
  EXPECT_EQ(fault(soap(soap_request_with(security_server_xml("2", "ss9")))), "server.clientproxy.invalid_security_server");
  EXPECT_EQ(fault(soap(soap_request_with(security_server_xml("1", "ss1")))), "server.clientproxy.invalid_security_server");
  EXPECT_EQ(signer.calls, 0);
  EXPECT_EQ(peers->contacted.size(), 0u);
}

TEST_F(ClientProxyTest, MaintenanceModeWhenTheNamedServerIsInMaintenance) {
  shared->security_servers[0].in_maintenance = true;  // ss2; ss3 would take the request
  shared->security_servers[0].maintenance_message = "upgrading";
  FakeExchange ex = rest_to("EE/COM/2/ss2");
  EXPECT_EQ(fault_of(handle(ex)), "server.clientproxy.maintenance_mode");
  EXPECT_NE(ex.body().find("upgrading"), std::string::npos) << ex.body();
  EXPECT_EQ(peers->contacted.size(), 0u);
}

TEST_F(ClientProxyTest, AMalformedSecurityServerIsTheClientsFault) {
  for (const char* bad : {"EE/COM/2", "EE/COM/2/ss2/extra", "", "EE/COM//ss2", "EE/COM/2/ss%2"}) {
    FakeExchange ex = rest_to(bad);
    EXPECT_EQ(fault_of(handle(ex)), "client.bad_request") << bad;
    EXPECT_EQ(ex.status(), 400u) << bad;
  }
  // securityServer is a SERVER identifier (PR-TARGETSS), not a member.
  const std::string member = R"(<xrd:securityServer id:objectType="MEMBER"><id:xRoadInstance>EE</id:xRoadInstance>)"
                             R"(<id:memberClass>COM</id:memberClass><id:memberCode>2</id:memberCode></xrd:securityServer>)";
  EXPECT_EQ(fault(soap(soap_request_with(member))), "client.bad_request");
  EXPECT_EQ(peers->contacted.size(), 0u);
}

// ---- the provider's signature by X-Road's rules (trust::Trust::xroad()) -------------------
// Genuine signatures by signer::sign_batch (what the batch signer signs with), then broken.

TEST_F(ClientProxyTest, AGenuineSignatureOfTheProviderPassesXRoadsRules) {
  trust_by_xroads_rules();
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    return Result<net::ClientResponse>(answer_as_sent(signed_by_provider(rest_response(r)), auth_der_of(s)));
  };
  FakeExchange ex = rest();
  EXPECT_EQ(handle(ex).status(), 200u) << ex.body();
  EXPECT_EQ(ex.body(), "{\"pets\":[]}");
  // Signed by another member: refused by the same rules.
  provider_key = member_signing_key(id("MEMBER:EE/COM/1"), "ss1");
  EXPECT_EQ(fault(rest()), "server.clientproxy.incorrect_certificate");
}

TEST_F(ClientProxyTest, MalformedSignatureWithoutTheSigningCertificateXadesRequires) {
  trust_by_xroads_rules();
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    TransportMessage response = signed_by_provider(rest_response(r));
    response.signature.signature = without_element(response.signature.signature, "xades:SigningCertificate");
    return Result<net::ClientResponse>(answer_as_sent(response, auth_der_of(s)));
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.malformed_signature");
}

// The batch's other message, a HashValue in this answer's chain, altered: the chain's top is
// no longer the result the signature covers.
TEST_F(ClientProxyTest, InvalidHashChainWhenAnotherMessageOfTheBatchIsAltered) {
  trust_by_xroads_rules();
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    TransportMessage response = signed_by_provider(rest_response(r), {{"another response", {}, {}}});
    response.signature.hash_chain = with_other_digest_after(*response.signature.hash_chain, "<ns2:HashValue>");
    return Result<net::ClientResponse>(answer_as_sent(response, auth_der_of(s)));
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.malformed_signature.invalid_hash_chain");
}

// The body changed after it was signed: its DataRef's digest no longer matches it.
TEST_F(ClientProxyTest, InvalidHashChainRefWhenTheBodyChangedAfterSigning) {
  trust_by_xroads_rules();
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    TransportMessage response = signed_by_provider(rest_response(r));
    response.body = net::Payload(std::string("{\"pets\":[\"rex\"]}"));
    return Result<net::ClientResponse>(answer_as_sent(response, auth_der_of(s)));
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.malformed_signature.invalid_hash_chain_ref");
}

// A message signed in a batch without a body, sent with one: no DataRef covers the body.
TEST_F(ClientProxyTest, HashChainUnusedInputsWhenABodyIsAddedToASignedMessage) {
  trust_by_xroads_rules();
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) {
    TransportMessage without_body = rest_response(r);
    without_body.body.reset();
    TransportMessage response = signed_by_provider(std::move(without_body), {{"another response", {}, {}}});
    response.body = net::Payload(std::string("{\"pets\":[]}"));
    return Result<net::ClientResponse>(answer_as_sent(response, auth_der_of(s)));
  };
  EXPECT_EQ(fault(rest()), "server.clientproxy.malformed_signature.hashchain_unused_inputs");
}

// ---- this server's files --------------------------------------------------------------

// A REST body over 1 MiB waits in a spool file; one that does not fit the spool's limits
// (proxy.spool_quota_bytes, proxy.spool_min_free_bytes: free space on its file system) is
// refused before anything is signed or sent.
TEST_F(ClientProxyTest, IoErrorWhenTheRequestBodyDoesNotFitTheSpool) {
  testing::TempDir spool;
  ctx.spool_dir = spool.path();
  const std::string body(2 * kSpoolAbove, 'x');
  const net::SpoolLimits quota_in_use{.quota_bytes = kSpoolAbove, .min_free_bytes = 0};
  const net::SpoolLimits disk_full{.min_free_bytes = UINT64_MAX / 4};  // more free space kept than any disk has
  for (const auto& limits : {quota_in_use, disk_full}) {
    SpoolLimitsForTest spool_limits(limits);
    FakeExchange ex(verb::post, kRestTarget,
                    {{"X-Road-Client", "EE/COM/1/CLIENT"}, {"Content-Type", "application/json"}}, body);
    handle(ex);
    EXPECT_EQ(fault_of(ex), "server.clientproxy.io_error") << ex.body();
    EXPECT_EQ(ex.status(), 500u);
    EXPECT_EQ(net::spooled_bytes(), 0u);
  }
  EXPECT_EQ(signer.calls, 0);
  EXPECT_EQ(peers->contacted.size(), 0u);
}

// ---- large SOAP messages ------------------------------------------------------------------

// Bytes that repeat only after a long while, so a misplaced slice shows.
std::string pattern(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(i * 131 + (i >> 9)));
  return out;
}

// A SOAP request of `soap` with one binary attachment, as X-Road's AttachmentBig sends it.
std::string with_attachment(const std::string& soap, const std::string& attachment) {
  return "--b1\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n" + soap +
         "\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" + attachment +
         "\r\n--b1--\r\n";
}
constexpr std::string_view kWithAttachmentType = "multipart/related; type=\"text/xml\"; charset=UTF-8; boundary=b1";

// A SOAP request with an attachment over 1 MiB: it waits in a spool file, only its envelope
// is read into memory and counted against the SOAP memory budget, the attachment is digested
// in pieces for the signer and sent from the file; the provider's large attachment comes back
// to the IS from the client proxy's spool file in turn.
TEST_F(ClientProxyTest, ALargeSoapAttachmentIsSpooledSignedAndSentFromItsFile) {
  testing::TempDir spool;
  ctx.spool_dir = spool.path();
  // Room for the first MiB while it is read and for the envelope, not for the whole body.
  ctx.soap_memory = std::make_shared<net::ByteBudget>(kSoapMemoryWeight * (kSpoolAbove + 64 * 1024));
  const std::string attachment = pattern(3 * kSpoolAbove + 5);
  const std::string answered = pattern(2 * kSpoolAbove + 1).substr(7);
  std::uint64_t held_while_sent = 0;
  peers->answer = [&](const globalconf::SecurityServer& s, const TransportMessage& r) -> Result<net::ClientResponse> {
    held_while_sent = ctx.soap_memory->used();
    EXPECT_EQ(r.attachments.size(), 1u);
    if (r.attachments.size() != 1) return Error(net::make_error_code(net::errc::closed), "no attachment");
    EXPECT_TRUE(r.attachments[0].body.bytes() == attachment);
    EXPECT_EQ(last_header(r.attachments[0].headers, "Content-Transfer-Encoding"), "binary");
    // The provider answers with an attachment of its own, which the client proxy spools.
    auto answer = soap_answer(s, r);
    if (!answer.ok()) return answer;
    auto response = decode_transport(std::string(answer->message[http::field::content_type]), answer->message.body()).value();
    response.attachments.push_back({{{"Content-Type", "application/octet-stream"}}, net::Payload(answered)});
    net::ClientResponse out = signed_answer(std::move(response), auth_der_of(s));
    out.message.set("x-original-content-type", std::string(kWithAttachmentType));
    net::PayloadBuilder b(spool.path(), 0);
    EXPECT_TRUE(b.append(out.message.body()).ok());
    out.spooled_body = std::move(b).finish();
    out.message.body().clear();
    return out;
  };
  FakeExchange ex = soap(with_attachment(soap_request(), attachment), std::string(kWithAttachmentType));
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body().substr(0, 1000);
  // Signed by its digest, sent from the file.
  ASSERT_EQ(signer.asked.size(), 1u);
  EXPECT_TRUE(signer.asked[0].attachments.empty());
  EXPECT_EQ(signer.asked[0].attachment_digests, std::vector<std::string>{crypto::sha512(attachment)});
  ASSERT_EQ(peers->sent.size(), 1u);
  std::size_t from_file = 0;
  for (const auto& piece : peers->sent[0].pieces) {
    if (!piece.in_memory() && piece.size() == attachment.size() && piece.read_all(UINT64_MAX).value() == attachment) ++from_file;
  }
  EXPECT_EQ(from_file, 1u);
  EXPECT_LE(held_while_sent, 2 * soap_request().size()) << "only the envelope is held, twice, while the request is sent";
  EXPECT_EQ(ctx.soap_memory->used(), 0u);
  // The answer reaches the IS with its attachment.
  auto answer = split_soap_message(ex.header("Content-Type"), ex.body());
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  EXPECT_NE(answer->soap.find("getStateResponse"), std::string::npos);
  ASSERT_EQ(answer->attachments.size(), 1u);
  EXPECT_TRUE(answer->attachments[0].body.bytes() == answered);
}

// A spooled SOAP request gets the codes a small one gets.
TEST_F(ClientProxyTest, ALargeSoapRequestIsRefusedAsASmallOne) {
  testing::TempDir spool;
  ctx.spool_dir = spool.path();
  const std::string filler(2 * kSpoolAbove, 'f');
  const std::string type(kWithAttachmentType);
  EXPECT_EQ(fault(soap(with_attachment(soap_request(), filler).substr(0, 3 * kSpoolAbove / 2), type)), "client.mime_parsing_failed");
  std::string untyped = with_attachment(soap_request(), filler);
  untyped.replace(untyped.find("Content-Type: application"), 12, "Content-Typo");
  EXPECT_EQ(fault(soap(untyped, type)), "client.invalid_content_type");
  EXPECT_EQ(fault(soap(with_attachment(" ", filler), type)), "client.missing_soap");
  EXPECT_EQ(fault(soap(with_attachment(soap_request(kClient, "3.1"), filler), type)), "client.invalid_protocol_version");
  EXPECT_EQ(fault(soap(filler, type)), "client.missing_soap");
  ctx.max_message_bytes = 2 * kSpoolAbove;
  EXPECT_EQ(fault(soap(with_attachment(soap_request(), filler), type)), "server.clientproxy.invalid_message");
  EXPECT_EQ(signer.calls, 0);
  EXPECT_EQ(peers->contacted.size(), 0u);
  EXPECT_EQ(ctx.soap_memory->used(), 0u);
  EXPECT_EQ(net::spooled_bytes(), 0u);
}


// The message log (variant full): the signed request is logged before it is sent, the
// verified response before the IS gets it; either failing fails the message, and nothing is
// sent while the log refuses messages (time-stamping failed for too long).
TEST_F(ClientProxyTest, TheRequestAndTheResponseAreLoggedSignedBeforeTheIsGetsTheAnswer) {
  FakeMessageLog log;
  ctx.message_log = &log;
  FakeExchange ex = rest({{"X-Road-Client", "EE/COM/1/CLIENT"}, {"X-Road-Id", "query-1"}});
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(log.entries.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const auto& e = log.entries[static_cast<std::size_t>(i)];
    EXPECT_EQ(e.record.response, i == 1);
    EXPECT_EQ(e.record.query_id, "query-1");
    EXPECT_EQ(e.record.client.to_string(), "SUBSYSTEM:EE/COM/1/CLIENT");  // the client owns the records here
    EXPECT_EQ(e.service_provider.to_string(), "SUBSYSTEM:EE/COM/2/SERVICE");
    EXPECT_FALSE(e.server_side);
    EXPECT_TRUE(e.rest);
    EXPECT_FALSE(e.record.signature.empty());
    EXPECT_FALSE(e.record.x_request_id.empty());
  }
  EXPECT_EQ(log.entries[0].record.x_request_id, log.entries[1].record.x_request_id);
  EXPECT_NE(log.entries[0].record.message.find("query-1"), std::string::npos) << log.entries[0].record.message;
  ASSERT_EQ(log.entries[1].record.attachments.size(), 1u);  // the response's body
  EXPECT_EQ(log.entries[1].record.attachments[0].bytes(), "{\"pets\":[]}");
}

TEST_F(ClientProxyTest, ASoapRequestIsLoggedUnderItsId) {
  FakeMessageLog log;
  ctx.message_log = &log;
  peers->answer = [this](const globalconf::SecurityServer& s, const TransportMessage& r) { return soap_answer(s, r); };
  FakeExchange ex = soap();
  handle(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  ASSERT_EQ(log.entries.size(), 2u);
  EXPECT_FALSE(log.entries[0].rest);
  EXPECT_FALSE(log.entries[0].record.query_id.empty());
  EXPECT_EQ(log.entries[0].record.query_id, log.entries[1].record.query_id);
  EXPECT_NE(log.entries[1].record.message.find("getStateResponse"), std::string::npos);
}

TEST_F(ClientProxyTest, ARequestThatCannotBeLoggedIsNotSent) {
  FakeMessageLog log;
  log.fail_from = 0;
  ctx.message_log = &log;
  FakeExchange ex = rest();
  EXPECT_EQ(fault_of(handle(ex)), "server.clientproxy.logging_failed");
  EXPECT_EQ(ex.status(), 500u);
  EXPECT_TRUE(peers->contacted.empty());
}

TEST_F(ClientProxyTest, AResponseThatCannotBeLoggedDoesNotReachTheIs) {
  FakeMessageLog log;
  log.fail_from = 1;
  ctx.message_log = &log;
  FakeExchange ex = rest();
  EXPECT_EQ(fault_of(handle(ex)), "server.clientproxy.logging_failed");
  EXPECT_EQ(peers->contacted.size(), 1u);
  EXPECT_EQ(ex.body().find("pets"), std::string::npos) << ex.body();
}

TEST_F(ClientProxyTest, NothingIsSignedOrSentWhileTimeStampingHasFailedTooLong) {
  FakeMessageLog log;
  log.refuse = Error(make_error_code(messagelog::errc::timestamping_failed), "time-stamping has failed since 12:00");
  ctx.message_log = &log;
  FakeExchange ex = rest();
  EXPECT_EQ(fault_of(handle(ex)), "server.clientproxy.timestamper_failed");
  EXPECT_EQ(signer.calls, 0);
  EXPECT_TRUE(peers->contacted.empty());
}

}  // namespace
}  // namespace roadside::proxy
