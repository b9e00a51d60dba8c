#include "messagelog/asic.h"

#include "base/clock.h"
#include "messagelog/rest_part.h"
#include "trust/verifier.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"
#include "xml/xades.h"

namespace roadside::messagelog {
namespace {

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed), std::move(detail));
}

constexpr std::string_view kMessage = "message.xml";
constexpr std::string_view kSignatures = "META-INF/signatures.xml";
constexpr std::string_view kSigHashChainResult = "sig-hashchainresult.xml";
constexpr std::string_view kSigHashChain = "sig-hashchain.xml";
constexpr std::string_view kTsHashChainResult = "ts-hashchainresult.xml";
constexpr std::string_view kTsHashChain = "ts-hashchain.xml";
constexpr std::string_view kManifest = "META-INF/manifest.xml";
constexpr std::string_view kAsicManifest = "META-INF/ASiCManifest.xml";
constexpr std::string_view kTimestamp = "META-INF/timestamp.tst";
constexpr std::size_t kMaxAttachments = 10'000;

std::optional<std::string> entry(const ZipFile& zip, std::string_view name) {
  const ZipEntry* e = zip.find(name);
  if (!e) return std::nullopt;
  return e->data;
}

std::string manifest(const AsicParts& p) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
      "manifest:version=\"1.2\">\n"
      "    <manifest:file-entry manifest:media-type=\"application/vnd.etsi.asic-e+zip\" manifest:full-path=\"/\"/>\n";
  auto add = [&](std::string_view type, const std::string& path) {
    out += "    <manifest:file-entry manifest:media-type=\"" + std::string(type) + "\" manifest:full-path=\"" + path +
           "\"/>\n";
  };
  add("text/xml", std::string(kMessage));
  if (p.sig_hash_chain_result) add("text/xml", std::string(kSigHashChainResult));
  if (p.sig_hash_chain) add("text/xml", std::string(kSigHashChain));
  if (p.ts_hash_chain_result) add("text/xml", std::string(kTsHashChainResult));
  if (p.ts_hash_chain) add("text/xml", std::string(kTsHashChain));
  for (std::size_t i = 1; i <= p.attachments.size(); ++i)
    add("application/octet-stream", "attachment" + std::to_string(i));
  return out + "</manifest:manifest>\n";
}

std::string asic_manifest(const std::string& ts_result) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/2918/v1.2.1#\" "
         "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n"
         "<asic:SigReference URI=\"META-INF/timestamp.tst\" MimeType=\"vnd.etsi.timestamp-token\"/>\n"
         "<asic:DataObjectReference URI=\"ts-hashchainresult.xml\" MimeType=\"text/xml\">\n"
         "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha512\" />\n"
         "<ds:DigestValue>" +
         crypto::base64_encode(crypto::sha512(ts_result)) +
         "</ds:DigestValue>\n"
         "</asic:DataObjectReference>\n"
         "</asic:ASiCManifest>";
}

Result<MessageRoute> rest_route(std::string_view part) {
  const std::string_view first = part.substr(0, part.find_first_of("\r\n"));
  auto client = rest_part_header(part, "X-Road-Client");
  if (!client) return malformed("the REST message has no X-Road-Client header");
  ROADSIDE_TRY(XRoadId client_id, parse_rest_client(*client));
  MessageRoute route{first.empty() || !std::isdigit(static_cast<unsigned char>(first[0])), std::move(client_id), {}};
  if (route.request) {
    const std::size_t start = part.find('\n');
    std::string_view target = part.substr(start == std::string_view::npos ? part.size() : start + 1);
    target = target.substr(0, target.find_first_of("\r\n"));
    ROADSIDE_TRY(RestTarget t, parse_rest_target(target));
    route.service = t.service;
  } else {
    auto service = rest_part_header(part, "X-Road-Service");
    if (!service) return malformed("the REST response has no X-Road-Service header");
    ROADSIDE_TRY(route.service, parse_rest_path(ObjectType::service, *service));
  }
  return route;
}

std::optional<xml::Element> first_child_element(const xml::Element& e, std::string_view name) {
  for (const auto& c : e.children()) {
    if (c.name() == name) return c;
  }
  return std::nullopt;
}

}  // namespace

XRoadId MessageRoute::signer() const {
  return request || !service ? client : service->owner_member();
}

Result<MessageRoute> message_route(std::string_view message) {
  const auto first = message.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return malformed("the message is empty");
  if (message[first] != '<') return rest_route(message);
  auto doc = xml::Document::parse(message);
  if (!doc.ok()) return malformed("message.xml: " + doc.error().detail());
  const xml::Element envelope = doc->root();
  auto header = first_child_element(envelope, "Header");
  auto body = first_child_element(envelope, "Body");
  if (envelope.name() != "Envelope" || !header || !body)
    return malformed("message.xml is not a SOAP message with a header");
  auto client = first_child_element(*header, "client");
  if (!client) return malformed("the SOAP header has no client");
  ROADSIDE_TRY(XRoadId client_id, xml::identifier_from_element(*client));
  MessageRoute route{true, std::move(client_id), {}};
  if (auto service = first_child_element(*header, "service")) {
    ROADSIDE_TRY(route.service, xml::identifier_from_element(*service));
  }
  const auto content = body->children();
  // X-Road tells a response by its body element's name.
  route.request = content.empty() || !content.front().name().ends_with("Response");
  return route;
}

Result<AsicContainer> AsicContainer::read(std::string_view zip_bytes) {
  auto zip = ZipFile::read(zip_bytes);
  if (!zip.ok()) return malformed("not an ASiC-E container: " + zip.error().detail());
  auto mimetype = entry(*zip, "mimetype");
  if (!mimetype || *mimetype != kAsicMimeType)
    return malformed("not an ASiC-E container: no mimetype " + std::string(kAsicMimeType));
  AsicContainer c;
  auto message = entry(*zip, kMessage);
  auto signature = entry(*zip, kSignatures);
  if (!message) return malformed("the container has no message.xml");
  if (!signature) return malformed("the container has no META-INF/signatures.xml");
  c.parts.message = std::move(*message);
  c.parts.signature = std::move(*signature);
  c.parts.sig_hash_chain_result = entry(*zip, kSigHashChainResult);
  c.parts.sig_hash_chain = entry(*zip, kSigHashChain);
  c.parts.ts_hash_chain_result = entry(*zip, kTsHashChainResult);
  c.parts.ts_hash_chain = entry(*zip, kTsHashChain);
  c.parts.timestamp = entry(*zip, kTimestamp);
  for (std::size_t i = 1; i <= kMaxAttachments; ++i) {
    auto a = entry(*zip, "attachment" + std::to_string(i));
    if (!a) break;
    c.parts.attachments.push_back(std::move(*a));
  }
  return c;
}

Result<std::string> AsicContainer::write() const {
  ZipFile zip;
  zip.comment = "mimetype=" + std::string(kAsicMimeType);
  auto add = [&](std::string_view name, const std::string& data) {
    zip.entries.push_back({std::string(name), data, true, time});
  };
  add("mimetype", std::string(kAsicMimeType));
  add(kMessage, parts.message);
  add(kSignatures, parts.signature);
  if (parts.sig_hash_chain_result) add(kSigHashChainResult, *parts.sig_hash_chain_result);
  if (parts.sig_hash_chain) add(kSigHashChain, *parts.sig_hash_chain);
  if (parts.ts_hash_chain_result) add(kTsHashChainResult, *parts.ts_hash_chain_result);
  if (parts.ts_hash_chain) add(kTsHashChain, *parts.ts_hash_chain);
  add(kManifest, manifest(parts));
  if (parts.timestamp && parts.ts_hash_chain_result) {
    add(kAsicManifest, asic_manifest(*parts.ts_hash_chain_result));
    add(kTimestamp, *parts.timestamp);
  }
  for (std::size_t i = 0; i < parts.attachments.size(); ++i)
    add("attachment" + std::to_string(i + 1), parts.attachments[i]);
  return zip.write();
}

Result<AsicVerification> verify_asic(const AsicContainer& container, const globalconf::SharedParameters& trust) {
  const AsicParts& p = container.parts;
  ROADSIDE_TRY(MessageRoute route, message_route(p.message));
  ROADSIDE_TRY(xml::XadesSignature sig, xml::XadesSignature::parse(p.signature));
  const XRoadId expected = route.signer();
  AsicVerification out{.route = std::move(route), .signer_member = expected.owner_member()};
  out.signing_time = sig.signing_time;
  out.batch_signature = sig.is_batch();
  out.signer_subject = sig.signing_cert.subject();
  out.signer_serial = sig.signing_cert.serial_hex();

  std::vector<crypto::Certificate> tsas;
  for (const auto& t : trust.approved_tsas) tsas.push_back(t.cert);
  if (sig.signature_timestamp) {
    // A time-stamp of this signature alone: over the raw SignatureValue bytes.
    ROADSIDE_TRY(crypto::TimestampInfo ts,
                 crypto::verify_timestamp_token(*sig.signature_timestamp, sig.signature_value, tsas));
    out.timestamp = AsicVerification::Timestamp::signature;
    out.timestamp_time = ts.gen_time;
    out.tsa_subject = ts.tsa_subject;
  } else if (p.timestamp) {
    // A batch time-stamp: over ts-hashchainresult.xml, whose chain covers this signature.
    if (!p.ts_hash_chain_result || !p.ts_hash_chain) return malformed("a batch time-stamp without its hash chain");
    xml::HashChainCheck hc;
    hc.resolve = [&](std::string_view uri) -> std::optional<std::string> {
      if (uri == "/META-INF/signatures.xml") return p.signature;
      return std::nullopt;
    };
    hc.all_inputs = {"/META-INF/signatures.xml"};
    ROADSIDE_TRY_STATUS(xml::verify_hash_chain(*p.ts_hash_chain_result, *p.ts_hash_chain, hc));
    ROADSIDE_TRY(crypto::TimestampInfo ts, crypto::verify_timestamp_token(*p.timestamp, *p.ts_hash_chain_result, tsas));
    out.timestamp = AsicVerification::Timestamp::batch;
    out.timestamp_time = ts.gen_time;
    out.tsa_subject = ts.tsa_subject;
  }

  trust::SignedMessage m;
  m.parts = [&](std::string_view uri) -> std::optional<std::string> {
    if (uri == "/message.xml") return p.message;
    if (uri.starts_with("/attachment")) {
      const std::string n(uri.substr(11));
      if (n.empty() || n.size() > 5 || n.find_first_not_of("0123456789") != std::string::npos || n[0] == '0')
        return std::nullopt;
      const std::size_t i = std::stoul(n);
      if (i >= 1 && i <= p.attachments.size()) return p.attachments[i - 1];
    }
    return std::nullopt;
  };
  m.part_uris = {"/message.xml"};
  for (std::size_t i = 1; i <= p.attachments.size(); ++i) m.part_uris.push_back("/attachment" + std::to_string(i));
  m.hash_chain_result = p.sig_hash_chain_result;
  m.hash_chain = p.sig_hash_chain;
  m.allow_missing_parts = true;  // the log may have kept the message without its attachments
  const auto at = out.timestamp_time.value_or(sig.signing_time);
  ROADSIDE_TRY(trust::VerifiedSignature v, trust::verify_signed_message(sig, m, trust, {expected, at}));
  out.signer_member = v.signer_member;
  out.ocsp = v.ocsp;
  return out;
}

}  // namespace roadside::messagelog
