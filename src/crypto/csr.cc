#include "crypto/csr.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/utf8.h"
#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::bio_string;
using detail::fail;
using detail::mem_bio;
using detail::name_entries;
using detail::name_text;
using detail::out_bio;
using detail::pkey;

constexpr std::size_t kMaxValueBytes = 1024;
constexpr std::size_t kMaxFieldBytes = 64;
constexpr std::size_t kMaxDnsNameBytes = 253;

Error refuse(std::string detail) {
  return Error(make_error_code(errc::bad_certificate_request), std::move(detail));
}

X509_REQ* req(const CertificateRequest& r) {
  return static_cast<X509_REQ*>(r.native());
}

std::shared_ptr<void> own_req(X509_REQ* r) {
  return std::shared_ptr<void>(r, [](void* p) { X509_REQ_free(static_cast<X509_REQ*>(p)); });
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, Deleter<ASN1_BIT_STRING, ASN1_BIT_STRING_free>>;

// The digests X-Road's csr-signature-digest-algorithm may name (SHA-1 is not among them).
const EVP_MD* csr_digest(std::string_view uri) {
  if (uri == kSha256Uri) return EVP_sha256();
  if (uri == kSha384Uri) return EVP_sha384();
  if (uri == kSha512Uri) return EVP_sha512();
  return nullptr;
}

// The attribute a subject entry names: an OpenSSL short or long name, or a dotted OID.
Result<ObjectPtr> attribute(std::string_view field) {
  if (field == "SN") {
    return refuse(
        "the subject attribute \"SN\" is ambiguous (OpenSSL's surname, BouncyCastle's serialNumber): name "
        "serialNumber or surname, or give the OID");
  }
  if (field.empty() || field.size() > kMaxFieldBytes) return refuse("a subject attribute without a usable name");
  const bool dotted =
      std::all_of(field.begin(), field.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  const std::string text(field);
  ObjectPtr obj(OBJ_txt2obj(text.c_str(), dotted ? 1 : 0));
  if (!obj) {
    ERR_clear_error();
    return refuse("unknown subject attribute \"" + text + "\"");
  }
  return obj;
}

bool has_control_character(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// The ASN.1 string type BouncyCastle's BCStyle gives the value of attribute `nid`; UTF8String
// where the narrower type cannot hold the value.
int string_type(int nid, std::string_view value) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(value.data());
  const int type = ASN1_PRINTABLE_type(bytes, static_cast<int>(value.size()));
  switch (nid) {
    case NID_countryName:
    case NID_serialNumber:
    case NID_dnQualifier:
    case NID_telephoneNumber:
      return type == V_ASN1_PRINTABLESTRING ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
    case NID_pkcs9_emailAddress:
    case NID_domainComponent:
      return type == V_ASN1_PRINTABLESTRING || type == V_ASN1_IA5STRING ? V_ASN1_IA5STRING : V_ASN1_UTF8STRING;
    default:
      return V_ASN1_UTF8STRING;
  }
}

Status add_subject(X509_NAME* name, const SubjectEntries& subject) {
  if (subject.empty()) return refuse("a certificate request needs a subject");
  for (const auto& [field, value] : subject) {
    ROADSIDE_TRY(ObjectPtr obj, attribute(field));
    if (value.empty() || value.size() > kMaxValueBytes) {
      return refuse("the subject attribute " + field + " needs a value of 1 to " + std::to_string(kMaxValueBytes) +
                    " bytes");
    }
    if (!is_utf8(value) || has_control_character(value)) {
      return refuse("the value of subject attribute " + field + " is not UTF-8 text");
    }
    const int type = string_type(OBJ_obj2nid(obj.get()), value);
    if (X509_NAME_add_entry_by_OBJ(name, obj.get(), type, reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return fail(errc::bad_certificate_request, "cannot write " + field + "=" + value + " in a request's subject");
    }
  }
  return {};
}

// A host name (labels of letters, digits and '-', a leading "*." allowed), as a dNSName holds one.
bool is_dns_name(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > kMaxDnsNameBytes) return false;
  std::size_t label = 0;
  for (const char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

// The extensionRequest attribute, as X-Road's AbstractGenerateCertReq writes it: the DNS
// subjectAltName first, then keyUsage, both non-critical.
Status add_extensions(X509_REQ* r, const CsrOptions& options) {
  if (options.key_usage == CsrKeyUsage::none && options.dns_name.empty()) return {};
  auto free_stack = [](STACK_OF(X509_EXTENSION) * st) { sk_X509_EXTENSION_pop_free(st, X509_EXTENSION_free); };
  std::unique_ptr<STACK_OF(X509_EXTENSION), decltype(free_stack)> exts(sk_X509_EXTENSION_new_null(), free_stack);
  if (!exts) return fail(errc::operation_failed, "sk_X509_EXTENSION_new_null");
  auto push = [&](X509_EXTENSION* e) {
    ExtensionPtr ext(e);
    if (!ext || sk_X509_EXTENSION_push(exts.get(), ext.get()) <= 0) return false;
    (void)ext.release();  // the stack owns it
    return true;
  };
  if (!options.dns_name.empty()) {
    if (!is_dns_name(options.dns_name)) return refuse("\"" + options.dns_name + "\" is not a DNS name");
    GeneralNamesPtr names(GENERAL_NAMES_new());
    GENERAL_NAME* name = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!names || !name || !ia5 ||
        ASN1_STRING_set(ia5, options.dns_name.data(), static_cast<int>(options.dns_name.size())) != 1) {
      GENERAL_NAME_free(name);
      ASN1_IA5STRING_free(ia5);
      return fail(errc::operation_failed, "cannot make a subjectAltName");
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(names.get(), name) <= 0) {
      GENERAL_NAME_free(name);
      return fail(errc::operation_failed, "cannot make a subjectAltName");
    }
    if (!push(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()))) {
      return fail(errc::operation_failed, "cannot encode a subjectAltName");
    }
  }
  if (options.key_usage != CsrKeyUsage::none) {
    BitStringPtr bits(ASN1_BIT_STRING_new());
    if (!bits) return fail(errc::operation_failed, "ASN1_BIT_STRING_new");
    // RFC 5280 4.2.1.3, bit n for 1 << n: digitalSignature (0), nonRepudiation (1),
    // keyEncipherment (2), dataEncipherment (3), keyCertSign (5).
    const unsigned mask = options.key_usage == CsrKeyUsage::sign ? 0b10'0010U : 0b1101U;
    for (int bit = 0; bit < 8; ++bit) {
      if (((mask >> bit) & 1U) != 0 && ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) {
        return fail(errc::operation_failed, "keyUsage bits");
      }
    }
    if (!push(X509V3_EXT_i2d(NID_key_usage, 0, bits.get()))) {
      return fail(errc::operation_failed, "cannot encode a keyUsage");
    }
  }
  if (X509_REQ_add_extensions(r, exts.get()) != 1) return fail(errc::operation_failed, "cannot add the extensions");
  return {};
}

// What every request read must be, beyond DER: PKCS#10 v1 with a public key OpenSSL decodes.
Status check_read(X509_REQ* r) {
  if (X509_REQ_get_version(r) != X509_REQ_VERSION_1) {
    return refuse("a certificate request of version " + std::to_string(X509_REQ_get_version(r) + 1) +
                  " (PKCS#10 knows version 1 only)");
  }
  if (!X509_REQ_get0_pubkey(r)) return fail(errc::bad_certificate_request, "the request's public key is unreadable");
  return {};
}

}  // namespace

Result<std::string> make_csr(const PrivateKey& key, const SubjectEntries& subject, const CsrOptions& options) {
  const EVP_MD* md = csr_digest(options.digest_uri);
  if (!md) {
    return Error(
        make_error_code(errc::unsupported_algorithm),
        "certificate requests are signed with SHA-256, SHA-384 or SHA-512, not " + std::string(options.digest_uri));
  }
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> r(X509_REQ_new(), &X509_REQ_free);
  if (!r || X509_REQ_set_version(r.get(), X509_REQ_VERSION_1) != 1) return fail(errc::operation_failed, "X509_REQ_new");
  ROADSIDE_TRY_STATUS(add_subject(X509_REQ_get_subject_name(r.get()), subject));
  if (X509_REQ_set_pubkey(r.get(), pkey(key)) != 1) return fail(errc::bad_key, "cannot set the request's public key");
  ROADSIDE_TRY_STATUS(add_extensions(r.get(), options));
  if (X509_REQ_sign(r.get(), pkey(key), md) <= 0) return fail(errc::operation_failed, "cannot sign the request");
  auto out = detail::der(r.get(), i2d_X509_REQ);
  if (!out) return fail(errc::operation_failed, "cannot encode the request");
  return std::move(*out);
}

Result<CertificateRequest> CertificateRequest::from_der(std::string_view der) {
  if (der.empty()) return refuse("an empty certificate request");
  if (der.size() > kMaxBytes) {
    return refuse("a certificate request of " + std::to_string(der.size()) + " bytes (at most " +
                  std::to_string(kMaxBytes) + ")");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509_REQ* r = d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size()));
  if (!r) return fail(errc::bad_certificate_request, "cannot read the DER certificate request");
  auto owned = own_req(r);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return refuse("trailing bytes after the DER certificate request");
  }
  ROADSIDE_TRY_STATUS(check_read(r));
  return CertificateRequest(std::move(owned));
}

Result<CertificateRequest> CertificateRequest::from_pem(std::string_view pem) {
  if (pem.size() > kMaxBytes) {
    return refuse("a certificate request of " + std::to_string(pem.size()) + " bytes (at most " +
                  std::to_string(kMaxBytes) + ")");
  }
  auto b = mem_bio(pem);
  X509_REQ* r = PEM_read_bio_X509_REQ(b.get(), nullptr, nullptr, nullptr);
  if (!r) return fail(errc::bad_certificate_request, "cannot read the PEM certificate request");
  auto owned = own_req(r);
  ROADSIDE_TRY_STATUS(check_read(r));
  return CertificateRequest(std::move(owned));
}

Result<CertificateRequest> CertificateRequest::parse(std::string_view der_or_pem) {
  std::string_view text = der_or_pem;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' || text.front() == '\n'))
    text.remove_prefix(1);
  if (text.starts_with("-----BEGIN")) return from_pem(der_or_pem);
  return from_der(der_or_pem);
}

Status CertificateRequest::verify() const {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req(*this));
  if (!key || X509_REQ_verify(req(*this), key) != 1) {
    return fail(errc::bad_certificate_request, "the certificate request's signature does not verify with its key");
  }
  return {};
}

std::string CertificateRequest::subject() const {
  return name_text(X509_REQ_get_subject_name(req(*this)));
}

SubjectEntries CertificateRequest::subject_entries() const {
  return name_entries(X509_REQ_get_subject_name(req(*this)), false);
}

SubjectEntries CertificateRequest::subject_attributes() const {
  return name_entries(X509_REQ_get_subject_name(req(*this)), true);
}

std::string CertificateRequest::public_key_der() const {
  return detail::der(X509_REQ_get0_pubkey(req(*this)), i2d_PUBKEY).value_or("");
}

bool CertificateRequest::is_ec_key() const {
  const EVP_PKEY* key = X509_REQ_get0_pubkey(req(*this));
  return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
}

bool CertificateRequest::is_rsa_key() const {
  const EVP_PKEY* key = X509_REQ_get0_pubkey(req(*this));
  return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
}

int CertificateRequest::key_bits() const {
  const EVP_PKEY* key = X509_REQ_get0_pubkey(req(*this));
  return key ? EVP_PKEY_get_bits(key) : 0;
}

std::string CertificateRequest::to_pem() const {
  auto b = out_bio();
  PEM_write_bio_X509_REQ(b.get(), req(*this));
  return bio_string(b.get());
}

std::string CertificateRequest::to_der() const {
  return detail::der(req(*this), i2d_X509_REQ).value_or("");
}

Result<Certificate> issue_certificate(const CertificateSpec& spec, const CertificateRequest& request,
                                      const Certificate& issuer, const PrivateKey& issuer_key) {
  ROADSIDE_TRY_STATUS(request.verify());
  const bool spec_names =
      !spec.common_name.empty() || !spec.organization.empty() || !spec.country.empty() || !spec.subject_extra.empty();
  X509_REQ* r = req(request);
  return detail::issue(spec, X509_REQ_get0_pubkey(r), spec_names ? nullptr : X509_REQ_get_subject_name(r), &issuer,
                       issuer_key);
}

}  // namespace roadside::crypto
