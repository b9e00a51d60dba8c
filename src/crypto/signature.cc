#include "crypto/signature.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::fail;
using detail::pkey;
using detail::x509;

struct SigAlg {
  const EVP_MD* md;
  int key_type;      // EVP_PKEY_RSA or EVP_PKEY_EC
  bool pss = false;  // RSASSA-PSS, MGF1 with the same digest, salt as long as the digest
};

std::optional<SigAlg> signature_alg(std::string_view uri) {
  if (uri == kRsaSha512Uri) return SigAlg{EVP_sha512(), EVP_PKEY_RSA};
  if (uri == kRsaSha256Uri) return SigAlg{EVP_sha256(), EVP_PKEY_RSA};
  if (uri == kRsaSha384Uri) return SigAlg{EVP_sha384(), EVP_PKEY_RSA};
  if (uri == kRsaPssSha256Uri) return SigAlg{EVP_sha256(), EVP_PKEY_RSA, true};
  if (uri == kRsaPssSha384Uri) return SigAlg{EVP_sha384(), EVP_PKEY_RSA, true};
  if (uri == kRsaPssSha512Uri) return SigAlg{EVP_sha512(), EVP_PKEY_RSA, true};
  if (uri == "http://www.w3.org/2000/09/xmldsig#rsa-sha1") return SigAlg{EVP_sha1(), EVP_PKEY_RSA};
  if (uri == kEcdsaSha512Uri) return SigAlg{EVP_sha512(), EVP_PKEY_EC};
  if (uri == kEcdsaSha256Uri) return SigAlg{EVP_sha256(), EVP_PKEY_EC};
  if (uri == kEcdsaSha384Uri) return SigAlg{EVP_sha384(), EVP_PKEY_EC};
  return std::nullopt;
}

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// PSS as BouncyCastle's SHA<n>withRSAandMGF1 (X-Road's names): MGF1 with the message digest
// and a salt as long as the digest.
bool set_padding(EVP_PKEY_CTX* pctx, const SigAlg& alg) {
  if (!alg.pss) return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg.md) == 1;
}

}  // namespace

Status verify_signature(const Certificate& signer, std::string_view algorithm_uri, std::string_view data,
                        std::string_view signature) {
  auto alg = signature_alg(algorithm_uri);
  if (!alg) {
    return Error(make_error_code(errc::unsupported_algorithm),
                 "unsupported signature algorithm " + std::string(algorithm_uri));
  }
  EVP_PKEY* key = X509_get0_pubkey(x509(signer));
  if (!key || EVP_PKEY_get_base_id(key) != alg->key_type) {
    return Error(make_error_code(errc::invalid_signature),
                 "the certificate's key does not match the signature algorithm " + std::string(algorithm_uri));
  }
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, alg->md, nullptr, key) != 1 || !set_padding(pctx, *alg)) {
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
    return Error(make_error_code(errc::unsupported_algorithm),
                 "unsupported signature algorithm " + std::string(algorithm_uri));
  }
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, alg->md, nullptr, pkey(key)) != 1 || !set_padding(pctx, *alg)) {
    return fail(errc::bad_key, "signing setup failed");
  }
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1)
    return fail(errc::operation_failed, "signing failed");
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
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig_der.size())), &ECDSA_SIG_free);
  if (!sig) return fail(errc::invalid_signature, "not a DER ECDSA signature");
  std::string out(2 * half, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, static_cast<int>(half)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + half, static_cast<int>(half)) < 0) {
    return fail(errc::invalid_signature, "ECDSA signature larger than the curve order");
  }
  return out;
}

std::size_t ec_half(const EVP_PKEY* key) {
  return static_cast<std::size_t>(EVP_PKEY_get_bits(key) + 7) / 8;
}

}  // namespace

Result<std::string> sign_xmldsig(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data) {
  ROADSIDE_TRY(std::string sig, sign(key, algorithm_uri, data));
  if (EVP_PKEY_get_base_id(pkey(key)) != EVP_PKEY_EC) return sig;
  return ecdsa_raw(sig, ec_half(pkey(key)));
}

Status verify_xmldsig(const Certificate& signer, std::string_view algorithm_uri, std::string_view data,
                      std::string_view value) {
  const EVP_PKEY* key = X509_get0_pubkey(x509(signer));
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return verify_signature(signer, algorithm_uri, data, value);
  const std::size_t half = ec_half(key);
  if (value.size() != 2 * half) return fail(errc::invalid_signature, "an ECDSA signature value of the wrong length");
  const auto* raw = reinterpret_cast<const unsigned char*>(value.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(raw, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(raw + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return fail(errc::operation_failed, "cannot read an ECDSA signature value");
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return fail(errc::operation_failed, "cannot encode an ECDSA signature value");
  const std::string der_sig(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return verify_signature(signer, algorithm_uri, data, der_sig);
}

}  // namespace roadside::crypto
