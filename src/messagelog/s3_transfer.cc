#include "messagelog/s3_transfer.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "base/files.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "messagelog/sigv4.h"
#include "messagelog/zip.h"
#include "net/errors.h"
#include "xml/dom.h"

namespace roadside::messagelog {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr std::uint64_t kMaxSinglePut = 5ull << 30;  // S3's limit for one PUT
constexpr std::uint64_t kMaxErrorBody = 64 * 1024;   // an error document larger is cut
constexpr std::size_t kMaxCodeChars = 64, kMaxMessageChars = 300;

Error failed(std::string detail) {
  return make_error(errc::transfer_failed, std::move(detail));
}

bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// At most `max` characters of `s`, printable ASCII (others become '?'), blanks made one.
std::string bounded(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const bool blank = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (blank) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(c > ' ' && c < 0x7f ? c : '?');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Status check_bucket(const S3Target& t) {
  const std::string_view b = t.bucket;
  if (b.empty()) return failed("messagelog.archive_s3_bucket is empty: name the bucket archives go to");
  if (!t.path_style) {
    // A host name label (RFC 1123), as S3 requires of buckets addressed by host name.
    const bool ok = b.size() >= 3 && b.size() <= 63 && std::isalnum(static_cast<unsigned char>(b.front())) &&
                    std::isalnum(static_cast<unsigned char>(b.back())) && std::all_of(b.begin(), b.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
                    });
    if (!ok) {
      return failed("bucket \"" + bounded(b, 80) +
                    "\" cannot be addressed by host name (virtual-host style): 3 to 63 lower-case letters, digits, '-' "
                    "and '.', starting and ending with a letter or digit; or set messagelog.archive_s3_path_style");
    }
    if (t.endpoint.starts_with("https:") && b.find('.') != std::string_view::npos) {
      return failed("bucket \"" + std::string(b) +
                    "\" has a '.', which no wildcard TLS certificate of the endpoint covers in virtual-host style; "
                    "set messagelog.archive_s3_path_style");
    }
    return {};
  }
  const bool ok = b.size() <= 255 && std::all_of(b.begin(), b.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
                  });
  if (!ok) return failed("bucket \"" + bounded(b, 80) + "\" is not a bucket name: letters, digits, '-', '.' and '_'");
  return {};
}

// The body's SHA-256 and MD5 (raw), in one pass.
Result<std::pair<std::string, std::string>> digests(const net::Payload& body) {
  crypto::Hasher sha256 = crypto::Hasher::sha256();
  crypto::Hasher md5 = crypto::Hasher::md5();
  ROADSIDE_TRY_STATUS(body.for_each_piece([&](std::string_view piece) -> Status {
    sha256.update(piece);
    md5.update(piece);
    return {};
  }));
  return std::make_pair(sha256.finish(), md5.finish());
}

std::string unquote(std::string_view etag) {
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Status check_s3_target(const S3Target& t) {
  if (t.endpoint.empty())
    return failed("messagelog.archive_s3_endpoint is empty: no S3 server to transfer archives to");
  auto url = net::Url::parse(t.endpoint);
  if (!url.ok())
    return failed("messagelog.archive_s3_endpoint \"" + bounded(t.endpoint, 200) + "\": " + url.error().detail());
  if (url->target != "/") {
    return failed(
        "messagelog.archive_s3_endpoint \"" + bounded(t.endpoint, 200) +
        "\" must be scheme://host[:port] alone: no path, query or user (the bucket and prefix have options of "
        "their own)");
  }
  const bool region_ok =
      !t.region.empty() && t.region.size() <= 64 && std::all_of(t.region.begin(), t.region.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      });
  if (!region_ok)
    return failed("messagelog.archive_s3_region \"" + bounded(t.region, 80) + "\" is not a region name (us-east-1)");
  ROADSIDE_TRY_STATUS(check_bucket(t));
  if (t.access_key_id.empty() || t.access_key_id.size() > 128 || !is_printable_ascii(t.access_key_id) ||
      t.access_key_id.find_first_of("/,=") != std::string::npos) {
    return failed(
        "messagelog.archive_s3_access_key_id is empty or not an access key id (printable ASCII without '/', ',' or "
        "'=')");
  }
  if (t.secret_access_key.empty()) return failed("messagelog.archive_s3_secret_access_key is empty");
  if (t.timeout.count() <= 0) return failed("the S3 transfer timeout must be positive");
  if (!t.ca_file.empty()) {
    auto pem = read_file_limited(t.ca_file, 4 * 1024 * 1024);
    if (!pem.ok()) return failed("messagelog.archive_s3_ca_file: " + pem.error().detail());
  }
  return {};
}

Result<net::Url> s3_object_url(const S3Target& t, std::string_view key) {
  ROADSIDE_TRY(net::Url url, net::Url::parse(t.endpoint));
  if (t.path_style) {
    url.target = "/" + s3_uri_encode(t.bucket, false) + "/" + s3_uri_encode(key, true);
  } else {
    url.host = t.bucket + "." + url.host;
    url.target = "/" + s3_uri_encode(key, true);
  }
  return url;
}

std::string amz_date(Clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string describe_s3_error(unsigned status, std::string_view body) {
  std::string out = std::to_string(status);
  if (body.size() > kMaxErrorBody) body = body.substr(0, kMaxErrorBody);
  auto doc = xml::Document::parse(body, kMaxErrorBody);
  if (doc.ok() && doc->root().name() == "Error") {
    const std::string code = doc->root().child_text("Code").value_or("");
    const std::string message = doc->root().child_text("Message").value_or("");
    if (!code.empty()) out += " " + bounded(code, kMaxCodeChars);
    if (!message.empty()) out += ": " + bounded(message, kMaxMessageChars);
    return out;
  }
  const std::string text = bounded(body, 120);
  return out + (text.empty() ? " (no S3 error document)" : " (not an S3 error document: " + text + ")");
}

S3Client::S3Client(asio::any_io_executor executor, S3Target target, net::ClientOptions options, const Clock& clock)
    : target_(std::move(target)), clock_(clock), http_(std::move(executor), std::move(options)) {}

Result<std::unique_ptr<S3Client>> S3Client::create(asio::any_io_executor executor, S3Target target,
                                                   const Clock& clock) {
  ROADSIDE_TRY_STATUS(check_s3_target(target));
  net::ClientOptions options;
  options.connect_timeout = target.timeout;
  options.request_timeout = target.timeout;
  options.max_response_body_bytes = kMaxErrorBody;
  options.max_idle_per_host = 1;
  net::TlsClientConfig tls;  // the server is verified: its name, and a chain to the CA file or the system's CAs
  if (!target.ca_file.empty()) {
    ROADSIDE_TRY(tls.ca_pem, read_file_limited(target.ca_file, 4 * 1024 * 1024));
  }
  options.tls = std::move(tls);
  return std::unique_ptr<S3Client>(new S3Client(std::move(executor), std::move(target), std::move(options), clock));
}

asio::awaitable<Result<net::ClientResponse>> S3Client::send_signed(std::string method, std::string key,
                                                                   std::string sha256, std::string md5,
                                                                   std::vector<net::Payload> body, Headers extra) {
  auto url = s3_object_url(target_, key);
  if (!url.ok()) co_return std::move(url).error();
  const bool default_port = (url->tls() && url->port == 443) || (!url->tls() && url->port == 80);
  SigV4Request sig;
  sig.method = method;
  sig.canonical_uri = url->target;
  sig.payload_sha256_hex = crypto::to_hex(sha256);
  const std::string date = amz_date(clock_.now());
  sig.headers = {{"host", default_port ? url->host : url->authority()},
                 {"x-amz-content-sha256", sig.payload_sha256_hex},
                 {"x-amz-date", date}};
  if (!md5.empty()) sig.headers.emplace_back("content-md5", crypto::base64_encode(md5));
  for (auto& header : extra) sig.headers.push_back(std::move(header));
  const SigV4Scope scope{date, target_.region, "s3"};

  http::request_header<> head;
  head.method_string(method);
  head.target(url->target);
  for (const auto& [name, value] : sig.headers) head.set(name, value);
  if (!body.empty()) head.set(http::field::content_type, "application/octet-stream");
  head.set(http::field::authorization,
           sigv4_authorization(sig, scope, target_.access_key_id, target_.secret_access_key));
  // (The response body is at most an error document: max_response_body_bytes keeps it in memory.)
  co_return co_await http_.send(*url, std::move(head), std::move(body), std::filesystem::temp_directory_path(),
                                kMaxErrorBody);
}

asio::awaitable<Result<S3Object>> S3Client::put_file(std::filesystem::path file, std::string key) {
  const std::string where = "s3://" + target_.bucket + "/" + key;
  auto body = net::Payload::from_file(file);
  if (!body.ok()) co_return failed("cannot transfer " + file.string() + " to " + where + ": " + body.error().detail());
  if (body->size() > kMaxSinglePut) {
    co_return failed(file.string() + " has " + std::to_string(body->size()) +
                     " bytes, more than the 5 GiB one S3 PUT takes; lower the archive file size");
  }
  auto sums = digests(*body);
  if (!sums.ok()) co_return failed("cannot read " + file.string() + ": " + sums.error().detail());
  const std::string md5_hex = crypto::to_hex(sums->second);

  // (Arguments are named values: GCC 12 miscompiles string literals and braced lists in a
  // co_await's call.)
  const std::string put_method = "PUT", head_method = "HEAD";
  std::vector<net::Payload> put_body{*body};
  auto put = co_await send_signed(put_method, key, sums->first, sums->second, std::move(put_body), Headers());
  if (!put.ok()) {
    Error e = std::move(put).error();
    e.context("PUT " + where + " at " + target_.endpoint);
    if (e.code() != make_error_code(net::errc::closed)) co_return e;
    // A server may refuse a request before it takes the body, and close the connection while
    // the body is still being sent (S3 does so for a bad signature): its answer is lost, but a
    // request without a body gets the same refusal.
    const std::string why = co_await refusal_of(key);
    if (why.empty()) co_return e;
    co_return failed(e.detail() + "; the server refuses a GET of the key: " + why);
  }
  const auto& res = put->message;
  if (res.result() != http::status::ok) {
    co_return failed("PUT " + where + " at " + target_.endpoint +
                     " refused: " + describe_s3_error(res.result_int(), res.body()));
  }
  S3Object out{key, unquote(std::string(res[http::field::etag])), body->size()};
  if (lower(out.etag) == md5_hex) co_return out;

  // An ETag that is not the MD5 (servers that encrypt or compute it otherwise): the object
  // must be there at the file's size.
  const std::string empty_sha256 = crypto::sha256(""), no_md5;
  auto head = co_await send_signed(head_method, key, empty_sha256, no_md5, std::vector<net::Payload>(), Headers());
  if (!head.ok()) {
    Error e = std::move(head).error();
    e.context("HEAD " + where + " after its PUT (whose ETag " + bounded(out.etag, 80) + " is not the file's MD5)");
    co_return e;
  }
  const auto& h = head->message;
  if (h.result() != http::status::ok) {
    co_return failed("HEAD " + where + " after its PUT: " + describe_s3_error(h.result_int(), h.body()));
  }
  if (h[http::field::content_length] != std::to_string(out.size)) {
    co_return failed("HEAD " + where + " after its PUT finds " + bounded(h[http::field::content_length], 40) +
                     " bytes, not the file's " + std::to_string(out.size));
  }
  co_return out;
}

asio::awaitable<std::string> S3Client::refusal_of(std::string key) {
  const std::string method = "GET", empty_sha256 = crypto::sha256(""), no_md5;
  Headers range{{"range", "bytes=0-0"}};
  auto got = co_await send_signed(method, key, empty_sha256, no_md5, std::vector<net::Payload>(), std::move(range));
  if (!got.ok()) co_return std::string();
  const unsigned status = got->message.result_int();
  if (status < 300 || status == 416) co_return std::string();  // there, or there but empty: not refused
  std::string why = describe_s3_error(status, got->message.body());
  if (why.starts_with("404 NoSuchKey")) co_return std::string();  // not there (yet): not refused either
  co_return why;
}

std::function<Status(const std::filesystem::path& file)> make_s3_transfer(S3Target target, const Clock& clock) {
  return [target = std::move(target), &clock](const std::filesystem::path& file) -> Status {
    asio::io_context io;
    auto client = S3Client::create(io.get_executor(), target, clock);
    if (!client.ok()) return std::move(client).error();
    const std::string key = target.prefix + file.filename().string();
    auto done = asio::co_spawn(io, (*client)->put_file(file, key), asio::use_future);
    io.run();
    Result<S3Object> put = done.get();
    if (!put.ok()) return std::move(put).error();
    if (target.delete_local) {
      std::error_code ec;
      std::filesystem::remove(file, ec);
      if (ec) {
        return failed("uploaded " + file.string() + " as s3://" + target.bucket + "/" + key +
                      " but cannot remove the local file: " + ec.message());
      }
    }
    return {};
  };
}

}  // namespace roadside::messagelog
