// Shared and private parameters of X-Road's DEV instance (vectors/xroad/globalconf and asic/trust).
#include "globalconf/parameters.h"

#include <gtest/gtest.h>

#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::globalconf {
namespace {

using roadside::testing::read_file;

XRoadId id(const char* text) { return *XRoadId::parse(text); }

TEST(SharedParameters, ReadsTheV6DevInstance) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto file = vectors / "xroad" / "globalconf" / "public" / "V6" / "20251110170000548026000" / "shared-params.xml";
  auto sp = SharedParameters::parse(read_file(file));
  ASSERT_TRUE(sp.ok()) << sp.error().to_string();
  EXPECT_EQ(sp->instance, "DEV");
  ASSERT_EQ(sp->sources.size(), 1u);
  EXPECT_EQ(sp->sources[0].address, "cs");
  EXPECT_EQ(sp->sources[0].internal_verification_certs.size(), 1u);

  ASSERT_EQ(sp->approved_cas.size(), 2u);
  const ApprovedCa& ca = sp->approved_cas[0];
  EXPECT_EQ(ca.name, "Test CA");
  EXPECT_FALSE(ca.authentication_only);
  EXPECT_EQ(ca.certificate_profile_info, "ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider");
  ASSERT_EQ(ca.top.ocsp.size(), 1u);
  EXPECT_EQ(ca.top.ocsp[0].url, "http://testca:8888");
  EXPECT_TRUE(ca.top.ocsp[0].cert.has_value());  // given as base64 of PEM text
  EXPECT_EQ(ca.top.ocsp[0].cost_type, "FREE");
  EXPECT_EQ(sp->ca_by_subject(ca.top.cert.subject()), &ca);

  ASSERT_EQ(sp->approved_tsas.size(), 1u);
  EXPECT_EQ(sp->approved_tsas[0].url, "http://testca:8899");

  EXPECT_TRUE(sp->has_client(id("MEMBER:DEV/COM/1234")));
  EXPECT_TRUE(sp->has_client(id("SUBSYSTEM:DEV/COM/1234/test-consumer")));
  EXPECT_FALSE(sp->has_client(id("SUBSYSTEM:DEV/COM/1234/nope")));
  EXPECT_EQ(sp->member(id("MEMBER:DEV/COM/4321"))->name, "Test client");

  ASSERT_EQ(sp->security_servers.size(), 2u);
  const SecurityServer* ss0 = sp->security_server(id("SERVER:DEV/COM/1234/SS0"));
  ASSERT_NE(ss0, nullptr);
  EXPECT_EQ(ss0->address, "ss0");
  ASSERT_EQ(ss0->auth_cert_hashes.size(), 1u);
  EXPECT_EQ(ss0->auth_cert_hashes[0].size(), 32u);  // SHA-256 in v3+
  EXPECT_EQ(sp->server_by_auth_cert_hash(ss0->auth_cert_hashes[0]), ss0);
  EXPECT_FALSE(ss0->in_maintenance);

  // SUBSYSTEM:DEV/COM/4321/TestClient is a client of both servers.
  auto hosts = sp->servers_hosting(id("SUBSYSTEM:DEV/COM/4321/TestClient"));
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(sp->servers_hosting(id("SUBSYSTEM:DEV/COM/1234/test-consumer"))[0]->id.to_string(), "SERVER:DEV/COM/4321/SS1");

  EXPECT_TRUE(sp->is_global_group_member(id("MEMBER:DEV/COM/4321"), id("GLOBALGROUP:DEV/security-server-owners")));
  EXPECT_FALSE(sp->is_global_group_member(id("SUBSYSTEM:DEV/COM/4321/TestClient"), id("GLOBALGROUP:DEV/security-server-owners")));
  EXPECT_EQ(sp->member_classes, (std::vector<std::string>{"COM", "GOV", "ORG"}));
  EXPECT_GT(sp->ocsp_freshness_seconds, 0);
}

TEST(SharedParameters, ReadsTheAsicTrustParameters) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto sp = SharedParameters::parse(read_file(vectors / "xroad" / "asic" / "trust" / "DEV" / "shared-params.xml"));
  ASSERT_TRUE(sp.ok()) << sp.error().to_string();
  EXPECT_FALSE(sp->approved_cas.empty());
  EXPECT_FALSE(sp->approved_tsas.empty());
}

TEST(PrivateParameters, ReadsTheV6DevInstance) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto file = vectors / "xroad" / "globalconf" / "public" / "V6" / "20251110170000548026000" / "private-params.xml";
  auto pp = PrivateParameters::parse(read_file(file));
  ASSERT_TRUE(pp.ok()) << pp.error().to_string();
  EXPECT_EQ(pp->instance, "DEV");
  EXPECT_EQ(pp->timestamping_interval_seconds, 60);
  EXPECT_EQ(pp->auth_cert_reg_service_address, "https://cs:4001/managementservice/");
  EXPECT_TRUE(pp->auth_cert_reg_service_cert.has_value());
  ASSERT_TRUE(pp->management_service_provider.has_value());
  EXPECT_EQ(pp->management_service_provider->to_string(), "SUBSYSTEM:DEV/COM/1234/MANAGEMENT");
}

TEST(SharedParameters, MalformedInputNamesTheProblem) {
  const std::string head = "<conf xmlns=\"http://x-road.eu/xsd/xroad.xsd\"><instanceIdentifier>DEV</instanceIdentifier>";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<other/>", "not <conf>"},
      {"<conf/>", "no instanceIdentifier"},
      {head + "<approvedTSA><name>T</name><url>http://t</url><cert>AAAA</cert></approvedTSA></conf>", "approvedTSA T cert"},
      {head + "<securityServer><owner>nobody</owner><serverCode>SS</serverCode></securityServer></conf>",
       "owner \"nobody\" is not a member id"},
      {head + "<member id=\"m\"><memberClass><code>COM</code></memberClass><memberCode>1 2</memberCode></member></conf>",
       "member COM/1 2"},
  };
  for (const auto& [xml, expect] : cases) {
    auto sp = SharedParameters::parse(xml);
    ASSERT_FALSE(sp.ok()) << xml;
    EXPECT_EQ(sp.error().fault_code(), "malformed_global_conf");
    EXPECT_NE(sp.error().detail().find(expect), std::string::npos) << sp.error().detail();
  }
}

}  // namespace
}  // namespace roadside::globalconf

namespace roadside::globalconf {
namespace {

// What to_xml() writes reads back the same, and X-Road's own schemas accept it (xmllint).
TEST(Parameters, WrittenParametersRoundTripAndValidateAgainstXRoadsSchemas) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto gen = vectors / "xroad" / "globalconf" / "public" / "V6" / "20251110170000548026000";
  auto shared = SharedParameters::parse(roadside::testing::read_file(gen / "shared-params.xml"));
  ASSERT_TRUE(shared.ok());
  const std::string xml = shared->to_xml();
  auto again = SharedParameters::parse(xml);
  ASSERT_TRUE(again.ok()) << again.error().to_string() << "\n" << xml;
  EXPECT_EQ(again->instance, shared->instance);
  ASSERT_EQ(again->members.size(), shared->members.size());
  EXPECT_EQ(again->members[0].subsystems, shared->members[0].subsystems);
  ASSERT_EQ(again->security_servers.size(), shared->security_servers.size());
  EXPECT_EQ(again->security_servers[1].clients, shared->security_servers[1].clients);
  EXPECT_EQ(again->security_servers[0].auth_cert_hashes, shared->security_servers[0].auth_cert_hashes);
  EXPECT_EQ(again->security_servers[0].address, shared->security_servers[0].address);
  ASSERT_EQ(again->approved_cas.size(), shared->approved_cas.size());
  EXPECT_EQ(again->approved_cas[0].top.cert.to_der(), shared->approved_cas[0].top.cert.to_der());
  EXPECT_EQ(again->approved_cas[0].top.ocsp[0].url, shared->approved_cas[0].top.ocsp[0].url);
  EXPECT_EQ(again->approved_cas[0].certificate_profile_info, shared->approved_cas[0].certificate_profile_info);
  ASSERT_EQ(again->approved_tsas.size(), shared->approved_tsas.size());
  EXPECT_EQ(again->approved_tsas[0].url, shared->approved_tsas[0].url);
  ASSERT_EQ(again->global_groups.size(), shared->global_groups.size());
  EXPECT_EQ(again->global_groups[0].members, shared->global_groups[0].members);
  EXPECT_EQ(again->ocsp_freshness_seconds, shared->ocsp_freshness_seconds);
  EXPECT_EQ(again->sources[0].internal_verification_certs.size(), shared->sources[0].internal_verification_certs.size());

  auto priv = PrivateParameters::parse(roadside::testing::read_file(gen / "private-params.xml"));
  ASSERT_TRUE(priv.ok());
  auto priv_again = PrivateParameters::parse(priv->to_xml());
  ASSERT_TRUE(priv_again.ok()) << priv_again.error().to_string();
  EXPECT_EQ(priv_again->management_service_provider, priv->management_service_provider);
  EXPECT_EQ(priv_again->auth_cert_reg_service_address, priv->auth_cert_reg_service_address);
  EXPECT_EQ(priv_again->timestamping_interval_seconds, priv->timestamping_interval_seconds);

  if (roadside::testing::run_command("xmllint --version") != 0) GTEST_SKIP() << "xmllint not installed (libxml2-utils)";
  roadside::testing::TempDir dir;
  roadside::testing::write_file(dir / "shared.xml", xml);
  roadside::testing::write_file(dir / "private.xml", priv->to_xml());
  const auto xsd = vectors / "xroad" / "xsd" / "globalconf";
  std::string out;
  EXPECT_EQ(roadside::testing::run_command("xmllint --noout --schema " + (xsd / "v6" / "shared-parameters.xsd").string() + " " +
                                               (dir / "shared.xml").string(),
                                           &out),
            0)
      << out;
  EXPECT_EQ(roadside::testing::run_command("xmllint --noout --schema " + (xsd / "v3" / "private-parameters.xsd").string() + " " +
                                               (dir / "private.xml").string(),
                                           &out),
            0)
      << out;
}


// 13. The "hosts the client" check: the owner member itself or a listed client, never another
// subsystem of the owner (X-Road's SharedParametersCache).
TEST(HostsTheClient, OnlyTheOwnerMemberAndTheListedClients) {
  SecurityServer ss{id("SERVER:DEV/COM/1001/ss1"), "127.0.0.2", {}, {id("SUBSYSTEM:DEV/COM/1001/CLIENT")}};
  EXPECT_TRUE(ss.hosts(id("MEMBER:DEV/COM/1001")));
  EXPECT_TRUE(ss.hosts(id("SUBSYSTEM:DEV/COM/1001/CLIENT")));
  EXPECT_FALSE(ss.hosts(id("SUBSYSTEM:DEV/COM/1001/MANAGEMENT")));
  EXPECT_FALSE(ss.hosts(id("SUBSYSTEM:DEV/COM/1002/CLIENT")));
  SharedParameters shared;
  shared.security_servers.push_back(ss);
  EXPECT_EQ(shared.servers_hosting(id("MEMBER:DEV/COM/1001")).size(), 1u);
  EXPECT_TRUE(shared.servers_hosting(id("SUBSYSTEM:DEV/COM/1001/MANAGEMENT")).empty());
}

}  // namespace
}  // namespace roadside::globalconf

namespace roadside::globalconf {

// monitoring-params.xml as X-Road's MonitoringParametersSchemaValidatorTest judges it: the valid
// and the empty one are read, the one whose identifier has an unknown element is refused; what
// Roadside writes validates against monitoring-conf.xsd.
TEST(MonitoringParameters, ReadsXRoadsFilesAndWritesWhatItsSchemaTakes) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "xroad" / "monitoring" / "envmon" / "monitoring-params";
  auto valid = MonitoringParameters::parse(roadside::testing::read_file(dir / "valid-monitoring-params.xml"));
  ASSERT_TRUE(valid.ok()) << valid.error().to_string();
  EXPECT_EQ(valid->monitoring_client, *XRoadId::member("fdev", "GOV", "66655666"));
  auto empty = MonitoringParameters::parse(roadside::testing::read_file(dir / "empty-monitoring-params.xml"));
  ASSERT_TRUE(empty.ok()) << empty.error().to_string();
  EXPECT_FALSE(empty->monitoring_client);
  auto invalid = MonitoringParameters::parse(roadside::testing::read_file(dir / "invalid-monitoring-params.xml"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), make_error_code(errc::malformed));
  EXPECT_NE(invalid.error().detail().find("broken"), std::string::npos) << invalid.error().detail();
  EXPECT_FALSE(MonitoringParameters::parse("<tns:conf xmlns:tns=\"http://x-road.eu/xsd/xroad.xsd\"/>").ok());

  const MonitoringParameters subsystem{*XRoadId::subsystem("DEV", "COM", "1001", "MONITOR")};
  auto again = MonitoringParameters::parse(subsystem.to_xml());
  ASSERT_TRUE(again.ok()) << again.error().to_string() << subsystem.to_xml();
  EXPECT_EQ(again->monitoring_client, subsystem.monitoring_client);
  if (roadside::testing::run_command("xmllint --version") != 0) GTEST_SKIP() << "xmllint not installed (libxml2-utils)";
  roadside::testing::TempDir tmp;
  roadside::testing::write_file(tmp / "subsystem.xml", subsystem.to_xml());
  roadside::testing::write_file(tmp / "none.xml", MonitoringParameters{}.to_xml());
  for (const char* file : {"subsystem.xml", "none.xml"}) {
    std::string out;
    EXPECT_EQ(roadside::testing::run_command("xmllint --noout --schema " + (dir / "monitoring-conf.xsd").string() + " " +
                                                 (tmp / file).string(),
                                             &out),
              0)
        << file << ": " << out;
  }
}

}  // namespace roadside::globalconf
