// AWS Signature Version 4 against AWS's published examples: the S3 API reference's
// "Examples: Signature Calculations" (GET and PUT object, credentials AKIAIOSFODNN7EXAMPLE),
// the general reference's IAM ListUsers example (Tasks 1-3) and its "Examples of how to
// derive a signing key". The expected values are AWS's, so the signing is proven apart from
// any server we run.
#include "messagelog/sigv4.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace roadside::messagelog {
namespace {

constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kS3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SigV4Scope kS3Scope{"20130524T000000Z", "us-east-1", "s3"};

TEST(SigV4, S3GetObjectExample) {
  SigV4Request get;
  get.method = "GET";
  get.canonical_uri = "/test.txt";
  get.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", std::string(kEmptySha256)},
                 {"x-amz-date", "20130524T000000Z"}};
  get.payload_sha256_hex = kEmptySha256;
  const std::string canonical = sigv4_canonical_request(get);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sigv4_string_to_sign(kS3Scope, canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sigv4_signature(get, kS3Scope, kS3Secret),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(sigv4_authorization(get, kS3Scope, "AKIAIOSFODNN7EXAMPLE", kS3Secret),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObjectExample) {
  // PUT of "Welcome to Amazon S3." as "test$file.text": the key's '$' is encoded in the URI.
  SigV4Request put;
  put.method = "PUT";
  put.canonical_uri = "/" + s3_uri_encode("test$file.text", true);
  put.payload_sha256_hex = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  put.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"x-amz-date", "20130524T000000Z"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"x-amz-content-sha256", put.payload_sha256_hex}};
  const std::string canonical = sigv4_canonical_request(put);
  EXPECT_EQ(canonical,
            "PUT\n/test%24file.text\n\n"
            "date:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
            "x-amz-date:20130524T000000Z\n"
            "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(sigv4_string_to_sign(kS3Scope, canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(sigv4_signature(put, kS3Scope, kS3Secret),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  // One byte of the secret, the body's hash or a signed header changed: another signature.
  EXPECT_NE(sigv4_signature(put, kS3Scope, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ"),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  SigV4Request other_body = put;
  other_body.payload_sha256_hex[0] = '5';
  EXPECT_NE(sigv4_signature(other_body, kS3Scope, kS3Secret), sigv4_signature(put, kS3Scope, kS3Secret));
}

TEST(SigV4, IamListUsersExampleWithAQuery) {
  // The general reference's Tasks 1-3: a query string, and a header value with spaces.
  SigV4Request req;
  req.method = "GET";
  req.canonical_uri = "/";
  req.canonical_query = "Action=ListUsers&Version=2010-05-08";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded;  charset=utf-8 "},
                 {"Host", "iam.amazonaws.com"},
                 {"X-Amz-Date", "20150830T123600Z"}};
  req.payload_sha256_hex = kEmptySha256;
  const SigV4Scope scope{"20150830T123600Z", "us-east-1", "iam"};
  const std::string canonical = sigv4_canonical_request(req);
  EXPECT_EQ(canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sigv4_string_to_sign(scope, canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(crypto::to_hex(sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope)),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  EXPECT_EQ(sigv4_signature(req, scope, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, DerivedSigningKeyExample) {
  const SigV4Scope scope{"20120215T000000Z", "us-east-1", "iam"};
  EXPECT_EQ(crypto::to_hex(sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope)),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, UriEncodingIsS3s) {
  EXPECT_EQ(s3_uri_encode("A-z_0.9~", false), "A-z_0.9~");
  EXPECT_EQ(s3_uri_encode("a b+c", false), "a%20b%2Bc");
  EXPECT_EQ(s3_uri_encode("dir/file", true), "dir/file");
  EXPECT_EQ(s3_uri_encode("dir/file", false), "dir%2Ffile");
  EXPECT_EQ(s3_uri_encode("=&?#%", true), "%3D%26%3F%23%25");
  EXPECT_EQ(s3_uri_encode("\xc3\xa4", true), "%C3%A4");  // UTF-8 bytes, upper-case hex
}

}  // namespace
}  // namespace roadside::messagelog
