// Makes the seeds of the ocsp, timestamp and asic fuzz targets with Roadside's own code, and
// the PKI that signs them (its certificates go to fuzz_pki_certs.h, for fuzz_pki.h), and the
// seeds of the csr target (requests as make_csr and X-Road's signers make them):
//   build/<preset>/tests/fuzz/fuzz_make_seeds tests/fuzz [pki] [csr]
// (both when neither is named). Every pki run makes a new PKI, so it rewrites all of those
// seeds; commit them together with fuzz_pki_certs.h. The csr seeds need no fixed PKI. Inputs a fuzz run found stay
// beside the seeds under names of their own; one that needs a valid signature to reach its code must be made here, as
// this-update-1700 is, or a new PKI leaves it stopped at the signature check.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "fuzz_trust.h"
#include "messagelog/archive.h"
#include "messagelog/asic.h"
#include "messagelog/timestamper.h"
#include "messagelog/zip.h"
#include "signer/message_signer.h"
#include "testbed/authority.h"
#include "xml/xades.h"

namespace {

using namespace roadside;
using namespace std::chrono_literals;
using crypto::Certificate;
using crypto::PrivateKey;
using Time = std::chrono::system_clock::time_point;

// When the seeds are made (thisUpdate, genTime, signing time): 2026-01-01T00:00:00Z.
constexpr std::chrono::sys_seconds kSeedTime{std::chrono::seconds(1'767'225'600)};
constexpr Time kYear1700{std::chrono::sys_days{std::chrono::year{1700} / 1 / 1}};
constexpr Time kYear2200{std::chrono::sys_days{std::chrono::year{2200} / 1 / 1}};
// What the time-stamp seeds stamp (fuzz_pki_certs.h repeats it for timestamp_fuzz).
constexpr std::string_view kStampedData = "roadside fuzz: the time-stamped data";

[[noreturn]] void die(std::string_view what, const Error& e) {
  std::cerr << "make_seeds: " << what << ": " << e.to_string() << "\n";
  std::exit(1);
}

template <typename T>
T must(Result<T> r, std::string_view what) {
  if (!r.ok()) die(what, r.error());
  return std::move(r).value();
}

void write(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string first_half(std::string_view bytes) {
  return std::string(bytes.substr(0, bytes.size() / 2));
}

struct Pki {
  PrivateKey ca_key = must(PrivateKey::generate(crypto::KeyType::ec_p256), "CA key");
  Certificate ca =
      issue({.common_name = "Fuzz CA", .organization = "Roadside fuzz", .usage = crypto::Usage::ca}, ca_key, nullptr);
  PrivateKey ocsp_key = must(PrivateKey::generate(crypto::KeyType::ec_p256), "OCSP key");
  Certificate ocsp = issue({.common_name = "Fuzz OCSP", .usage = crypto::Usage::ocsp_signing}, ocsp_key, &ca);
  PrivateKey tsa_key = must(PrivateKey::generate(crypto::KeyType::rsa2048), "TSA key");
  Certificate tsa = issue({.common_name = "Fuzz TSA", .usage = crypto::Usage::timestamping}, tsa_key, &ca);
  PrivateKey rogue_key = must(PrivateKey::generate(crypto::KeyType::ec_p256), "rogue key");
  Certificate rogue = issue({.common_name = "Rogue OCSP", .usage = crypto::Usage::ocsp_signing}, rogue_key, nullptr);
  PrivateKey member_key = must(PrivateKey::generate(crypto::KeyType::ec_p256), "member key");
  Certificate good = issue(member_spec("1234", 0x1001), member_key, &ca);
  Certificate revoked = issue(member_spec("4321", 0x1002), member_key, &ca);

  // Issued by `issuer` (self-signed when null), valid from a year before the seeds for 30 years.
  Certificate issue(crypto::CertificateSpec spec, const PrivateKey& key, const Certificate* issuer) const {
    spec.not_before = kSeedTime - 24h * 365;
    spec.validity = 24h * 365 * 30;
    return must(crypto::issue_certificate(spec, key, issuer, issuer ? ca_key : key), "issuing " + spec.common_name);
  }
  // A FiVRK signing certificate of member FUZZ/COM/<code>.
  static crypto::CertificateSpec member_spec(const std::string& code, std::uint64_t serial) {
    return {.common_name = code,
            .organization = "Fuzz member " + code,
            .country = "FI",
            .subject_extra = {{"serialNumber", "FUZZ/ss1/COM"}},
            .usage = crypto::Usage::signing,
            .serial = serial};
  }
};

// The certificates as C++ source, with the data the time-stamp seeds stamp.
std::string certs_header(const Pki& pki) {
  std::string out =
      "// Written by make_seeds.cc with the seeds of the ocsp, timestamp and asic corpora: the certificates\n"
      "// of the PKI that signed them (see fuzz_pki.h) and the data the time-stamp seeds stamp. Do not edit.\n"
      "#pragma once\n\n#include <string_view>\n\nnamespace roadside::fuzz::seeds {\n\n"
      "inline constexpr std::string_view kStampedData = \"" +
      std::string(kStampedData) + "\";\n";
  const std::pair<const char*, const Certificate*> certs[] = {{"Ca", &pki.ca},     {"Ocsp", &pki.ocsp},
                                                              {"Tsa", &pki.tsa},   {"Rogue", &pki.rogue},
                                                              {"Good", &pki.good}, {"Revoked", &pki.revoked}};
  for (const auto& [name, cert] : certs) {
    out += "\ninline constexpr std::string_view k" + std::string(name) + "Pem = R\"(" + cert->to_pem() + ")\";\n";
  }
  return out + "\n}  // namespace roadside::fuzz::seeds\n";
}

using Lookup = std::function<std::optional<testbed::OcspAnswer>(const std::string& serial_hex)>;

// The CA's answers: good for `good`, revoked (a month before the seeds) for `revoked`.
Lookup ca_records(const Pki& pki) {
  return [&pki](const std::string& serial) -> std::optional<testbed::OcspAnswer> {
    if (serial == pki.good.serial_hex()) return testbed::OcspAnswer{crypto::CertStatus::good, {}};
    if (serial == pki.revoked.serial_hex())
      return testbed::OcspAnswer{crypto::CertStatus::revoked, kSeedTime - 24h * 30};
    return std::nullopt;
  };
}

// A responder's DER answer about `cert`, valid for `validity` from `now`.
std::string ocsp_response(const Pki& pki, const Certificate& cert, const Certificate& responder, const PrivateKey& key,
                          Time now = kSeedTime, std::chrono::seconds validity = 1h, Lookup lookup = {}) {
  const std::string request = must(crypto::make_ocsp_request(cert, pki.ca), "OCSP request");
  return must(
      testbed::make_ocsp_response(request, lookup ? lookup : ca_records(pki), {pki.ca, responder, key}, now, validity),
      "OCSP response");
}

void write_ocsp_seeds(const std::filesystem::path& dir, const Pki& pki) {
  const std::string good = ocsp_response(pki, pki.good, pki.ocsp, pki.ocsp_key);
  crypto::OcspCheck check{.now = kSeedTime};
  must(crypto::verify_ocsp_response(good, pki.good, pki.ca, check), "checking the good-delegated seed");
  write(dir / "good-delegated", good);
  write(dir / "good-by-ca", ocsp_response(pki, pki.good, pki.ca, pki.ca_key));
  write(dir / "good-by-listed-responder", ocsp_response(pki, pki.good, pki.rogue, pki.rogue_key));
  write(dir / "revoked", ocsp_response(pki, pki.revoked, pki.ocsp, pki.ocsp_key));
  write(dir / "unknown", ocsp_response(pki, pki.good, pki.ocsp, pki.ocsp_key, kSeedTime, 1h,
                                       [](const std::string&) { return std::optional<testbed::OcspAnswer>(); }));
  write(dir / "next-update-before-this-update", ocsp_response(pki, pki.good, pki.ocsp, pki.ocsp_key, kSeedTime, -2h));
  write(dir / "this-update-1700", ocsp_response(pki, pki.good, pki.ocsp, pki.ocsp_key, kYear1700));
  write(dir / "this-update-2200", ocsp_response(pki, pki.good, pki.ocsp, pki.ocsp_key, kYear2200));
  write(dir / "malformed-request", must(testbed::make_ocsp_response("not a request", ca_records(pki),
                                                                    {pki.ca, pki.ocsp, pki.ocsp_key}, kSeedTime, 1h),
                                        "OCSP malformedRequest"));
  write(dir / "truncated", first_half(good));
  write(dir / "empty", "");
}

// The TSA's DER answer to a request over `data`.
std::string timestamp_response(const Pki& pki, std::string_view data, Time now = kSeedTime) {
  return must(testbed::make_timestamp_response(must(crypto::make_timestamp_request(data), "time-stamp request"),
                                               pki.tsa, pki.tsa_key, 1, now),
              "time-stamp response");
}

// A time-stamp token over `data`.
std::string timestamp_token(const Pki& pki, std::string_view data) {
  return must(crypto::timestamp_token_from_response(timestamp_response(pki, data)), "time-stamp token");
}

void write_timestamp_seeds(const std::filesystem::path& dir, const Pki& pki) {
  const std::string granted = timestamp_response(pki, kStampedData);
  const std::string token = must(crypto::timestamp_token_from_response(granted), "time-stamp token");
  must(crypto::verify_timestamp_token(token, kStampedData, {pki.tsa}), "checking the token seed");
  write(dir / "granted", granted);
  write(dir / "token", token);
  write(dir / "granted-over-other-data", timestamp_response(pki, "other data"));
  write(dir / "gen-time-1700", timestamp_response(pki, kStampedData, kYear1700));
  write(dir / "rejected-bad-request",
        must(testbed::make_timestamp_response("not a request", pki.tsa, pki.tsa_key, 2, kSeedTime),
             "time-stamp rejection"));
  write(dir / "truncated", first_half(granted));
  write(dir / "empty", "");
}

std::string soap_request(const std::string& client_code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:id=\"http://x-road.eu/xsd/identifiers\" "
         "xmlns:xroad=\"http://x-road.eu/xsd/xroad.xsd\"><SOAP-ENV:Header>"
         "<xroad:client "
         "id:objectType=\"SUBSYSTEM\"><id:xRoadInstance>FUZZ</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
         "<id:memberCode>" +
         client_code +
         "</id:memberCode><id:subsystemCode>TestClient</id:subsystemCode></xroad:client>"
         "<xroad:service "
         "id:objectType=\"SERVICE\"><id:xRoadInstance>FUZZ</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
         "<id:memberCode>4321</id:memberCode><id:subsystemCode>TestService</id:subsystemCode>"
         "<id:serviceCode>getRandom</id:serviceCode></xroad:service>"
         "<xroad:id>fuzz-1</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion>"
         "</SOAP-ENV:Header><SOAP-ENV:Body><getRandom xmlns=\"http://test.x-road.global/producer\"/></SOAP-ENV:Body>"
         "</SOAP-ENV:Envelope>\n";
}

// A container of `parts` signed with FUZZ/COM/1234's key, as the message log keeps it.
messagelog::AsicContainer signed_container(const Pki& pki, const signer::MessageParts& parts) {
  const std::string ocsp = ocsp_response(pki, pki.good, pki.ocsp, pki.ocsp_key);
  auto s = must(signer::sign_message(parts, {pki.member_key, pki.good, {ocsp}, {}}, kSeedTime), "signing a message");
  return {{.message = parts.message,
           .attachments = parts.attachments,
           .signature = s.signature,
           .sig_hash_chain_result = s.hash_chain_result,
           .sig_hash_chain = s.hash_chain}};
}

void write_asic_seeds(const std::filesystem::path& dir, const Pki& pki) {
  const auto trust = roadside::fuzz::fuzz_trust(pki.ca, pki.ocsp, pki.tsa);
  const auto write_valid = [&](const std::string& name, const messagelog::AsicContainer& c) {
    must(messagelog::verify_asic(c, trust), "checking the " + name + " seed");
    std::string bytes = must(c.write(), "writing a container");  // not const: returned by move
    write(dir / name, bytes);
    return bytes;
  };
  const auto single = signed_container(pki, {soap_request("1234"), {}});
  const std::string single_bytes = write_valid("single-signature", single);
  const auto chained = signed_container(pki, {soap_request("1234"), {"attachment one", std::string("\0\x01\x02", 3)}});
  const std::string chained_bytes = write_valid("hash-chain-signature", chained);
  write_valid("rest-request",
              signed_container(pki, {"POST\r\n/r1/FUZZ/COM/4321/TestService/mock1\r\n"
                                     "X-Road-Client:FUZZ/COM/1234/TestClient\r\nContent-Type:application/json\r\n",
                                     {"{\"fuzz\":true}"}}));

  auto stamped = single;
  const auto sig = must(xml::XadesSignature::parse(single.parts.signature), "parsing a signature");
  stamped.parts.signature =
      must(xml::add_signature_timestamp(single.parts.signature, timestamp_token(pki, sig.signature_value)),
           "time-stamping a signature");
  write_valid("signature-timestamp", stamped);

  auto batch = single;
  const auto chains = must(messagelog::batch_timestamp_chains({single.parts.signature}), "batch time-stamp chains");
  batch.parts.ts_hash_chain_result = chains.result;
  batch.parts.ts_hash_chain = chains.chains.front();
  batch.parts.timestamp = timestamp_token(pki, chains.result);
  write_valid("batch-timestamp", batch);

  // Signed with FUZZ/COM/1234's key in the name of FUZZ/COM/4321.
  const auto impostor = signed_container(pki, {soap_request("4321"), {}});
  write(dir / "impostor", must(impostor.write(), "writing a container"));

  const auto archive =
      must(messagelog::write_archive({{"q1-request-1.asice", single_bytes}, {"q2-request-2.asice", chained_bytes}}),
           "writing an archive");
  must(messagelog::verify_archive_linking(must(messagelog::ZipFile::read(archive.zip), "reading the archive")),
       "checking the archive seed");
  write(dir / "archive", archive.zip);
  write(dir / "linkinginfo-text",
        "- - SHA-512\n" + messagelog::chain_digest("", single_bytes) + " q1-request-1.asice\n");
  write(dir / "not-asic", must(messagelog::ZipFile{{{"mimetype", "text/plain", true}}, ""}.write(), "writing a zip"));
  write(dir / "truncated", first_half(single_bytes));
  write(dir / "empty", "");
}

// Requests a CA is sent: X-Road's subjects under the FiVRK and SkKlass3 profiles, with and
// without the extensions newer signers ask for, DER and PEM, and the ways they go wrong.
void write_csr_seeds(const std::filesystem::path& dir) {
  const auto rsa = must(PrivateKey::generate(crypto::KeyType::rsa2048), "RSA key");
  const auto ec = must(PrivateKey::generate(crypto::KeyType::ec_p256), "EC key");
  const crypto::SubjectEntries fivrk{{"C", "FI"}, {"O", "Member 1"}, {"serialNumber", "DEV/ss1/COM"}, {"CN", "1001"}};
  const std::string sign_rsa = must(crypto::make_csr(rsa, fivrk), "a signing CSR");
  write(dir / "fivrk-sign-rsa", sign_rsa);
  write(dir / "fivrk-auth-ec-extensions",
        must(crypto::make_csr(ec, {{"C", "FI"}, {"O", "Member 1"}, {"serialNumber", "DEV/ss1/COM"}, {"CN", "ss1"}},
                              {.key_usage = crypto::CsrKeyUsage::auth, .dns_name = "ss1.example.org"}),
             "an authentication CSR"));
  const std::string klass3 =
      must(crypto::make_csr(ec, {{"serialNumber", "12345678"}, {"CN", "Jürgen Ä"}, {"2.5.4.97", "NTREE-12345678"}},
                            {.digest_uri = crypto::kSha512Uri, .key_usage = crypto::CsrKeyUsage::sign}),
           "an SkKlass3 CSR");
  write(dir / "klass3-sign-ec-utf8", klass3);
  write(dir / "pem", must(crypto::CertificateRequest::from_der(klass3), "reading a CSR").to_pem());
  std::string tampered = sign_rsa;
  tampered[tampered.find("Member 1")] = 'N';
  write(dir / "tampered-subject", tampered);
  std::string version2 = sign_rsa;
  version2[version2.find(std::string("\x02\x01\x00", 3)) + 2] = 1;
  write(dir / "version-2", version2);
  write(dir / "trailing-byte", sign_rsa + std::string(1, '\0'));
  write(dir / "truncated", first_half(sign_rsa));
  write(dir / "empty", "");
}

}  // namespace

int main(int argc, char** argv) {
  bool pki_seeds = argc == 2, csr_seeds = argc == 2, usage_error = argc < 2;
  for (int i = 2; i < argc; ++i) {
    const std::string_view what = argv[i];
    if (what == "pki") {
      pki_seeds = true;
    } else if (what == "csr") {
      csr_seeds = true;
    } else {
      usage_error = true;
    }
  }
  if (usage_error) {
    std::cerr << "usage: fuzz_make_seeds TESTS_FUZZ_DIR [pki] [csr]\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  if (pki_seeds) {
    const Pki pki;
    write_ocsp_seeds(dir / "corpus" / "ocsp", pki);
    write_timestamp_seeds(dir / "corpus" / "timestamp", pki);
    write_asic_seeds(dir / "corpus" / "asic", pki);
    write(dir / "fuzz_pki_certs.h", certs_header(pki));
    std::cout << "wrote the ocsp, timestamp and asic seeds and " << (dir / "fuzz_pki_certs.h").string() << "\n";
  }
  if (csr_seeds) {
    write_csr_seeds(dir / "corpus" / "csr");
    std::cout << "wrote the csr seeds\n";
  }
  return 0;
}
