// A local X-Road instance for developers and CI (DESIGN.md §4).
//
// init_instance() creates it in a folder:
//   instance.json               the contract tests and tools read (see docs/testbed.md)
//   anchor.xml                  the configuration anchor every server trusts
//   ca/                         the test CA, its OCSP responder and TSA (testbed/ca.h)
//   globalconf/                 the configuration signing key and the parameters published
//   servers/<code>/roadside.yaml, token/ (keyconf.xml + PKCS#12 keys), data/
//   secrets/token-pin           the token PIN, unless XROAD_TOKEN_PIN was set at init (0600)
//   central/tls.key, tls.pem    the management service's TLS identity (authCertRegServiceCert)
//   central/requests.json       the management requests received (testbed/management_desk.h)
// All listeners are on loopback; their ports are chosen free at init and kept in instance.json.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "crypto/crypto.h"
#include "trust/certificate_profile.h"

namespace roadside::testbed {

struct InitOptions {
  std::filesystem::path dir;
  std::string instance = "DEV";
  int servers = 2;  // 1 to 20
  bool ecdsa = false;
  std::string pin;  // empty: a random one, kept in secrets/token-pin
  // The CA's certificate profile: X-Road's short name ("FiVRK", "Basic", ...) or class name.
  // Its class is what shared-params names for the CA; a profile whose signing certificates
  // always map to one member class (SkEsteId: PERSON, Test: BUSINESS) gives the members that
  // class instead of COM.
  std::string profile = "FiVRK";
  // Management requests that X-Road's Central Server holds for its administrator
  // (registrations, owner and address changes, renames) wait for `testbed approve` instead of
  // being approved as they arrive (testbed/management_desk.h).
  bool hold_requests = false;
  // An existing test CA to use instead of a new one (TestCa::adopt: X-Road's test CA's files,
  // e.g. vectors/xroad/pki/test-ca); empty: a new one.
  std::filesystem::path ca_from;
};

// Creates the instance. Refuses a folder that already holds one.
Result<nlohmann::json> init_instance(const InitOptions& options);

// Reads DIR/instance.json and checks it has what `up` needs. ("central", the management
// service, is optional: instances made before it have none.)
Result<nlohmann::json> read_instance(const std::filesystem::path& dir);

// The token PIN: $XROAD_TOKEN_PIN, else DIR/secrets/token-pin.
Result<std::string> token_pin(const std::filesystem::path& dir);

// The instance's test CA signs a CSR (DER or PEM) for a certificate of `type`, as a CA would
// for one of the instance's Security Servers (TestCa::sign_csr), whether or not `up` runs
// (its OCSP responder learns of the certificate from the CA folder): `roadside testbed
// sign-csr`. A CSR that cannot be read or is refused is base::errc::invalid_argument.
Result<crypto::Certificate> sign_csr(const std::filesystem::path& dir, trust::CertType type, std::string_view csr);

}  // namespace roadside::testbed
