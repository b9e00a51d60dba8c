#include "crypto/certificate.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "base/bounded_cache.h"
#include "crypto/certificate_names.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::asn1_time;
using detail::bio_string;
using detail::fail;
using detail::mem_bio;
using detail::name_text;
using detail::out_bio;
using detail::pkey;
using detail::x509;
using detail::x509_der;

std::shared_ptr<void> own_cert(X509* c) {
  return std::shared_ptr<void>(c, [](void* p) { X509_free(static_cast<X509*>(p)); });
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  auto b = mem_bio(pem);
  X509* c = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr);
  if (!c) return fail(errc::bad_certificate, "cannot read certificate PEM");
  return Certificate(own_cert(c));
}

namespace {

// Parsed certificates by their DER. OpenSSL 3 decodes a certificate's public key through its
// provider decoders, which costs more than verifying a signature; a Security Server meets the
// same few certificates (its peers', the CAs', the OCSP responders') in every message, so each
// is parsed once. Certificates are immutable once parsed and shared read-only.
BoundedCache<std::shared_ptr<void>>& certificate_cache() {
  static auto* cache = new BoundedCache<std::shared_ptr<void>>(512);  // never destroyed: used until exit
  return *cache;
}

}  // namespace

Result<Certificate> Certificate::from_der(std::string_view der) {
  if (der.size() <= 64 * 1024) {
    if (auto cached = certificate_cache().find(std::string(der))) return Certificate(std::move(*cached));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* c = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!c) return fail(errc::bad_certificate, "cannot read DER certificate");
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    X509_free(c);
    return Error(make_error_code(errc::bad_certificate), "trailing bytes after DER certificate");
  }
  auto cert = own_cert(c);
  if (der.size() <= 64 * 1024) certificate_cache().add(std::string(der), cert);
  return Certificate(std::move(cert));
}

Result<std::vector<Certificate>> Certificate::all_from_pem(std::string_view pem) {
  auto b = mem_bio(pem);
  std::vector<Certificate> out;
  while (X509* c = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)) out.push_back(Certificate(own_cert(c)));
  ERR_clear_error();  // the end of the bundle reads as an error
  if (out.empty()) return Error(make_error_code(errc::bad_certificate), "no certificate in PEM text");
  return out;
}

std::string Certificate::to_pem() const {
  auto b = out_bio();
  PEM_write_bio_X509(b.get(), x509(*this));
  return bio_string(b.get());
}

std::string Certificate::to_der() const {
  return x509_der(x509(*this));
}

std::string Certificate::subject() const {
  return name_text(X509_get_subject_name(x509(*this)));
}
std::string Certificate::issuer() const {
  return name_text(X509_get_issuer_name(x509(*this)));
}

std::string Certificate::serial_hex() const {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509(*this)), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::chrono::system_clock::time_point Certificate::not_before() const {
  return asn1_time(X509_get0_notBefore(x509(*this)));
}
std::chrono::system_clock::time_point Certificate::not_after() const {
  return asn1_time(X509_get0_notAfter(x509(*this)));
}
bool Certificate::is_ec_key() const {
  const EVP_PKEY* key = X509_get0_pubkey(x509(*this));
  return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
}

std::string Certificate::sha1_hex() const {
  return to_hex(sha1(to_der()));
}

std::string Certificate::sha256_hex() const {
  std::string hex = to_hex(sha256(to_der()));
  for (char& c : hex) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  return hex;
}

bool Certificate::matches_key(const PrivateKey& key) const {
  return X509_check_private_key(x509(*this), pkey(key)) == 1;
}

std::string Certificate::public_key_der() const {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(X509_get0_pubkey(x509(*this)), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::vector<std::pair<std::string, std::string>> Certificate::subject_entries() const {
  std::vector<std::pair<std::string, std::string>> out;
  const X509_NAME* name = X509_get_subject_name(x509(*this));
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0) continue;
    out.emplace_back(nid == NID_undef ? "" : OBJ_nid2sn(nid),
                     std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len)));
    OPENSSL_free(utf8);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> subject_attributes(const Certificate& cert) {
  std::vector<std::pair<std::string, std::string>> out;
  const X509_NAME* name = X509_get_subject_name(x509(cert));
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    char oid[128];
    const int oid_len = OBJ_obj2txt(oid, sizeof oid, X509_NAME_ENTRY_get_object(e), 1);
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0 || oid_len <= 0 || oid_len >= static_cast<int>(sizeof oid)) {
      OPENSSL_free(utf8);
      continue;
    }
    out.emplace_back(std::string(oid, static_cast<std::size_t>(oid_len)),
                     std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len)));
    OPENSSL_free(utf8);
  }
  return out;
}

std::string Certificate::subject_entry(std::string_view short_name) const {
  for (auto& [k, v] : subject_entries()) {
    if (k == short_name) return v;
  }
  return "";
}

bool Certificate::is_signing_cert() const {
  X509* c = x509(*this);
  return (X509_get_extension_flags(c) & EXFLAG_KUSAGE) && (X509_get_key_usage(c) & KU_NON_REPUDIATION);
}

bool Certificate::is_auth_cert() const {
  X509* c = x509(*this);
  const uint32_t flags = X509_get_extension_flags(c);
  if ((flags & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(c) & XKU_SSL_CLIENT)) return true;
  return (flags & EXFLAG_KUSAGE) && (X509_get_key_usage(c) & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
}

namespace {

// Chains that verified, by their certificates, with the time window in which every
// certificate of the chain is valid: a peer's chain is the same in every message.
using ValidityWindow = std::pair<std::chrono::system_clock::time_point, std::chrono::system_clock::time_point>;
BoundedCache<ValidityWindow>& chain_cache() {
  static auto* cache = new BoundedCache<ValidityWindow>(1024);  // never destroyed: used until exit
  return *cache;
}

}  // namespace

Status verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                    const std::vector<Certificate>& trust_anchors, std::chrono::system_clock::time_point at) {
  std::string key = sha256(x509_der(x509(leaf))) + "|";
  for (const auto& i : intermediates) key += sha256(x509_der(x509(i)));
  key += "|";
  for (const auto& a : trust_anchors) key += sha256(x509_der(x509(a)));
  if (auto window = chain_cache().find(key); window && at >= window->first && at <= window->second) return {};

  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  for (const auto& a : trust_anchors) X509_STORE_add_cert(store.get(), x509(a));
  auto free_stack = [](STACK_OF(X509) * st) { sk_X509_free(st); };
  std::unique_ptr<STACK_OF(X509), decltype(free_stack)> chain(sk_X509_new_null(), free_stack);
  for (const auto& i : intermediates) sk_X509_push(chain.get(), x509(i));
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), &X509_STORE_CTX_free);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), x509(leaf), chain.get()) != 1) {
    return fail(errc::operation_failed, "cannot set up chain verification");
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), std::chrono::system_clock::to_time_t(at));
  // X-Road's CAs need not restrict purposes; revocation is OCSP's job (checked separately).
  X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx.get()), X509_PURPOSE_ANY);
  const int ok = X509_verify_cert(ctx.get());
  if (ok != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Error(
        make_error_code(errc::cert_validation),
        "certificate " + leaf.subject() + " does not chain to an approved CA: " + X509_verify_cert_error_string(err));
  }
  ValidityWindow window{std::chrono::system_clock::time_point::min(), std::chrono::system_clock::time_point::max()};
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; built && i < sk_X509_num(built); ++i) {
    X509* c = sk_X509_value(built, i);
    window.first = std::max(window.first, asn1_time(X509_get0_notBefore(c)));
    window.second = std::min(window.second, asn1_time(X509_get0_notAfter(c)));
  }
  chain_cache().add(std::move(key), window);
  return {};
}

Certificate detail::CertificateAccess::adopt(X509* x) {
  return Certificate(own_cert(x));
}

Result<Certificate> detail::issue(const CertificateSpec& spec, EVP_PKEY* subject_key, const X509_NAME* subject_name,
                                  const Certificate* issuer, const PrivateKey& issuer_key) {
  X509* raw = X509_new();
  if (!raw) return fail(errc::operation_failed, "X509_new");
  Certificate cert = CertificateAccess::adopt(raw);
  X509_set_version(raw, 2);

  std::uint64_t serial = spec.serial;
  if (serial == 0) {
    RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
    serial = (serial >> 1) | 1;  // positive, non-zero
  }
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(raw), serial);

  const auto nb = std::chrono::system_clock::to_time_t(spec.not_before);
  ASN1_TIME_set(X509_getm_notBefore(raw), nb);
  ASN1_TIME_set(X509_getm_notAfter(raw), nb + static_cast<time_t>(spec.validity.count()));

  X509_NAME* name = X509_get_subject_name(raw);
  // OpenSSL's size table refuses what X-Road's profiles write (Ejbca's C is the instance
  // identifier, "DEV"): such a value is then written as a PrintableString (UTF8String when
  // it has other characters), as BouncyCastle would.
  auto add_entry = [&](const char* field, const std::string& v) {
    if (v.empty()) return true;
    const auto* bytes = reinterpret_cast<const unsigned char*>(v.c_str());
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, -1, -1, 0) == 1) return true;
    ERR_clear_error();
    const bool printable = ASN1_PRINTABLE_type(bytes, static_cast<int>(v.size())) == V_ASN1_PRINTABLESTRING;
    return X509_NAME_add_entry_by_txt(name, field, printable ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING, bytes,
                                      static_cast<int>(v.size()), -1, 0) == 1;
  };
  if (subject_name) {
    if (X509_set_subject_name(raw, subject_name) != 1) return fail(errc::operation_failed, "cannot copy the subject");
    name = X509_get_subject_name(raw);
  } else {
    for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
             {"C", spec.country}, {"O", spec.organization}, {"CN", spec.common_name}}) {
      if (!add_entry(field.c_str(), value)) return fail(errc::operation_failed, "cannot write " + field + "=" + value);
    }
    for (const auto& [field, value] : spec.subject_extra) {
      if (!add_entry(field.c_str(), value)) {
        return fail(errc::operation_failed, "cannot write " + field + "=" + value + " in a certificate subject");
      }
    }
  }
  X509_set_issuer_name(raw, issuer ? X509_get_subject_name(x509(*issuer)) : name);
  if (X509_set_pubkey(raw, subject_key) != 1) return fail(errc::bad_key, "cannot set public key");

  X509* issuer_x509 = issuer ? x509(*issuer) : raw;
  bool ok = add_ext(raw, issuer_x509, NID_subject_key_identifier, "hash") &&
            add_ext(raw, issuer_x509, NID_authority_key_identifier, "keyid:always");
  switch (spec.usage) {
    case Usage::ca:
      ok = ok && add_ext(raw, issuer_x509, NID_basic_constraints, "critical,CA:TRUE") &&
           add_ext(raw, issuer_x509, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Usage::signing:
      ok = ok && add_ext(raw, issuer_x509, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(raw, issuer_x509, NID_key_usage, "critical,nonRepudiation");
      break;
    case Usage::ocsp_signing:
      ok = ok && add_ext(raw, issuer_x509, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(raw, issuer_x509, NID_key_usage, "critical,digitalSignature") &&
           add_ext(raw, issuer_x509, NID_ext_key_usage, "OCSPSigning");
      break;
    case Usage::timestamping:
      ok = ok && add_ext(raw, issuer_x509, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(raw, issuer_x509, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
           add_ext(raw, issuer_x509, NID_ext_key_usage, "critical,timeStamping");
      break;
    case Usage::tls_server:
    case Usage::tls_client:
    case Usage::tls_server_and_client: {
      const char* eku = spec.usage == Usage::tls_server   ? "serverAuth"
                        : spec.usage == Usage::tls_client ? "clientAuth"
                                                          : "serverAuth,clientAuth";
      ok = ok && add_ext(raw, issuer_x509, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(raw, issuer_x509, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
           add_ext(raw, issuer_x509, NID_ext_key_usage, eku);
      break;
    }
  }
  std::string san;
  for (const auto& d : spec.dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  if (!san.empty()) ok = ok && add_ext(raw, issuer_x509, NID_subject_alt_name, san);
  if (!ok) return fail(errc::operation_failed, "cannot add certificate extensions");

  if (X509_sign(raw, pkey(issuer_key), EVP_sha256()) <= 0)
    return fail(errc::operation_failed, "cannot sign certificate");
  return cert;
}

Result<Certificate> issue_certificate(const CertificateSpec& spec, const PrivateKey& subject_key,
                                      const Certificate* issuer, const PrivateKey& issuer_key) {
  return detail::issue(spec, pkey(subject_key), nullptr, issuer, issuer_key);
}

Result<Certificate> issue_certificate_for_public_key(const CertificateSpec& spec,
                                                     std::string_view subject_public_key_der, const Certificate& issuer,
                                                     const PrivateKey& issuer_key) {
  const auto* p = reinterpret_cast<const unsigned char*>(subject_public_key_der.data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      d2i_PUBKEY(nullptr, &p, static_cast<long>(subject_public_key_der.size())), &EVP_PKEY_free);
  if (!key) return fail(errc::bad_key, "cannot read the subject's public key (SubjectPublicKeyInfo DER)");
  if (p != reinterpret_cast<const unsigned char*>(subject_public_key_der.data()) + subject_public_key_der.size()) {
    return Error(make_error_code(errc::bad_key), "trailing bytes after the subject's public key");
  }
  return detail::issue(spec, key.get(), nullptr, &issuer, issuer_key);
}

}  // namespace roadside::crypto
