#include "crypto/timestamp.h"

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/digest.h"
#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::asn1_time;
using detail::der;
using detail::digest;
using detail::fail;
using detail::x509;

}  // namespace

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
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(
      d2i_TS_RESP(nullptr, &p, static_cast<long>(response_der.size())), &TS_RESP_free);
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
    return Error(make_error_code(errc::incorrect_validation_info),
                 "time-stamp is not over this data (imprint differs)");
  }

  // The signature, by an approved TSA certificate (trusted as is: the configuration names it).
  for (const auto& tsa : tsa_certs) {
    auto free_stack = [](STACK_OF(X509) * st) { sk_X509_free(st); };
    std::unique_ptr<STACK_OF(X509), decltype(free_stack)> certs(sk_X509_new_null(), free_stack);
    sk_X509_push(certs.get(), x509(tsa));
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
    X509_STORE_add_cert(store.get(), x509(tsa));
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
    const int ok =
        PKCS7_verify(token.get(), certs.get(), store.get(), nullptr, out.get(), PKCS7_NOINTERN | PKCS7_NOCHAIN);
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

Result<std::string> with_timestamp_signer_certificate(std::string_view token_der,
                                                      const std::vector<Certificate>& tsa_certs) {
  const auto* p = reinterpret_cast<const unsigned char*>(token_der.data());
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> token(d2i_PKCS7(nullptr, &p, static_cast<long>(token_der.size())),
                                                      &PKCS7_free);
  if (!token || PKCS7_type_is_signed(token.get()) == 0 || token->d.sign == nullptr) {
    return fail(errc::incorrect_validation_info, "not a DER time-stamp token");
  }
  if (const STACK_OF(X509)* certs = token->d.sign->cert; certs != nullptr && sk_X509_num(certs) > 0) {
    return std::string(token_der);
  }
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(token.get());
  if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) != 1) {
    return fail(errc::incorrect_validation_info, "time-stamp token has not exactly one signer");
  }
  const PKCS7_ISSUER_AND_SERIAL* signer = sk_PKCS7_SIGNER_INFO_value(infos, 0)->issuer_and_serial;
  for (const auto& cert : tsa_certs) {
    X509* x = x509(cert);
    if (X509_NAME_cmp(X509_get_issuer_name(x), signer->issuer) != 0 ||
        ASN1_INTEGER_cmp(X509_get0_serialNumber(x), signer->serial) != 0) {
      continue;
    }
    if (PKCS7_add_certificate(token.get(), x) != 1)
      return fail(errc::operation_failed, "cannot add the TSA certificate");
    auto out = der(token.get(), i2d_PKCS7);
    if (!out) return fail(errc::operation_failed, "cannot encode time-stamp token");
    return std::move(*out);
  }
  return Error(make_error_code(errc::incorrect_validation_info),
               "time-stamp token is not signed by an approved time-stamping authority");
}

}  // namespace roadside::crypto
