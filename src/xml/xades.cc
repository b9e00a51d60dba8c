#include "xml/xades.h"

#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>  // first: the other xmlsec headers need its types
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include <cstring>
#include <mutex>
#include <set>

#include "base/clock.h"
#include "xml/dom.h"

namespace roadside::xml {
namespace {

Error malformed(std::string detail) { return Error(make_error_code(errc::malformed_signature), std::move(detail)); }
Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_signature_value), std::move(detail)); }
Error failure(std::string detail) { return Error(make_error_code(errc::xml_failure), std::move(detail)); }

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
const xmlChar* X(const std::string& s) { return X(s.c_str()); }

// ---- xmlsec1: initialised once; its only input channel is the current PartResolver ----

thread_local const PartResolver* t_resolver = nullptr;
thread_local const PartOpener* t_opener = nullptr;
thread_local std::string t_unresolved;  // the last reference URI no part answered
thread_local std::string t_xmlsec_error;

// A part xmlsec reads while it digests it: bytes in memory, or a reader of a large part.
struct PartStream {
  std::string data;
  std::size_t pos = 0;
  PartReader reader;
};

int part_match(const char* uri) { return t_resolver != nullptr && uri != nullptr && uri[0] == '/'; }

void* part_open(const char* uri) {
  if (auto data = (*t_resolver)(uri)) return new PartStream{std::move(*data), 0, {}};
  if (t_opener && *t_opener) {
    if (auto reader = (*t_opener)(uri)) return new PartStream{{}, 0, std::move(*reader)};
  }
  t_unresolved = uri;
  return nullptr;
}

int part_read(void* context, char* buffer, int len) {
  auto* s = static_cast<PartStream*>(context);
  const std::size_t want = static_cast<std::size_t>(len < 0 ? 0 : len);
  if (s->reader) return static_cast<int>(s->reader(buffer, want));
  const std::size_t n = std::min(want, s->data.size() - s->pos);
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): libxml2's read callback fills bytes, not a C string.
  std::memcpy(buffer, s->data.data() + s->pos, n);
  s->pos += n;
  return static_cast<int>(n);
}

int part_close(void* context) {
  delete static_cast<PartStream*>(context);
  return 0;
}

void quiet_errors(const char* /*file*/, int /*line*/, const char* func, const char* object, const char* subject,
                  int reason, const char* msg) {
  if (!t_xmlsec_error.empty()) return;  // the first error is the cause; the rest are its echoes
  t_xmlsec_error = std::string(func ? func : "") + ": reason " + std::to_string(reason) +
                   (object ? std::string(" obj=") + object : "") + (subject ? std::string(" subj=") + subject : "") +
                   (msg ? std::string(" ") + msg : "");
}

bool xmlsec_ready() {
  static const bool ready = [] {
    ensure_initialized();
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) return false;
    if (xmlSecOpenSSLAppInit(nullptr) < 0 || xmlSecOpenSSLInit() < 0) return false;
    xmlSecErrorsSetCallback(quiet_errors);
    // No file or network access: references resolve only through the caller's parts.
    xmlSecIOCleanupCallbacks();
    return xmlSecIORegisterCallbacks(part_match, part_open, part_read, part_close) == 0;
  }();
  return ready;
}

struct ResolverScope {
  ResolverScope(const PartResolver* r, const PartOpener* o) {
    t_resolver = r;
    t_opener = o;
    t_unresolved.clear();
    t_xmlsec_error.clear();
  }
  ~ResolverScope() {
    t_resolver = nullptr;
    t_opener = nullptr;
  }
  ResolverScope(const ResolverScope&) = delete;
  ResolverScope& operator=(const ResolverScope&) = delete;
};

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

// Registers every Id attribute as an XML ID, refusing duplicates (a second element with
// the SignedProperties' Id is how signature-wrapping attacks begin).
Status register_ids(xmlDoc* doc, xmlNode* node, std::size_t& count) {
  for (xmlNode* n = node; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (++count > 100'000) return malformed("signature document has too many elements");
    for (xmlAttr* a = n->properties; a; a = a->next) {
      if (a->ns || std::strcmp(reinterpret_cast<const char*>(a->name), "Id") != 0) continue;
      xmlChar* v = xmlNodeListGetString(doc, a->children, 1);
      const std::string id = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      if (xmlGetID(doc, X(id))) return malformed("Id \"" + id + "\" appears twice");
      if (!xmlAddID(nullptr, doc, X(id), a)) return malformed("Id \"" + id + "\" cannot be registered");
    }
    ROADSIDE_TRY_STATUS(register_ids(doc, n->children, count));
  }
  return {};
}

struct ParsedReferences {
  std::vector<XadesReference> data;
  std::string signed_properties_id;
};

Result<ParsedReferences> parse_signed_info(const Element& si, XadesSignature& out) {
  const auto children = si.children();
  if (children.size() < 3 || !is(children[0], kDsNs, "CanonicalizationMethod") || !is(children[1], kDsNs, "SignatureMethod")) {
    return malformed("<SignedInfo> must hold CanonicalizationMethod, SignatureMethod and References");
  }
  ROADSIDE_TRY(out.canonicalization_method, algorithm_of(children[0]));
  if (!known_c14n(out.canonicalization_method)) {
    return malformed("unsupported canonicalization " + out.canonicalization_method);
  }
  ROADSIDE_TRY(out.signature_method, algorithm_of(children[1]));
  if (children.size() - 2 > kMaxReferences + 1) return malformed("too many references");
  ParsedReferences refs;
  std::set<std::string> uris;
  for (std::size_t i = 2; i < children.size(); ++i) {
    const Element& r = children[i];
    if (!is(r, kDsNs, "Reference")) return malformed("unexpected <" + std::string(r.name()) + "> in <SignedInfo>");
    XadesReference ref;
    ref.id = r.attribute("Id").value_or("");
    ref.uri = r.attribute("URI").value_or("");
    const bool props = r.attribute("Type").value_or("") == kSignedPropertiesType;
    std::optional<Element> method, value;
    for (const auto& c : r.children()) {
      if (is(c, kDsNs, "Transforms") && props && !method) {
        for (const auto& t : c.children()) {
          ROADSIDE_TRY(std::string alg, algorithm_of(t));
          if (!is(t, kDsNs, "Transform") || !known_c14n(alg)) return malformed("unsupported transform " + alg);
        }
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
  if (!xmlsec_ready()) return failure("xmlsec1 could not be initialised");
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
  std::size_t count = 0;
  ROADSIDE_TRY_STATUS(register_ids(native, xmlDocGetRootElement(native), count));
  out.doc_ = doc.native();
  out.signature_node_ = const_cast<void*>(sig.native());
  return out;
}

Status XadesSignature::verify_core(const PartResolver& resolve, const PartOpener& open) const {
  if (!xmlsec_ready()) return failure("xmlsec1 could not be initialised");
  std::unique_ptr<xmlSecDSigCtx, decltype(&xmlSecDSigCtxDestroy)> ctx(xmlSecDSigCtxCreate(nullptr), &xmlSecDSigCtxDestroy);
  if (!ctx) return failure("cannot create an xmlsec signature context");
  // xmlsec counts "/message.xml" as a remote URI; it is safe to allow because the only I/O
  // callbacks registered serve such paths from `resolve`, nothing else.
  ctx->enabledReferenceUris = static_cast<xmlSecTransformUriType>(xmlSecTransformUriTypeSameDocument | xmlSecTransformUriTypeRemote);
  for (auto id : {xmlSecTransformInclC14NId, xmlSecTransformExclC14NId, xmlSecOpenSSLTransformSha256Id,
                  xmlSecOpenSSLTransformSha384Id, xmlSecOpenSSLTransformSha512Id}) {
    if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), id) < 0) return failure("xmlsec: cannot enable a transform");
  }
  for (auto id : {xmlSecTransformInclC14NId, xmlSecTransformExclC14NId, xmlSecOpenSSLTransformRsaSha256Id,
                  xmlSecOpenSSLTransformRsaSha384Id, xmlSecOpenSSLTransformRsaSha512Id, xmlSecOpenSSLTransformEcdsaSha256Id,
                  xmlSecOpenSSLTransformEcdsaSha384Id, xmlSecOpenSSLTransformEcdsaSha512Id}) {
    if (xmlSecDSigCtxEnableSignatureTransform(ctx.get(), id) < 0) return failure("xmlsec: cannot enable a transform");
  }

  EVP_PKEY* pub = X509_get_pubkey(static_cast<X509*>(signing_cert.native()));
  xmlSecKeyDataPtr data = pub ? xmlSecOpenSSLEvpKeyAdopt(pub) : nullptr;
  if (!data) {
    EVP_PKEY_free(pub);
    return invalid("the signing certificate's key is not usable for XML signatures");
  }
  ctx->signKey = xmlSecKeyCreate();
  if (!ctx->signKey || xmlSecKeySetValue(ctx->signKey, data) < 0) {
    xmlSecKeyDataDestroy(data);
    return failure("xmlsec: cannot set the key");
  }

  ResolverScope scope(&resolve, &open);
  const int rc = xmlSecDSigCtxVerify(ctx.get(), static_cast<xmlNode*>(signature_node_));
  if (!t_unresolved.empty()) return invalid("reference " + t_unresolved + " names a part the message does not have");
  if (rc < 0) return invalid("the signature cannot be checked (" + t_xmlsec_error + ")");
  if (ctx->status == xmlSecDSigStatusSucceeded) return {};
  for (xmlSecSize i = 0; i < xmlSecPtrListGetSize(&ctx->signedInfoReferences); ++i) {
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
    if (ref && ref->status != xmlSecDSigStatusSucceeded) {
      const std::string uri = ref->uri ? reinterpret_cast<const char*>(ref->uri) : "";
      return invalid("the digest of " + uri + " does not match its reference");
    }
  }
  return invalid("the signature value does not verify with the signing certificate's key");
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

// Inclusive C14N 1.0 (no comments) of the subtree at `top`, as a same-document reference
// with no transforms yields it: libxml2's canonicalizer with a subtree visibility test.
Result<std::string> c14n_subtree(xmlDoc* doc, xmlNode* top) {
  xmlOutputBuffer* buf = xmlAllocOutputBuffer(nullptr);
  if (!buf) return failure("out of memory");
  auto visible = [](void* user, xmlNode* node, xmlNode* parent) -> int {
    const xmlNode* n = node->type == XML_NAMESPACE_DECL ? parent : node;
    for (; n; n = n->parent) {
      if (n == user) return 1;
    }
    return 0;
  };
  const int rc = xmlC14NExecute(doc, visible, top, XML_C14N_1_0, nullptr, 0, buf);
  std::string out;
  if (rc >= 0) out.assign(reinterpret_cast<const char*>(xmlOutputBufferGetContent(buf)), xmlOutputBufferGetSize(buf));
  xmlOutputBufferClose(buf);
  if (rc < 0) return failure("canonicalization failed");
  return out;
}

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
  if (!xmlsec_ready()) return failure("xmlsec1 could not be initialised");
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
  if (!xmlsec_ready()) return failure("xmlsec1 could not be initialised");
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
