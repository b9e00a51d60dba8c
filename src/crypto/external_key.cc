// OpenSSL 3 keeps a key whose RSA_METHOD or EC_KEY_METHOD is not its own on the legacy path
// ("foreign" keys, as engines' are), where signing calls the method: RSA_sign and the PSS
// padding end in the method's private encryption, ECDSA_sign in its sign_sig. Those methods
// are deprecated in OpenSSL 3 but are the only way to a key usable by EVP, X509_REQ_sign and
// libssl alike without a provider of our own.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/external_key.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using Operations = std::shared_ptr<const KeyOperations>;

void free_operations(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Operations*>(ptr);
}

int rsa_index() {
  static const int index = RSA_get_ex_new_index(0, nullptr, nullptr, nullptr, free_operations);
  return index;
}

int ec_index() {
  static const int index = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, free_operations);
  return index;
}

// A device's library may use this process's OpenSSL too and leave its own errors on the
// thread's queue (SoftHSM2 does, loading an engine it does not find): what the operation
// leaves there is dropped, so that the caller reads the operation's own reason.
template <typename T>
Result<T> clean(Result<T> result) {
  ERR_clear_error();
  return result;
}

// Puts a failed operation's reason on OpenSSL's error queue, where the signer's caller reads it.
void raise(const Error& error) {
  ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "%s", error.detail().c_str());
}

int rsa_private_encrypt(int flen, const unsigned char* from, unsigned char* to, RSA* rsa, int padding) {
  const auto* ops = static_cast<const Operations*>(RSA_get_ex_data(rsa, rsa_index()));
  if (!ops || !*ops || flen < 0) return -1;
  const std::string_view in(reinterpret_cast<const char*>(from), static_cast<std::size_t>(flen));
  Result<std::string> out = Error(make_error_code(errc::operation_failed), "RSA padding not supported by the token");
  if (padding == RSA_PKCS1_PADDING) {
    out = clean((*ops)->rsa_pkcs1(in));
  } else if (padding == RSA_NO_PADDING) {
    out = clean((*ops)->rsa_raw(in));
  }
  if (!out.ok()) {
    raise(out.error());
    return -1;
  }
  // The signature is as long as the modulus, which `to` is sized for.
  if (out->size() != static_cast<std::size_t>(RSA_size(rsa))) {
    raise(Error(make_error_code(errc::operation_failed), "the token's RSA signature is not as long as the modulus"));
    return -1;
  }
  std::copy(out->begin(), out->end(), to);
  return static_cast<int>(out->size());
}

int rsa_private_decrypt(int, const unsigned char*, unsigned char*, RSA*, int) {
  raise(Error(make_error_code(errc::operation_failed), "a key on a token does not decrypt"));
  return -1;
}

const RSA_METHOD* rsa_method() {
  static RSA_METHOD* method = [] {
    RSA_METHOD* m = RSA_meth_dup(RSA_PKCS1_OpenSSL());
    RSA_meth_set1_name(m, "roadside external key");
    RSA_meth_set_priv_enc(m, rsa_private_encrypt);
    RSA_meth_set_priv_dec(m, rsa_private_decrypt);
    return m;
  }();
  return method;
}

ECDSA_SIG* ec_sign_sig(const unsigned char* digest, int digest_len, const BIGNUM*, const BIGNUM*, EC_KEY* ec) {
  const auto* ops = static_cast<const Operations*>(EC_KEY_get_ex_data(ec, ec_index()));
  if (!ops || !*ops || digest_len < 0) return nullptr;
  const int order_bits = EC_GROUP_order_bits(EC_KEY_get0_group(ec));
  const int order_bytes = (order_bits + 7) / 8;
  // ECDSA signs the digest's leftmost bits as many as the order's: cut here for devices that
  // refuse a longer digest (SHA-512 on P-256); an order of odd bits is left to the device.
  std::size_t length = static_cast<std::size_t>(digest_len);
  if (order_bits % 8 == 0 && length > static_cast<std::size_t>(order_bytes))
    length = static_cast<std::size_t>(order_bytes);
  auto out = clean((*ops)->ecdsa(std::string_view(reinterpret_cast<const char*>(digest), length)));
  if (!out.ok()) {
    raise(out.error());
    return nullptr;
  }
  if (out->size() != 2 * static_cast<std::size_t>(order_bytes)) {
    raise(Error(make_error_code(errc::operation_failed), "the token's ECDSA signature is not r || s of the curve"));
    return nullptr;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(out->data());
  BIGNUM* r = BN_bin2bn(bytes, order_bytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + order_bytes, order_bytes, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return nullptr;
  }
  return sig;
}

int ec_sign(int, const unsigned char* digest, int digest_len, unsigned char* sig, unsigned int* sig_len,
            const BIGNUM* kinv, const BIGNUM* r, EC_KEY* ec) {
  ECDSA_SIG* made = ec_sign_sig(digest, digest_len, kinv, r, ec);
  if (!made) return 0;
  unsigned char* out = sig;
  const int n = i2d_ECDSA_SIG(made, &out);  // `sig` is ECDSA_size() long, which this fits
  ECDSA_SIG_free(made);
  if (n <= 0) return 0;
  *sig_len = static_cast<unsigned int>(n);
  return 1;
}

const EC_KEY_METHOD* ec_method() {
  static EC_KEY_METHOD* method = [] {
    EC_KEY_METHOD* m = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
    EC_KEY_METHOD_set_sign(m, ec_sign, nullptr, ec_sign_sig);
    return m;
  }();
  return method;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

}  // namespace

Result<PrivateKey> external_private_key(std::string_view spki_der, std::shared_ptr<const KeyOperations> operations) {
  const auto* p = reinterpret_cast<const unsigned char*>(spki_der.data());
  PkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())), &EVP_PKEY_free);
  if (!pub || p != reinterpret_cast<const unsigned char*>(spki_der.data()) + spki_der.size())
    return detail::fail(errc::bad_key, "cannot read the token key's public key");
  PkeyPtr key(EVP_PKEY_new(), &EVP_PKEY_free);
  if (!key) return detail::fail(errc::operation_failed, "out of memory");
  auto held = std::make_unique<Operations>(std::move(operations));
  switch (EVP_PKEY_get_base_id(pub.get())) {
    case EVP_PKEY_RSA: {
      RSA* rsa = EVP_PKEY_get1_RSA(pub.get());
      if (!rsa || RSA_set_method(rsa, rsa_method()) != 1 || RSA_set_ex_data(rsa, rsa_index(), held.get()) != 1) {
        RSA_free(rsa);
        return detail::fail(errc::operation_failed, "cannot make the token's RSA key");
      }
      (void)held.release();  // the key's now, freed with it
      if (EVP_PKEY_assign_RSA(key.get(), rsa) != 1) {
        RSA_free(rsa);
        return detail::fail(errc::operation_failed, "cannot make the token's RSA key");
      }
      break;
    }
    case EVP_PKEY_EC: {
      EC_KEY* ec = EVP_PKEY_get1_EC_KEY(pub.get());
      if (!ec || EC_KEY_set_method(ec, ec_method()) != 1 || EC_KEY_set_ex_data(ec, ec_index(), held.get()) != 1) {
        EC_KEY_free(ec);
        return detail::fail(errc::operation_failed, "cannot make the token's EC key");
      }
      (void)held.release();
      if (EVP_PKEY_assign_EC_KEY(key.get(), ec) != 1) {
        EC_KEY_free(ec);
        return detail::fail(errc::operation_failed, "cannot make the token's EC key");
      }
      break;
    }
    default:
      return Error(make_error_code(errc::bad_key), "a token key is RSA or EC");
  }
  return PrivateKey::adopt(key.release());
}

namespace {

using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

// The SubjectPublicKeyInfo of a public key made from `params` by the algorithm `name`.
Result<std::string> public_key_from(const char* name, const OSSL_PARAM* params) {
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* made = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &made, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1)
    return detail::fail(errc::bad_key, std::string("not an ") + name + " public key");
  PkeyPtr key(made, &EVP_PKEY_free);
  auto der = detail::der(key.get(), i2d_PUBKEY);
  if (!der) return detail::fail(errc::bad_key, std::string("cannot encode the ") + name + " public key");
  return *der;
}

}  // namespace

Result<std::string> rsa_public_key_der(std::string_view modulus, std::string_view exponent) {
  if (modulus.empty() || modulus.size() > 2048 || exponent.empty() || exponent.size() > 16)
    return Error(make_error_code(errc::bad_key), "an RSA public key's modulus or exponent is out of range");
  using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
  BnPtr n(BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus.data()), static_cast<int>(modulus.size()), nullptr),
          &BN_free);
  BnPtr e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent.data()), static_cast<int>(exponent.size()), nullptr),
      &BN_free);
  using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
  BldPtr bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return detail::fail(errc::operation_failed, "out of memory");
  using ParamsPtr = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>;
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()), &OSSL_PARAM_free);
  if (!params) return detail::fail(errc::operation_failed, "out of memory");
  return public_key_from("RSA", params.get());
}

Result<std::string> ec_public_key_der(std::string_view ec_params_der, std::string_view ec_point) {
  const auto* p = reinterpret_cast<const unsigned char*>(ec_params_der.data());
  using ObjPtr = std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)>;
  ObjPtr oid(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(ec_params_der.size())), &ASN1_OBJECT_free);
  const int nid = oid ? OBJ_obj2nid(oid.get()) : NID_undef;
  const char* curve = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  if (!curve) return Error(make_error_code(errc::bad_key), "an EC key's parameters are not a named curve");
  using GroupPtr = std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)>;
  GroupPtr group(EC_GROUP_new_by_curve_name(nid), &EC_GROUP_free);
  if (!group) return Error(make_error_code(errc::bad_key), std::string("an unknown curve: ") + curve);
  // A bare uncompressed point is 1 + 2 * the field's bytes long; anything else is read as the
  // DER OCTET STRING around one (short or long form length).
  const std::size_t field = (static_cast<std::size_t>(EC_GROUP_get_degree(group.get())) + 7) / 8;
  std::string_view point = ec_point;
  std::string inner;
  if (!(point.size() == 1 + 2 * field && point[0] == 0x04)) {
    const auto* q = reinterpret_cast<const unsigned char*>(ec_point.data());
    using OctPtr = std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)>;
    OctPtr wrapped(d2i_ASN1_OCTET_STRING(nullptr, &q, static_cast<long>(ec_point.size())), &ASN1_OCTET_STRING_free);
    if (!wrapped || q != reinterpret_cast<const unsigned char*>(ec_point.data()) + ec_point.size())
      return Error(make_error_code(errc::bad_key), "an EC key's point is neither bare nor DER");
    inner.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(wrapped.get())),
                 static_cast<std::size_t>(ASN1_STRING_length(wrapped.get())));
    point = inner;
  }
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<char*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  return public_key_from("EC", params);
}

bool is_external(const PrivateKey& key) {
  EVP_PKEY* k = detail::pkey(key);
  if (!k) return false;
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA: {
      const RSA* rsa = EVP_PKEY_get0_RSA(k);
      return rsa && RSA_get_method(rsa) == rsa_method();
    }
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(k);
      return ec && EC_KEY_get_method(ec) == ec_method();
    }
    default:
      return false;
  }
}

}  // namespace roadside::crypto
