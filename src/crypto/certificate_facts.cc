#include "crypto/certificate_facts.h"

#include <array>
#include <memory>
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/encoding.h"
#include "crypto/openssl.h"

namespace roadside::crypto {

using detail::bio_string;
using detail::out_bio;
using detail::x509;

namespace {

std::string common_name(const X509_NAME* name) {
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, value);
  if (n < 0) return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string bn_hex(const BIGNUM* bn) {
  char* hex = BN_bn2hex(bn);
  if (!hex) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  return out;
}

void public_key(EVP_PKEY* key, CertificateFacts& f) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    f.public_key_algorithm = "RSA";
    BIGNUM *n = nullptr, *e = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) == 1) f.rsa_modulus = bn_hex(n);
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1) f.rsa_exponent = static_cast<long>(BN_get_word(e));
    BN_free(n);
    BN_free(e);
  } else if (EVP_PKEY_is_a(key, "EC")) {
    f.public_key_algorithm = "EC";
    std::array<char, 80> group{};
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), nullptr) == 1) {
      f.ec_parameters = group.data();
    }
    std::array<unsigned char, 256> point{};
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &len) == 1) {
      f.ec_point = to_hex(std::string_view(reinterpret_cast<const char*>(point.data()), len));
    }
  } else {
    f.public_key_algorithm = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
}

std::vector<std::string> key_usages(X509* x) {
  static constexpr std::array<std::pair<std::uint32_t, const char*>, 9> kUsages = {{
      {KU_DIGITAL_SIGNATURE, "DIGITAL_SIGNATURE"},
      {KU_NON_REPUDIATION, "NON_REPUDIATION"},
      {KU_KEY_ENCIPHERMENT, "KEY_ENCIPHERMENT"},
      {KU_DATA_ENCIPHERMENT, "DATA_ENCIPHERMENT"},
      {KU_KEY_AGREEMENT, "KEY_AGREEMENT"},
      {KU_KEY_CERT_SIGN, "KEY_CERT_SIGN"},
      {KU_CRL_SIGN, "CRL_SIGN"},
      {KU_ENCIPHER_ONLY, "ENCIPHER_ONLY"},
      {KU_DECIPHER_ONLY, "DECIPHER_ONLY"},
  }};
  std::vector<std::string> out;
  if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) == 0) return out;
  const std::uint32_t bits = X509_get_key_usage(x);
  for (const auto& [bit, name] : kUsages) {
    if (bits & bit) out.emplace_back(name);
  }
  return out;
}

std::string alternative_names(X509* x) {
  const int at = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
  if (at < 0) return {};
  auto bio = out_bio();
  if (X509V3_EXT_print(bio.get(), X509_get_ext(x, at), 0, 0) != 1) return {};
  return bio_string(bio.get());
}

}  // namespace

CertificateFacts describe(const Certificate& cert) {
  X509* x = x509(cert);
  CertificateFacts f;
  f.issuer_dn = cert.issuer();
  f.subject_dn = cert.subject();
  f.issuer_cn = common_name(X509_get_issuer_name(x));
  f.subject_cn = common_name(X509_get_subject_name(x));
  f.not_before = cert.not_before();
  f.not_after = cert.not_after();
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr)) {
    if (char* dec = BN_bn2dec(serial)) {
      f.serial = dec;
      OPENSSL_free(dec);
    }
    BN_free(serial);
  }
  f.version = static_cast<int>(X509_get_version(x)) + 1;
  f.signature_algorithm = OBJ_nid2ln(X509_get_signature_nid(x));
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, x);
  if (signature) {
    f.signature = to_hex(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(signature)),
                                          static_cast<std::size_t>(ASN1_STRING_length(signature))));
  }
  if (EVP_PKEY* key = X509_get0_pubkey(x)) public_key(key, f);
  f.hash = cert.sha256_hex();
  f.key_usages = key_usages(x);
  f.subject_alternative_names = alternative_names(x);
  return f;
}

}  // namespace roadside::crypto
