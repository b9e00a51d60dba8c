#include "signer/ocsp.h"

#include "base/files.h"
#include "trust/verifier.h"

namespace roadside::signer {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

Error not_ocsp(std::string detail) {
  return Error(make_error_code(crypto::errc::incorrect_validation_info), "OCSP responder: " + std::move(detail));
}

bool is_hex_name(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

boost::asio::awaitable<Result<std::string>> fetch_ocsp_response(net::HttpClient& http, std::string url,
                                                                crypto::Certificate cert, crypto::Certificate issuer) {
  auto request = crypto::make_ocsp_request(cert, issuer);
  if (!request.ok()) co_return request.error();
  auto response =
      co_await http.post(url, "application/ocsp-request", std::move(request).value(), "application/ocsp-response");
  if (!response.ok()) co_return response.error();
  const auto& msg = response->message;
  if (msg.result() != http::status::ok) co_return not_ocsp(url + " answered HTTP " + std::to_string(msg.result_int()));
  if (msg.body().empty() || msg.body().size() > kMaxOcspResponseBytes) {
    co_return not_ocsp(url + " sent a body of " + std::to_string(msg.body().size()) + " bytes");
  }
  co_return msg.body();
}

OcspCache::OcspCache(fs::path dir) : dir_(std::move(dir)) {}

std::size_t OcspCache::load() {
  if (dir_.empty()) return 0;
  std::error_code ec;
  std::size_t loaded = 0;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() != ".ocsp" || !is_hex_name(stem)) continue;
    auto der = read_file_limited(e.path(), kMaxOcspResponseBytes);
    if (!der.ok() || der->empty()) continue;
    MutexLock lock(mu_);
    by_hash_[stem] = std::move(der).value();
    ++loaded;
  }
  return loaded;
}

std::optional<std::string> OcspCache::get(const crypto::Certificate& cert) const {
  return get_by_hash(cert.sha1_hex());
}

std::optional<std::string> OcspCache::get_by_hash(const std::string& sha1_hex) const {
  MutexLock lock(mu_);
  auto it = by_hash_.find(sha1_hex);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

Status OcspCache::put(const crypto::Certificate& cert, std::string der) {
  const std::string hash = cert.sha1_hex();
  if (!dir_.empty()) ROADSIDE_TRY_STATUS(write_file_atomically(dir_ / (hash + ".ocsp"), der));
  MutexLock lock(mu_);
  by_hash_[hash] = std::move(der);
  return {};
}

Result<std::string> OcspManager::fresh_response(const crypto::Certificate& cert,
                                                const std::shared_ptr<const globalconf::SharedParameters>& shared,
                                                std::chrono::system_clock::time_point now) const {
  const std::string id = cert.sha1_hex();
  auto der = cache_.get_by_hash(id);
  if (!der) {
    return Error(make_error_code(crypto::errc::incorrect_validation_info),
                 "no OCSP response for " + cert.subject() + " yet");
  }
  {
    MutexLock lock(mu_);
    auto it = verified_.find(id);
    if (it != verified_.end() && it->second.der == *der && it->second.under.lock() == shared) {
      // The time rules of X-Road's OcspVerifier (freshness, nextUpdate), as verify_ocsp_response applies them.
      const auto& r = it->second.result;
      const bool fresh = r.this_update >= now - std::chrono::seconds(shared->ocsp_freshness_seconds) &&
                         (!r.next_update || *r.next_update >= now);
      if (fresh) return *der;
    }
  }
  ROADSIDE_TRY(trust::IssuerOf issuer, trust::find_issuer(cert, *shared));
  ROADSIDE_TRY(crypto::OcspResult result, crypto::verify_ocsp_response(*der, cert, issuer.cert->cert,
                                                                       trust::ocsp_check_for(issuer, *shared, now)));
  MutexLock lock(mu_);
  verified_[id] = Verified{*der, std::move(result), shared};
  return *der;
}

boost::asio::awaitable<Status> OcspManager::refresh(std::vector<crypto::Certificate> own,
                                                    std::shared_ptr<const globalconf::SharedParameters> shared) {
  Status first;
  const auto now = clock_.now();
  for (const auto& cert : own) {
    // Still fresh for more than half the freshness period: keep it.
    const auto half = std::chrono::seconds(shared->ocsp_freshness_seconds / 2);
    if (fresh_response(cert, shared, now + half).ok()) continue;
    auto issuer = trust::find_issuer(cert, *shared);
    if (!issuer.ok()) {
      if (first.ok()) first = issuer.error();
      continue;
    }
    std::vector<const globalconf::OcspResponder*> responders;
    for (const auto& r : issuer->cert->ocsp) responders.push_back(&r);
    if (issuer->cert != &issuer->ca->top) {
      for (const auto& r : issuer->ca->top.ocsp) responders.push_back(&r);
    }
    Status this_cert = Error(make_error_code(crypto::errc::incorrect_validation_info),
                             "CA " + issuer->ca->name + " lists no OCSP responder for " + cert.subject());
    for (const auto* responder : responders) {
      auto der = co_await fetch_ocsp_response(http_, responder->url, cert, issuer->cert->cert);
      if (!der.ok()) {
        this_cert = Error(der.error().code(), responder->url + ": " + der.error().detail());
        continue;
      }
      auto checked = crypto::verify_ocsp_response(*der, cert, issuer->cert->cert,
                                                  trust::ocsp_check_for(*issuer, *shared, clock_.now()));
      // cert_validation: a valid, fresh answer that the certificate is revoked or unknown. It
      // is the CA's word, as a good one would be: it replaces the cached response at once
      // (signing stops, port 5577 serves it) and no other responder is asked to overrule it.
      const bool definitive = checked.ok() || checked.error().code() == crypto::errc::cert_validation;
      if (!definitive) {
        this_cert = Error(checked.error().code(), responder->url + ": " + checked.error().detail());
        continue;
      }
      if (auto st = cache_.put(cert, std::move(der).value()); !st.ok()) {
        this_cert = st;
        continue;
      }
      this_cert = checked.ok() ? Status() : Status(checked.error());
      break;
    }
    if (!this_cert.ok() && first.ok()) first = this_cert;
  }
  co_return first;
}

}  // namespace roadside::signer
