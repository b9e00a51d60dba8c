#include "xml/xades.h"

#include <cstring>
#include <set>

#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/bn.h>

#include "base/clock.h"
#include "xml/dom.h"

namespace roadside::xml {
namespace {

Error malformed(std::string detail) { return Error(make_error_code(errc::malformed_signature), std::move(detail)); }
Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_signature_value), std::move(detail)); }
Error failure(std::string detail) { return Error(make_error_code(errc::xml_failure), std::move(detail)); }

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
const xmlChar* X(const std::string& s) { return X(s.c_str()); }

// ---- structure --------------------------------------------------------------------

bool is(const Element& e, std::string_view ns, std::string_view name) { return e.ns() == ns && e.name() == name; }

Result<Element> only_child(const Element& parent, std::string_view ns, std::string_view name) {
  std::optional<Element> found;
  for (const auto& c : parent.children()) {
    if (!is(c, ns, name)) continue;
    if (found) return malformed("<" + std::string(parent.name()) + "> has more than one <" + std::string(name) + ">");
    found = c;
  }
  if (!found) return malformed("<" + std::string(parent.name()) + "> has no <" + std::string(name) + ">");
  return *found;
}

Result<std::string> base64_of(const Element& e, std::string_view what) {
  const std::string text = e.text();
  auto bytes = crypto::base64_decode(text);
  if (!bytes.ok() || bytes->empty()) return malformed(std::string(what) + " is not base64");
  return std::move(bytes).value();
}

Result<std::string> algorithm_of(const Element& e) {
  auto a = e.attribute("Algorithm");
  if (!a || a->empty()) return malformed("<" + std::string(e.name()) + "> has no Algorithm");
  return *a;
}

bool known_c14n(std::string_view uri) { return uri == kC14n10Uri || uri == kExcC14nUri; }

// Refuses a document in which two elements have the same Id (a second element with the
// SignedProperties' Id is how signature-wrapping attacks begin).
Status check_ids(xmlDoc* doc, xmlNode* node, std::set<std::string>& seen, std::size_t& count) {
  for (xmlNode* n = node; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (++count > 100'000) return malformed("signature document has too many elements");
    for (xmlAttr* a = n->properties; a; a = a->next) {
      if (a->ns || std::strcmp(reinterpret_cast<const char*>(a->name), "Id") != 0) continue;
      xmlChar* v = xmlNodeListGetString(doc, a->children, 1);
      std::string id = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      if (!seen.insert(id).second) return malformed("Id \"" + id + "\" appears twice");
    }
    ROADSIDE_TRY_STATUS(check_ids(doc, n->children, seen, count));
  }
  return {};
}

struct ParsedReferences {
  std::vector<XadesReference> data;
  std::string signed_properties_id;
  XadesReference signed_properties;  // its digest method and value
  XadesC14n signed_properties_c14n;  // its one transform, or inclusive C14N 1.0 without one
  XadesC14n signed_info_c14n;
};

constexpr std::size_t kMaxInclusivePrefixes = 64;

// A canonicalization by the element that names it (CanonicalizationMethod, Transform):
// inclusive C14N 1.0 or exclusive C14N, the latter with its InclusiveNamespaces PrefixList.
Result<XadesC14n> c14n_of(const Element& e, std::string_view what) {
  ROADSIDE_TRY(std::string alg, algorithm_of(e));
  if (!known_c14n(alg)) return malformed("unsupported " + std::string(what) + " " + alg);
  XadesC14n out;
  out.exclusive = alg == kExcC14nUri;
  bool listed = false;
  for (const auto& c : e.children()) {
    if (!out.exclusive || listed || !is(c, kExcC14nUri, "InclusiveNamespaces")) {
      return malformed("unexpected <" + std::string(c.name()) + "> in the " + std::string(what));
    }
    listed = true;
    const std::string list = c.attribute("PrefixList").value_or("");
    std::size_t at = 0;
    while (at < list.size()) {
      const std::size_t end = std::min(list.find_first_of(" \t\r\n", at), list.size());
      if (end > at) {
        if (out.inclusive_prefixes.size() == kMaxInclusivePrefixes)
          return malformed("too many inclusive namespace prefixes");
        out.inclusive_prefixes.push_back(list.substr(at, end - at));
      }
      at = end + 1;
    }
  }
  return out;
}

Result<ParsedReferences> parse_signed_info(const Element& si, XadesSignature& out) {
  const auto children = si.children();
  if (children.size() < 3 || !is(children[0], kDsNs, "CanonicalizationMethod") || !is(children[1], kDsNs, "SignatureMethod")) {
    return malformed("<SignedInfo> must hold CanonicalizationMethod, SignatureMethod and References");
  }
  ParsedReferences refs;
  ROADSIDE_TRY(out.canonicalization_method, algorithm_of(children[0]));
  ROADSIDE_TRY(refs.signed_info_c14n, c14n_of(children[0], "canonicalization"));
  ROADSIDE_TRY(out.signature_method, algorithm_of(children[1]));
  if (children.size() - 2 > kMaxReferences + 1) return malformed("too many references");
  std::set<std::string> uris;
  for (std::size_t i = 2; i < children.size(); ++i) {
    const Element& r = children[i];
    if (!is(r, kDsNs, "Reference")) return malformed("unexpected <" + std::string(r.name()) + "> in <SignedInfo>");
    XadesReference ref;
    ref.id = r.attribute("Id").value_or("");
    ref.uri = r.attribute("URI").value_or("");
    const bool props = r.attribute("Type").value_or("") == kSignedPropertiesType;
    std::optional<Element> method, value, transforms;
    for (const auto& c : r.children()) {
      if (is(c, kDsNs, "Transforms") && props && !method && !transforms) {
        transforms = c;
        const auto list = c.children();
        if (list.size() != 1 || !is(list[0], kDsNs, "Transform")) {
          return malformed("the SignedProperties reference must have one transform, a canonicalization");
        }
        ROADSIDE_TRY(refs.signed_properties_c14n, c14n_of(list[0], "transform"));
      } else if (is(c, kDsNs, "DigestMethod") && !method) {
        method = c;
      } else if (is(c, kDsNs, "DigestValue") && method && !value) {
        value = c;
      } else {
        return malformed("unexpected <" + std::string(c.name()) + "> in reference \"" + ref.uri + "\"");
      }
    }
    if (!method || !value) return malformed("reference \"" + ref.uri + "\" lacks DigestMethod or DigestValue");
    ROADSIDE_TRY(ref.digest_method, algorithm_of(*method));
    ROADSIDE_TRY(ref.digest, base64_of(*value, "DigestValue"));
    if (props) {
      if (!refs.signed_properties_id.empty()) return malformed("more than one SignedProperties reference");
      if (ref.uri.size() < 2 || ref.uri[0] != '#') return malformed("SignedProperties reference \"" + ref.uri + "\" is not local");
      refs.signed_properties_id = ref.uri.substr(1);
      refs.signed_properties = std::move(ref);
      continue;
    }
    if (ref.uri.size() < 2 || ref.uri[0] != '/' || ref.uri.find_first_of("#?") != std::string::npos) {
      return malformed("data reference \"" + ref.uri + "\" does not name a message part");
    }
    if (!uris.insert(ref.uri).second) return malformed("part " + ref.uri + " is referenced twice");
    refs.data.push_back(std::move(ref));
  }
  if (refs.signed_properties_id.empty()) return malformed("no reference covers the SignedProperties");
  if (refs.data.empty()) return malformed("the signature references no message part");
  return refs;
}

Status parse_signed_properties(const Element& sp, XadesSignature& out) {
  ROADSIDE_TRY(Element ssp, only_child(sp, kXadesNs, "SignedSignatureProperties"));
  ROADSIDE_TRY(Element time, only_child(ssp, kXadesNs, "SigningTime"));
  auto t = parse_rfc3339(time.text());
  if (!t) return malformed("SigningTime \"" + time.text() + "\" is not a date and time");
  out.signing_time = *t;
  std::optional<Element> sc;
  for (const auto& c : ssp.children()) {
    if (is(c, kXadesNs, "SigningCertificate") || is(c, kXadesNs, "SigningCertificateV2")) {
      if (sc) return malformed("more than one SigningCertificate");
      sc = c;
    }
  }
  if (!sc) return malformed("<SignedSignatureProperties> has no SigningCertificate");
  ROADSIDE_TRY(Element cert, only_child(*sc, kXadesNs, "Cert"));
  ROADSIDE_TRY(Element digest, only_child(cert, kXadesNs, "CertDigest"));
  ROADSIDE_TRY(Element dm, only_child(digest, kDsNs, "DigestMethod"));
  ROADSIDE_TRY(Element dv, only_child(digest, kDsNs, "DigestValue"));
  ROADSIDE_TRY(out.cert_digest_method, algorithm_of(dm));
  ROADSIDE_TRY(out.cert_digest, base64_of(dv, "CertDigest"));
  auto actual = crypto::digest(out.cert_digest_method, out.signing_cert.to_der());
  if (!actual.ok()) return malformed("unsupported CertDigest method " + out.cert_digest_method);
  if (*actual != out.cert_digest) return malformed("SigningCertificate's digest is not that of the KeyInfo certificate");
  if (auto sdop = sp.child("SignedDataObjectProperties")) {
    if (auto format = sdop->child("DataObjectFormat")) out.data_mime_type = format->child_text("MimeType").value_or("");
  }
  return {};
}

Status parse_unsigned_properties(const Element& up, XadesSignature& out) {
  auto usp = up.child("UnsignedSignatureProperties");
  if (!usp) return {};
  for (const auto& p : usp->children()) {
    if (is(p, kXadesNs, "SignatureTimeStamp")) {
      if (out.signature_timestamp) return malformed("more than one SignatureTimeStamp");
      ROADSIDE_TRY(Element ets, only_child(p, kXadesNs, "EncapsulatedTimeStamp"));
      ROADSIDE_TRY(out.signature_timestamp, base64_of(ets, "EncapsulatedTimeStamp"));
    } else if (is(p, kXadesNs, "CertificateValues")) {
      for (const auto& c : p.children("EncapsulatedX509Certificate")) {
        ROADSIDE_TRY(std::string der, base64_of(c, "EncapsulatedX509Certificate"));
        auto cert = crypto::Certificate::from_der(der);
        if (!cert.ok()) return malformed("EncapsulatedX509Certificate is not a certificate");
        out.extra_certs.push_back(std::move(cert).value());
      }
    } else if (is(p, kXadesNs, "RevocationValues")) {
      if (auto ocsp = p.child("OCSPValues")) {
        for (const auto& v : ocsp->children("EncapsulatedOCSPValue")) {
          ROADSIDE_TRY(std::string der, base64_of(v, "EncapsulatedOCSPValue"));
          out.ocsp_responses.push_back(std::move(der));
        }
      }
    }
  }
  return {};
}

}  // namespace

Result<XadesSignature> XadesSignature::parse(std::string_view xml) {
  auto parsed = Document::parse(xml, kMaxSignatureBytes);
  if (!parsed.ok()) return malformed("signature document: " + parsed.error().detail());
  const Document& doc = *parsed;
  Element root = doc.root();
  Element sig = root;
  if (root.name() == "XAdESSignatures" && (root.ns() == kAsicNs || root.ns() == kAsicNsOld)) {
    const auto children = root.children();
    if (children.size() != 1) return malformed("<XAdESSignatures> must hold exactly one signature");
    sig = children[0];
  }
  if (!is(sig, kDsNs, "Signature")) return malformed("no ds:Signature at the root of the signature document");

  const auto parts = sig.children();
  if (parts.size() != 4 || !is(parts[0], kDsNs, "SignedInfo") || !is(parts[1], kDsNs, "SignatureValue") ||
      !is(parts[2], kDsNs, "KeyInfo") || !is(parts[3], kDsNs, "Object")) {
    return malformed("<Signature> must hold SignedInfo, SignatureValue, KeyInfo and one Object, in that order");
  }
  ROADSIDE_TRY(Element x509data, only_child(parts[2], kDsNs, "X509Data"));
  const auto certs = x509data.children("X509Certificate");
  if (certs.empty()) return malformed("<KeyInfo> has no X509Certificate");
  ROADSIDE_TRY(std::string cert_der, base64_of(certs.front(), "X509Certificate"));
  auto cert = crypto::Certificate::from_der(cert_der);
  if (!cert.ok()) return malformed("the KeyInfo X509Certificate is not a certificate");

  XadesSignature out(std::move(cert).value());
  ROADSIDE_TRY(ParsedReferences refs, parse_signed_info(parts[0], out));
  out.references = std::move(refs.data);
  out.signed_properties_reference_ = std::move(refs.signed_properties);
  out.signed_properties_c14n_ = std::move(refs.signed_properties_c14n);
  out.signed_info_c14n_ = std::move(refs.signed_info_c14n);
  ROADSIDE_TRY(out.signature_value, base64_of(parts[1], "SignatureValue"));

  ROADSIDE_TRY(Element qp, only_child(parts[3], kXadesNs, "QualifyingProperties"));
  if (auto id = sig.attribute("Id"); id && qp.attribute("Target").value_or("") != "#" + *id) {
    return malformed("QualifyingProperties' Target is not the signature");
  }
  ROADSIDE_TRY(Element sp, only_child(qp, kXadesNs, "SignedProperties"));
  if (sp.attribute("Id").value_or("") != refs.signed_properties_id) {
    return malformed("the SignedProperties reference \"#" + refs.signed_properties_id + "\" is not this signature's SignedProperties");
  }
  ROADSIDE_TRY_STATUS(parse_signed_properties(sp, out));
  if (auto up = qp.child("UnsignedProperties")) ROADSIDE_TRY_STATUS(parse_unsigned_properties(*up, out));

  auto* native = static_cast<xmlDoc*>(doc.native().get());
  std::set<std::string> ids;
  std::size_t count = 0;
  ROADSIDE_TRY_STATUS(check_ids(native, xmlDocGetRootElement(native), ids, count));
  out.doc_ = doc.native();
  out.signature_node_ = const_cast<void*>(sig.native());
  out.signed_info_node_ = const_cast<void*>(parts[0].native());
  out.signed_properties_node_ = const_cast<void*>(sp.native());
  return out;
}

namespace {

// The canonical form (without comments) of the subtree at `top`, as a same-document
// reference or SignedInfo yields it: libxml2's canonicalizer with a subtree visibility test.
Result<std::string> c14n_subtree(xmlDoc* doc, xmlNode* top, const XadesC14n& how = {}) {
  xmlOutputBuffer* buf = xmlAllocOutputBuffer(nullptr);
  if (!buf) return failure("out of memory");
  auto visible = [](void* user, xmlNode* node, xmlNode* parent) -> int {
    const xmlNode* n = node->type == XML_NAMESPACE_DECL ? parent : node;
    for (; n; n = n->parent) {
      if (n == user) return 1;
    }
    return 0;
  };
  std::vector<xmlChar*> prefixes;
  for (const auto& p : how.inclusive_prefixes) prefixes.push_back(const_cast<xmlChar*>(X(p)));
  prefixes.push_back(nullptr);
  const int rc = xmlC14NExecute(doc, visible, top, how.exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0,
                                how.exclusive ? prefixes.data() : nullptr, 0, buf);
  std::string out;
  if (rc >= 0) out.assign(reinterpret_cast<const char*>(xmlOutputBufferGetContent(buf)), xmlOutputBufferGetSize(buf));
  xmlOutputBufferClose(buf);
  if (rc < 0) return failure("canonicalization failed");
  return out;
}

// What X-Road signs with: SHA-2 digests, RSA PKCS#1 v1.5 and ECDSA signatures.
bool known_digest(std::string_view uri) {
  return uri == crypto::kSha256Uri || uri == crypto::kSha384Uri || uri == crypto::kSha512Uri;
}
bool known_signature_method(std::string_view uri) {
  return uri == crypto::kRsaSha256Uri || uri == crypto::kRsaSha384Uri || uri == crypto::kRsaSha512Uri ||
         uri == crypto::kEcdsaSha256Uri || uri == crypto::kEcdsaSha384Uri || uri == crypto::kEcdsaSha512Uri;
}

// The digest of a data part: from `digest`, else of the bytes `resolve` gives.
Result<std::string> part_digest(const XadesReference& ref, const PartResolver& resolve, const PartDigester& digest) {
  if (digest) {
    if (auto d = digest(ref.uri, ref.digest_method)) return std::move(*d);
  }
  if (resolve) {
    if (auto data = resolve(ref.uri)) return crypto::digest(ref.digest_method, *data);
  }
  return invalid("reference " + ref.uri + " names a part the message does not have");
}

}  // namespace

Status XadesSignature::verify_core(const PartResolver& resolve, const PartDigester& digest) const {
  auto* doc = static_cast<xmlDoc*>(doc_.get());
  if (!known_signature_method(signature_method)) return invalid("unsupported signature method " + signature_method);
  if (!known_digest(signed_properties_reference_.digest_method)) {
    return invalid("unsupported digest method " + signed_properties_reference_.digest_method);
  }
  for (const auto& ref : references) {
    if (!known_digest(ref.digest_method)) return invalid("unsupported digest method " + ref.digest_method);
  }
  // The signature value over the canonical SignedInfo, then what SignedInfo says.
  // A canonicalization libxml2 refuses (a relative namespace URI, say) is the peer's document.
  auto signed_info = c14n_subtree(doc, static_cast<xmlNode*>(signed_info_node_), signed_info_c14n_);
  if (!signed_info.ok()) return invalid("SignedInfo cannot be canonicalized");
  if (!crypto::verify_xmldsig(signing_cert, signature_method, *signed_info, signature_value).ok()) {
    return invalid("the signature value does not verify with the signing certificate's key");
  }
  auto props = c14n_subtree(doc, static_cast<xmlNode*>(signed_properties_node_), signed_properties_c14n_);
  if (!props.ok()) return invalid("the SignedProperties cannot be canonicalized");
  ROADSIDE_TRY(std::string props_digest, crypto::digest(signed_properties_reference_.digest_method, *props));
  if (props_digest != signed_properties_reference_.digest) {
    return invalid("the digest of " + signed_properties_reference_.uri + " does not match its reference");
  }
  for (const auto& ref : references) {
    ROADSIDE_TRY(std::string actual, part_digest(ref, resolve, digest));
    if (actual != ref.digest) return invalid("the digest of " + ref.uri + " does not match its reference");
  }
  return {};
}

// ---- building -----------------------------------------------------------------------

namespace {

inline constexpr std::string_view kPolicyDescription = "Profile for High Performance Digital Signatures (version 1.2)";
inline constexpr std::string_view kPolicyHash =
    "BuO0EDNfkxSVlUbxCzmQPzX1AUF1/xx9ytWHk3/6SAOePxQiniEfDYk+90QeYb3lWpV3Izhuz9fKaYyE+lTcXw==";
inline constexpr std::string_view kPolicyUri = "https://repo.cyber.ee/dsig-profile-1.2.pdf";

using DocPtr = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

struct Builder {
  xmlDoc* doc;
  xmlNs* ds = nullptr;
  xmlNs* xades = nullptr;

  xmlNode* add(xmlNode* parent, xmlNs* ns, const char* name, std::string_view text = {}) const {
    const std::string t(text);
    // xmlNewTextChild escapes the text.
    return xmlNewTextChild(parent, ns, X(name), text.empty() ? nullptr : X(t));
  }
  static void attr(xmlNode* n, const char* name, std::string_view value) { xmlNewProp(n, X(name), X(std::string(value))); }
  xmlNode* digest(xmlNode* parent, const char* name, std::string_view method, std::string_view value) const {
    xmlNode* d = name ? add(parent, xades, name) : parent;
    attr(add(d, ds, "DigestMethod"), "Algorithm", method);
    add(d, ds, "DigestValue", crypto::base64_encode(value));
    return d;
  }
};

Result<std::string> serialize(xmlDoc* doc) {
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (!mem) return failure("cannot serialise the signature document");
  std::string out(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

std::string serial_decimal(const crypto::Certificate& cert) {
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, cert.serial_hex().c_str());
  char* dec = BN_bn2dec(bn);
  std::string out = dec ? dec : "0";
  OPENSSL_free(dec);
  BN_free(bn);
  return out;
}

}  // namespace

Result<std::string> build_xades(const XadesSpec& spec, const crypto::Certificate& signing_cert, const XmlSigner& signer) {
  ensure_initialized();
  if (spec.references.empty()) return malformed("a signature needs at least one reference");
  DocPtr doc(xmlNewDoc(X("1.0")), &xmlFreeDoc);
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, X("XAdESSignatures"), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlSetNs(root, xmlNewNs(root, X(std::string(kAsicNs)), X("asic")));
  Builder b{doc.get(), xmlNewNs(root, X(std::string(kDsNs)), X("ds")), xmlNewNs(root, X(std::string(kXadesNs)), X("xades"))};
  xmlNewNs(root, X("http://www.w3.org/2001/XMLSchema-instance"), X("xsi"));

  xmlNode* sig = b.add(root, b.ds, "Signature");
  Builder::attr(sig, "Id", "signature");
  xmlNode* si = b.add(sig, b.ds, "SignedInfo");
  Builder::attr(b.add(si, b.ds, "CanonicalizationMethod"), "Algorithm", kC14n10Uri);
  Builder::attr(b.add(si, b.ds, "SignatureMethod"), "Algorithm", spec.signature_method);
  std::size_t n = 0;
  for (const auto& r : spec.references) {
    xmlNode* ref = b.add(si, b.ds, "Reference");
    Builder::attr(ref, "Id", "signature-reference-" + std::to_string(n++));
    Builder::attr(ref, "URI", r.uri);
    b.digest(ref, nullptr, r.digest_method.empty() ? spec.digest_method : r.digest_method, r.digest);
  }
  xmlNode* props_ref = b.add(si, b.ds, "Reference");
  Builder::attr(props_ref, "Id", "signature-reference-" + std::to_string(n));
  Builder::attr(props_ref, "Type", kSignedPropertiesType);
  Builder::attr(props_ref, "URI", "#signed-properties");
  Builder::attr(b.add(props_ref, b.ds, "DigestMethod"), "Algorithm", spec.digest_method);
  xmlNode* props_digest = b.add(props_ref, b.ds, "DigestValue");

  xmlNode* value = b.add(sig, b.ds, "SignatureValue");
  Builder::attr(value, "Id", "signature-value");
  b.add(b.add(b.add(sig, b.ds, "KeyInfo"), b.ds, "X509Data"), b.ds, "X509Certificate",
        crypto::base64_encode(signing_cert.to_der()));

  xmlNode* qp = b.add(b.add(sig, b.ds, "Object"), b.xades, "QualifyingProperties");
  Builder::attr(qp, "Target", "#signature");
  xmlNode* sp = b.add(qp, b.xades, "SignedProperties");
  Builder::attr(sp, "Id", "signed-properties");
  xmlNode* ssp = b.add(sp, b.xades, "SignedSignatureProperties");
  b.add(ssp, b.xades, "SigningTime", format_rfc3339(spec.signing_time));
  xmlNode* cert = b.add(b.add(ssp, b.xades, "SigningCertificate"), b.xades, "Cert");
  ROADSIDE_TRY(std::string cert_digest, crypto::digest(spec.digest_method, signing_cert.to_der()));
  b.digest(cert, "CertDigest", spec.digest_method, cert_digest);
  xmlNode* issuer_serial = b.add(cert, b.xades, "IssuerSerial");
  b.add(issuer_serial, b.ds, "X509IssuerName", signing_cert.issuer());
  b.add(issuer_serial, b.ds, "X509SerialNumber", serial_decimal(signing_cert));
  xmlNode* policy = b.add(b.add(ssp, b.xades, "SignaturePolicyIdentifier"), b.xades, "SignaturePolicyId");
  xmlNode* policy_id = b.add(policy, b.xades, "SigPolicyId");
  Builder::attr(b.add(policy_id, b.xades, "Identifier", kSignaturePolicyId), "Qualifier", "OIDAsURN");
  b.add(policy_id, b.xades, "Description", kPolicyDescription);
  xmlNode* policy_hash = b.add(policy, b.xades, "SigPolicyHash");
  Builder::attr(b.add(policy_hash, b.ds, "DigestMethod"), "Algorithm", crypto::kSha512Uri);
  b.add(policy_hash, b.ds, "DigestValue", kPolicyHash);
  b.add(b.add(b.add(policy, b.xades, "SigPolicyQualifiers"), b.xades, "SigPolicyQualifier"), b.xades, "SPURI", kPolicyUri);
  xmlNode* sdop = b.add(sp, b.xades, "SignedDataObjectProperties");
  for (std::size_t i = 0; i < spec.references.size(); ++i) {
    xmlNode* format = b.add(sdop, b.xades, "DataObjectFormat");
    Builder::attr(format, "ObjectReference", "#signature-reference-" + std::to_string(i));
    b.add(format, b.xades, "MimeType", spec.mime_type);
  }

  xmlNode* usp = b.add(b.add(qp, b.xades, "UnsignedProperties"), b.xades, "UnsignedSignatureProperties");
  if (!spec.extra_certs.empty()) {
    xmlNode* values = b.add(usp, b.xades, "CertificateValues");
    for (std::size_t i = 0; i < spec.extra_certs.size(); ++i) {
      xmlNode* c = b.add(values, b.xades, "EncapsulatedX509Certificate", crypto::base64_encode(spec.extra_certs[i].to_der()));
      Builder::attr(c, "Id", "encapsulated-cert-" + std::to_string(i));
    }
  }
  xmlNode* ocsp = b.add(b.add(usp, b.xades, "RevocationValues"), b.xades, "OCSPValues");
  for (std::size_t i = 0; i < spec.ocsp_responses.size(); ++i) {
    xmlNode* o = b.add(ocsp, b.xades, "EncapsulatedOCSPValue", crypto::base64_encode(spec.ocsp_responses[i]));
    Builder::attr(o, "Id", "ocsp-response-" + std::to_string(i));
  }

  ROADSIDE_TRY(std::string props_c14n, c14n_subtree(doc.get(), sp));
  ROADSIDE_TRY(std::string props_hash, crypto::digest(spec.digest_method, props_c14n));
  xmlNodeSetContent(props_digest, X(crypto::base64_encode(props_hash)));
  ROADSIDE_TRY(std::string signed_info, c14n_subtree(doc.get(), si));
  ROADSIDE_TRY(std::string signature, signer(signed_info));
  xmlNodeSetContent(value, X(crypto::base64_encode(signature)));
  return serialize(doc.get());
}

Result<std::string> add_signature_timestamp(std::string_view xml, std::string_view token_der) {
  ROADSIDE_TRY(XadesSignature parsed, XadesSignature::parse(xml));
  if (parsed.signature_timestamp) return malformed("the signature is time-stamped already");
  auto* sig = static_cast<xmlNode*>(parsed.signature_node_);
  xmlNode* qp = nullptr;
  for (xmlNode* o = sig->children; o; o = o->next) {
    if (o->type == XML_ELEMENT_NODE && xmlStrEqual(o->name, X("Object"))) qp = xmlFirstElementChild(o);
  }
  xmlNs* xades = qp ? qp->ns : nullptr;
  xmlNode* up = nullptr;
  for (xmlNode* c = qp ? qp->children : nullptr; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, X("UnsignedProperties"))) up = c;
  }
  if (!qp || !xades) return malformed("no QualifyingProperties");
  if (!up) up = xmlNewChild(qp, xades, X("UnsignedProperties"), nullptr);
  xmlNode* usp = xmlFirstElementChild(up);
  if (!usp) usp = xmlNewChild(up, xades, X("UnsignedSignatureProperties"), nullptr);
  xmlNode* ts = xmlNewDocNode(usp->doc, xades, X("SignatureTimeStamp"), nullptr);
  xmlNewTextChild(ts, xades, X("EncapsulatedTimeStamp"), X(crypto::base64_encode(token_der)));
  if (xmlNode* first = xmlFirstElementChild(usp)) {
    xmlAddPrevSibling(first, ts);
  } else {
    xmlAddChild(usp, ts);
  }
  return serialize(usp->doc);
}

}  // namespace roadside::xml
