#include "testbed/publish.h"

#include "base/clock.h"
#include "base/random.h"

namespace roadside::testbed {
namespace {

// Seconds precision, as Central Servers write Expire-date.
std::string expire_date(std::chrono::system_clock::time_point t) {
  std::string s = format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(t));
  const auto dot = s.find('.');
  if (dot != std::string::npos) s = s.substr(0, dot) + "Z";
  return s;
}

std::string boundary() {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string bytes = Random::system().bytes(20);
  std::string out;
  for (unsigned char c : bytes) out += kAlphabet[c % kAlphabet.size()];
  return out;
}

}  // namespace

Result<std::string> build_signed_directory(const DirectorySpec& spec, const crypto::PrivateKey& key,
                                           const crypto::Certificate& cert) {
  const std::string outer = boundary(), inner = boundary();
  // Version 2 directories carry no Version header.
  std::string signed_part = "--" + inner + "\r\nExpire-date: " + expire_date(spec.expires) +
                            (spec.version > 2 ? "\r\nVersion: " + std::to_string(spec.version) : std::string()) +
                            "\r\n\r\n";
  for (const auto& p : spec.parts) {
    signed_part +=
        "--" + inner + "\r\nContent-type: application/octet-stream\r\nContent-transfer-encoding: base64\r\n" +
        "Content-identifier: " + p.content_identifier + (p.instance.empty() ? "" : "; instance='" + p.instance + "'") +
        "\r\nContent-location: " + p.content_location + "\r\nHash-algorithm-id: " + std::string(crypto::kSha512Uri) +
        "\r\n\r\n" + crypto::base64_encode(crypto::sha512(p.bytes)) + "\r\n";
  }
  signed_part += "--" + inner + "--\r\n";
  ROADSIDE_TRY(std::string signature, crypto::sign(key, spec.signature_algorithm, signed_part));
  return "Content-Type: multipart/related; charset=UTF-8; boundary=" + outer + "\r\n\r\n--" + outer +
         "\r\nContent-Type: multipart/mixed; charset=UTF-8; boundary=" + inner + "\r\n\r\n" + signed_part + "\r\n--" +
         outer +
         "\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nSignature-Algorithm-Id: " +
         spec.signature_algorithm +
         "\r\nVerification-certificate-hash: " + crypto::base64_encode(crypto::sha512(cert.to_der())) +
         "; hash-algorithm-id=\"" + std::string(crypto::kSha512Uri) + "\"\r\n\r\n" + crypto::base64_encode(signature) +
         "\r\n--" + outer + "--\r\n";
}

}  // namespace roadside::testbed
