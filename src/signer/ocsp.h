// OCSP responses for the signer's certificates: fetched from the CA's responder as X-Road's
// signer does (POST of an unsigned request, SHA-1 CertID, no nonce, Content-Type
// application/ocsp-request; xroad-protocols.md §8.3) and cached in memory and on disk
// (<dir>/<certificate SHA-1 hex>.ocsp, DER), so a restart can sign before the responder
// answers again.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "net/http_client.h"

namespace roadside::signer {

inline constexpr std::size_t kMaxOcspResponseBytes = 1 << 20;

// Asks the responder at `url` about `cert`; returns the DER OCSPResponse, not yet verified
// (crypto::verify_ocsp_response does that with the configuration's rules).
// Errors: net errors for transport failures; crypto::errc::incorrect_validation_info when the
// answer is not an OCSP response.
boost::asio::awaitable<Result<std::string>> fetch_ocsp_response(net::HttpClient& http, std::string url,
                                                                 crypto::Certificate cert, crypto::Certificate issuer);

class OcspCache {
 public:
  // `dir` is created when missing; an empty path keeps the cache in memory only.
  explicit OcspCache(std::filesystem::path dir);

  // Loads every cached response from disk; unreadable files are skipped and counted.
  std::size_t load();
  std::optional<std::string> get(const crypto::Certificate& cert) const;
  // By the certificate's lower-case hex SHA-1 (X-Road's OCSP download channel).
  std::optional<std::string> get_by_hash(const std::string& sha1_hex) const;
  // Stores a response (already verified by the caller): in memory, then atomically on disk.
  Status put(const crypto::Certificate& cert, std::string der);

 private:
  std::filesystem::path dir_;
  mutable Mutex mu_;
  std::map<std::string, std::string> by_hash_ GUARDED_BY(mu_);  // certificate SHA-1 hex -> DER
};

// OCSP responses for this server's own certificates (the authentication certificate and the
// signing certificates): fetched from the issuing CA's responders listed in the global
// configuration, verified by X-Road's rules before they are kept, refreshed when half of
// their freshness has passed, and cached on disk. Signatures embed them; the transport
// sends the authentication certificate's; the OCSP responder (port 5577) serves them.
// Where the message path takes fresh OCSP responses for its own certificates from
// (OcspManager; a fake in unit tests).
class OcspSource {
 public:
  virtual ~OcspSource() = default;
  // A response for `cert` that is good and fresh at `now` under `shared`'s rules, or
  // crypto::errc::incorrect_validation_info (cert_validation when revoked).
  virtual Result<std::string> fresh_response(const crypto::Certificate& cert,
                                             const std::shared_ptr<const globalconf::SharedParameters>& shared,
                                             std::chrono::system_clock::time_point now) const = 0;
};

class OcspManager final : public OcspSource {
 public:
  // `clock` says when a fetched response is checked (fresh_response is told the time).
  OcspManager(net::HttpClient& http, OcspCache& cache, const Clock& clock = Clock::system()) : http_(http), cache_(cache), clock_(clock) {}

  // Makes sure every certificate in `own` has a fresh verified response. Returns the first
  // failure (the others are still tried); logged by the caller.
  boost::asio::awaitable<Status> refresh(std::vector<crypto::Certificate> own,
                                         std::shared_ptr<const globalconf::SharedParameters> shared);
  // The cached response for `cert` if it is good and fresh at `now` under `shared`'s rules.
  // crypto::errc::incorrect_validation_info (or cert_validation when revoked) otherwise.
  // Every signature and every request asks, so the response's signature and responder are
  // verified once per response and configuration; only its times are checked each call.
  Result<std::string> fresh_response(const crypto::Certificate& cert, const std::shared_ptr<const globalconf::SharedParameters>& shared,
                                     std::chrono::system_clock::time_point now) const override;

 private:
  struct Verified {
    std::string der;
    crypto::OcspResult result;
    std::weak_ptr<const globalconf::SharedParameters> under;  // the configuration it was verified with
  };
  net::HttpClient& http_;
  OcspCache& cache_;
  const Clock& clock_;
  mutable Mutex mu_;
  mutable std::map<std::string, Verified> verified_ GUARDED_BY(mu_);  // by certificate SHA-1 hex
};

}  // namespace roadside::signer
