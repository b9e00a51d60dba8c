// A small PKI the crypto tests share, made once per test binary: a CA, its delegated OCSP
// responder and TSA, a responder nobody authorized, and signing certificates (one to be
// answered good, one revoked, one from no CA at all).
#pragma once

#include "crypto/crypto.h"

namespace roadside::testing {

struct TestPki {
  crypto::PrivateKey ca_key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  crypto::Certificate ca =
      *crypto::issue_certificate({.common_name = "Test CA", .usage = crypto::Usage::ca}, ca_key, nullptr, ca_key);
  crypto::PrivateKey ocsp_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate ocsp = *crypto::issue_certificate(
      {.common_name = "Test OCSP", .usage = crypto::Usage::ocsp_signing}, ocsp_key, &ca, ca_key);
  crypto::PrivateKey tsa_key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  crypto::Certificate tsa = *crypto::issue_certificate(
      {.common_name = "Test TSA", .usage = crypto::Usage::timestamping}, tsa_key, &ca, ca_key);
  crypto::PrivateKey rogue_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate rogue = *crypto::issue_certificate(
      {.common_name = "Rogue OCSP", .usage = crypto::Usage::ocsp_signing}, rogue_key, nullptr, rogue_key);
  crypto::PrivateKey leaf_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate good = *crypto::issue_certificate(
      {.common_name = "1234", .usage = crypto::Usage::signing, .serial = 0x1001}, leaf_key, &ca, ca_key);
  crypto::Certificate revoked = *crypto::issue_certificate(
      {.common_name = "4321", .usage = crypto::Usage::signing, .serial = 0x1002}, leaf_key, &ca, ca_key);
  crypto::Certificate stranger = *crypto::issue_certificate(
      {.common_name = "stranger", .usage = crypto::Usage::signing, .serial = 0x1003}, leaf_key, nullptr, leaf_key);
};

inline const TestPki& test_pki() {
  static const TestPki p;
  return p;
}

}  // namespace roadside::testing
