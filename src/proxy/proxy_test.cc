// The message exchange's codecs over bytes: REST header parts, SOAP headers and requestHash,
// transport messages and fault codes. No sockets here (see tests/integration/exchange_test.cc).
#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "net/errors.h"
#include "proxy/errors.h"
#include "proxy/rest.h"
#include "proxy/soap.h"
#include "proxy/transport.h"
#include "support/test_support.h"

namespace roadside::proxy {
namespace {

TEST(RestHead, XRoadsRequestHeaderPartReadsAndWritesBackByteForByte) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const std::string part = testing::read_file(vectors / "xroad" / "signatures" / "non-batch-rest-request" / "message.xml");
  auto head = RestRequestHead::parse(part);
  ASSERT_TRUE(head.ok()) << head.error().to_string();
  EXPECT_EQ(head->method, "POST");
  EXPECT_EQ(head->target, "/r1/DEV/COM/1234/TestService/mock1");
  EXPECT_EQ(last_header(head->headers, "x-road-client"), "DEV/COM/4321/TestClient");
  EXPECT_EQ(last_header(head->headers, "X-ROAD-ID"), "DEV-7012d0aa-a51d-4200-94ed-1e68f43bccfc");
  EXPECT_EQ(head->serialize(), part);
}

TEST(RestHead, ResponsePartAndMalformedParts) {
  RestResponseHead r{404, "Not Found", {{"Content-Type", "application/json"}, {"x-road-request-hash", "abc="}}};
  const std::string bytes = r.serialize();
  EXPECT_EQ(bytes, "404\r\nNot Found\r\nContent-Type:application/json\r\nx-road-request-hash:abc=\r\n");
  auto back = RestResponseHead::parse(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, 404u);
  EXPECT_EQ(back->serialize(), bytes);
  for (const char* bad : {"", "GET\r\n", "GET\r\n/x", "GET\r\nno-slash\r\n", "GET\r\n/x\r\n:novalue\r\n", "GET\r\n/x\r\nline\r\n"}) {
    auto h = RestRequestHead::parse(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.error().fault_code(), "invalid_message");
  }
  for (const char* bad : {"20\r\nOK\r\n", "999\r\nX\r\n", "abc\r\nX\r\n"}) EXPECT_FALSE(RestResponseHead::parse(bad).ok()) << bad;
}

TEST(RestHead, RequestHashIsOverTheHeaderPartAndTheBody) {
  const std::string part = "GET\r\n/r1/A/B/C/D/e\r\n";
  EXPECT_EQ(rest_request_hash(part, std::nullopt), crypto::base64_encode(crypto::sha512(part)));
  EXPECT_EQ(rest_request_hash(part, std::string_view("body")),
            crypto::base64_encode(crypto::sha512(crypto::sha512(part) + crypto::sha512("body"))));
  EXPECT_TRUE(is_skipped_header("Transfer-Encoding"));
  EXPECT_TRUE(is_skipped_header("host"));
  EXPECT_FALSE(is_skipped_header("X-Road-Client"));
}

constexpr std::string_view kSoap = R"(<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
    <SOAP-ENV:Header>
        <xrd:client id:objectType="MEMBER"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1</id:memberCode></xrd:client>
        <xrd:service id:objectType="SERVICE"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>2</id:memberCode><id:serviceCode>getState</id:serviceCode></xrd:service>
        <xrd:id>abc</xrd:id>
        <xrd:requestHash algorithmId="http://www.w3.org/2001/04/xmlenc#sha512">from-the-service</xrd:requestHash>
        <xrd:protocolVersion>4.0</xrd:protocolVersion>
    </SOAP-ENV:Header>
    <SOAP-ENV:Body><xrd:getState/></SOAP-ENV:Body>
</SOAP-ENV:Envelope>)";

TEST(Soap, HeadersAreReadAndTheRequestHashReplacesTheServicesOwn) {
  auto env = parse_soap(kSoap, true);
  ASSERT_TRUE(env.ok()) << env.error().to_string();
  EXPECT_EQ(env->header.client->to_string(), "MEMBER:EE/COM/1");
  EXPECT_EQ(env->header.service->to_string(), "SERVICE:EE/COM/2/getState");
  EXPECT_EQ(env->header.id, "abc");
  EXPECT_EQ(env->body_element, "getState");
  auto with = insert_request_hash(kSoap, "HASH==");
  ASSERT_TRUE(with.ok()) << with.error().to_string();
  EXPECT_EQ(with->find("from-the-service"), std::string::npos) << *with;
  EXPECT_NE(with->find("        <xrd:id>abc</xrd:id>\n        <xrd:requestHash algorithmId=\"http://www.w3.org/2001/04/xmlenc#sha512\">"
                       "HASH==</xrd:requestHash>\n        <xrd:protocolVersion>"),
            std::string::npos)
      << *with;
  auto again = parse_soap(*with, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->header.request_hash, "HASH==");
}

TEST(Soap, ARequestHashBesideAnIdThatDeclaresItsOwnPrefixIsDeclaredToo) {
  // zeep declares the namespace on each header element.
  const std::string zeep =
      "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap-env:Header>"
      "<ns4:id xmlns:ns4=\"http://x-road.eu/xsd/xroad.xsd\">x1</ns4:id></soap-env:Header><soap-env:Body><a/></soap-env:Body>"
      "</soap-env:Envelope>";
  auto with = insert_request_hash(zeep, "H");
  ASSERT_TRUE(with.ok());
  auto env = parse_soap(*with, false);
  ASSERT_FALSE(env.ok());  // no client: but the requestHash must have been read first
  auto doc = insert_request_hash(*with, "H2");
  ASSERT_TRUE(doc.ok());
  EXPECT_NE(doc->find("<ns4:requestHash xmlns:ns4=\"http://x-road.eu/xsd/xroad.xsd\" algorithmId="), std::string::npos) << *doc;
  EXPECT_EQ(doc->find(">H<"), std::string::npos) << "the first hash is replaced";
}

TEST(Soap, RefusalsNameTheirCause) {
  struct Case {
    std::string xml;
    std::string code;
  };
  const std::string env = "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\">";
  const Case cases[] = {
      {"", "invalid_soap"},
      {"<not-closed>", "invalid_soap"},
      {"<Envelope/>", "invalid_soap"},
      {env + "<e:Body><x/></e:Body></e:Envelope>", "missing_header"},
      {env + "<e:Header/><e:Body><x/></e:Body></e:Envelope>", "missing_header_field"},
  };
  for (const auto& c : cases) {
    auto r = parse_soap(c.xml, true);
    ASSERT_FALSE(r.ok()) << c.xml;
    EXPECT_EQ(r.error().fault_code(), c.code) << c.xml << ": " << r.error().detail();
  }
  std::string wrong_version(kSoap);
  wrong_version.replace(wrong_version.find(">4.0<"), 5, ">3.1<");
  EXPECT_EQ(parse_soap(wrong_version, true).error().fault_code(), "invalid_protocol_version");
  std::string other_body(kSoap);
  other_body.replace(other_body.find("<xrd:getState/>"), 15, "<xrd:setState/>");
  EXPECT_EQ(parse_soap(other_body, true).error().fault_code(), "inconsistent_headers");
  // X-Road compares the start only: getStateResponse names getState too.
  std::string response_named(kSoap);
  response_named.replace(response_named.find("<xrd:getState/>"), 15, "<xrd:getStateResponse/>");
  EXPECT_TRUE(parse_soap(response_named, true).ok());
}

// X-Road's SoapMessageDecoder: a part without Content-Type is invalid_content_type, the
// envelope part as any other (its AttachmentFaulty and ServerProxyAttachmentError cases).
TEST(Soap, EveryMimePartNeedsAContentType) {
  const std::string soap_part = "--b1\r\nContent-Type: text/xml\r\n\r\n" + std::string(kSoap) + "\r\n";
  auto untyped_attachment = split_soap_message("multipart/related; boundary=b1", soap_part + "--b1\r\nCont-Type: text/plain\r\n\r\nx\r\n--b1--\r\n");
  ASSERT_FALSE(untyped_attachment.ok());
  EXPECT_EQ(untyped_attachment.error().fault_code(), "invalid_content_type");
  auto untyped_envelope = split_soap_message("multipart/related; boundary=b1", "--b1\r\nContent-ID: <r>\r\n\r\n" + std::string(kSoap) + "\r\n--b1--\r\n");
  ASSERT_FALSE(untyped_envelope.ok());
  EXPECT_EQ(untyped_envelope.error().fault_code(), "invalid_content_type");
}

TEST(Soap, MultipartMessagesSplitAndJoinBack) {
  const std::string body =
      "--b1\r\nContent-Type: text/xml\r\nContent-ID: <r>\r\n\r\n" + std::string(kSoap) + "\r\n--b1\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--b1--\r\n";
  auto m = split_soap_message("multipart/related; type=\"text/xml\"; start=\"<r>\"; boundary=b1", body);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->soap, kSoap);
  ASSERT_EQ(m->attachments.size(), 1u);
  EXPECT_EQ(m->attachments[0].body.bytes(), "\x89PNG");
  EXPECT_EQ(join_soap_message(*m), body);
  EXPECT_EQ(split_soap_message("application/soap+xml", "x").error().fault_code(), "invalid_content_type");
  EXPECT_EQ(split_soap_message("text/xml", "").error().fault_code(), "invalid_soap");
  EXPECT_EQ(split_soap_message("multipart/related; boundary=b1", "--b1\r\nbroken").error().fault_code(), "mime_parsing_failed");
}

// Bytes that repeat only after a long while, so a misplaced slice shows.
std::string pattern(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(i * 131 + (i >> 9)));
  return out;
}

// `bytes` in a spool file under `dir`, as a body over kSpoolAbove arrives.
net::Payload in_spool_file(const std::filesystem::path& dir, std::string_view bytes) {
  net::PayloadBuilder b(dir, 0);
  EXPECT_TRUE(b.append(bytes).ok());
  return std::move(b).finish();
}

// A SOAP request with a large attachment, as an IS streams it: the body in a spool file, the
// envelope read from it into memory (and only the envelope counted against the memory
// budget), the attachment a slice of the file that is sent on from there.
TEST(Soap, ASpooledMultipartKeepsItsAttachmentsInTheFile) {
  roadside::testing::TempDir dir;
  const std::string attachment = pattern(3 * 1024 * 1024 + 17) + "\r\n--b";  // a near-delimiter inside
  const std::string content_type = "multipart/related; type=\"text/xml\"; start=\"<r>\"; boundary=b1";
  const std::string body = "--b1\r\nContent-Type: text/xml\r\nContent-ID: <r>\r\n\r\n" + std::string(kSoap) +
                           "\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
                           attachment + "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsmall\r\n--b1--\r\n";
  net::ByteBudget budget(1 << 20);
  std::optional<net::BudgetShare> held(std::in_place, budget, 4);
  auto m = split_soap_message(content_type, in_spool_file(dir.path(), body), &*held);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->soap, kSoap);
  EXPECT_EQ(held->taken(), 4 * kSoap.size());
  ASSERT_EQ(m->attachments.size(), 2u);
  EXPECT_FALSE(m->attachments[0].body.in_memory());
  EXPECT_TRUE(m->attachments[0].body.read_all(UINT64_MAX).value() == attachment);
  EXPECT_EQ(last_header(m->attachments[0].headers, "content-transfer-encoding"), "binary");
  EXPECT_EQ(m->attachments[1].body.read_all(UINT64_MAX).value(), "small");
  // It splits as the same body in memory does.
  auto same = split_soap_message(content_type, body);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->soap, m->soap);
  EXPECT_EQ(same->soap_part_headers.size(), m->soap_part_headers.size());
  ASSERT_EQ(same->attachments.size(), 2u);
  EXPECT_TRUE(same->attachments[0].body.bytes() == attachment);
  // Joined back, the attachment is one of the pieces, read from the file.
  const auto pieces = soap_message_pieces(*m);
  ASSERT_EQ(pieces.size(), 5u);  // each attachment, the small one too, between the pieces around it
  EXPECT_FALSE(pieces[1].in_memory());
  EXPECT_EQ(pieces[1].size(), attachment.size());
  EXPECT_TRUE(join_soap_message(*m) == body);
  // A spent budget refuses the envelope before it is read.
  held.reset();
  net::ByteBudget small(16);
  net::BudgetShare none(small, 4);
  auto refused = split_soap_message(content_type, in_spool_file(dir.path(), body), &none);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), net::make_error_code(net::errc::overloaded));
  EXPECT_EQ(small.used(), 0u);
}

// A spooled body is refused as the same body in memory is, with the same codes.
TEST(Soap, ASpooledMultipartIsRefusedAsOneInMemory) {
  roadside::testing::TempDir dir;
  const std::string filler(2 * 1024 * 1024, 'a');
  const std::string envelope = "--b1\r\nContent-Type: text/xml\r\n\r\n" + std::string(kSoap) + "\r\n";
  struct Case {
    std::string content_type, body, code;
  };
  const Case cases[] = {
      {"multipart/related; boundary=b1", envelope + "--b1\r\nCont-Type: text/plain\r\n\r\n" + filler + "\r\n--b1--\r\n",
       "invalid_content_type"},
      {"multipart/related; boundary=b1", "--b1\r\nContent-Type: image/png\r\n\r\n" + filler + "\r\n--b1--\r\n", "invalid_content_type"},
      {"multipart/related; boundary=b1", "--b1\r\nContent-Type: text/xml\r\n\r\n \r\n--b1\r\nContent-Type: x/y\r\n\r\n" + filler + "\r\n--b1--",
       "missing_soap"},
      {"multipart/related; boundary=b1", envelope + "--b1\r\nContent-Type: x/y\r\n\r\n" + filler, "mime_parsing_failed"},
      {"multipart/related; boundary=b1", filler, "missing_soap"},
      {"multipart/related; boundary=b1", envelope + "--b1\r\n" + std::string(20 * 1024, 'h') + ": v\r\n\r\nx\r\n--b1--", "mime_parsing_failed"},
  };
  for (const auto& c : cases) {
    auto spooled = split_soap_message(c.content_type, in_spool_file(dir.path(), c.body));
    ASSERT_FALSE(spooled.ok()) << c.code;
    EXPECT_EQ(spooled.error().fault_code(), c.code) << spooled.error().detail();
    auto in_memory = split_soap_message(c.content_type, c.body);
    ASSERT_FALSE(in_memory.ok()) << c.code;
    EXPECT_EQ(in_memory.error().fault_code(), c.code) << in_memory.error().detail();
  }
  // LF alone as a line end, and a body cut right after its last delimiter line, as X-Road's
  // MIME reader takes them.
  const std::string lenient = "--b1\nContent-Type: text/xml\n\n" + std::string(kSoap) + "\n--b1\nContent-Type: x/y\n\n" + filler + "\n--b1";
  auto spooled = split_soap_message("multipart/related; boundary=b1", in_spool_file(dir.path(), lenient));
  ASSERT_TRUE(spooled.ok()) << spooled.error().to_string();
  EXPECT_TRUE(split_soap_message("multipart/related; boundary=b1", lenient).ok());
  EXPECT_EQ(spooled->soap, kSoap);
  ASSERT_EQ(spooled->attachments.size(), 1u);
  EXPECT_TRUE(spooled->attachments[0].body.read_all(UINT64_MAX).value() == filler);
  // An envelope over kMaxSoapBytes is too large, refused before it is read.
  auto huge = split_soap_message("text/xml", net::Payload(std::string(kMaxSoapBytes + 1, ' ')));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code(), net::make_error_code(net::errc::too_large));
  net::PayloadBuilder b(dir.path(), 0);
  ASSERT_TRUE(b.append(envelope.substr(0, envelope.size() - 2)).ok());
  ASSERT_TRUE(b.append(std::string(kMaxSoapBytes, ' ')).ok());
  ASSERT_TRUE(b.append("\r\n--b1--\r\n").ok());
  auto over = split_soap_message("multipart/related; boundary=b1", std::move(b).finish());
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), net::make_error_code(net::errc::too_large));
}

TEST(Transport, MessagesRoundTripWithEveryPart) {
  TransportMessage m;
  m.ocsp_responses = {"ocsp-1", std::string("\x30\x82\r\n--xtop", 9)};
  m.message_type = "text/xml; charset=UTF-8";
  m.message = std::string(kSoap);
  m.attachments = {{{{"Content-Type", "image/png"}, {"Content-ID", "<a1>"}}, net::Payload("\x89PNG\r\n\r\n")},
                   {{{"Content-Type", "text/plain"}}, net::Payload("")}};
  m.signature.hash_chain_result = "<hcr/>";
  m.signature.hash_chain = "<hc/>";
  m.signature.signature = "<sig/>";
  const EncodedMessage encoded = encode_transport(m);
  EXPECT_EQ(encoded.content_type.rfind("multipart/mixed; charset=UTF-8; boundary=xtop", 0), 0u);
  auto back = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->ocsp_responses, m.ocsp_responses);
  EXPECT_EQ(back->message, m.message);
  ASSERT_EQ(back->attachments.size(), 2u);
  EXPECT_EQ(back->attachments[0].body.bytes(), m.attachments[0].body.bytes());
  EXPECT_EQ(last_header(back->attachments[0].headers, "content-id"), "<a1>");
  EXPECT_EQ(back->attachments[1].body.bytes(), "");
  EXPECT_EQ(back->signature.hash_chain_result, "<hcr/>");
  EXPECT_EQ(back->signature.signature, "<sig/>");
  EXPECT_EQ(back->part("/attachment2"), "");
  EXPECT_FALSE(back->part("/attachment3").has_value());
  EXPECT_FALSE(back->part("/attachment01").has_value());
  EXPECT_EQ(back->part_uris(), (std::vector<std::string>{"/message.xml", "/attachment1", "/attachment2"}));
}

TEST(Transport, ALargerBodyInMemoryIsSentFromWhereItIsNotCopied) {
  TransportMessage m;
  m.message_type = "application/xml";
  m.message = "<message/>";
  m.body = net::Payload(std::string(10 << 10, 'r'));
  m.signature.signature = "<sig/>";
  const EncodedMessage encoded = encode_transport(m);
  ASSERT_EQ(encoded.pieces.size(), 3u) << "the parts before the body, the body, the parts after it";
  EXPECT_EQ(encoded.pieces[1].bytes().data(), m.body->bytes().data()) << "the body's own bytes, shared";
  auto back = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->body->bytes(), m.body->bytes());

  m.body = net::Payload(std::string(100, 's'));  // a small one is copied into the text
  EXPECT_EQ(encode_transport(m).pieces.size(), 1u);
}

TEST(Transport, ManyAttachmentsOfTheirOwnReserveNoMoreTextThanTheyNeed) {
  TransportMessage m;
  m.message_type = "text/xml; charset=UTF-8";
  m.message = std::string(kSoap);
  for (int i = 0; i < 500; ++i)
    m.attachments.push_back({{{"Content-Type", "text/plain"}}, net::Payload(std::string(4096, 'a'))});
  m.signature.signature = std::string(8192, 's');
  const EncodedMessage encoded = encode_transport(m);
  ASSERT_EQ(encoded.pieces.size(), 1001u);
  std::size_t reserved = 0;
  for (std::size_t i = 0; i < encoded.pieces.size(); i += 2) reserved += encoded.pieces[i].bytes().capacity();
  EXPECT_LT(reserved, 512u << 10) << "the text between two attachments holds room for what follows it only";
  auto back = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->attachments.size(), 500u);
}

// A transport message written to a spool file, as the server proxy receives a large one.
net::Payload spooled(const std::filesystem::path& dir, const std::vector<net::Payload>& pieces) {
  net::PayloadBuilder b(dir, 0);
  for (const auto& p : pieces) {
    EXPECT_TRUE(p.for_each_piece([&b](std::string_view piece) { return b.append(piece); }).ok());
  }
  return std::move(b).finish();
}

// The SOAP part's own MIME headers travel (X-Road's ProxyMessageEncoder writes them too), but
// not Content-Length, and never an encoding that would make the service read other bytes than
// those checked and signed.
TEST(Transport, TheSoapPartsOwnHeadersTravelButNoEncoding) {
  TransportMessage m;
  m.message_type = "application/xop+xml; type=\"text/xml\"";
  m.message_headers = {{"Content-ID", "<foo>"}, {"Content-Length", "5"}};
  m.message = std::string(kSoap);
  m.signature.signature = "<sig/>";
  auto encoded = encode_transport(m);
  auto back = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_EQ(back->message_headers.size(), 1u);
  EXPECT_EQ(back->message_headers[0].name, "Content-ID");
  EXPECT_EQ(back->message_headers[0].value, "<foo>");

  m.message_headers = {{"Content-Transfer-Encoding", "quoted-printable"}};
  encoded = encode_transport(m);
  auto encoded_part = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_FALSE(encoded_part.ok());
  EXPECT_EQ(encoded_part.error().fault_code(), "invalid_message");

  const std::string base64_root = "--b1\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: base64\r\n\r\n" + std::string(kSoap) + "\r\n--b1--\r\n";
  auto from_is = split_soap_message("multipart/related; boundary=b1", base64_root);
  ASSERT_FALSE(from_is.ok());
  EXPECT_EQ(from_is.error().fault_code(), "invalid_content_type");
  const std::string binary_root = "--b1\r\nContent-Type: text/xml\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <r>\r\n\r\n" + std::string(kSoap) + "\r\n--b1--\r\n";
  auto kept = split_soap_message("multipart/related; boundary=b1", binary_root);
  ASSERT_TRUE(kept.ok()) << kept.error().to_string();
  EXPECT_EQ(last_header(kept->soap_part_headers, "content-id"), "<r>");
  EXPECT_FALSE(last_header(kept->soap_part_headers, "content-type"));
}

TEST(Transport, ASpooledRestBodyTravelsAsASliceOfItsFile) {
  roadside::testing::TempDir dir;
  std::string body;
  for (std::size_t i = 0; i < 3 * 1024 * 1024 + 17; ++i) body.push_back(static_cast<char>(i * 131 + (i >> 9)));
  body += "\r\n--xto";  // near-delimiters inside the body do not end it
  net::PayloadBuilder b(dir / "a", 1024);
  ASSERT_TRUE(b.append(body).ok());
  TransportMessage m;
  m.ocsp_responses = {"ocsp-1"};
  m.message_type = std::string(kRestRequestType);
  m.message = "POST\r\n/r1/DEV/COM/1/S/bytes\r\n";
  m.body = std::move(b).finish();
  ASSERT_FALSE(m.body->in_memory());
  m.signature.hash_chain_result = "<hcr/>";
  m.signature.hash_chain = "<hc/>";
  m.signature.signature = "<sig/>";
  const EncodedMessage encoded = encode_transport(m);
  ASSERT_EQ(encoded.pieces.size(), 3u);  // before the body, the body from its file, after it
  EXPECT_FALSE(encoded.pieces[1].in_memory());

  const net::Payload received = spooled(dir / "b", encoded.pieces);
  ASSERT_FALSE(received.in_memory());
  auto back = decode_transport(encoded.content_type, received, 1024 * 1024);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->ocsp_responses, m.ocsp_responses);
  EXPECT_EQ(back->message, m.message);
  ASSERT_TRUE(back->body.has_value());
  EXPECT_FALSE(back->body->in_memory());
  EXPECT_TRUE(*back->body->read_all(UINT64_MAX) == body);
  EXPECT_EQ(back->signature.signature, "<sig/>");
  EXPECT_EQ(back->signature.hash_chain, "<hc/>");
  // The verifier gets the body's digest, not its bytes.
  EXPECT_FALSE(back->part("/attachment1").has_value());
  EXPECT_EQ(**back->part_digest("/attachment1", crypto::kSha512Uri), crypto::sha512(body));
  EXPECT_EQ(**back->part_digest("/message.xml", crypto::kSha512Uri), crypto::sha512(m.message));
  EXPECT_EQ(*back->attachment_digests(), std::vector<std::string>{crypto::sha512(body)});
  // The same bytes decode the same way from memory.
  auto in_memory = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_TRUE(in_memory.ok());
  EXPECT_TRUE(in_memory->body->bytes() == body);

  // Parts that must be parsed are held to their limit.
  auto small_limit = decode_transport(encoded.content_type, received, 4);
  ASSERT_FALSE(small_limit.ok());
  EXPECT_EQ(small_limit.error().fault_code(), "invalid_message");
  // A message cut short has no close delimiter.
  const net::Payload cut = received.slice(0, received.size() - 10);
  EXPECT_EQ(decode_transport(encoded.content_type, spooled(dir / "c", {cut}), 1024 * 1024).error().fault_code(), "invalid_message");
}

// SOAP attachments in spool files travel as the REST body does: sent from their files, and
// received as slices of the spooled transport message, digested and read in pieces.
TEST(Transport, SpooledSoapAttachmentsTravelAsSlicesOfTheirFile) {
  roadside::testing::TempDir dir;
  const std::string big = pattern(2 * 1024 * 1024 + 3) + "\r\n--xatt";
  const std::string other = "\r\n" + pattern(1024 * 1024 + 1);
  TransportMessage m;
  m.ocsp_responses = {"ocsp-1"};
  m.message_type = "text/xml; charset=UTF-8";
  m.message = std::string(kSoap);
  m.attachments = {{{{"Content-Type", "application/octet-stream"}}, in_spool_file(dir / "a", big)},
                   {{{"Content-Type", "text/plain"}, {"Content-ID", "<small>"}}, net::Payload("small")},
                   {{{"Content-Type", "image/png"}}, in_spool_file(dir / "a", other)}};
  m.signature.signature = "<sig/>";
  const EncodedMessage encoded = encode_transport(m);
  ASSERT_EQ(encoded.pieces.size(), 5u);  // each spooled attachment between the pieces around it
  EXPECT_FALSE(encoded.pieces[1].in_memory());
  EXPECT_FALSE(encoded.pieces[3].in_memory());

  const net::Payload received = spooled(dir / "b", encoded.pieces);
  auto back = decode_transport(encoded.content_type, received, 1024 * 1024);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->message, m.message);
  EXPECT_EQ(back->signature.signature, "<sig/>");
  ASSERT_EQ(back->attachments.size(), 3u);
  EXPECT_FALSE(back->attachments[0].body.in_memory());
  EXPECT_TRUE(back->attachments[0].body.read_all(UINT64_MAX).value() == big);
  EXPECT_EQ(back->attachments[1].body.read_all(UINT64_MAX).value(), "small");
  EXPECT_EQ(last_header(back->attachments[1].headers, "content-id"), "<small>");
  EXPECT_TRUE(back->attachments[2].body.read_all(UINT64_MAX).value() == other);
  // The verifier gets digests of the attachments, slices of the spooled message however
  // small, but no bytes.
  EXPECT_FALSE(back->part("/attachment1").has_value());
  EXPECT_FALSE(back->part("/attachment2").has_value());
  EXPECT_EQ(**back->part_digest("/attachment2", crypto::kSha512Uri), crypto::sha512("small"));
  EXPECT_EQ(**back->part_digest("/attachment1", crypto::kSha512Uri), crypto::sha512(big));
  EXPECT_EQ(**back->part_digest("/attachment3", crypto::kSha512Uri), crypto::sha512(other));
  EXPECT_EQ(*back->attachment_digests(), (std::vector<std::string>{crypto::sha512(big), crypto::sha512("small"), crypto::sha512(other)}));
  EXPECT_FALSE(back->part_digest("/attachment4", crypto::kSha512Uri).has_value());
  // The same bytes decode the same way from memory.
  auto in_memory = decode_transport(encoded.content_type, encoded.joined());
  ASSERT_TRUE(in_memory.ok()) << in_memory.error().to_string();
  ASSERT_EQ(in_memory->attachments.size(), 3u);
  EXPECT_TRUE(in_memory->attachments[0].body.bytes() == big);
  EXPECT_EQ(in_memory->part("/attachment2"), "small");
  // A nested multipart cut short is refused.
  const std::string joined = encoded.joined();
  const std::string cut = joined.substr(0, joined.find("\r\n--xatt", joined.find(big) + big.size() + 4));
  auto broken = decode_transport(encoded.content_type, in_spool_file(dir / "c", cut), 1024 * 1024);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().fault_code(), "invalid_message");
}

TEST(Transport, LateFaultsAndBrokenMessages) {
  TransportMessage m;
  m.message_type = std::string(kRestResponseType);
  m.message = "200\r\nOK\r\n";
  m.fault = Fault{"server.serverproxy.internal_error", "it broke", "d-1"};
  const EncodedMessage e = encode_transport(m);
  auto back = decode_transport(e.content_type, e.joined());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_TRUE(back->fault.has_value());
  EXPECT_EQ(back->fault->code, "server.serverproxy.internal_error");
  EXPECT_EQ(decode_transport("text/plain", "x").error().fault_code(), "service_failed.invalid_content_type");  // not a transport message at all (X-Road's code)
  EXPECT_EQ(decode_transport("multipart/mixed", "x").error().fault_code(), "invalid_message");
  EXPECT_EQ(decode_transport("multipart/mixed; boundary=b", "--b\r\ncontent-type: text/plain\r\n\r\nx\r\n--b--\r\n").error().fault_code(),
            "missing_signature");
}

TEST(Faults, CodesGetTheirPrefixAndStatus) {
  auto f = make_fault(Error(make_error_code(errc::missing_header_field), "no client"), Side::client_proxy);
  EXPECT_EQ(f.code, "client.missing_header_field");
  EXPECT_EQ(fault_status(f.code), 400u);
  EXPECT_EQ(f.detail.size(), 36u);
  f = make_fault(Error(make_error_code(errc::access_denied), "no"), Side::server_proxy);
  EXPECT_EQ(f.code, "server.serverproxy.access_denied");
  EXPECT_EQ(fault_status(f.code), 500u);
  f = make_fault(Error(make_error_code(errc::unknown_member), "who"), Side::client_proxy);
  EXPECT_EQ(f.code, "server.clientproxy.unknown_member");
  auto r = rest_error_response(f, "application/json");
  EXPECT_EQ(r.result_int(), 500);
  EXPECT_EQ(r["X-Road-Error"], "server.clientproxy.unknown_member");
  EXPECT_NE(r.body().find("\"type\":\"server.clientproxy.unknown_member\""), std::string::npos);
  auto x = rest_error_response(f, "application/xml");
  EXPECT_NE(x.body().find("<type>server.clientproxy.unknown_member</type>"), std::string::npos);
  auto parsed = parse_soap_fault(soap_fault_xml(f));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->code, f.code);
  EXPECT_EQ(parsed->message, "who");
}

TEST(Faults, PeersCodesInEitherFormReadAsTheNewOne) {
  EXPECT_EQ(normalize_fault_code("Server.ServerProxy.AccessDenied"), "server.serverproxy.access_denied");
  EXPECT_EQ(normalize_fault_code("Server.ClientProxy.UnknownMember"), "server.clientproxy.unknown_member");
  EXPECT_EQ(normalize_fault_code("Server.ClientProxy.ServiceFailed.MissingBody"), "server.clientproxy.service_failed.missing_body");
  EXPECT_EQ(normalize_fault_code("Client.InvalidSoap"), "client.invalid_soap");
  EXPECT_EQ(normalize_fault_code("server.serverproxy.service_failed.network_error"), "server.serverproxy.service_failed.network_error");
  EXPECT_EQ(normalize_fault_code("Server.ServerProxy.OpMonitor.Foo"), "server.serverproxy.opmonitor.foo");
}

}  // namespace
}  // namespace roadside::proxy
