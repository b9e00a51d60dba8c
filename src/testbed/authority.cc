#include "testbed/authority.h"

#include <memory>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

namespace roadside::testbed {
namespace {

using crypto::Certificate;
using crypto::CertStatus;
using crypto::PrivateKey;

Error failed(std::string what) {
  ERR_clear_error();
  return Error(make_error_code(crypto::errc::operation_failed), std::move(what));
}

// The OpenSSL objects behind crypto's types: this file answers as an authority, which the
// crypto facade (a client of authorities) does not offer.
X509* x509(const Certificate& c) {
  return static_cast<X509*>(c.native());
}
EVP_PKEY* pkey(const PrivateKey& k) {
  return static_cast<EVP_PKEY*>(k.native());
}

// `obj` in DER by its i2d_ function; std::nullopt when OpenSSL cannot encode it.
template <typename T>
std::optional<std::string> der(const T* obj, int (*i2d)(const T*, unsigned char**)) {
  const int n = i2d(obj, nullptr);
  if (n <= 0) return std::nullopt;
  std::string out(static_cast<std::size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d(obj, &p) != n) return std::nullopt;
  return out;
}

Result<std::string> ocsp_der(OCSP_RESPONSE* resp) {
  auto out = der(resp, i2d_OCSP_RESPONSE);
  if (!out) return failed("cannot encode the OCSP response");
  return std::move(*out);
}

Result<std::string> ocsp_status_only(int status) {
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> resp(OCSP_response_create(status, nullptr),
                                                                     &OCSP_RESPONSE_free);
  if (!resp) return failed("cannot create an OCSP response");
  return ocsp_der(resp.get());
}

using Asn1Time = std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)>;
Asn1Time asn1(std::chrono::system_clock::time_point t) {
  return Asn1Time(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)), &ASN1_TIME_free);
}

std::string serial_hex_of(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char* hex = bn ? BN_bn2hex(bn) : nullptr;
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

}  // namespace

Result<std::string> make_ocsp_response(
    std::string_view request_der, const std::function<std::optional<OcspAnswer>(const std::string& serial_hex)>& lookup,
    const OcspResponderKey& key, std::chrono::system_clock::time_point now, std::chrono::seconds validity) {
  const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
  std::unique_ptr<OCSP_REQUEST, decltype(&OCSP_REQUEST_free)> req(
      d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())), &OCSP_REQUEST_free);
  if (!req || OCSP_request_onereq_count(req.get()) <= 0) {
    ERR_clear_error();
    return ocsp_status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basic(OCSP_BASICRESP_new(), &OCSP_BASICRESP_free);
  const auto this_update = asn1(now);
  const auto next_update = asn1(now + validity);
  for (int i = 0; i < OCSP_request_onereq_count(req.get()); ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
    ASN1_OBJECT* md_oid = nullptr;
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, &md_oid, nullptr, &serial, id);
    const EVP_MD* md = EVP_get_digestbyobj(md_oid);
    std::optional<OcspAnswer> answer;
    if (md) {
      std::unique_ptr<OCSP_CERTID, decltype(&OCSP_CERTID_free)> ours(OCSP_cert_to_id(md, nullptr, x509(key.issuer)),
                                                                     &OCSP_CERTID_free);
      // Same issuer name and key hash: a certificate of this CA.
      if (ours && OCSP_id_issuer_cmp(ours.get(), id) == 0) answer = lookup(serial_hex_of(serial));
    }
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    Asn1Time revoked(nullptr, &ASN1_TIME_free);
    if (answer && answer->status == CertStatus::good) status = V_OCSP_CERTSTATUS_GOOD;
    if (answer && answer->status == CertStatus::revoked) {
      status = V_OCSP_CERTSTATUS_REVOKED;
      revoked = asn1(answer->revocation_time);
    }
    // The reason is read only for a revoked status.
    if (!OCSP_basic_add1_status(basic.get(), id, status, OCSP_REVOKED_STATUS_UNSPECIFIED, revoked.get(),
                                this_update.get(), next_update.get())) {
      return failed("cannot add an OCSP status");
    }
  }
  OCSP_copy_nonce(basic.get(), req.get());
  if (OCSP_basic_sign(basic.get(), x509(key.responder), pkey(key.responder_key), EVP_sha256(), nullptr, 0) != 1) {
    return failed("cannot sign the OCSP response");
  }
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> resp(
      OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()), &OCSP_RESPONSE_free);
  if (!resp) return failed("cannot create the OCSP response");
  return ocsp_der(resp.get());
}

namespace {

struct TsaCallbacks {
  std::uint64_t serial;
  std::chrono::system_clock::time_point now;
};

ASN1_INTEGER* tsa_serial(TS_RESP_CTX* ctx, void* data) {
  ASN1_INTEGER* s = ASN1_INTEGER_new();
  if (!s || !ASN1_INTEGER_set_uint64(s, static_cast<TsaCallbacks*>(data)->serial)) {
    ASN1_INTEGER_free(s);
    TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "serial number unavailable");
    return nullptr;
  }
  return s;
}

int tsa_time(TS_RESP_CTX* /*ctx*/, void* data, long* sec, long* usec) {
  const auto now = static_cast<TsaCallbacks*>(data)->now;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  *sec = static_cast<long>(us / 1'000'000);
  *usec = static_cast<long>(us % 1'000'000);
  return 1;
}

}  // namespace

Result<std::string> make_timestamp_response(std::string_view request_der, const Certificate& tsa,
                                            const PrivateKey& tsa_key, std::uint64_t serial,
                                            std::chrono::system_clock::time_point now) {
  std::unique_ptr<TS_RESP_CTX, decltype(&TS_RESP_CTX_free)> ctx(TS_RESP_CTX_new(), &TS_RESP_CTX_free);
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> policy(OBJ_txt2obj("1.2.3.4.1", 1) /* a test policy */,
                                                                   &ASN1_OBJECT_free);
  TsaCallbacks cb{serial, now};
  if (!ctx || !policy || TS_RESP_CTX_set_signer_cert(ctx.get(), x509(tsa)) != 1 ||
      TS_RESP_CTX_set_signer_key(ctx.get(), pkey(tsa_key)) != 1 ||
      TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()) != 1 ||
      TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) != 1 ||
      TS_RESP_CTX_set_ess_cert_id_digest(ctx.get(), EVP_sha256()) != 1) {
    return failed("cannot set up the time-stamping authority (is its certificate for time-stamping?)");
  }
  for (const EVP_MD* md : {EVP_sha256(), EVP_sha384(), EVP_sha512()}) TS_RESP_CTX_add_md(ctx.get(), md);
  TS_RESP_CTX_set_accuracy(ctx.get(), 1, 0, 0);
  TS_RESP_CTX_set_serial_cb(ctx.get(), tsa_serial, &cb);
  TS_RESP_CTX_set_time_cb(ctx.get(), tsa_time, &cb);
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(request_der.data(), static_cast<int>(request_der.size())), &BIO_free);
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(TS_RESP_create_response(ctx.get(), in.get()), &TS_RESP_free);
  auto out = resp ? der(resp.get(), i2d_TS_RESP) : std::nullopt;
  if (!out) return failed("cannot create the time-stamp response");
  ERR_clear_error();
  return std::move(*out);
}

}  // namespace roadside::testbed
