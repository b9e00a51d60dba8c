#include "crypto/pkcs12.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::der;
using detail::fail;
using detail::pkey;
using detail::x509;
using detail::x509_der;

}  // namespace

Result<Pkcs12Contents> load_pkcs12(std::string_view der, const std::string& password) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())),
                                                      &PKCS12_free);
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
      PKCS12_create(password.c_str(), friendly_name.c_str(), pkey(key), x509(cert), nullptr, 0, 0, 0, 0, 0),
      &PKCS12_free);
  auto out = p12 ? der(p12.get(), i2d_PKCS12) : std::nullopt;
  if (!out) return fail(errc::operation_failed, "cannot create the PKCS#12 file");
  return std::move(*out);
}

}  // namespace roadside::crypto
