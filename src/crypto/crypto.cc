#include "crypto/crypto.h"

#include "crypto/openssl.h"

#include <utility>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ecdsa.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <optional>
#include <unordered_map>
#include <mutex>
#include <utility>

namespace roadside::crypto {
namespace {

Error fail(errc e, std::string what) {
  const unsigned long code = ERR_get_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    what += ": ";
    what += buf;
  }
  ERR_clear_error();
  return Error(make_error_code(e), std::move(what));
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
BioPtr mem_bio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
}
BioPtr out_bio() { return BioPtr(BIO_new(BIO_s_mem()), &BIO_free); }
std::string bio_string(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::shared_ptr<void> own_key(EVP_PKEY* k) { return std::shared_ptr<void>(k, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); }); }
std::shared_ptr<void> own_cert(X509* c) { return std::shared_ptr<void>(c, [](void* p) { X509_free(static_cast<X509*>(p)); }); }
using detail::der;
using detail::pkey;
using detail::x509;

std::string name_text(const X509_NAME* name) {
  auto b = out_bio();
  X509_NAME_print_ex(b.get(), name, 0, XN_FLAG_RFC2253);
  return bio_string(b.get());
}

// system_clock counts nanoseconds in 64 bits (years 1678 to 2262); ASN.1 times reach year
// 9999 (RFC 5280's "no expiry" notAfter is 99991231235959Z), and from_time_t would overflow on
// them. Times past the range are its ends: a CA valid until 9999 is valid for as long as we
// can count.
std::chrono::system_clock::time_point asn1_time(const ASN1_TIME* t) {
  using Clock = std::chrono::system_clock;
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  const std::chrono::sys_seconds at{std::chrono::seconds(timegm(&tm))};
  const auto first = std::chrono::ceil<std::chrono::seconds>(Clock::time_point::min());
  const auto last = std::chrono::floor<std::chrono::seconds>(Clock::time_point::max());
  if (at <= first) return Clock::time_point::min();
  if (at >= last) return Clock::time_point::max();
  return std::chrono::time_point_cast<Clock::duration>(at);
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
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

const FaultCategory& crypto_category() noexcept {
  static const TableCategory<errc> c("crypto", {
                                                   {errc::bad_key, "internal_error", "invalid key"},
                                                   {errc::bad_certificate, "incorrect_certificate", "invalid certificate"},
                                                   {errc::operation_failed, "internal_error", "cryptographic operation failed"},
                                                   {errc::invalid_signature, "invalid_signature_value", "signature does not verify"},
                                                   {errc::unsupported_algorithm, "invalid_signature_value", "unsupported algorithm"},
                                                   {errc::incorrect_validation_info, "incorrect_validation_info", "OCSP response not acceptable"},
                                                   {errc::cert_validation, "cert_validation", "certificate not valid"},
                                                   {errc::wrong_password, "pin_incorrect", "wrong password"},
                                               });
  return c;
}

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* k = nullptr;
  switch (type) {
    case KeyType::rsa2048: k = EVP_RSA_gen(2048); break;
    case KeyType::rsa3072: k = EVP_RSA_gen(3072); break;
    case KeyType::rsa4096: k = EVP_RSA_gen(4096); break;
    case KeyType::ec_p256: k = EVP_EC_gen("P-256"); break;
    case KeyType::ec_p384: k = EVP_EC_gen("P-384"); break;
  }
  if (!k) return fail(errc::operation_failed, "key generation failed");
  return PrivateKey(own_key(k));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  auto b = mem_bio(pem);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr);
  if (!k) return fail(errc::bad_key, "cannot read private key PEM");
  return PrivateKey(own_key(k));
}

std::string PrivateKey::to_pem() const {
  auto b = out_bio();
  PEM_write_bio_PKCS8PrivateKey(b.get(), pkey(*this), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_string(b.get());
}

std::string PrivateKey::public_key_pem() const {
  auto b = out_bio();
  PEM_write_bio_PUBKEY(b.get(), pkey(*this));
  return bio_string(b.get());
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  auto b = mem_bio(pem);
  X509* c = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr);
  if (!c) return fail(errc::bad_certificate, "cannot read certificate PEM");
  return Certificate(own_cert(c));
}

namespace {

// A map from a key to a value, safe to share between threads, that forgets an entry when it
// is full. The caches below hold what is costly to compute and the same every time.
template <typename V>
class BoundedCache {
 public:
  explicit BoundedCache(std::size_t max_entries) : max_(max_entries) {}
  std::optional<V> find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void add(std::string key, V value) {
    std::lock_guard lock(mu_);
    if (map_.size() >= max_) map_.erase(map_.begin());  // any one: the hot ones come back at once
    map_.insert_or_assign(std::move(key), std::move(value));
  }

 private:
  const std::size_t max_;
  std::mutex mu_;
  std::unordered_map<std::string, V> map_;
};

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

namespace {

std::string x509_der(X509* x) { return der(x, i2d_X509).value_or(""); }

}  // namespace

std::string Certificate::to_der() const { return x509_der(x509(*this)); }

std::string Certificate::subject() const { return name_text(X509_get_subject_name(x509(*this))); }
std::string Certificate::issuer() const { return name_text(X509_get_issuer_name(x509(*this))); }

std::string Certificate::serial_hex() const {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509(*this)), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::chrono::system_clock::time_point Certificate::not_before() const { return asn1_time(X509_get0_notBefore(x509(*this))); }
std::chrono::system_clock::time_point Certificate::not_after() const { return asn1_time(X509_get0_notAfter(x509(*this))); }
bool Certificate::is_ec_key() const {
  const EVP_PKEY* key = X509_get0_pubkey(x509(*this));
  return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
}

std::string Certificate::sha1_hex() const { return to_hex(sha1(to_der())); }

bool Certificate::matches_key(const PrivateKey& key) const {
  return X509_check_private_key(x509(*this), pkey(key)) == 1;
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
    out.emplace_back(nid == NID_undef ? "" : OBJ_nid2sn(nid), std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len)));
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
  auto free_stack = [](STACK_OF(X509)* st) { sk_X509_free(st); };
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
    return Error(make_error_code(errc::cert_validation),
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

Result<Certificate> issue_certificate(const CertificateSpec& spec, const PrivateKey& subject_key,
                                      const Certificate* issuer, const PrivateKey& issuer_key) {
  X509* raw = X509_new();
  if (!raw) return fail(errc::operation_failed, "X509_new");
  Certificate cert(own_cert(raw));
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
  auto add_entry = [&](const char* field, const std::string& v) {
    if (!v.empty()) {
      X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0);
    }
  };
  add_entry("C", spec.country);
  add_entry("O", spec.organization);
  add_entry("CN", spec.common_name);
  for (const auto& [field, value] : spec.subject_extra) add_entry(field.c_str(), value);
  X509_set_issuer_name(raw, issuer ? X509_get_subject_name(x509(*issuer)) : name);
  if (X509_set_pubkey(raw, pkey(subject_key)) != 1) return fail(errc::bad_key, "cannot set public key");

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

  if (X509_sign(raw, pkey(issuer_key), EVP_sha256()) <= 0) return fail(errc::operation_failed, "cannot sign certificate");
  return cert;
}

namespace {

const EVP_MD* digest_for(std::string_view uri) {
  if (uri == kSha512Uri) return EVP_sha512();
  if (uri == kSha256Uri) return EVP_sha256();
  if (uri == "http://www.w3.org/2001/04/xmldsig-more#sha384") return EVP_sha384();
  if (uri == kSha1Uri) return EVP_sha1();
  return nullptr;
}

struct SigAlg {
  const EVP_MD* md;
  int key_type;  // EVP_PKEY_RSA or EVP_PKEY_EC
};

std::optional<SigAlg> signature_alg(std::string_view uri) {
  if (uri == kRsaSha512Uri) return SigAlg{EVP_sha512(), EVP_PKEY_RSA};
  if (uri == kRsaSha256Uri) return SigAlg{EVP_sha256(), EVP_PKEY_RSA};
  if (uri == "http://www.w3.org/2000/09/xmldsig#rsa-sha1") return SigAlg{EVP_sha1(), EVP_PKEY_RSA};
  if (uri == kEcdsaSha512Uri) return SigAlg{EVP_sha512(), EVP_PKEY_EC};
  if (uri == kEcdsaSha256Uri) return SigAlg{EVP_sha256(), EVP_PKEY_EC};
  if (uri == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384") return SigAlg{EVP_sha384(), EVP_PKEY_EC};
  return std::nullopt;
}

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

}  // namespace

Result<std::string> digest(std::string_view algorithm_uri, std::string_view data) {
  const EVP_MD* md = digest_for(algorithm_uri);
  if (!md) return Error(make_error_code(errc::unsupported_algorithm), "unsupported digest algorithm " + std::string(algorithm_uri));
  return digest(md, data);
}

Hasher::Hasher(void* ctx, const void* md) : ctx_(ctx), md_(md) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), static_cast<const EVP_MD*>(md_), nullptr);
}
Hasher::Hasher(Hasher&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)), md_(o.md_) {}
Hasher& Hasher::operator=(Hasher&& o) noexcept {
  if (this != &o) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = std::exchange(o.ctx_, nullptr);
    md_ = o.md_;
  }
  return *this;
}
Hasher::~Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

Result<Hasher> Hasher::create(std::string_view algorithm_uri) {
  const EVP_MD* md = digest_for(algorithm_uri);
  if (!md) return Error(make_error_code(errc::unsupported_algorithm), "unsupported digest algorithm " + std::string(algorithm_uri));
  return Hasher(EVP_MD_CTX_new(), md);
}

Hasher Hasher::sha256() { return Hasher(EVP_MD_CTX_new(), EVP_sha256()); }

void Hasher::update(std::string_view data) { EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()); }

std::string Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_DigestInit_ex(ctx, static_cast<const EVP_MD*>(md_), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

Status verify_signature(const Certificate& signer, std::string_view algorithm_uri, std::string_view data,
                        std::string_view signature) {
  auto alg = signature_alg(algorithm_uri);
  if (!alg) {
    return Error(make_error_code(errc::unsupported_algorithm), "unsupported signature algorithm " + std::string(algorithm_uri));
  }
  EVP_PKEY* key = X509_get0_pubkey(x509(signer));
  if (!key || EVP_PKEY_get_base_id(key) != alg->key_type) {
    return Error(make_error_code(errc::invalid_signature),
                 "the certificate's key does not match the signature algorithm " + std::string(algorithm_uri));
  }
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, alg->md, nullptr, key) != 1) {
    return fail(errc::operation_failed, "signature verification setup failed");
  }
  const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  if (rc != 1) return Error(make_error_code(errc::invalid_signature), "signature does not verify");
  return {};
}

Result<std::string> sign(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data) {
  auto alg = signature_alg(algorithm_uri);
  if (!alg) {
    return Error(make_error_code(errc::unsupported_algorithm), "unsupported signature algorithm " + std::string(algorithm_uri));
  }
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestSignInit(ctx.get(), nullptr, alg->md, nullptr, pkey(key)) != 1) {
    return fail(errc::bad_key, "signing setup failed");
  }
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) return fail(errc::operation_failed, "signing failed");
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in, data.size()) != 1) {
    return fail(errc::operation_failed, "signing failed");
  }
  out.resize(len);
  return out;
}

namespace {

// r || s, each padded to `half` bytes, from a DER ECDSA-Sig-Value.
Result<std::string> ecdsa_raw(std::string_view sig_der, std::size_t half) {
  const auto* p = reinterpret_cast<const unsigned char*>(sig_der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig_der.size())),
                                                             &ECDSA_SIG_free);
  if (!sig) return fail(errc::invalid_signature, "not a DER ECDSA signature");
  std::string out(2 * half, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, static_cast<int>(half)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + half, static_cast<int>(half)) < 0) {
    return fail(errc::invalid_signature, "ECDSA signature larger than the curve order");
  }
  return out;
}

std::size_t ec_half(const EVP_PKEY* key) { return static_cast<std::size_t>(EVP_PKEY_get_bits(key) + 7) / 8; }

}  // namespace

Result<std::string> sign_xmldsig(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data) {
  ROADSIDE_TRY(std::string sig, sign(key, algorithm_uri, data));
  if (EVP_PKEY_get_base_id(pkey(key)) != EVP_PKEY_EC) return sig;
  return ecdsa_raw(sig, ec_half(pkey(key)));
}

PrivateKey PrivateKey::adopt(void* evp_pkey) {
  return PrivateKey(std::shared_ptr<void>(evp_pkey, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); }));
}

Result<Pkcs12Contents> load_pkcs12(std::string_view der, const std::string& password) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())), &PKCS12_free);
  if (!p12) return fail(errc::bad_key, "not a PKCS#12 file");
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_mac_present(p12.get()) && PKCS12_verify_mac(p12.get(), password.c_str(), -1) != 1) {
    return fail(errc::wrong_password, "the password does not open the PKCS#12 file");
  }
  if (PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca) != 1) {
    return fail(errc::bad_key, "cannot open the PKCS#12 file");
  }
  if (!key) {
    X509_free(cert);
    sk_X509_pop_free(ca, X509_free);
    return fail(errc::bad_key, "the PKCS#12 file holds no private key");
  }
  Pkcs12Contents out{PrivateKey::adopt(key), {}};
  auto wrap = [](X509* x) { return Certificate::from_der(x509_der(x)); };
  if (cert) {
    auto c = wrap(cert);
    X509_free(cert);
    if (c.ok()) out.certificates.push_back(std::move(c).value());
  }
  for (int i = 0; ca && i < sk_X509_num(ca); ++i) {
    auto c = wrap(sk_X509_value(ca, i));
    if (c.ok()) out.certificates.push_back(std::move(c).value());
  }
  sk_X509_pop_free(ca, X509_free);
  return out;
}

Result<std::string> write_pkcs12(const PrivateKey& key, const Certificate& cert, const std::string& password,
                                 const std::string& friendly_name) {
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(
      PKCS12_create(password.c_str(), friendly_name.c_str(), pkey(key), x509(cert), nullptr, 0, 0, 0, 0, 0), &PKCS12_free);
  auto out = p12 ? der(p12.get(), i2d_PKCS12) : std::nullopt;
  if (!out) return fail(errc::operation_failed, "cannot create the PKCS#12 file");
  return std::move(*out);
}

namespace {

Error ocsp_bad(std::string detail) {
  ERR_clear_error();
  return Error(make_error_code(errc::incorrect_validation_info), "OCSP response: " + std::move(detail));
}

}  // namespace

Result<std::string> make_ocsp_request(const Certificate& cert, const Certificate& issuer) {
  std::unique_ptr<OCSP_REQUEST, decltype(&OCSP_REQUEST_free)> req(OCSP_REQUEST_new(), &OCSP_REQUEST_free);
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), x509(cert), x509(issuer));
  if (!req || !id || !OCSP_request_add0_id(req.get(), id)) {
    if (id) OCSP_CERTID_free(id);
    return fail(errc::operation_failed, "cannot build OCSP request");
  }
  auto out = der(req.get(), i2d_OCSP_REQUEST);
  if (!out) return fail(errc::operation_failed, "cannot encode OCSP request");
  return std::move(*out);
}

namespace {

// Rules 1-4 of verify_ocsp_response: what does not depend on the time of the check.
Result<OcspResult> verify_ocsp_signature(std::string_view der, const Certificate& cert, const Certificate& issuer,
                                         const OcspCheck& check) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())), &OCSP_RESPONSE_free);
  if (!resp) return ocsp_bad("not a DER OCSPResponse");
  const int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) return ocsp_bad(std::string("responder said ") + OCSP_response_status_str(rs));
  std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basic(OCSP_response_get1_basic(resp.get()),
                                                                        &OCSP_BASICRESP_free);
  if (!basic) return ocsp_bad("not a basic response");

  // 1. The CertID matches (SHA-1, as X-Road asks).
  std::unique_ptr<OCSP_CERTID, decltype(&OCSP_CERTID_free)> id(OCSP_cert_to_id(EVP_sha1(), x509(cert), x509(issuer)),
                                                                &OCSP_CERTID_free);
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  if (!id || OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &rev, &this_upd, &next_upd) != 1) {
    return ocsp_bad("it is not about certificate " + cert.subject() + " (CertID does not match)");
  }

  // 2. The responder, by ResponderID, among the configured responders, the CA and the response's certificates.
  auto free_stack = [](STACK_OF(X509)* st) { sk_X509_free(st); };
  std::unique_ptr<STACK_OF(X509), decltype(free_stack)> candidates(sk_X509_new_null(), free_stack);
  for (const auto& r : check.trusted_responders) sk_X509_push(candidates.get(), x509(r));
  sk_X509_push(candidates.get(), x509(issuer));
  X509* signer = nullptr;
  if (OCSP_resp_get0_signer(basic.get(), &signer, candidates.get()) != 1 || !signer) {
    return ocsp_bad("its responder certificate is not known");
  }

  // 3. The signature (by the same signer; its chain is judged by rule 4, not by OpenSSL).
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  if (OCSP_basic_verify(basic.get(), candidates.get(), store.get(), OCSP_NOVERIFY) != 1) {
    return ocsp_bad("its signature does not verify");
  }

  // 4. The responder is authorized for this CA.
  bool authorized = X509_cmp(signer, x509(issuer)) == 0;
  for (const auto& r : check.trusted_responders) authorized = authorized || X509_cmp(signer, x509(r)) == 0;
  if (!authorized && X509_check_issued(x509(issuer), signer) == X509_V_OK &&
      X509_verify(signer, X509_get0_pubkey(x509(issuer))) == 1 && (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) &&
      (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN)) {
    authorized = true;
  }
  if (!authorized) return ocsp_bad("its responder " + name_text(X509_get_subject_name(signer)) + " is not authorized for " + issuer.subject());

  OcspResult out;
  out.responder_subject = name_text(X509_get_subject_name(signer));
  out.this_update = asn1_time(this_upd);
  if (next_upd) out.next_update = asn1_time(next_upd);
  if (rev) out.revocation_time = asn1_time(rev);
  out.status = status == V_OCSP_CERTSTATUS_GOOD ? CertStatus::good
               : status == V_OCSP_CERTSTATUS_REVOKED ? CertStatus::revoked
                                                      : CertStatus::unknown;
  ERR_clear_error();
  return out;
}

// Responses whose rules 1-4 passed, by the response and the certificates they were checked
// against. Peers send the same response with every message until it is refreshed; parsing
// and verifying it each time cost more than the rest of the message's checks.
BoundedCache<OcspResult>& ocsp_cache() {
  static auto* cache = new BoundedCache<OcspResult>(1024);  // never destroyed: used until exit
  return *cache;
}

// The whole seconds from `from` to `to`, for messages. Subtracting the time points in the
// clock's nanoseconds overflows when they are over 292 years apart, as a thisUpdate that a
// responder signed for the year 1700 is from today.
long long seconds_between(std::chrono::system_clock::time_point from, std::chrono::system_clock::time_point to) {
  using std::chrono::floor;
  using std::chrono::seconds;
  return (floor<seconds>(to.time_since_epoch()) - floor<seconds>(from.time_since_epoch())).count();
}

}  // namespace

Result<OcspResult> verify_ocsp_response(std::string_view der, const Certificate& cert, const Certificate& issuer,
                                        const OcspCheck& check) {
  std::string key = sha256(der) + sha256(x509_der(x509(cert))) + sha256(x509_der(x509(issuer)));
  for (const auto& r : check.trusted_responders) key += sha256(x509_der(x509(r)));
  OcspResult out;
  if (auto cached = ocsp_cache().find(key)) {
    out = std::move(*cached);
  } else {
    ROADSIDE_TRY(out, verify_ocsp_signature(der, cert, issuer, check));
    ocsp_cache().add(std::move(key), out);
  }

  // 5. Freshness, 6. nextUpdate. A thisUpdate ahead of our clock by more than skew would
  // keep the response "fresh" past the configured freshness (X-Road's verifier does not look).
  constexpr std::chrono::seconds kMaxClockSkew{60};
  if (out.this_update > check.now + kMaxClockSkew) {
    return ocsp_bad("its thisUpdate is in the future (" + std::to_string(seconds_between(check.now, out.this_update)) +
                    " s ahead of this server's clock)");
  }
  if (out.this_update < check.now - check.freshness) {
    return ocsp_bad("it is older than the allowed " + std::to_string(check.freshness.count()) + " s (thisUpdate " +
                    std::to_string(seconds_between(out.this_update, check.now)) + " s ago)");
  }
  if (check.verify_next_update && out.next_update && *out.next_update < check.now) {
    return ocsp_bad("its nextUpdate has passed");
  }
  // 7. The status.
  if (out.status != CertStatus::good) {
    return Error(make_error_code(errc::cert_validation),
                 "OCSP response says certificate " + cert.subject() + " is " +
                     (out.status == CertStatus::revoked ? "revoked" : "unknown"));
  }
  ERR_clear_error();
  return out;
}

Result<std::string> make_timestamp_request(std::string_view data) {
  const std::string hash = sha512(data);
  std::unique_ptr<TS_REQ, decltype(&TS_REQ_free)> req(TS_REQ_new(), &TS_REQ_free);
  std::unique_ptr<TS_MSG_IMPRINT, decltype(&TS_MSG_IMPRINT_free)> imprint(TS_MSG_IMPRINT_new(), &TS_MSG_IMPRINT_free);
  std::unique_ptr<X509_ALGOR, decltype(&X509_ALGOR_free)> alg(X509_ALGOR_new(), &X509_ALGOR_free);
  if (!req || !imprint || !alg || !X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_sha512), V_ASN1_NULL, nullptr) ||
      !TS_MSG_IMPRINT_set_algo(imprint.get(), alg.get()) ||
      !TS_MSG_IMPRINT_set_msg(imprint.get(), reinterpret_cast<unsigned char*>(const_cast<char*>(hash.data())),
                              static_cast<int>(hash.size())) ||
      !TS_REQ_set_version(req.get(), 1) || !TS_REQ_set_msg_imprint(req.get(), imprint.get()) ||
      !TS_REQ_set_cert_req(req.get(), 0)) {
    return fail(errc::operation_failed, "cannot build time-stamp request");
  }
  auto out = der(req.get(), i2d_TS_REQ);
  if (!out) return fail(errc::operation_failed, "cannot encode time-stamp request");
  return std::move(*out);
}

Result<std::string> timestamp_token_from_response(std::string_view response_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(response_der.data());
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(response_der.size())),
                                                         &TS_RESP_free);
  if (!resp) return fail(errc::incorrect_validation_info, "not a DER TimeStampResp");
  const long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp.get())));
  if (status != TS_STATUS_GRANTED && status != TS_STATUS_GRANTED_WITH_MODS) {
    // A status too large for a long reads as -1 and leaves an error queued, which the next
    // fail() in this thread would report as its own (timestamp_fuzz,
    // corpus/timestamp/status-too-large-for-a-long).
    ERR_clear_error();
    return Error(make_error_code(errc::incorrect_validation_info),
                 "time-stamp authority refused the request (status " + std::to_string(status) + ")");
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  if (!token) return fail(errc::incorrect_validation_info, "time-stamp response has no token");
  auto out = der(token, i2d_PKCS7);
  if (!out) return fail(errc::operation_failed, "cannot encode time-stamp token");
  return std::move(*out);
}

Result<TimestampInfo> verify_timestamp_token(std::string_view token_der, std::string_view data,
                                             const std::vector<Certificate>& tsa_certs) {
  const auto* p = reinterpret_cast<const unsigned char*>(token_der.data());
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> token(d2i_PKCS7(nullptr, &p, static_cast<long>(token_der.size())),
                                                      &PKCS7_free);
  if (!token) return fail(errc::incorrect_validation_info, "not a DER time-stamp token");
  std::unique_ptr<TS_TST_INFO, decltype(&TS_TST_INFO_free)> info(PKCS7_to_TS_TST_INFO(token.get()), &TS_TST_INFO_free);
  if (!info) return fail(errc::incorrect_validation_info, "time-stamp token holds no TSTInfo");

  // The imprint: the digest of `data` with the token's algorithm.
  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(info.get());
  const X509_ALGOR* alg = TS_MSG_IMPRINT_get_algo(imprint);
  const EVP_MD* md = EVP_get_digestbyobj(alg->algorithm);
  const ASN1_OCTET_STRING* expected = TS_MSG_IMPRINT_get_msg(imprint);
  if (!md) return fail(errc::incorrect_validation_info, "time-stamp imprint uses an unknown digest");
  const std::string actual = digest(md, data);
  if (static_cast<std::size_t>(ASN1_STRING_length(expected)) != actual.size() ||
      std::memcmp(ASN1_STRING_get0_data(expected), actual.data(), actual.size()) != 0) {
    return Error(make_error_code(errc::incorrect_validation_info), "time-stamp is not over this data (imprint differs)");
  }

  // The signature, by an approved TSA certificate (trusted as is: the configuration names it).
  for (const auto& tsa : tsa_certs) {
    auto free_stack = [](STACK_OF(X509)* st) { sk_X509_free(st); };
    std::unique_ptr<STACK_OF(X509), decltype(free_stack)> certs(sk_X509_new_null(), free_stack);
    sk_X509_push(certs.get(), x509(tsa));
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
    X509_STORE_add_cert(store.get(), x509(tsa));
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
    const int ok = PKCS7_verify(token.get(), certs.get(), store.get(), nullptr, out.get(), PKCS7_NOINTERN | PKCS7_NOCHAIN);
    ERR_clear_error();
    if (ok != 1) continue;
    TimestampInfo ti;
    ti.gen_time = asn1_time(TS_TST_INFO_get_time(info.get()));
    BIGNUM* bn = ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(info.get()), nullptr);
    char* hex = BN_bn2hex(bn);
    ti.serial_hex = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    ti.tsa_subject = tsa.subject();
    return ti;
  }
  return Error(make_error_code(errc::incorrect_validation_info),
               "time-stamp token is not signed by an approved time-stamping authority");
}

std::string sha1(std::string_view data) { return digest(EVP_sha1(), data); }
namespace {

std::optional<std::string> pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations) {
  std::string out(32, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
  constexpr int kIterations = 600'000;
  std::string salt(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
  const auto hash = pbkdf2_sha256(password, salt, kIterations).value_or("");
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + base64_encode(salt) + "$" + base64_encode(hash);
}

bool verify_password(std::string_view password, std::string_view hash) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t end = hash.find('$', start);
    fields.push_back(hash.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (fields.size() != 4 || fields[0] != "pbkdf2-sha256" || fields[1].empty() || fields[1].size() > 9 ||
      fields[1].find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  const int iterations = std::stoi(std::string(fields[1]));
  auto salt = base64_decode(fields[2]);
  auto expected = base64_decode(fields[3]);
  if (iterations < 1 || !salt.ok() || !expected.ok() || expected->size() != 32) return false;
  const auto actual = pbkdf2_sha256(password, *salt, iterations);
  return actual && CRYPTO_memcmp(actual->data(), expected->data(), actual->size()) == 0;
}

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }
std::string sha512(std::string_view data) { return digest(EVP_sha512(), data); }

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean += c;
  }
  if (clean.size() % 4 != 0) return Error(make_error_code(errc::operation_failed), "base64 text has a bad length");
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return Error(make_error_code(errc::operation_failed), "invalid base64 text");
  std::size_t len = static_cast<std::size_t>(n);
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

}  // namespace roadside::crypto
