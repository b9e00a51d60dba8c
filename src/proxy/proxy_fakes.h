// Fakes for the proxies' unit tests (test code only): an HTTP exchange without a socket, and
// the services a proxy uses (keys, signer, OCSP source, trust checks, peer and service
// transports), each answering what the test tells it to and recording what it was asked.
// For the tests that check signatures by X-Road's own rules instead of the fake trust: keys
// from the test PKI's CA, the CA approved in a configuration, and edits that break a signed
// message. (Their OCSP responses come from testbed/authority.h, which only *_test.cc files
// may include.)
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "crypto/crypto.h"
#include "crypto/test_pki.h"
#include "net/errors.h"
#include "net/http_server.h"
#include "net/payload.h"
#include "messagelog/zip.h"
#include "proxy/context.h"
#include "proxy/errors.h"
#include "proxy/peer_transport.h"
#include "proxy/service_transport.h"
#include "proxy/transport.h"
#include "signer/batch_signer.h"
#include "signer/message_signer.h"
#include "signer/ocsp.h"
#include "signer/token.h"
#include "trust/certificate_profile.h"
#include "trust/verifier.h"

namespace roadside::proxy::fakes {

namespace http = boost::beast::http;

// An identifier the test spells out ("SUBSYSTEM:EE/COM/1/CLIENT").
inline XRoadId id(std::string_view text) {
  return XRoadId::parse(text).value();
}

// One request as a client sent it, and the response the handler gave.
class FakeExchange final : public net::ServerExchange {
 public:
  FakeExchange(http::verb method, std::string target, std::vector<std::pair<std::string, std::string>> headers,
               std::string body, net::PeerInfo peer = {})
      : body_(std::move(body)), peer_(std::move(peer)) {
    request_.method(method);
    request_.target(target);
    request_.version(11);
    for (auto& [name, value] : headers) request_.set(name, value);
  }

  const http::request_header<>& request() const override { return request_; }
  const net::PeerInfo& peer() const override { return peer_; }
  boost::asio::awaitable<Result<std::size_t>> read_body(std::span<char> buf) override {
    const std::size_t n = std::min(buf.size(), body_.size() - read_);
    std::copy_n(body_.data() + read_, n, buf.data());
    read_ += n;
    co_return n;
  }
  boost::asio::awaitable<Status> respond(net::StringResponse response) override {
    head_ = response.base();
    out_ = std::move(response.body());
    responded_ = true;
    co_return Status{};
  }
  boost::asio::awaitable<Status> start_response(http::response_header<> head) override {
    head_ = std::move(head);
    responded_ = true;
    co_return Status{};
  }
  boost::asio::awaitable<Status> write_body(std::string_view data) override {
    out_.append(data);
    co_return Status{};
  }
  boost::asio::awaitable<Status> finish_response() override { co_return Status{}; }
  bool responded() const override { return responded_; }

  unsigned status() const { return head_.result_int(); }
  std::size_t bytes_read() const { return read_; }
  std::string header(std::string_view name) const { return std::string(head_[name]); }
  const std::string& body() const { return out_; }

 private:
  http::request_header<> request_;
  std::string body_;
  std::size_t read_ = 0;
  net::PeerInfo peer_;
  http::response_header<> head_;
  std::string out_;
  bool responded_ = false;
};

// A key and a self-signed certificate of the usage given.
inline std::shared_ptr<const signer::OpenKey> make_key(const std::string& name, crypto::Usage usage) {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256).value();
  auto cert = crypto::issue_certificate({.common_name = name, .usage = usage}, key, nullptr, key).value();
  signer::TokenKeyInfo info{name, signer::KeyUsage::signing, std::nullopt, name, std::move(cert)};
  if (usage == crypto::Usage::tls_server_and_client) info.usage = signer::KeyUsage::authentication;
  return std::make_shared<const signer::OpenKey>(signer::OpenKey{std::move(info), std::move(key)});
}

class FakeKeys final : public signer::KeySource {
 public:
  std::shared_ptr<const signer::OpenKey> signing = make_key("signing", crypto::Usage::signing);
  std::shared_ptr<const signer::OpenKey> auth = make_key("auth", crypto::Usage::tls_server_and_client);
  std::optional<Error> refuse;  // every key refused with this

  Result<std::shared_ptr<const signer::OpenKey>> signing_key(const XRoadId&) const override {
    if (refuse) return *refuse;
    return signing;
  }
  Result<std::shared_ptr<const signer::OpenKey>> auth_key() const override {
    if (refuse) return *refuse;
    return auth;
  }
};

class FakeSigner final : public signer::Signer {
 public:
  std::optional<Error> refuse;
  int calls = 0;
  std::vector<signer::MessageParts> asked;  // what each call was to sign
  boost::asio::awaitable<Result<signer::SignedMessageParts>> sign(std::shared_ptr<const signer::OpenKey>,
                                                                  signer::MessageParts parts) override {
    ++calls;
    asked.push_back(std::move(parts));
    if (refuse) co_return *refuse;
    co_return signer::SignedMessageParts{"<signature/>", std::nullopt, std::nullopt};
  }
};

class FakeOcsp final : public signer::OcspSource {
 public:
  std::optional<Error> refuse;
  Result<std::string> fresh_response(const crypto::Certificate&,
                                     const std::shared_ptr<const globalconf::SharedParameters>&,
                                     std::chrono::system_clock::time_point) const override {
    if (refuse) return *refuse;
    return std::string("ocsp-response");
  }
};

// Trust checks that pass, unless told to refuse; they record the time they were asked at.
class FakeTrust final : public trust::Trust {
 public:
  std::optional<Error> refuse_message, refuse_certificate;
  mutable std::vector<std::chrono::system_clock::time_point> asked_at;
  mutable std::vector<XRoadId> signers;                     // the member each message was checked for
  mutable std::vector<std::vector<std::string>> ocsp_seen;  // the responses each certificate was checked with

  Result<trust::VerifiedSignature> verify_message(const std::string&, const trust::SignedMessage&,
                                                  const globalconf::SharedParameters&,
                                                  const trust::SignerCheck& check) const override {
    asked_at.push_back(check.at);
    signers.push_back(check.expected_signer);
    if (refuse_message) return *refuse_message;
    return trust::VerifiedSignature{check.expected_signer, nullptr, {}};
  }
  Result<trust::CertificateStatus> verify_certificate(const crypto::Certificate&,
                                                      const std::vector<crypto::Certificate>&,
                                                      const std::vector<std::string>& ocsp,
                                                      const globalconf::SharedParameters&,
                                                      std::chrono::system_clock::time_point at) const override {
    asked_at.push_back(at);
    ocsp_seen.push_back(ocsp);
    if (refuse_certificate) return *refuse_certificate;
    return trust::CertificateStatus{};
  }
};

// The provider's servers: `answer` gets the decoded request and the server it was sent to.
class FakePeers final : public PeerTransport {
 public:
  std::function<Result<net::ClientResponse>(const globalconf::SecurityServer&, const TransportMessage&)> answer;
  std::vector<std::string> contacted;               // server ids, in order
  std::vector<std::vector<std::string>> ocsp_sent;  // the OCSP responses each request carried
  std::vector<EncodedMessage> sent;                 // each request as encoded, its pieces as given
  std::optional<std::size_t> fastest_index;
  int fastest_asked = 0;

  boost::asio::awaitable<Result<net::ClientResponse>> send(const globalconf::SecurityServer* server,
                                                           const EncodedMessage* encoded, const HeaderList*) override {
    contacted.push_back(server->id.to_string());
    sent.push_back(*encoded);
    auto request = decode_transport(encoded->content_type, encoded->joined());
    if (!request.ok()) co_return request.error();
    ocsp_sent.push_back(request->ocsp_responses);
    co_return answer(*server, *request);
  }
  boost::asio::awaitable<std::optional<std::size_t>> fastest(std::vector<std::string>) override {
    ++fastest_asked;
    co_return fastest_index;
  }
};

// The services: `answer` gets the URL and the request (its body joined).
class FakeServices final : public ServiceTransport {
 public:
  std::function<Result<net::ClientResponse>(const std::string& url, const std::string& method, const std::string& body)>
      answer;
  std::vector<std::string> called;  // URLs, in order
  std::vector<ServiceTls> tls;       // how each call's TLS certificate was to be judged
  std::vector<http::request_header<>> heads;           // send(): each call's head
  std::vector<std::vector<net::Payload>> sent;         // send(): each call's body, as the pieces given

  boost::asio::awaitable<Result<net::ClientResponse>> send(net::Url url, http::request_header<> head,
                                                           std::vector<net::Payload> body, std::chrono::milliseconds, ServiceTls t,
                                                           net::HeadCheck check_head) override {
    called.push_back(url.to_string());
    tls.push_back(std::move(t));
    heads.push_back(head);
    std::string joined;
    for (const auto& p : body) joined += p.read_all(UINT64_MAX).value_or("");
    sent.push_back(std::move(body));
    auto r = answer(url.to_string(), std::string(head.method_string()), joined);
    if (r.ok() && check_head) {
      if (auto st = check_head(r->message); !st.ok()) co_return st.error();
    }
    co_return r;
  }
  boost::asio::awaitable<Result<net::ClientResponse>> get(std::string url, std::chrono::milliseconds, ServiceTls t) override {
    called.push_back(url);
    tls.push_back(std::move(t));
    co_return answer(url, "GET", "");
  }
};

// An HTTP response a peer or service sends.
inline net::ClientResponse http_answer(unsigned status, std::string content_type, std::string body,
                                       net::PeerChain chain = {}) {
  net::ClientResponse r;
  r.message.result(status);
  r.message.version(11);
  if (!content_type.empty()) r.message.set(http::field::content_type, content_type);
  r.message.body() = std::move(body);
  r.server_chain = std::move(chain);
  return r;
}

// The fault code a response carries: X-Road-Error of a REST error, else a SOAP faultcode;
// "" when it carries none.
inline std::string fault_code_of(const FakeExchange& ex) {
  if (!ex.header("X-Road-Error").empty()) return ex.header("X-Road-Error");
  const auto start = ex.body().find("<faultcode>");
  if (start == std::string::npos) return "";
  const auto end = ex.body().find("</faultcode>", start);
  return ex.body().substr(start + 11, end - start - 11);
}

// The message log as a list of what was logged, in order. `refuse` makes check_can_log
// fail; from the `fail_from`-th call (0-based) on, log() fails as a database would.
struct FakeMessageLog : messagelog::MessageLog {
  std::vector<messagelog::LogEntry> entries;
  std::optional<Error> refuse;
  int fail_from = -1;
  int calls = 0;
  Status check_can_log() const override {
    if (refuse) return *refuse;
    return {};
  }
  boost::asio::awaitable<Status> log(messagelog::LogEntry entry) override {
    if (auto st = check_can_log(); !st.ok()) co_return st;
    if (fail_from >= 0 && calls++ >= fail_from) {
      co_return Error(make_error_code(messagelog::errc::log_failed), "the message log could not be written: disk full");
    }
    entries.push_back(std::move(entry));
    co_return Status{};
  }
};

// What the tests of both proxies share: the fakes, the two configurations (each can be
// switched off), and a ProxyContext wired to them.
struct FakeWorld {
  FakeWorld() {
    ctx.shared = [this] {
      return globalconf_on ? std::shared_ptr<const globalconf::SharedParameters>(shared) : nullptr;
    };
    ctx.globalconf_problem = [this] { return std::optional<std::string>(globalconf_problem); };
    ctx.serverconf = [this] { return serverconf_on ? std::shared_ptr<const serverconf::ServerConf>(conf) : nullptr; };
    ctx.clock = &clock;
    ctx.keys = &keys;
    ctx.signer = &signer;
    ctx.ocsp = &ocsp;
    ctx.trust = &trust;
    ctx.metrics = &metrics;
  }

  boost::asio::io_context io;
  metrics::Registry metrics;
  ManualClock clock;
  FakeKeys keys;
  FakeSigner signer;
  FakeOcsp ocsp;
  FakeTrust trust;
  std::shared_ptr<globalconf::SharedParameters> shared = std::make_shared<globalconf::SharedParameters>();
  std::shared_ptr<serverconf::ServerConf> conf;
  bool globalconf_on = true, serverconf_on = true;
  std::string globalconf_problem = "the global configuration has expired";
  ProxyContext ctx;
};

// ---- genuine signatures, for X-Road's own rules (trust::Trust::xroad()) -------------------

// The test PKI's CA (crypto/test_pki.h) approved in `shared`, with its OCSP responder and
// X-Road's FiVRK certificate profile: what it issues passes X-Road's trust rules.
inline void approve_test_ca(globalconf::SharedParameters& shared) {
  const auto& pki = testing::test_pki();
  shared.approved_cas.push_back(
      {"Test CA", false, {pki.ca, {{"http://ocsp.example", pki.ocsp, "FREE"}}}, {}, std::string(trust::kFiVrkProfile)});
}

// A new key with a certificate the test PKI's CA issues to `spec`.
inline std::shared_ptr<const signer::OpenKey> key_from_test_ca(const crypto::CertificateSpec& spec) {
  const auto& pki = testing::test_pki();
  auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256).value();
  auto cert = crypto::issue_certificate(spec, key, &pki.ca, pki.ca_key).value();
  signer::TokenKeyInfo info{spec.common_name, signer::KeyUsage::signing, std::nullopt, spec.common_name,
                            std::move(cert)};
  if (spec.usage == crypto::Usage::tls_server_and_client) info.usage = signer::KeyUsage::authentication;
  return std::make_shared<const signer::OpenKey>(signer::OpenKey{std::move(info), std::move(key)});
}

// The signing key of `member` on its server `server_code`: its certificate's subject is what
// the FiVRK profile maps back to the member (serialNumber instance/server/class, CN code).
inline std::shared_ptr<const signer::OpenKey> member_signing_key(const XRoadId& member, std::string_view server_code) {
  const std::string serial =
      std::string(member.instance()) + "/" + std::string(server_code) + "/" + std::string(member.member_class());
  return key_from_test_ca({.common_name = std::string(member.member_code()),
                           .organization = "Test member",
                           .country = "FI",
                           .subject_extra = {{"serialNumber", serial}},
                           .usage = crypto::Usage::signing});
}

// Defined in proxy_fakes_test.cc: they answer as the test PKI's OCSP responder, and only
// test sources may use testbed's stand-ins (CONTRIBUTING.md).
// A good OCSP response for `cert` from the test PKI's responder, made at `at`.
std::string good_ocsp(const crypto::Certificate& cert, std::chrono::system_clock::time_point at);
// `m` signed by `key` at `at` as a batch signer does, with a good OCSP response for the key's
// certificate; with `batch_with`, in one batch with those messages (a hash tree, each
// message getting its own chain).
TransportMessage signed_as_batch(TransportMessage m, const signer::OpenKey& key, std::chrono::system_clock::time_point at,
                                 std::vector<signer::MessageParts> batch_with = {});

// `xml` without its first <name>...</name> element (unchanged when it has none).
inline std::string without_element(std::string xml, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">", close = "</" + std::string(name) + ">";
  const auto start = xml.find(open);
  const auto end = xml.find(close, start);
  if (start == std::string::npos || end == std::string::npos) return xml;
  return xml.erase(start, end + close.size() - start);
}

// `xml` with another value in the first <DigestValue> after `marker` (unchanged without one).
inline std::string with_other_digest_after(std::string xml, std::string_view marker) {
  const auto at = xml.find(marker);
  const auto value = at == std::string::npos ? at : xml.find("<DigestValue>", at);
  if (value == std::string::npos) return xml;
  char& first = xml[value + std::string_view("<DigestValue>").size()];
  first = first == 'A' ? 'B' : 'A';
  return xml;
}

// The spool limits (proxy.spool_quota_bytes, proxy.spool_min_free_bytes) for one test; they
// are the process's, so the defaults come back after it.
class SpoolLimitsForTest {
 public:
  explicit SpoolLimitsForTest(const net::SpoolLimits& limits) { net::set_spool_limits(limits); }
  ~SpoolLimitsForTest() { net::set_spool_limits({}); }
  SpoolLimitsForTest(const SpoolLimitsForTest&) = delete;
  SpoolLimitsForTest& operator=(const SpoolLimitsForTest&) = delete;
};

// Runs a proxy's handler to its end.
template <typename Proxy>
void run(boost::asio::io_context& io, Proxy& proxy, FakeExchange& ex) {
  auto done = boost::asio::co_spawn(io, proxy.handle(ex), boost::asio::use_future);
  io.restart();
  io.run();
  done.get();
}

// Whether a message's operational data has all four of its times, in the order they happen.
inline bool times_in_order(const opmon::OpRecord& r) {
  return r.request_in_ts && r.request_out_ts && r.response_in_ts && r.response_out_ts &&
         *r.request_in_ts <= *r.request_out_ts && *r.request_out_ts <= *r.response_in_ts &&
         *r.response_in_ts <= *r.response_out_ts;
}

}  // namespace roadside::proxy::fakes
