// X-Road's country variants as profiles. X-Road installs a country's defaults with its variant
// package (xroad-securityserver-ee, -fi, -is, -fo), which adds
// /etc/xroad/conf.d/override-securityserver-XX.ini; the System Parameters guide (UG-SYSPAR,
// "FI-package value" and "EE-package value" columns, v2.102) lists the FI and EE values, and
// the IS and FO packages' override files carry theirs. A setting here replaces only the
// option's default (config.cc, Config::load).
#include "config/config.h"

namespace roadside::config {

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> table = {
      {"none", "X-Road's vanilla defaults (xroad-securityserver): no country's changes.", {}, ""},
      {"ee",
       "Estonia (xroad-securityserver-ee): the client proxy on loopback at ports 80 and 443, 3072-bit keys, the PIN "
       "policy, REST bodies up to 20 MiB in the message log.",
       {
           {"listen.address", "127.0.0.1", "[proxy] connector-host"},
           {"proxy.client_port", "80", "[proxy] client-http-port"},
           {"proxy.client_tls_port", "443", "[proxy] client-https-port"},
           {"signer.key_length", "3072", "[signer] key-length"},
           {"token.enforce_pin_policy", "true", "[signer] enforce-token-pin-policy"},
           {"messagelog.max_loggable_body_bytes", "20971520", "[message-log] max-loggable-message-body-size"},
       },
       "[proxy] server-min-supported-client-version (a version floor for client Security Servers; Roadside has no "
       "such check)."},
      {"fi",
       "Finland (xroad-securityserver-fi): no message bodies in the message log, time-stamping may fail for 48 hours, "
       "3072-bit keys, the PIN policy.",
       {
           {"messagelog.body_logging", "false", "[message-log] message-body-logging"},
           {"messagelog.timestamp_failure_period_s", "172800", "[message-log] acceptable-timestamp-failure-period"},
           {"signer.key_length", "3072", "[signer] key-length"},
           {"token.enforce_pin_policy", "true", "[signer] enforce-token-pin-policy"},
       },
       "Pooled connections between Security Servers ([proxy] server-connector-max-idle-time=120000, "
       "server-support-clients-pooled-connections, pool-enable-connection-reuse and the client-use-* connection "
       "settings): Roadside always keeps connections to peers alive and reuses them (http.idle_timeout_ms on its "
       "side). client-timeout=30000, csr-signature-digest-algorithm=SHA-256, client-tls-protocols=TLSv1.2 and "
       "client-tls-ciphers (X-Road's eight suites) are X-Road's vanilla values, Roadside's defaults too; "
       "server-min-supported-client-version has no Roadside counterpart."},
      {"is",
       "Iceland (xroad-securityserver-is): no message bodies in the message log, time-stamping may fail for 5 hours.",
       {
           {"messagelog.body_logging", "false", "[message-log] message-body-logging"},
           {"messagelog.timestamp_failure_period_s", "18000", "[message-log] acceptable-timestamp-failure-period"},
       },
       ""},
      {"fo",
       "Faroe Islands (xroad-securityserver-fo): 3072-bit keys and the PIN policy.",
       {
           {"signer.key_length", "3072", "[signer] key-length"},
           {"token.enforce_pin_policy", "true", "[signer] enforce-token-pin-policy"},
       },
       ""},
  };
  return table;
}

const Profile* find_profile(std::string_view name) {
  for (const auto& p : profiles()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace roadside::config
