// Transfer of message-log archive files to S3-compatible object storage: one PUT of a file,
// signed with AWS Signature Version 4 (sigv4.h), its body read from disk in pieces.
//
// Data path of put_file(): one pass over the file for its SHA-256 (x-amz-content-sha256, so
// the server checks the body) and MD5 (Content-MD5, and the ETag expected back) -> PUT to
// the object's URL (path-style <endpoint>/<bucket>/<key>, or virtual-host
// <scheme>://<bucket>.<endpoint host>/<key>) with the file streamed from disk -> 200 with an
// ETag equal to the MD5, or else a HEAD that finds the object at the file's size. Anything
// else is an error (errc::transfer_failed, or net's for the connection) that names the
// object's URL and, for a refusal, the server's <Code> and <Message> (size-limited).
//
// X-Road has no S3 transfer: its archive-transfer-command runs a script after archiving.
// This is the built-in equivalent of a script that uploads each new archive file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "net/http_client.h"
#include "net/url.h"

namespace roadside::messagelog {

struct S3Target {
  std::string endpoint;  // "https://s3.eu-north-1.amazonaws.com", "http://127.0.0.1:9000": scheme, host, port only
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;  // put before each file name to make its key: "roadside/ss1/"
  std::string access_key_id;
  std::string secret_access_key;
  std::string ca_file;     // https: PEM CA certificate(s) the server's must chain to; empty: the system's CAs
  bool path_style = true;  // false: virtual-host style (the bucket in the host name)
  // Connecting, and each wait for the server to take or give bytes; a large file takes the
  // time it needs as long as bytes move.
  std::chrono::milliseconds timeout{60'000};
  bool delete_local = false;  // make_s3_transfer(): remove the file after a verified upload
};

// errc::transfer_failed naming what is wrong: no endpoint, an endpoint that is not an http(s)
// URL of a server alone (no path, query or user), no region or bucket, a bucket name S3 does
// not allow (virtual-host style also needs it to be a DNS label: no dots), a key id or
// secret missing, a CA file that cannot be read.
Status check_s3_target(const S3Target& target);

// The URL `key` (not yet encoded) is put at. REQUIRES: check_s3_target(target).ok().
Result<net::Url> s3_object_url(const S3Target& target, std::string_view key);

// x-amz-date for `t`: "20130524T000000Z".
std::string amz_date(Clock::time_point t);

// The server's refusal as our error detail: "<status> <Code>: <Message>" from an S3 error
// document (`body`, any bytes: an error XML, an HTML page, nothing), each part cut to a
// bounded length and kept to printable ASCII.
std::string describe_s3_error(unsigned status, std::string_view body);

struct S3Object {
  std::string key;
  std::string etag;  // without quotes
  std::uint64_t size = 0;
};

class S3Client {
 public:
  // errc::transfer_failed as check_s3_target() says.
  static Result<std::unique_ptr<S3Client>> create(boost::asio::any_io_executor executor, S3Target target,
                                                  const Clock& clock = Clock::system());

  // Puts `file` (a regular file; at most 5 GiB, S3's limit for one PUT) as `key`.
  // (Coroutine parameters by value: a reference could dangle across a suspension.)
  boost::asio::awaitable<Result<S3Object>> put_file(std::filesystem::path file, std::string key);

  const S3Target& target() const { return target_; }

 private:
  S3Client(boost::asio::any_io_executor executor, S3Target target, net::ClientOptions options, const Clock& clock);
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // A signed request for `key` with the body's SHA-256 and MD5 (raw; "" for none), sent with
  // `body`; `extra` headers are signed too.
  boost::asio::awaitable<Result<net::ClientResponse>> send_signed(std::string method, std::string key,
                                                                  std::string sha256, std::string md5,
                                                                  std::vector<net::Payload> body, Headers extra);
  // Why the server refuses requests for `key`, by a signed GET of its first byte: its error
  // ("403 SignatureDoesNotMatch: ..."), or "" when it does not refuse (or cannot be asked).
  boost::asio::awaitable<std::string> refusal_of(std::string key);

  S3Target target_;
  const Clock& clock_;
  net::HttpClient http_;
};

// The hook the archiver calls with each archive file it has written: puts the file as
// prefix + its file name, and with delete_local removes it after the upload is verified.
// It blocks its caller until the upload ends (it runs its own io_context): call it from the
// archiver's thread, never from a thread that serves an io_context others wait on.
// An invalid target makes every call fail with check_s3_target()'s error (check it at start
// to refuse bad settings at once). `clock` (x-amz-date) must outlive the function.
std::function<Status(const std::filesystem::path& file)> make_s3_transfer(S3Target target, const Clock& clock = Clock::system());

}  // namespace roadside::messagelog
