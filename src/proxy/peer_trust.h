// The client proxy's trust in a provider's Security Server, judged at the TLS handshake as
// X-Road's client proxy does: the server's authentication certificate is registered for a
// server in the global configuration, chains to an approved CA, is within its validity, and
// an OCSP response that the server itself serves (X-Road's port 5577) says it is good.
//
// The handshake check cannot wait for the network, so the OCSP responses are kept here: a
// handshake with a certificate that has none (or only stale ones) is refused and the
// certificate remembered as pending; the client proxy then fetches responses from that
// server's responder, stores them and connects again. Nothing of a request has been sent by
// then, so connecting again never delivers a request twice.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/thread_annotations.h"
#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "net/tls.h"
#include "trust/verifier.h"

namespace roadside::proxy {

class PeerTrust {
 public:
  // Certificates are judged by `rules` (X-Road's unless a test stands in), which must
  // outlive this object.
  explicit PeerTrust(const trust::Trust& rules = trust::Trust::xroad()) : rules_(rules) {}

  // At most this many certificates are remembered (a global configuration lists fewer servers).
  static constexpr std::size_t kMaxCertificates = 10'000;

  // The TLS check: "" when `chain`'s leaf is trusted at `now` as the certificate of the
  // server `expected_server` (its identifier, XRoadId::to_string), else why not. A
  // certificate registered for another server is refused (the request must not reach a
  // server the client did not choose, even one at the same address). A certificate refused
  // for want of a usable OCSP status (none, or stale) is remembered as pending until
  // responses for it are stored; one refused for any other cause is not.
  std::string check(const net::PeerChain& chain, const globalconf::SharedParameters& shared,
                    std::chrono::system_clock::time_point now, const std::string& expected_server);

  // A certificate of `server` (by the hashes the configuration registers for it) that a
  // refused handshake left pending. Every request that met the refusal gets it, so requests
  // made side by side each fetch responses; none fails for another's fetch.
  std::optional<crypto::Certificate> pending(const globalconf::SecurityServer& server);

  // Keeps `responses` (DER OCSP responses) for `cert`, replacing what was kept; `cert` is
  // pending no more.
  void store(const crypto::Certificate& cert, std::vector<std::string> responses);

  // Counts store() calls: a request refused before another stored responses (so it finds
  // nothing pending) sees it move, and connects again.
  std::uint64_t generation() const { return generation_.load(); }

 private:
  const trust::Trust& rules_;
  Mutex mu_;
  std::map<std::string, std::vector<std::string>> responses_ GUARDED_BY(mu_);  // by certificate SHA-1 hex
  struct Pending {
    crypto::Certificate cert;
    std::string sha256, sha1;  // of the DER, as a configuration may register either
  };
  std::map<std::string, Pending> pending_ GUARDED_BY(mu_);  // by certificate DER
  std::atomic<std::uint64_t> generation_{0};
};

// The OCSP responses in a responder's answer to GET /?cert=<sha1 hex>: a multipart/related
// body of application/ocsp-response parts (xroad-protocols.md §3.2).
// errc::ssl_auth_failed when the answer carries none.
Result<std::vector<std::string>> ocsp_responses_of(std::string_view content_type, std::string_view body);

}  // namespace roadside::proxy
