#include "globalconf/directory.h"

#include "base/clock.h"
#include "globalconf/parts.h"
#include "mime/multipart.h"
#include "xml/dom.h"

namespace roadside::globalconf {
namespace {

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed), std::move(detail));
}
Error invalid(std::string detail) {
  return Error(make_error_code(errc::invalid_signature), std::move(detail));
}

Result<std::string> required(const mime::Headers& h, std::string_view name, std::string_view where) {
  auto v = h.get(name);
  if (!v) return malformed(std::string(where) + " has no " + std::string(name) + " header");
  return *v;
}

}  // namespace

const FaultCategory& globalconf_category() noexcept {
  static const TableCategory<errc> c(
      "globalconf", {
                        {errc::malformed, "malformed_global_conf", "malformed global configuration"},
                        {errc::invalid_signature, "invalid_signature_value", "global configuration does not verify"},
                        {errc::outdated, "global_conf_outdated", "global configuration expired"},
                        {errc::unreadable, "io_error", "cannot read global configuration"},
                    });
  return c;
}

Result<Anchor> Anchor::parse(std::string_view xml) {
  auto doc = xml::Document::parse(xml, 1024 * 1024);
  if (!doc.ok()) return malformed("configuration anchor: " + doc.error().detail());
  const xml::Element root = doc->root();
  if (root.name() != "configurationAnchor") {
    return malformed("configuration anchor: root element is <" + std::string(root.name()) +
                     ">, not <configurationAnchor>");
  }
  return from_element(root);
}

Result<Anchor> Anchor::from_element(const xml::Element& root) {
  Anchor a;
  a.instance = root.child_text("instanceIdentifier").value_or("");
  if (a.instance.empty()) return malformed("configuration anchor has no instanceIdentifier");
  if (auto g = root.child_text("generatedAt")) a.generated_at = parse_rfc3339(*g);
  for (const auto& s : root.children("source")) {
    Source src;
    src.download_url = s.child_text("downloadURL").value_or("");
    if (src.download_url.empty()) return malformed("configuration anchor source has no downloadURL");
    for (const auto& c : s.children("verificationCert")) {
      ROADSIDE_TRY(crypto::Certificate cert, decode_certificate(c.text(), "configuration anchor verificationCert"));
      src.verification_certs.push_back(std::move(cert));
    }
    if (src.verification_certs.empty())
      return malformed("configuration anchor source " + src.download_url + " has no verificationCert");
    a.sources.push_back(std::move(src));
  }
  if (a.sources.empty()) return malformed("configuration anchor has no source");
  return a;
}

std::string Anchor::to_xml() const {
  using xml::escape;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<ns3:configurationAnchor xmlns:ns2=\"http://x-road.eu/xsd/identifiers\" "
      "xmlns:ns3=\"http://x-road.eu/xsd/xroad.xsd\">\n";
  if (generated_at) out += "    <generatedAt>" + format_rfc3339(*generated_at) + "</generatedAt>\n";
  out += "    <instanceIdentifier>" + escape(instance) + "</instanceIdentifier>\n";
  for (const auto& s : sources) {
    out += "    <source>\n        <downloadURL>" + escape(s.download_url) + "</downloadURL>\n";
    for (const auto& c : s.verification_certs) {
      out += "        <verificationCert>" + crypto::base64_encode(c.to_der()) + "</verificationCert>\n";
    }
    out += "    </source>\n";
  }
  return out + "</ns3:configurationAnchor>\n";
}

std::vector<crypto::Certificate> Anchor::verification_certs() const {
  std::vector<crypto::Certificate> out;
  for (const auto& s : sources) out.insert(out.end(), s.verification_certs.begin(), s.verification_certs.end());
  return out;
}

Result<SignedDirectory> SignedDirectory::parse(std::string_view file) {
  if (file.size() > kMaxDirectoryBytes) {
    return malformed("directory is larger than " + std::to_string(kMaxDirectoryBytes) + " bytes");
  }
  auto top = mime::parse_headers(file);
  if (!top.ok()) return malformed("directory headers: " + top.error().detail());
  const auto outer_type = mime::HeaderValue::parse(top->first.get("Content-Type").value_or(""));
  if (outer_type.value != "multipart/related" || !outer_type.params.count("boundary")) {
    return malformed("directory is not multipart/related with a boundary");
  }
  auto outer = mime::parse_multipart(top->second, outer_type.params.at("boundary"));
  if (!outer.ok()) return malformed("directory: " + outer.error().detail());
  if (outer->size() != 2)
    return malformed("directory must have 2 parts (content, signature), has " + std::to_string(outer->size()));

  SignedDirectory d;
  // Part 1: the signed content.
  const mime::Part& content = (*outer)[0];
  const auto inner_type = mime::HeaderValue::parse(content.headers.get("Content-Type").value_or(""));
  if (inner_type.value != "multipart/mixed" || !inner_type.params.count("boundary")) {
    return malformed("directory content is not multipart/mixed with a boundary");
  }
  d.signed_bytes = std::string(content.body);
  auto inner = mime::parse_multipart(content.body, inner_type.params.at("boundary"));
  if (!inner.ok()) return malformed("directory content: " + inner.error().detail());
  if (inner->empty()) return malformed("directory content has no parts");

  const mime::Headers& meta = (*inner)[0].headers;
  ROADSIDE_TRY(std::string expire_text, required(meta, "Expire-date", "directory"));
  auto expires = parse_rfc3339(expire_text);
  if (!expires) return malformed("directory Expire-date \"" + expire_text + "\" is not a date-time");
  d.expires = *expires;
  if (auto v = meta.get("Version")) {
    try {
      d.version = std::stoi(*v);
    } catch (...) {
      return malformed("directory Version \"" + *v + "\" is not a number");
    }
  } else {
    d.version = 2;  // Version 2 directories carry no Version header
  }

  for (std::size_t i = 1; i < inner->size(); ++i) {
    const mime::Part& p = (*inner)[i];
    const std::string where = "directory part " + std::to_string(i);
    DirectoryPart part;
    ROADSIDE_TRY(std::string ident, required(p.headers, "Content-identifier", where));
    const auto id = mime::HeaderValue::parse(ident);
    part.content_identifier = std::string(ident.substr(0, ident.find(';')));
    while (!part.content_identifier.empty() && part.content_identifier.back() == ' ')
      part.content_identifier.pop_back();
    if (auto inst = id.params.find("instance"); inst != id.params.end()) part.instance = inst->second;
    ROADSIDE_TRY(part.content_location, required(p.headers, "Content-location", where));
    ROADSIDE_TRY(part.hash_algorithm, required(p.headers, "Hash-algorithm-id", where));
    auto hash = crypto::base64_decode(p.body);
    if (!hash.ok() || hash->empty())
      return malformed(where + " (" + part.content_identifier + ") has no valid base64 hash");
    part.hash = std::move(hash).value();
    d.parts.push_back(std::move(part));
  }

  // Part 2: the signature.
  const mime::Part& sig = (*outer)[1];
  ROADSIDE_TRY(d.signature_algorithm, required(sig.headers, "Signature-Algorithm-Id", "directory signature"));
  ROADSIDE_TRY(std::string cert_hash, required(sig.headers, "Verification-certificate-hash", "directory signature"));
  const auto cert_hash_value = mime::HeaderValue::parse(cert_hash);
  auto cert_hash_bytes = crypto::base64_decode(cert_hash.substr(0, cert_hash.find(';')));
  if (!cert_hash_bytes.ok()) return malformed("directory Verification-certificate-hash is not base64");
  d.verification_cert_hash = std::move(cert_hash_bytes).value();
  auto alg = cert_hash_value.params.find("hash-algorithm-id");
  d.verification_cert_hash_algorithm =
      alg != cert_hash_value.params.end() ? alg->second : std::string(crypto::kSha1Uri);
  auto signature = crypto::base64_decode(sig.body);
  if (!signature.ok() || signature->empty()) return malformed("directory signature is not valid base64");
  d.signature = std::move(signature).value();
  return d;
}

Status SignedDirectory::verify_signature(std::span<const crypto::Certificate> certs) const {
  for (const auto& cert : certs) {
    auto hash = crypto::digest(verification_cert_hash_algorithm, cert.to_der());
    if (!hash.ok()) return malformed("Verification-certificate-hash: " + hash.error().detail());
    if (*hash != verification_cert_hash) continue;
    auto st = crypto::verify_signature(cert, signature_algorithm, signed_bytes, signature);
    if (!st.ok())
      return invalid("directory signature does not verify with " + cert.subject() + ": " + st.error().detail());
    return {};
  }
  return invalid("no trusted verification certificate matches the directory's Verification-certificate-hash " +
                 crypto::base64_encode(verification_cert_hash) + " (is the anchor the right one for this instance?)");
}

Status SignedDirectory::check_not_expired(std::chrono::system_clock::time_point now) const {
  if (now > expires) {
    return Error(make_error_code(errc::outdated),
                 "global configuration expired at " + format_rfc3339(expires) + " (now " + format_rfc3339(now) + ")");
  }
  return {};
}

Status SignedDirectory::verify_part(const DirectoryPart& part, std::string_view bytes) {
  auto hash = crypto::digest(part.hash_algorithm, bytes);
  if (!hash.ok()) return malformed(part.content_identifier + ": " + hash.error().detail());
  if (*hash != part.hash) {
    return invalid("the file at " + part.content_location + " (" + part.content_identifier +
                   ") does not match the hash in the signed directory");
  }
  return {};
}

}  // namespace roadside::globalconf
