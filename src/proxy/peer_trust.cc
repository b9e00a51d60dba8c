#include "proxy/peer_trust.h"

#include "mime/multipart.h"
#include "proxy/context.h"
#include "proxy/errors.h"

namespace roadside::proxy {

std::string PeerTrust::check(const net::PeerChain& chain, const globalconf::SharedParameters& shared,
                             std::chrono::system_clock::time_point now, const std::string& expected_server) {
  if (chain.empty()) return "the server presented no certificate";
  auto expected = XRoadId::parse(expected_server);
  if (!expected.ok()) return "the server called has no usable identifier: " + expected_server.substr(0, 256);
  auto peer = registered_peer(chain.front(), shared, &*expected);
  if (!peer.ok()) return peer.error().detail();
  // Responses are kept by the certificate's SHA-1 and pending certificates by their DER, both
  // as the parsed certificate gives them (store() is handed a parsed one).
  std::vector<std::string> responses;
  {
    MutexLock lock(mu_);
    if (auto it = responses_.find(peer->cert.sha1_hex()); it != responses_.end()) responses = it->second;
  }
  auto trusted = trust_peer(*peer, chain, responses, shared, rules_, now);
  if (trusted.ok()) return {};
  // Only a missing or unusable OCSP status (a first contact, stale responses) can be settled
  // by fresh responses from the server; an expired, revoked or unchained certificate stays
  // refused whatever they say, so nothing is fetched for it.
  if (trusted.error().code() == crypto::make_error_code(crypto::errc::incorrect_validation_info)) {
    const std::string der = peer->cert.to_der();
    MutexLock lock(mu_);
    if (pending_.size() >= kMaxCertificates) pending_.clear();
    if (!pending_.contains(der)) pending_.emplace(der, Pending{peer->cert, crypto::sha256(der), crypto::sha1(der)});
  }
  return trusted.error().detail();
}

std::optional<crypto::Certificate> PeerTrust::pending(const globalconf::SecurityServer& server) {
  MutexLock lock(mu_);
  for (const auto& [der, p] : pending_) {
    for (const auto& h : server.auth_cert_hashes) {
      if (h == p.sha256 || h == p.sha1) return p.cert;
    }
  }
  return std::nullopt;
}

void PeerTrust::store(const crypto::Certificate& cert, std::vector<std::string> responses) {
  MutexLock lock(mu_);
  pending_.erase(cert.to_der());
  if (responses_.size() >= kMaxCertificates) responses_.clear();
  responses_.insert_or_assign(cert.sha1_hex(), std::move(responses));
  ++generation_;
}

Result<std::vector<std::string>> ocsp_responses_of(std::string_view content_type, std::string_view body) {
  auto fail = [](std::string why) { return Error(make_error_code(errc::ssl_auth_failed), std::move(why)); };
  const auto type = mime::HeaderValue::parse(content_type);
  std::vector<std::string> out;
  if (type.value == "application/ocsp-response") {
    out.emplace_back(body);
    return out;
  }
  auto boundary = type.params.find("boundary");
  if (type.value != "multipart/related" || boundary == type.params.end()) {
    return fail("the OCSP responder answered \"" + type.value + "\", not OCSP responses");
  }
  auto parts = mime::parse_multipart(body, boundary->second, 16);
  if (!parts.ok()) return fail("the OCSP responder's answer cannot be read: " + parts.error().detail());
  for (const auto& p : *parts) {
    if (mime::HeaderValue::parse(p.headers.get("content-type").value_or("")).value == "application/ocsp-response")
      out.emplace_back(p.body);
  }
  if (out.empty()) return fail("the OCSP responder's answer holds no OCSP response");
  return out;
}

}  // namespace roadside::proxy
