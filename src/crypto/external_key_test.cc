// Keys whose private operations are elsewhere: XML signatures, certificates, CSRs and TLS
// (1.2 and 1.3, RSA and EC) made through KeyOperations verify with the public key, and a
// device's failure comes back as the signer's error, with its reason.
#include "crypto/external_key.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "crypto/crypto.h"
#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

// The device, in memory: a software key does what a token would, and counts its uses.
class SoftOperations final : public KeyOperations {
 public:
  explicit SoftOperations(PrivateKey key) : key_(std::move(key)) {}

  Result<std::string> rsa_pkcs1(std::string_view digest_info) const override {
    return raw_sign(digest_info, RSA_PKCS1_PADDING);
  }
  Result<std::string> rsa_raw(std::string_view block) const override { return raw_sign(block, RSA_NO_PADDING); }
  Result<std::string> ecdsa(std::string_view digest) const override {
    longest_digest = std::max<std::size_t>(longest_digest, digest.size());
    auto der = raw_sign(digest, 0);
    if (!der.ok()) return der;
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size()));
    const int order = (EVP_PKEY_get_bits(detail::pkey(key_)) + 7) / 8;
    std::string out(2 * static_cast<std::size_t>(order), '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), order);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + order, order);
    ECDSA_SIG_free(sig);
    return out;
  }

  mutable std::atomic<int> uses{0};
  mutable std::atomic<std::size_t> longest_digest{0};  // what a device would be asked to sign
  std::atomic<bool> removed{false};

 private:
  Result<std::string> raw_sign(std::string_view in, int padding) const {
    ++uses;
    if (removed) {
      // A device's library may leave errors of its own on OpenSSL's queue (SoftHSM2 does).
      ERR_raise_data(ERR_LIB_DSO, ERR_R_INTERNAL_ERROR, "the library's own noise");
      return Error(make_error_code(errc::operation_failed), "CKR_DEVICE_REMOVED");
    }
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(detail::pkey(key_), nullptr);
    std::size_t n = 0;
    std::string out;
    const auto* data = reinterpret_cast<const unsigned char*>(in.data());
    bool ok = EVP_PKEY_sign_init(ctx) == 1 && (padding == 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, padding) == 1) &&
              EVP_PKEY_sign(ctx, nullptr, &n, data, in.size()) == 1;
    if (ok) {
      out.resize(n);
      ok = EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, data, in.size()) == 1;
      out.resize(n);
    }
    EVP_PKEY_CTX_free(ctx);
    if (!ok) return detail::fail(errc::operation_failed, "soft device failed");
    return out;
  }
  PrivateKey key_;
};

struct External {
  PrivateKey soft;
  std::shared_ptr<SoftOperations> ops;
  PrivateKey key;
  Certificate cert;
};

External external(KeyType type) {
  auto soft = *PrivateKey::generate(type);
  auto ops = std::make_shared<SoftOperations>(soft);
  auto key = external_private_key(soft.public_key_der(), ops);
  EXPECT_TRUE(key.ok()) << key.error().detail();
  // Self-signed by the external key: issuing signs through it too.
  auto cert = issue_certificate({.common_name = "token key", .usage = Usage::tls_server}, *key, nullptr, *key);
  EXPECT_TRUE(cert.ok()) << cert.error().detail();
  return {soft, ops, *key, *cert};
}

TEST(ExternalKey, SignsXmlSignaturesAndCsrsThroughItsOperations) {
  for (KeyType type : {KeyType::rsa2048, KeyType::ec_p256, KeyType::ec_p384}) {
    External e = external(type);
    EXPECT_TRUE(is_external(e.key));
    EXPECT_FALSE(is_external(e.soft));
    EXPECT_TRUE(e.key.to_pem().empty()) << "a token's key is never written out";
    EXPECT_EQ(e.key.public_key_der(), e.soft.public_key_der());
    EXPECT_EQ(e.key.is_ec_key(), type != KeyType::rsa2048);

    const std::vector<std::string_view> uris =
        e.key.is_ec_key()
            ? std::vector<std::string_view>{kEcdsaSha256Uri, kEcdsaSha512Uri}
            : std::vector<std::string_view>{kRsaSha256Uri, kRsaSha512Uri, kRsaPssSha256Uri, kRsaPssSha512Uri};
    for (auto uri : uris) {
      const int before = e.ops->uses;
      auto value = sign_xmldsig(e.key, uri, "the signed info");
      ASSERT_TRUE(value.ok()) << uri << ": " << value.error().detail();
      EXPECT_EQ(e.ops->uses, before + 1) << uri;
      EXPECT_TRUE(verify_xmldsig(e.cert, uri, "the signed info", *value).ok()) << uri;
      EXPECT_FALSE(verify_xmldsig(e.cert, uri, "another info", *value).ok()) << uri;
    }
    if (type == KeyType::ec_p256) {
      EXPECT_EQ(e.ops->longest_digest, 32U) << "a SHA-512 digest is cut to P-256's order for the device";
    }
    auto csr = make_csr(e.key, {{"CN", "ss1"}, {"O", "Roadside"}});
    ASSERT_TRUE(csr.ok()) << csr.error().detail();
    auto request = CertificateRequest::from_der(*csr);
    ASSERT_TRUE(request.ok());
    EXPECT_TRUE(request->verify().ok());
  }
}

TEST(ExternalKey, AFailedOperationIsTheSignersErrorWithItsReason) {
  for (KeyType type : {KeyType::rsa2048, KeyType::ec_p256}) {
    External e = external(type);
    e.ops->removed = true;
    auto value = sign_xmldsig(e.key, e.key.is_ec_key() ? kEcdsaSha256Uri : kRsaSha256Uri, "data");
    ASSERT_FALSE(value.ok());
    EXPECT_NE(value.error().detail().find("CKR_DEVICE_REMOVED"), std::string::npos) << value.error().detail();
    EXPECT_EQ(ERR_peek_error(), 0UL) << "OpenSSL's error queue is left empty";
    e.ops->removed = false;
    EXPECT_TRUE(sign_xmldsig(e.key, e.key.is_ec_key() ? kEcdsaSha256Uri : kRsaSha256Uri, "data").ok());
  }
  auto bad = external_private_key("not DER", nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), make_error_code(errc::bad_key));
}

// A TLS handshake in memory: the server's key is external, the client checks its certificate.
bool handshake(const External& server, int version, std::string* why) {
  using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
  using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;
  CtxPtr sctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  CtxPtr cctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  for (SSL_CTX* c : {sctx.get(), cctx.get()}) {
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
  }
  if (SSL_CTX_use_certificate(sctx.get(), detail::x509(server.cert)) != 1 ||
      SSL_CTX_use_PrivateKey(sctx.get(), detail::pkey(server.key)) != 1) {
    *why = "the server does not take the key";
    return false;
  }
  X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx.get()), detail::x509(server.cert));
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
  SslPtr s(SSL_new(sctx.get()), &SSL_free), c(SSL_new(cctx.get()), &SSL_free);
  BIO *sbio = nullptr, *cbio = nullptr;
  BIO_new_bio_pair(&sbio, 0, &cbio, 0);
  SSL_set_bio(s.get(), sbio, sbio);
  SSL_set_bio(c.get(), cbio, cbio);
  SSL_set_accept_state(s.get());
  SSL_set_connect_state(c.get());
  for (int round = 0; round < 20; ++round) {
    const int cr = SSL_do_handshake(c.get()), sr = SSL_do_handshake(s.get());
    if (cr == 1 && sr == 1) return true;
    for (auto [ssl, r] : {std::pair{c.get(), cr}, std::pair{s.get(), sr}}) {
      const int e = SSL_get_error(ssl, r);
      if (r != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        *why = detail::fail(errc::operation_failed, "handshake failed").detail();
        return false;
      }
    }
  }
  *why = "the handshake did not end";
  return false;
}

TEST(ExternalKey, AuthenticatesTlsOneTwoAndOneThree) {
  for (KeyType type : {KeyType::rsa2048, KeyType::ec_p256}) {
    External e = external(type);
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      const int before = e.ops->uses;
      std::string why;
      EXPECT_TRUE(handshake(e, version, &why)) << why;
      EXPECT_EQ(e.ops->uses, before + 1) << "the server signed its handshake through the device";
    }
  }
}

}  // namespace
}  // namespace roadside::crypto
