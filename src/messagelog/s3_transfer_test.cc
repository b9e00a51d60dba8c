// The archive transfer to S3: its checks of the target, URLs and error texts; what it sends,
// against a stand-in server on loopback (which also plays servers whose ETag is not the MD5,
// and one that never answers); and the real thing against an S3-compatible server
// (tests/s3/s3-server.js: s3rver, with the AWS SDK's signer checking every signature),
// started by the test on a free port with its own folder.
#include "messagelog/s3_transfer.h"

#include <cstdlib>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/certificate.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/keys.h"
#include "messagelog/sigv4.h"
#include "messagelog/zip.h"
#include "net/errors.h"
#include "net/http_server.h"
#include "support/test_support.h"

namespace roadside::messagelog {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using roadside::testing::TempDir;

S3Target valid_target() {
  S3Target t;
  t.endpoint = "http://127.0.0.1:9000";
  t.bucket = "archives";
  t.access_key_id = "AKID";
  t.secret_access_key = "secret";
  return t;
}

std::string detail_of(const Status& s) {
  return s.ok() ? std::string("ok") : s.error().detail();
}

// A file of `size` bytes that are not all alike.
std::string make_bytes(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 2654435761u) >> 13);
  return out;
}

TEST(S3Target, ChecksNameTheOptionAtFault) {
  EXPECT_TRUE(check_s3_target(valid_target()).ok()) << detail_of(check_s3_target(valid_target()));
  struct Case {
    std::function<void(S3Target&)> change;
    std::string expected;  // in the error's detail
  };
  const std::vector<Case> cases = {
      {[](S3Target& t) { t.endpoint.clear(); }, "archive_s3_endpoint is empty"},
      {[](S3Target& t) { t.endpoint = "ftp://example.org"; }, "archive_s3_endpoint"},
      {[](S3Target& t) { t.endpoint = "https://s3.example.org/bucket"; }, "no path, query or user"},
      {[](S3Target& t) { t.endpoint = "https://user@s3.example.org"; }, "user information is not supported"},
      {[](S3Target& t) { t.endpoint = "https://s3.example.org/?x=1"; }, "no path, query or user"},
      {[](S3Target& t) { t.region = "eu west"; }, "archive_s3_region"},
      {[](S3Target& t) { t.bucket.clear(); }, "archive_s3_bucket is empty"},
      {[](S3Target& t) { t.bucket = "a/b"; }, "not a bucket name"},
      {[](S3Target& t) {
         t.path_style = false;
         t.bucket = "Archives";
       },
       "virtual-host style"},
      {[](S3Target& t) {
         t.path_style = false;
         t.endpoint = "https://s3.example.org";
         t.bucket = "my.archives";
       },
       "wildcard TLS certificate"},
      {[](S3Target& t) { t.access_key_id.clear(); }, "archive_s3_access_key_id"},
      {[](S3Target& t) { t.access_key_id = "AK/ID"; }, "archive_s3_access_key_id"},
      {[](S3Target& t) { t.secret_access_key.clear(); }, "archive_s3_secret_access_key is empty"},
      {[](S3Target& t) { t.ca_file = "/nonexistent/ca.pem"; }, "archive_s3_ca_file"},
  };
  for (const auto& c : cases) {
    S3Target t = valid_target();
    c.change(t);
    const Status s = check_s3_target(t);
    ASSERT_FALSE(s.ok()) << c.expected;
    EXPECT_EQ(s.error().code(), make_error_code(errc::transfer_failed));
    EXPECT_NE(s.error().detail().find(c.expected), std::string::npos) << s.error().detail();
  }
  // A dotted bucket is fine over plain HTTP in virtual-host style, and in path style anywhere.
  S3Target dotted = valid_target();
  dotted.bucket = "my.archives";
  EXPECT_TRUE(check_s3_target(dotted).ok());
  dotted.path_style = false;
  EXPECT_TRUE(check_s3_target(dotted).ok()) << detail_of(check_s3_target(dotted));
}

TEST(S3Target, ObjectUrlsInPathAndVirtualHostStyle) {
  S3Target t = valid_target();
  auto path = s3_object_url(t, "ss1/archive$1 a.zip");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->to_string(), "http://127.0.0.1:9000/archives/ss1/archive%241%20a.zip");

  t.endpoint = "https://s3.eu-north-1.amazonaws.com";
  t.path_style = false;
  auto vhost = s3_object_url(t, "ss1/a.zip");
  ASSERT_TRUE(vhost.ok());
  EXPECT_EQ(vhost->host, "archives.s3.eu-north-1.amazonaws.com");
  EXPECT_EQ(vhost->port, 443);
  EXPECT_EQ(vhost->target, "/ss1/a.zip");
}

TEST(S3Target, AmzDateIsIso8601Basic) {
  EXPECT_EQ(amz_date(Clock::time_point(std::chrono::seconds(1369353600))), "20130524T000000Z");
  EXPECT_EQ(amz_date(Clock::time_point(std::chrono::seconds(1764937199) + 999ms)), "20251205T121959Z");
}

TEST(S3Errors, TheServersCodeAndMessageBounded) {
  EXPECT_EQ(describe_s3_error(403,
                              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
                              "<Message>The request signature we calculated does not match.</Message>"
                              "<RequestId>4442587FB7D0A2F9</RequestId></Error>"),
            "403 SignatureDoesNotMatch: The request signature we calculated does not match.");
  EXPECT_EQ(describe_s3_error(404, "<Error><Code>NoSuchBucket</Code></Error>"), "404 NoSuchBucket");
  EXPECT_EQ(describe_s3_error(502, ""), "502 (no S3 error document)");
  EXPECT_EQ(describe_s3_error(502, "<html><body>Bad\n\n gateway</body></html>"),
            "502 (not an S3 error document: <html><body>Bad gateway</body></html>)");
  // A message of a megabyte, control characters and a DOCTYPE: bounded, printable, not parsed.
  const std::string huge = "<Error><Code>Slow\x01" + std::string(1000, 'D') + "</Code><Message>" +
                           std::string(1 << 20, 'x') + "</Message></Error>";
  const std::string d = describe_s3_error(500, huge);
  EXPECT_LT(d.size(), 500u) << d.size();
  EXPECT_EQ(d.find('\x01'), std::string::npos);
  // (A DOCTYPE is refused: no entity is expanded into the code.)
  EXPECT_TRUE(describe_s3_error(400, "<!DOCTYPE e [<!ENTITY x \"boom\">]><Error><Code>&x;</Code></Error>")
                  .starts_with("400 (not an S3 error document: <!DOCTYPE"));
}

// ---- against a stand-in server ----------------------------------------------------------

// An io_context on a background thread for the test's servers.
class Loop {
 public:
  Loop() : guard_(io.get_executor()), thread_([this] { io.run(); }) {}
  ~Loop() {
    guard_.reset();
    io.stop();
    thread_.join();
  }
  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// What the stand-in saw of one request.
struct Seen {
  std::string method, target;
  std::map<std::string, std::string> headers;
  std::string body;
};

// A stand-in S3 server: records each request and answers as `answer` says.
class StandIn {
 public:
  using Answer = std::function<net::StringResponse(const Seen&)>;
  explicit StandIn(Answer answer, std::optional<net::TlsServerConfig> tls = std::nullopt)
      : answer_(std::move(answer)),
        tls_(tls.has_value()),
        server_(
            loop_.io, options(std::move(tls)), [this](net::ServerExchange& ex) { return handle(ex); }, metrics_) {
    EXPECT_TRUE(server_.start().ok());
  }
  ~StandIn() { server_.stop_blocking(1s); }
  std::string endpoint() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(server_.port());
  }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  static net::ServerOptions options(std::optional<net::TlsServerConfig> tls) {
    net::ServerOptions o;
    o.name = "s3";
    o.limits.max_body_bytes = 64 << 20;
    o.tls = std::move(tls);
    return o;
  }
  asio::awaitable<void> handle(net::ServerExchange& ex) {
    Seen s;
    s.method = std::string(ex.request().method_string());
    s.target = std::string(ex.request().target());
    for (const auto& f : ex.request()) s.headers[lower(std::string(f.name_string()))] = std::string(f.value());
    auto body = co_await ex.read_body_all();
    if (!body.ok()) co_return;
    s.body = std::move(*body);
    if (s.target == "/archives/hang.zip") {
      asio::steady_timer t(co_await asio::this_coro::executor, 10s);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    net::StringResponse response = answer_(s);
    {
      std::lock_guard lock(mu_);
      seen_.push_back(std::move(s));
    }
    (void)co_await ex.respond(std::move(response));
  }
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  Answer answer_;
  bool tls_;
  Loop loop_;
  metrics::Registry metrics_;
  net::HttpServer server_;
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

net::StringResponse with_etag(const std::string& etag) {
  auto r = net::make_response(http::status::ok, "");
  r.set(http::field::etag, "\"" + etag + "\"");
  return r;
}

std::string md5_hex(std::string_view bytes) {
  auto m = crypto::Hasher::md5();
  m.update(bytes);
  return crypto::to_hex(m.finish());
}

TEST(S3Transfer, SendsASignedPutOfTheFileAsItIsOnDisk) {
  TempDir dir;
  const std::string bytes = make_bytes(1 << 20);
  roadside::testing::write_file(dir / "ss1-20261205.zip", bytes);
  StandIn s3([](const Seen& s) { return with_etag(md5_hex(s.body)); });
  ManualClock clock(Clock::time_point(std::chrono::seconds(1369353600)));
  S3Target target = valid_target();
  target.endpoint = s3.endpoint();
  target.region = "eu-west-1";
  target.prefix = "ss1/";
  ASSERT_TRUE(make_s3_transfer(target, clock)(dir / "ss1-20261205.zip").ok());

  const auto seen = s3.seen();
  ASSERT_EQ(seen.size(), 1u);
  const Seen& put = seen[0];
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/archives/ss1/ss1-20261205.zip");
  EXPECT_TRUE(put.body == bytes);
  EXPECT_EQ(put.headers.at("x-amz-content-sha256"), crypto::to_hex(crypto::sha256(bytes)));
  auto md5 = crypto::Hasher::md5();
  md5.update(bytes);
  EXPECT_EQ(put.headers.at("content-md5"), crypto::base64_encode(md5.finish()));
  EXPECT_EQ(put.headers.at("content-type"), "application/octet-stream");
  EXPECT_EQ(put.headers.at("x-amz-date"), "20130524T000000Z");
  // What was signed is what was sent: the signature over the headers as received.
  SigV4Request sig{"PUT", put.target, "", {}, put.headers.at("x-amz-content-sha256")};
  for (const char* name : {"content-md5", "host", "x-amz-content-sha256", "x-amz-date"})
    sig.headers.emplace_back(name, put.headers.at(name));
  EXPECT_EQ(put.headers.at("authorization"),
            sigv4_authorization(sig, {"20130524T000000Z", "eu-west-1", "s3"}, "AKID", "secret"));
  EXPECT_TRUE(put.headers.at("authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AKID/20130524/eu-west-1/s3/aws4_request,"
                               "SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date,"));
  EXPECT_TRUE(std::filesystem::exists(dir / "ss1-20261205.zip"));  // delete_local is off
}

TEST(S3Transfer, AnEtagThatIsNotTheMd5IsCheckedWithAHead) {
  TempDir dir;
  roadside::testing::write_file(dir / "a.zip", make_bytes(1000));
  std::string head_length = "1000";
  StandIn s3([&](const Seen& s) {
    if (s.method == "HEAD") {
      auto r = net::make_response(http::status::ok, "");
      r.set(http::field::etag, "\"kms-etag\"");
      r.content_length(std::stoull(head_length));  // (the stand-in sends no body to a HEAD)
      return r;
    }
    return with_etag("kms-etag");
  });
  S3Target target = valid_target();
  target.endpoint = s3.endpoint();
  target.delete_local = true;
  ASSERT_TRUE(make_s3_transfer(target)(dir / "a.zip").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "a.zip"));  // verified, then removed
  ASSERT_EQ(s3.seen().size(), 2u);
  EXPECT_EQ(s3.seen()[1].method, "HEAD");

  roadside::testing::write_file(dir / "a.zip", make_bytes(1000));
  head_length = "999";
  const Status s = make_s3_transfer(target)(dir / "a.zip");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), make_error_code(errc::transfer_failed));
  EXPECT_NE(s.error().detail().find("finds 999 bytes, not the file's 1000"), std::string::npos) << s.error().detail();
  EXPECT_TRUE(std::filesystem::exists(dir / "a.zip"));  // not verified: kept
}

TEST(S3Transfer, AServerThatStallsEndsTheUploadAtTheTimeout) {
  TempDir dir;
  roadside::testing::write_file(dir / "hang.zip", "x");
  StandIn s3([](const Seen&) { return with_etag("x"); });
  S3Target target = valid_target();
  target.endpoint = s3.endpoint();
  target.timeout = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  const Status s = make_s3_transfer(target)(dir / "hang.zip");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), make_error_code(net::errc::timeout)) << s.error().to_string();
  EXPECT_NE(s.error().detail().find("PUT s3://archives/hang.zip"), std::string::npos) << s.error().detail();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, roadside::testing::latency_bound(3s));
}

TEST(S3Transfer, HttpsVerifiesTheServerAgainstTheCaFileOrTheSystemsCas) {
  TempDir dir;
  auto ca_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto ca =
      *crypto::issue_certificate({.common_name = "Storage CA", .usage = crypto::Usage::ca}, ca_key, nullptr, ca_key);
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "127.0.0.1", .ip_addresses = {"127.0.0.1"}}, key, &ca, ca_key);
  auto other_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto other_ca = *crypto::issue_certificate({.common_name = "Other CA", .usage = crypto::Usage::ca}, other_key,
                                             nullptr, other_key);
  roadside::testing::write_file(dir / "ca.pem", ca.to_pem());
  roadside::testing::write_file(dir / "other-ca.pem", other_ca.to_pem());
  roadside::testing::write_file(dir / "a.zip", make_bytes(70'000));
  net::TlsServerConfig tls;
  tls.cert_chain_pem = cert.to_pem();
  tls.key_pem = key.to_pem();
  tls.policy = {};  // OpenSSL's defaults: what S3 endpoints offer
  StandIn s3([](const Seen& s) { return with_etag(md5_hex(s.body)); }, tls);

  S3Target target = valid_target();
  target.endpoint = s3.endpoint();
  target.ca_file = (dir / "ca.pem").string();
  const Status trusted = make_s3_transfer(target)(dir / "a.zip");
  EXPECT_TRUE(trusted.ok()) << trusted.error().to_string();
  for (const std::string& ca_file : {std::string(), (dir / "other-ca.pem").string()}) {
    target.ca_file = ca_file;  // the system's CAs, or another CA: not this server's
    const Status refused = make_s3_transfer(target)(dir / "a.zip");
    ASSERT_FALSE(refused.ok()) << ca_file;
    EXPECT_EQ(refused.error().code(), make_error_code(net::errc::tls_failed)) << refused.error().to_string();
  }
  EXPECT_EQ(s3.seen().size(), 1u);  // nothing reached the server it could not trust
}

TEST(S3Transfer, ARefusalThatCutsTheUploadShortIsExplainedByAGetOfTheKey) {
  // A server that answers the PUT's head at once and closes with the body unsent (as S3 may
  // for a bad signature): the answer is lost to the client, still writing; a GET gets it.
  TempDir dir;
  roadside::testing::write_file(dir / "big.zip", make_bytes(16 << 20));
  unsigned short port = 0;
  const int fd = roadside::testing::listen_loopback(port);
  std::vector<std::string> requests;
  std::thread server([&] {
    const std::string refusal = "<Error><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error>";
    for (int i = 0; i < 2; ++i) {
      const int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      requests.emplace_back(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      const std::string res = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: " +
                              std::to_string(refusal.size()) + "\r\nConnection: close\r\n\r\n" + refusal;
      (void)::send(c, res.data(), res.size(), MSG_NOSIGNAL);
      ::close(c);  // the rest of a PUT's body unread: the client's writing fails
    }
  });
  S3Target target = valid_target();
  target.endpoint = "http://127.0.0.1:" + std::to_string(port);
  const Status s = make_s3_transfer(target)(dir / "big.zip");
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  server.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), make_error_code(errc::transfer_failed)) << s.error().to_string();
  EXPECT_NE(s.error().detail().find("the server refuses a GET of the key: 403 SignatureDoesNotMatch: bad signature"),
            std::string::npos)
      << s.error().detail();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].starts_with("PUT /archives/big.zip ")) << requests[0].substr(0, 40);
  EXPECT_TRUE(requests[1].starts_with("GET /archives/big.zip ")) << requests[1].substr(0, 40);
  EXPECT_NE(requests[1].find(": bytes=0-0\r\n"), std::string::npos);  // Range, signed
}

TEST(S3Transfer, AMissingFileOrAnInvalidTargetFailsClearly) {
  TempDir dir;
  S3Target target = valid_target();
  Status s = make_s3_transfer(target)(dir / "none.zip");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), make_error_code(errc::transfer_failed));
  EXPECT_NE(s.error().detail().find("none.zip"), std::string::npos) << s.error().detail();
  target.bucket.clear();
  s = make_s3_transfer(target)(dir / "none.zip");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail().find("archive_s3_bucket"), std::string::npos);
}

// ---- against a real S3-compatible server --------------------------------------------------

std::optional<std::filesystem::path> find_node() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::filesystem::path candidate = std::filesystem::path(rest.substr(0, colon)) / "node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return std::nullopt;
}

// tests/s3/s3-server.js on a free port of 127.0.0.1, storing in its own folder, with the
// bucket "archives". Access key id S3RVER, secret kSecret.
class S3Server : public ::testing::Test {
 protected:
  static constexpr const char* kSecret = "archive-secret-for-the-test";

  void SetUp() override {
    const auto script = roadside::testing::source_dir() / "tests" / "s3" / "s3-server.js";
    const auto module = roadside::testing::source_dir() / "tests" / "s3" / "node_modules" / "s3rver";
    const auto node = find_node();
    if (!node || !std::filesystem::exists(module)) {
      GTEST_SKIP() << "no S3-compatible server to test against: scripts/setup.sh installs Node.js and s3rver (in "
                      "tests/s3/node_modules)";
    }
    server_ = std::make_unique<roadside::testing::Process>(
        std::vector<std::string>{node->string(), script.string(), "--dir", (dir_ / "store").string(), "--secret",
                                 kSecret, "--bucket", "archives"},
        std::vector<std::pair<std::string, std::string>>{}, dir_ / "server.log");
    const std::string ready = "s3 server listening on 127.0.0.1:";
    ASSERT_TRUE(server_->wait_for_output(ready, roadside::testing::latency_bound(30s))) << server_->output();
    const std::string out = server_->output();
    port_ = static_cast<unsigned short>(std::stoi(out.substr(out.find(ready) + ready.size())));
  }

  S3Target target() const {
    S3Target t;
    t.endpoint = "http://127.0.0.1:" + std::to_string(port_);
    t.bucket = "archives";
    t.prefix = "ss1/";
    t.access_key_id = "S3RVER";
    t.secret_access_key = kSecret;
    return t;
  }

  // The object's bytes by an anonymous GET (s3rver serves it so).
  std::optional<std::string> get(const std::string& key) {
    Loop loop;
    net::ClientOptions options;
    options.max_response_body_bytes = 64 << 20;
    net::HttpClient client(loop.io.get_executor(), options);
    auto r = asio::co_spawn(loop.io, client.get(target().endpoint + "/archives/" + key), asio::use_future).get();
    if (!r.ok() || r->message.result() != http::status::ok) return std::nullopt;
    return r->message.body();
  }

  TempDir dir_;
  std::unique_ptr<roadside::testing::Process> server_;
  unsigned short port_ = 0;
};

TEST_F(S3Server, UploadsAnArchiveThatComesBackByteForByte) {
  const std::string bytes = make_bytes(5 * 1024 * 1024 + 123);
  const auto file = dir_ / "20261205120000-20261205123000-aBcDeFgHiJ.zip";
  roadside::testing::write_file(file, bytes);
  const Status s = make_s3_transfer(target())(file);
  ASSERT_TRUE(s.ok()) << s.error().to_string() << "\n" << server_->output();
  const auto back = get("ss1/" + file.filename().string());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->size(), bytes.size());
  EXPECT_TRUE(*back == bytes);
  EXPECT_TRUE(std::filesystem::exists(file));

  // With delete_local the verified upload removes the file; the object is there all the same.
  S3Target removing = target();
  removing.delete_local = true;
  removing.prefix = "ss1/again/";
  ASSERT_TRUE(make_s3_transfer(removing)(file).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
  const auto again = get("ss1/again/" + file.filename().string());
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(*again == bytes);
}

TEST_F(S3Server, AWrongSecretGetsTheServersSignatureDoesNotMatch) {
  const auto file = dir_ / "a.zip";
  roadside::testing::write_file(file, make_bytes(300 * 1024));
  S3Target wrong = target();
  wrong.secret_access_key = "not-the-secret";
  wrong.delete_local = true;
  const Status s = make_s3_transfer(wrong)(file);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), make_error_code(errc::transfer_failed));
  EXPECT_NE(s.error().detail().find("403 SignatureDoesNotMatch: The request signature we calculated does not match"),
            std::string::npos)
      << s.error().detail();
  EXPECT_NE(s.error().detail().find("s3://archives/ss1/a.zip"), std::string::npos) << s.error().detail();
  EXPECT_TRUE(std::filesystem::exists(file));  // not uploaded: kept
  EXPECT_FALSE(get("ss1/a.zip").has_value());
}

TEST_F(S3Server, AnUnknownKeyIdOrBucketIsNamedByTheServer) {
  const auto file = dir_ / "a.zip";
  roadside::testing::write_file(file, "zip");
  S3Target unknown_key = target();
  unknown_key.access_key_id = "NOBODY";
  Status s = make_s3_transfer(unknown_key)(file);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail().find("403 InvalidAccessKeyId"), std::string::npos) << s.error().detail();

  S3Target no_bucket = target();
  no_bucket.bucket = "no-such-bucket";
  s = make_s3_transfer(no_bucket)(file);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().detail().find("404 NoSuchBucket"), std::string::npos) << s.error().detail();
}

}  // namespace
}  // namespace roadside::messagelog
