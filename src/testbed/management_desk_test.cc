// The test Central Server's management side, without sockets: requests built and signed as a
// Security Server does (management's RequestBuilder, the instance's own keys and CA), read and
// verified, approved, applied to shared-params and republished.
#include "testbed/management_desk.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "management/signed_request.h"
#include "signer/keyconf.h"
#include "support/test_support.h"
#include "testbed/authority.h"
#include "testbed/ca.h"
#include "testbed/instance.h"
#include "testbed/publisher.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;
using management::HttpBody;
using management::RequestType;
using roadside::testing::read_file;
using roadside::testing::TempDir;

XRoadId id(std::string_view text) {
  return *XRoadId::parse(text);
}

const XRoadId kOwner = id("MEMBER:DEV/COM/1001");
const XRoadId kProvider = id("SUBSYSTEM:DEV/COM/1001/MANAGEMENT");
const XRoadId kNewServer = id("SERVER:DEV/COM/1001/ss9");
const XRoadId kServer1 = id("SERVER:DEV/COM/1001/ss1");

class ManagementDeskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions o;
    o.dir = dir_ / "tb";
    o.servers = 1;
    o.ecdsa = true;  // quick keys
    o.pin = "Secret-1234";
    auto made = init_instance(o);
    ASSERT_TRUE(made.ok()) << made.error().to_string();
    instance_ = *made;
    ca_ = std::move(TestCa::load(o.dir / "ca")).value();
    auto owner =
        signer::open_soft_token_signing_key(instance_["servers"][0]["token"].get<std::string>(), o.pin, kOwner);
    ASSERT_TRUE(owner.ok()) << owner.error().to_string();
    owner_ = std::make_unique<signer::SigningIdentity>(std::move(owner).value());
    owner_signer_ = std::make_unique<management::KeySigner>(owner_->key);
    auth_key_ = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    auth_cert_ = *ca_->issue_auth(kNewServer, *auth_key_, "Member 1");
  }

  std::string ocsp_for(const crypto::Certificate& cert) {
    const std::string req = *crypto::make_ocsp_request(cert, ca_->ca());
    return *make_ocsp_response(
        req, [this](const std::string& serial) { return ca_->status(serial); }, ca_->ocsp_key(),
        std::chrono::system_clock::now(), std::chrono::hours(1));
  }
  management::MemberSigning owner_signing() { return {owner_signer_.get(), owner_->cert, ocsp_for(owner_->cert)}; }

  HttpBody auth_cert_reg() {
    management::RequestBuilder builder(kOwner, kProvider);
    const std::string soap = *builder.auth_cert_reg(kNewServer, "127.0.0.10", auth_cert_->to_der());
    management::KeySigner auth(*auth_key_);
    return *management::auth_cert_reg_request(soap, auth_cert_->to_der(), auth, owner_signing());
  }
  HttpBody client_reg(const XRoadId& client) {
    management::RequestBuilder builder(kOwner, kProvider);
    const std::string soap = *builder.client_reg(kServer1, client, "A new subsystem");
    return *management::member_signed_request(soap, owner_signing());
  }

  globalconf::SharedParameters shared() {
    return *globalconf::SharedParameters::parse(read_file(dir_ / "tb" / "globalconf" / "shared-params.xml"));
  }

  TempDir dir_;
  nlohmann::json instance_;
  std::unique_ptr<TestCa> ca_;
  std::unique_ptr<signer::SigningIdentity> owner_;
  std::unique_ptr<management::KeySigner> owner_signer_;
  std::optional<crypto::PrivateKey> auth_key_;
  std::optional<crypto::Certificate> auth_cert_;
};

TEST_F(ManagementDeskTest, InitPublishesTheManagementServiceAndItsCertificate) {
  const auto priv = *globalconf::PrivateParameters::parse(read_file(dir_ / "tb" / "globalconf" / "private-params.xml"));
  EXPECT_EQ(priv.auth_cert_reg_service_address, instance_["central"]["auth_cert_reg_url"].get<std::string>());
  EXPECT_EQ(priv.auth_cert_reg_service_address.rfind("https://127.0.0.1:", 0), 0u);
  ASSERT_TRUE(priv.auth_cert_reg_service_cert.has_value());
  EXPECT_EQ(priv.auth_cert_reg_service_cert->to_pem(), read_file(dir_ / "tb" / "central" / "tls.pem"));
  EXPECT_EQ(priv.management_service_provider, kProvider);
  // ss1 hosts the provider, whose services point at the testbed's management service.
  EXPECT_TRUE(shared().security_server(kServer1)->hosts(kProvider));
  const std::string conf = read_file(dir_ / "tb" / "servers" / "ss1" / "server-conf.yaml");
  EXPECT_NE(conf.find("- code: clientReg\n        type: WSDL\n        url: " +
                      instance_["central"]["management_url"].get<std::string>()),
            std::string::npos)
      << conf;
  EXPECT_NE(conf.find("GLOBALGROUP:DEV/security-server-owners"), std::string::npos);
  EXPECT_EQ(conf.find("code: authCertReg"), std::string::npos) << "authCertReg goes to the Central Server directly";
}

TEST_F(ManagementDeskTest, AuthCertRegIsVerifiedApprovedAppliedAndRepublished) {
  ManagementDesk desk(dir_ / "tb", false, kProvider);
  const HttpBody request = auth_cert_reg();
  const ManagementAnswer answer = desk.handle(request.content_type, request.body, true);
  ASSERT_EQ(answer.status, 200u) << answer.body;
  auto info = management::parse_response(
      answer.content_type, answer.body,
      request.body.substr(request.body.find("<?xml"),
                          request.body.find("</SOAP-ENV:Envelope>") + 20 - request.body.find("<?xml")));
  ASSERT_TRUE(info.ok()) << info.error().to_string() << "\n" << answer.body;
  EXPECT_EQ(info->type, RequestType::auth_cert_reg);
  EXPECT_EQ(info->request_id, 1);
  // Its SOAP part is kept as it arrived (`testbed requests --soap 1`).
  auto kept = read_file_limited(desk.received_soap_path(1), 1 << 20);
  ASSERT_TRUE(kept.ok()) << kept.error().to_string();
  EXPECT_EQ(request.body.find(*kept), request.body.find("<?xml")) << *kept;

  const auto params = shared();
  const auto* server = params.security_server(kNewServer);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->address, "127.0.0.10");
  EXPECT_EQ(params.server_by_auth_cert_hash(crypto::sha256(auth_cert_->to_der())), server);

  auto list = *desk.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].state, RequestState::approved);
  EXPECT_EQ(to_json(list[0])["type"], "authCertReg");

  // The publisher signs the changed shared parameters; the directory's part lists the new server.
  TempDir pub;
  ConfigurationPublisher publisher(
      PublisherConfig{pub.path(), "DEV", {6}, std::chrono::seconds(600), {}},
      *crypto::PrivateKey::from_pem(read_file(dir_ / "tb" / "globalconf" / "signing.key")),
      *crypto::Certificate::from_pem(read_file(dir_ / "tb" / "globalconf" / "signing.pem")));
  publisher.set_parts({{"SHARED-PARAMETERS", "shared-params.xml", params.to_xml()}});
  ASSERT_TRUE(publisher.publish(std::chrono::system_clock::now()).ok());
  bool found = false;
  for (const auto& e : fs::recursive_directory_iterator(pub.path() / "V6")) {
    if (e.path().filename() == "shared-params.xml") {
      const auto published = *globalconf::SharedParameters::parse(read_file(e.path()));
      found = published.server_by_auth_cert_hash(crypto::sha256(auth_cert_->to_der())) != nullptr;
    }
  }
  EXPECT_TRUE(found);

  // Sent again (a retry): recorded again, nothing changes.
  EXPECT_EQ(desk.handle(request.content_type, request.body, true).status, 200u);
  EXPECT_EQ(shared().security_server(kNewServer)->auth_cert_hashes.size(), 1u);
}

TEST_F(ManagementDeskTest, ATamperedRequestGetsXRoadsFault) {
  ManagementDesk desk(dir_ / "tb", false, kProvider);
  HttpBody request = auth_cert_reg();
  const auto at = request.body.find("127.0.0.10");
  ASSERT_NE(at, std::string::npos);
  request.body[at + 9] = '1';  // the address the signatures cover
  const ManagementAnswer answer = desk.handle(request.content_type, request.body, true);
  EXPECT_EQ(answer.status, 500u);
  EXPECT_NE(answer.body.find("<faultcode>invalid_signature_value</faultcode>"), std::string::npos) << answer.body;
  auto info = management::parse_response(answer.content_type, answer.body);
  EXPECT_EQ(info.error().fault_code(), "service_failed");
  EXPECT_TRUE(desk.list()->empty()) << "a refused request is not recorded";
  EXPECT_FALSE(std::filesystem::exists(desk.received_soap_path(1))) << "nor kept";
  EXPECT_EQ(shared().security_server(kNewServer), nullptr);

  const ManagementAnswer empty = desk.handle("text/xml", "", true);
  EXPECT_EQ(empty.status, 500u);
  EXPECT_NE(empty.body.find("<faultcode>invalid_request</faultcode>"), std::string::npos) << empty.body;
}

TEST_F(ManagementDeskTest, EachRequestTypeGoesToItsOwnEndpoint) {
  ManagementDesk desk(dir_ / "tb", false, kProvider);
  const HttpBody reg = auth_cert_reg();
  EXPECT_NE(desk.handle(reg.content_type, reg.body, false).body.find("invalid_request"), std::string::npos);
  const HttpBody client = client_reg(id("SUBSYSTEM:DEV/COM/1001/NEW"));
  EXPECT_EQ(desk.handle(client.content_type, client.body, true).status, 500u);
  EXPECT_TRUE(desk.list()->empty());
}

TEST_F(ManagementDeskTest, HeldRequestsWaitForApproval) {
  ManagementDesk desk(dir_ / "tb", true, kProvider);
  const XRoadId sub = id("SUBSYSTEM:DEV/COM/1001/NEW");
  const HttpBody request = client_reg(sub);
  const ManagementAnswer answer = desk.handle(request.content_type, request.body, false);
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_FALSE(shared().security_server(kServer1)->hosts(sub));
  auto list = *desk.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].state, RequestState::submitted_for_approval);
  EXPECT_EQ(to_json(list[0])["state"], "SUBMITTED_FOR_APPROVAL");
  EXPECT_EQ(to_json(list[0])["client"], sub.to_string());

  // Another process's view (as `testbed approve` has it) approves it.
  ManagementDesk other(dir_ / "tb", true, kProvider);
  auto approved = other.approve(list[0].id);
  ASSERT_TRUE(approved.ok()) << approved.error().to_string();
  EXPECT_EQ(approved->state, RequestState::approved);
  EXPECT_TRUE(shared().security_server(kServer1)->hosts(sub));
  EXPECT_NE(shared().member(kOwner), nullptr);
  EXPECT_FALSE(other.approve(list[0].id).ok()) << "approved already";
  EXPECT_FALSE(other.approve(99).ok()) << "no such request";
  EXPECT_EQ(desk.list()->at(0).state, RequestState::approved);
}

TEST(ManagementChanges, ApplyAsTheCentralServerDoes) {
  globalconf::SharedParameters p;
  p.instance = "DEV";
  p.global_groups.push_back({id("GLOBALGROUP:DEV/security-server-owners"), "owners", {}});
  const XRoadId owner2 = id("MEMBER:DEV/COM/2002");
  const XRoadId server = id("SERVER:DEV/COM/2002/ssX");
  ManagementChange reg{RequestType::auth_cert_reg, server, std::nullopt, "10.1.1.1", "hash-1", {}, {}};
  ASSERT_TRUE(apply_change(p, reg).ok());
  ASSERT_NE(p.security_server(server), nullptr);
  EXPECT_NE(p.member(owner2), nullptr);
  EXPECT_TRUE(p.is_global_group_member(owner2, id("GLOBALGROUP:DEV/security-server-owners")));
  // The same certificate for another server is refused, and leaves the parameters as they were.
  ManagementChange other = reg;
  other.server = id("SERVER:DEV/COM/2002/ssY");
  EXPECT_FALSE(apply_change(p, other).ok());
  EXPECT_EQ(p.security_servers.size(), 1u);

  const XRoadId member3 = id("MEMBER:DEV/COM/3003");
  ASSERT_TRUE(apply_change(p, {RequestType::client_reg, server, member3, {}, {}, {}, {}}).ok());
  EXPECT_TRUE(p.security_server(server)->hosts(member3));
  ASSERT_TRUE(apply_change(p, {RequestType::address_change, server, {}, "ss.example.org", {}, {}, {}}).ok());
  EXPECT_EQ(p.security_server(server)->address, "ss.example.org");
  ASSERT_TRUE(apply_change(p, {RequestType::maintenance_mode_enable, server, {}, {}, {}, {}, "back soon"}).ok());
  EXPECT_TRUE(p.security_server(server)->in_maintenance);
  EXPECT_EQ(p.security_server(server)->maintenance_message, "back soon");
  ASSERT_TRUE(apply_change(p, {RequestType::maintenance_mode_disable, server, {}, {}, {}, {}, {}}).ok());
  EXPECT_FALSE(p.security_server(server)->in_maintenance);

  // ownerChange: the server is renamed after its new owner, the old owner stays a client.
  ASSERT_TRUE(apply_change(p, {RequestType::owner_change, server, member3, {}, {}, {}, {}}).ok());
  const XRoadId renamed = id("SERVER:DEV/COM/3003/ssX");
  ASSERT_NE(p.security_server(renamed), nullptr);
  EXPECT_EQ(p.security_server(server), nullptr);
  EXPECT_TRUE(p.security_server(renamed)->hosts(owner2));
  EXPECT_TRUE(p.security_server(renamed)->hosts(member3));

  ASSERT_TRUE(apply_change(p, {RequestType::client_deletion, renamed, owner2, {}, {}, {}, {}}).ok());
  EXPECT_FALSE(p.security_server(renamed)->hosts(owner2));
  EXPECT_FALSE(apply_change(p, {RequestType::client_deletion, renamed, owner2, {}, {}, {}, {}}).ok());
  ASSERT_TRUE(apply_change(p, {RequestType::auth_cert_deletion, renamed, {}, {}, "hash-1", {}, {}}).ok());
  EXPECT_TRUE(p.security_server(renamed)->auth_cert_hashes.empty());
  EXPECT_FALSE(apply_change(p, {RequestType::address_change, server, {}, "x.example", {}, {}, {}}).ok())
      << "an unknown server";
}

}  // namespace
}  // namespace roadside::testbed
