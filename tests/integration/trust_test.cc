// The trust layer end to end, through the roadside binary and through verifiers Roadside did
// not write:
//   - verify-asic and verify-archive on X-Road's own containers and archive;
//   - messages signed by Roadside with the software token of X-Road's test system, checked
//     by verify-asic against the V6 DEV configuration;
//   - Roadside's signatures checked by the JDK's XML-signature API (jdk-xades-verify), their
//     OCSP responses by `openssl ocsp -verify` and their time-stamps by `openssl ts -verify`.
#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "messagelog/asic.h"
#include "messagelog/timestamper.h"
#include "messagelog/zip.h"
#include "signer/keyconf.h"
#include "signer/message_signer.h"
#include "support/openssl_tools.h"
#include "testbed/publisher.h"
#include "support/test_support.h"
#include "xml/xades.h"

namespace roadside::testing {
namespace {

using namespace std::chrono_literals;


struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

Run roadside(const std::vector<std::string>& args, bool stdout_only = false) {
  std::string cmd = roadside_binary().string();
  for (const auto& a : args) cmd += " '" + a + "'";
  if (stdout_only) cmd = "(" + cmd + " 2>/dev/null)";
  Run r;
  r.code = run_command(cmd, &r.output);
  return r;
}

class Trust : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = vectors_dir();
    if (!v) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    x_ = *v / "xroad";
  }
  std::string asic_trust() const { return (x_ / "asic" / "trust" / "DEV" / "shared-params.xml").string(); }
  std::string v6_trust() const {
    return (x_ / "globalconf" / "public" / "V6" / "20251110170000548026000" / "shared-params.xml").string();
  }
  std::string write(const std::string& name, const std::string& bytes) {
    write_file(dir_ / name, bytes);
    return (dir_ / name).string();
  }
  std::filesystem::path x_;
  TempDir dir_;
};

// ---- X-Road's containers and archive ---------------------------------------------------

TEST_F(Trust, VerifyAsicAcceptsAndRejectsAsXRoadDoes) {
  for (const char* name : {"valid-signed-message.asice", "valid-signed-hashchain.asice", "valid-batch-ts.asice"}) {
    auto r = roadside({"verify-asic", "--trust", asic_trust(), (x_ / "asic" / name).string()});
    EXPECT_EQ(r.code, 0) << name << "\n" << r.output;
    EXPECT_NE(r.output.find("signed by MEMBER:DEV/COM/4321"), std::string::npos) << r.output;
  }
  auto wrong = roadside({"verify-asic", "--trust", asic_trust(), (x_ / "asic" / "wrong-message.asice").string()});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_EQ(last_line(wrong.output), "invalid_signature_value") << wrong.output;
  auto chain = roadside({"verify-asic", "--trust", asic_trust(), (x_ / "asic" / "invalid-signed-hashchain.asice").string()});
  EXPECT_EQ(chain.code, 1);
  EXPECT_EQ(last_line(chain.output), "malformed_signature.invalid_hash_chain_ref") << chain.output;

  // Against another instance's trust the signer's CA is unknown.
  auto other = roadside({"verify-asic", "--trust", (x_ / "archive" / "trust" / "CS" / "shared-params.xml").string(),
                         (x_ / "asic" / "valid-signed-message.asice").string()});
  EXPECT_EQ(other.code, 1);
  EXPECT_NE(last_line(other.output), "") << other.output;
  auto missing = roadside({"verify-asic", "--trust", asic_trust(), (dir_ / "none.asice").string()});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(last_line(missing.output), "io_error") << missing.output;
}

TEST_F(Trust, XRoadsNonBatchRestRequestVerifies) {
  const auto src = x_ / "signatures" / "non-batch-rest-request";
  messagelog::AsicContainer c;
  c.parts.message = read_file(src / "message.xml");
  c.parts.attachments = {read_file(src / "attachment1")};
  c.parts.signature = read_file(src / "signatures.xml");
  auto r = roadside({"verify-asic", "--trust", asic_trust(), write("rest.asice", *c.write())});
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("request from SUBSYSTEM:DEV/COM/4321/TestClient to SERVICE:DEV/COM/1234/TestService/mock1"),
            std::string::npos)
      << r.output;

  c.parts.attachments = {"{\"test\":false}"};
  auto bad = roadside({"verify-asic", "--trust", asic_trust(), write("rest-bad.asice", *c.write())});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(last_line(bad.output), "invalid_signature_value") << bad.output;
}

TEST_F(Trust, VerifyArchivePrintsTheLastDigestAndChecksEveryContainer) {
  const std::string trust = (x_ / "archive" / "trust" / "CS" / "shared-params.xml").string();
  const std::string archive = (x_ / "archive" / "message-archive-0.zip").string();
  const std::string digest =
      "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b96"
      "5c358eaa";
  auto r = roadside({"verify-archive", "--trust", trust, archive}, /*stdout_only=*/true);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, digest + "\n");

  auto wrong_prev = roadside({"verify-archive", "--trust", trust, archive, "--previous-digest", "00ff"});
  EXPECT_EQ(wrong_prev.code, 1);
  EXPECT_NE(last_line(wrong_prev.output), "") << wrong_prev.output;

  // A container changed after the fact, with a linking chain recomputed over the change:
  // the chain holds, the container's signature does not.
  auto zip = messagelog::ZipFile::read(read_file(archive));
  ASSERT_TRUE(zip.ok());
  messagelog::ZipEntry* container = nullptr;
  for (auto& e : zip->entries) {
    if (e.name.ends_with(".asice")) container = &e;
  }
  ASSERT_NE(container, nullptr);
  auto inner = messagelog::ZipFile::read(container->data);
  ASSERT_TRUE(inner.ok());
  for (auto& e : inner->entries) {
    if (e.name == "message.xml") e.data += " ";
  }
  container->data = *inner->write();
  const std::string d1 = crypto::to_hex(crypto::sha512(crypto::to_hex(crypto::sha512(container->data))));
  for (auto& e : zip->entries) {
    if (e.name == "linkinginfo") e.data = "- - SHA-512\n" + d1 + " " + container->name + "\n";
  }
  auto tampered = roadside({"verify-archive", "--trust", trust, write("tampered.zip", *zip->write())});
  EXPECT_EQ(tampered.code, 1);
  // (this container is signed through a hash chain, so its DataRef is what breaks)
  EXPECT_EQ(last_line(tampered.output), "malformed_signature.invalid_hash_chain_ref") << tampered.output;
  EXPECT_NE(tampered.output.find(container->name), std::string::npos) << tampered.output;
}

// ---- the test instance's configuration publisher with X-Road's signing key ----------------

TEST_F(Trust, PublisherWithXRoadsKeyWritesWhatXRoadsAnchorAccepts) {
  const auto gc = x_ / "globalconf";
  const auto gen = gc / "public" / "V6" / "20251110170000548026000";
  testbed::PublisherConfig config{dir_.path() / "public", "DEV", {2, 3, 4, 5, 6}, std::chrono::hours(24),
                                  {{"SHARED-PARAMETERS", "shared-params.xml", read_file(gen / "shared-params.xml")},
                                   {"PRIVATE-PARAMETERS", "private-params.xml", read_file(gen / "private-params.xml")}}};
  testbed::ConfigurationPublisher publisher(std::move(config),
                                            *crypto::PrivateKey::from_pem(read_file(gc / "signing-key" / "internal.key")),
                                            *crypto::Certificate::from_pem(read_file(gc / "signing-key" / "internal.crt")));
  ASSERT_TRUE(publisher.publish(std::chrono::system_clock::now()).ok());
  for (int v = 2; v <= 6; ++v) {
    const std::string dir = (dir_.path() / "public" / ("V" + std::to_string(v)) / "internalconf").string();
    auto r = roadside({"verify-globalconf", "--anchor", (gc / "configuration_anchor_CS_internal.xml").string(), dir});
    EXPECT_EQ(r.code, 0) << v << "\n" << r.output;
    EXPECT_NE(r.output.find("valid: instance DEV, version " + std::to_string(v) + ", "), std::string::npos) << r.output;
  }
}

// ---- messages Roadside signs -----------------------------------------------------------

std::string soap_request(const std::string& client_code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:id=\"http://x-road.eu/xsd/identifiers\" xmlns:xroad=\"http://x-road.eu/xsd/xroad.xsd\">"
         "<SOAP-ENV:Header>"
         "<xroad:client id:objectType=\"SUBSYSTEM\"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
         "<id:memberCode>" +
         client_code +
         "</id:memberCode><id:subsystemCode>TestClient</id:subsystemCode></xroad:client>"
         "<xroad:service id:objectType=\"SERVICE\"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
         "<id:memberCode>4321</id:memberCode><id:subsystemCode>TestService</id:subsystemCode>"
         "<id:serviceCode>getRandom</id:serviceCode></xroad:service>"
         "<xroad:id>roadside-1</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion>"
         "</SOAP-ENV:Header><SOAP-ENV:Body><getRandom xmlns=\"http://test.x-road.global/producer\"/></SOAP-ENV:Body>"
         "</SOAP-ENV:Envelope>\n";
}

class RoadsideSigned : public Trust {
 protected:
  void SetUp() override {
    Trust::SetUp();
    if (IsSkipped()) return;
    const auto ca = x_ / "pki" / "test-ca";
    ca_pem_ = read_file(ca / "ca.cert.pem");
    ca_ = *crypto::Certificate::from_pem(ca_pem_);
    ca_key_ = *crypto::PrivateKey::from_pem(read_file(ca / "ca.key.pem"));
    ocsp_pem_ = read_file(ca / "ocsp.cert.pem");
    ocsp_key_pem_ = read_file(ca / "ocsp.key.pem");
    tsa_pem_ = read_file(ca / "tsa.cert.pem");
    tsa_key_pem_ = read_file(ca / "tsa.key.pem");
  }

  // An OCSP response about `cert` from the vectors' test OCSP responder (openssl ocsp).
  std::string ocsp_for(const crypto::Certificate& cert) {
    auto req = crypto::make_ocsp_request(cert, *ca_);
    EXPECT_TRUE(req.ok());
    return openssl_ocsp_respond(dir_, {ca_pem_, ocsp_pem_, ocsp_key_pem_, ocsp_index_valid(cert.serial_hex())}, *req);
  }

  // A time-stamp token over `data` from the vectors' test TSA (openssl ts).
  std::string timestamp_for(std::string_view data) {
    auto resp = openssl_ts_reply(dir_, tsa_pem_, tsa_key_pem_, *crypto::make_timestamp_request(data));
    auto token = crypto::timestamp_token_from_response(resp);
    EXPECT_TRUE(token.ok()) << token.error().to_string();
    return *token;
  }

  // The DEV/COM/1234 signing key of X-Road's test software token (RSA).
  signer::SigningIdentity soft_token_key() {
    auto id = signer::open_soft_token_signing_key(x_ / "pki" / "softtoken", "Secret1234", *XRoadId::member("DEV", "COM", "1234"));
    EXPECT_TRUE(id.ok()) << id.error().to_string();
    return std::move(id).value();
  }

  // An EC signing key for DEV/COM/1234 issued by the test CA, in the FiVRK profile's form.
  signer::SigningIdentity ec_key() {
    auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    crypto::CertificateSpec spec;
    spec.country = "FI";
    spec.organization = "Test member";
    spec.common_name = "1234";
    spec.subject_extra = {{"serialNumber", "DEV/ss1/COM"}};
    spec.usage = crypto::Usage::signing;
    auto cert = crypto::issue_certificate(spec, key, &*ca_, *ca_key_);
    EXPECT_TRUE(cert.ok()) << cert.error().to_string();
    return {"ec", key, *cert, *XRoadId::member("DEV", "COM", "1234")};
  }

  messagelog::AsicContainer sign(const signer::SigningIdentity& id, const signer::MessageParts& parts) {
    auto signed_parts = signer::sign_message(parts, {id.key, id.cert, {ocsp_for(id.cert)}, {}}, std::chrono::system_clock::now());
    EXPECT_TRUE(signed_parts.ok()) << signed_parts.error().to_string();
    messagelog::AsicContainer c;
    c.parts.message = parts.message;
    c.parts.attachments = parts.attachments;
    c.parts.signature = signed_parts->signature;
    c.parts.sig_hash_chain_result = signed_parts->hash_chain_result;
    c.parts.sig_hash_chain = signed_parts->hash_chain;
    return c;
  }

  std::string ca_pem_, ocsp_pem_, ocsp_key_pem_, tsa_pem_, tsa_key_pem_;
  std::optional<crypto::Certificate> ca_;
  std::optional<crypto::PrivateKey> ca_key_;
};

TEST_F(RoadsideSigned, SoftTokenSignatureVerifiesAgainstTheV6Configuration) {
  const auto id = soft_token_key();
  auto single = roadside({"verify-asic", "--trust", v6_trust(), write("single.asice", *sign(id, {soap_request("1234"), {}}).write())});
  EXPECT_EQ(single.code, 0) << single.output;
  EXPECT_NE(single.output.find("signed by MEMBER:DEV/COM/1234"), std::string::npos) << single.output;
  EXPECT_NE(single.output.find("time-stamp: none"), std::string::npos) << single.output;

  auto chained = roadside({"verify-asic", "--trust", v6_trust(),
                           write("chained.asice", *sign(id, {soap_request("1234"), {"attachment bytes", "two"}}).write())});
  EXPECT_EQ(chained.code, 0) << chained.output;
  EXPECT_NE(chained.output.find("with a hash chain"), std::string::npos) << chained.output;

  // Attachments given by their digests (as streamed bodies are) sign the same way; the digests,
  // not the bytes, are what gets signed.
  signer::MessageParts digested{soap_request("1234"), {"attachment bytes", "two"}, {crypto::sha512("attachment bytes"), crypto::sha512("two")}};
  auto by_digest = roadside({"verify-asic", "--trust", v6_trust(), write("digested.asice", *sign(id, digested).write())});
  EXPECT_EQ(by_digest.code, 0) << by_digest.output;
  digested.attachment_digests[1] = crypto::sha512("not two");
  auto wrong = roadside({"verify-asic", "--trust", v6_trust(), write("wrong-digest.asice", *sign(id, digested).write())});
  EXPECT_EQ(wrong.code, 1) << wrong.output;

  // A request in the name of DEV/COM/4321 signed with DEV/COM/1234's key.
  auto impostor = roadside({"verify-asic", "--trust", v6_trust(), write("impostor.asice", *sign(id, {soap_request("4321"), {}}).write())});
  EXPECT_EQ(impostor.code, 1);
  EXPECT_EQ(last_line(impostor.output), "incorrect_certificate") << impostor.output;
}

// The JDK's verifier (../shared/tools/jdk-xades-verify, or $ROADSIDE_TOOLS_DIR).
std::optional<std::filesystem::path> jdk_verifier() {
  auto tools = tools_dir();
  if (!tools || run_command("java -version") != 0) return std::nullopt;
  return *tools / "jdk-xades-verify" / "XadesVerify.java";
}

TEST_F(RoadsideSigned, IndependentVerifiersAcceptRoadsideSignatures) {
  const auto jdk = jdk_verifier();
  if (!jdk) GTEST_SKIP() << "java or jdk-xades-verify not found (set ROADSIDE_TOOLS_DIR; needs a JDK)";
  struct Case {
    const char* name;
    signer::SigningIdentity id;
    std::vector<std::string> attachments;
  };
  const std::vector<Case> cases = {{"rsa-single", soft_token_key(), {}},
                                   {"rsa-batch", soft_token_key(), {"attachment one"}},
                                   {"ecdsa-single", ec_key(), {}},
                                   {"ecdsa-batch", ec_key(), {"attachment one", std::string("\0\x01\x02", 3)}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    messagelog::AsicContainer container = sign(c.id, {soap_request("1234"), c.attachments});
    auto sig = xml::XadesSignature::parse(container.parts.signature);
    ASSERT_TRUE(sig.ok()) << sig.error().to_string();
    // A time-stamp of the signature from the test TSA, as the message log adds it.
    const std::string token = timestamp_for(sig->signature_value);
    auto stamped = xml::add_signature_timestamp(container.parts.signature, token);
    ASSERT_TRUE(stamped.ok()) << stamped.error().to_string();
    container.parts.signature = *stamped;

    // The JDK's XML-signature API: the signature value and every reference.
    const auto folder = dir_.path() / c.name;
    std::filesystem::create_directories(folder);
    write_file(folder / "signatures.xml", container.parts.signature);
    write_file(folder / "message.xml", container.parts.message);
    for (std::size_t i = 0; i < c.attachments.size(); ++i) {
      write_file(folder / ("attachment" + std::to_string(i + 1)), c.attachments[i]);
    }
    if (container.parts.sig_hash_chain_result) write_file(folder / "sig-hashchainresult.xml", *container.parts.sig_hash_chain_result);
    std::string out;
    const std::string java = "java " + jdk->string() + " " + (folder / "signatures.xml").string() + " " + folder.string();
    EXPECT_EQ(run_command(java, &out), 0) << out;
    // ... and it does check: a changed signed part fails there too.
    const std::string signed_part = container.parts.sig_hash_chain_result ? "sig-hashchainresult.xml" : "message.xml";
    write_file(folder / signed_part, read_file(folder / signed_part) + " ");
    EXPECT_EQ(run_command(java, &out), 1) << out;

    // openssl ocsp: the embedded OCSP response, signed by the test OCSP responder, says good.
    write_file(folder / "ocsp.der", sig->ocsp_responses.at(0));
    write_file(folder / "signer.pem", c.id.cert.to_pem());
    write_file(folder / "ca.pem", ca_pem_);
    const std::string f = folder.string();
    EXPECT_EQ(run_command("openssl ocsp -respin " + f + "/ocsp.der -CAfile " + f + "/ca.pem -issuer " + f + "/ca.pem -cert " +
                              f + "/signer.pem",
                          &out),
              0)
        << out;
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find("signer.pem: good"), std::string::npos) << out;

    // openssl ts: the embedded time-stamp covers the raw SignatureValue bytes.
    auto again = xml::XadesSignature::parse(container.parts.signature);
    ASSERT_TRUE(again.ok() && again->signature_timestamp);
    write_file(folder / "token.der", *again->signature_timestamp);
    write_file(folder / "signature-value.bin", again->signature_value);
    write_file(folder / "tsa.pem", tsa_pem_);
    EXPECT_EQ(run_command("openssl ts -verify -data " + f + "/signature-value.bin -in " + f + "/token.der -token_in -CAfile " +
                              f + "/ca.pem -untrusted " + f + "/tsa.pem",
                          &out),
              0)
        << out;
    EXPECT_NE(out.find("Verification: OK"), std::string::npos) << out;

    // And Roadside's own verifier agrees, time-stamp included.
    auto r = roadside({"verify-asic", "--trust", v6_trust(), write(std::string(c.name) + ".asice", *container.write())});
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("time-stamp: signature time-stamp"), std::string::npos) << r.output;
  }
}

// X-Road's batch signer and batch time-stamper: one ECDSA signature over three messages
// (a hash tree), then one time-stamp over the three signature documents.
TEST_F(RoadsideSigned, BatchSignedAndBatchTimestampedMessagesVerify) {
  const auto id = ec_key();
  const std::vector<signer::MessageParts> messages = {
      {soap_request("1234"), {}}, {soap_request("1234") + " ", {"an attachment"}}, {soap_request("1234") + "  ", {}}};
  auto signed_parts = signer::sign_batch(messages, {id.key, id.cert, {ocsp_for(id.cert)}, {}}, std::chrono::system_clock::now());
  ASSERT_TRUE(signed_parts.ok()) << signed_parts.error().to_string();
  ASSERT_EQ(signed_parts->size(), 3u);
  EXPECT_EQ((*signed_parts)[0].signature, (*signed_parts)[2].signature);  // one signature for all
  EXPECT_NE((*signed_parts)[0].hash_chain, (*signed_parts)[2].hash_chain);  // each its own chain

  std::vector<std::string> signatures;
  for (const auto& p : *signed_parts) signatures.push_back(p.signature);
  auto chains = messagelog::batch_timestamp_chains(signatures);
  ASSERT_TRUE(chains.ok()) << chains.error().to_string();
  const std::string token = timestamp_for(chains->result);
  const std::string f = dir_.path().string();
  write_file(dir_ / "ts-hashchainresult.xml", chains->result);
  write_file(dir_ / "token.der", token);
  write_file(dir_ / "ca.pem", ca_pem_);
  write_file(dir_ / "tsa.pem", tsa_pem_);
  std::string out;
  EXPECT_EQ(run_command("openssl ts -verify -data " + f + "/ts-hashchainresult.xml -in " + f + "/token.der -token_in -CAfile " + f +
                            "/ca.pem -untrusted " + f + "/tsa.pem",
                        &out),
            0)
      << out;

  for (std::size_t i = 0; i < messages.size(); ++i) {
    SCOPED_TRACE(i);
    messagelog::AsicContainer c;
    c.parts.message = messages[i].message;
    c.parts.attachments = messages[i].attachments;
    c.parts.signature = (*signed_parts)[i].signature;
    c.parts.sig_hash_chain_result = (*signed_parts)[i].hash_chain_result;
    c.parts.sig_hash_chain = (*signed_parts)[i].hash_chain;
    c.parts.ts_hash_chain_result = chains->result;
    c.parts.ts_hash_chain = chains->chains[i];
    c.parts.timestamp = token;
    auto r = roadside({"verify-asic", "--trust", v6_trust(), write("batch-" + std::to_string(i) + ".asice", *c.write())});
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("time-stamp: batch time-stamp"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("with a hash chain"), std::string::npos) << r.output;

    // Another record's time-stamp chain does not cover this signature.
    auto foreign = messagelog::batch_timestamp_chains({c.parts.signature, "<another signature/>"});
    c.parts.ts_hash_chain_result = foreign->result;
    c.parts.ts_hash_chain = foreign->chains[1];
    auto wrong = roadside({"verify-asic", "--trust", v6_trust(), write("batch-wrong.asice", *c.write())});
    EXPECT_EQ(wrong.code, 1);
    EXPECT_EQ(last_line(wrong.output), "malformed_signature.invalid_hash_chain_ref") << wrong.output;
  }

  // The JDK's verifier on the shared signature (its one reference is the hash-chain result).
  const auto jdk = jdk_verifier();
  if (!jdk) GTEST_SKIP() << "java or jdk-xades-verify not found (set ROADSIDE_TOOLS_DIR; needs a JDK)";
  const auto folder = dir_.path() / "batch-jdk";
  std::filesystem::create_directories(folder);
  write_file(folder / "signatures.xml", (*signed_parts)[0].signature);
  write_file(folder / "sig-hashchainresult.xml", *(*signed_parts)[0].hash_chain_result);
  EXPECT_EQ(run_command("java " + jdk->string() + " " + (folder / "signatures.xml").string() + " " + folder.string(), &out), 0) << out;
}

}  // namespace
}  // namespace roadside::testing
