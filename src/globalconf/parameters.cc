#include "globalconf/parameters.h"

#include <algorithm>
#include <map>

#include "globalconf/parts.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::globalconf {
namespace {

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed), std::move(detail));
}

Result<std::string> required_text(const xml::Element& e, std::string_view name, std::string_view where) {
  auto t = e.child_text(name);
  if (!t || t->empty()) return malformed(std::string(where) + " has no " + std::string(name));
  return *t;
}

Result<int> integer(const std::string& text, std::string_view what) {
  try {
    std::size_t pos = 0;
    const int v = std::stoi(text, &pos);
    if (pos == text.size()) return v;
  } catch (...) {
  }
  return malformed(std::string(what) + " \"" + text + "\" is not an integer");
}

Result<CaCertificate> parse_ca_cert(const xml::Element& e, std::string_view where) {
  ROADSIDE_TRY(std::string cert_text, required_text(e, "cert", where));
  ROADSIDE_TRY(crypto::Certificate cert, decode_certificate(cert_text, std::string(where) + " cert"));
  CaCertificate out{std::move(cert), {}};
  for (const auto& o : e.children("ocsp")) {
    OcspResponder r;
    ROADSIDE_TRY(r.url, required_text(o, "url", std::string(where) + " ocsp"));
    if (auto c = o.child_text("cert"); c && !c->empty()) {
      ROADSIDE_TRY(crypto::Certificate oc, decode_certificate(*c, std::string(where) + " ocsp cert"));
      r.cert = std::move(oc);
    }
    r.cost_type = o.child_text("costType").value_or("");
    out.ocsp.push_back(std::move(r));
  }
  return out;
}

Result<xml::Document> parse_conf(std::string_view xml, std::string_view what) {
  auto doc = xml::Document::parse(xml, kMaxPartBytes);
  if (!doc.ok()) return malformed(std::string(what) + ": " + doc.error().detail());
  if (doc->root().name() != "conf") {
    return malformed(std::string(what) + ": root element is <" + std::string(doc->root().name()) + ">, not <conf>");
  }
  return doc;
}

}  // namespace

Result<SharedParameters> SharedParameters::parse(std::string_view xml) {
  ROADSIDE_TRY(xml::Document doc, parse_conf(xml, "shared parameters"));
  const xml::Element root = doc.root();
  SharedParameters sp;
  ROADSIDE_TRY(sp.instance, required_text(root, "instanceIdentifier", "shared parameters"));

  for (const auto& s : root.children("source")) {
    ConfigurationSource src;
    src.address = s.child_text("address").value_or("");
    for (const auto& c : s.children("internalVerificationCert")) {
      ROADSIDE_TRY(crypto::Certificate cert, decode_certificate(c.text(), "source internalVerificationCert"));
      src.internal_verification_certs.push_back(std::move(cert));
    }
    for (const auto& c : s.children("externalVerificationCert")) {
      ROADSIDE_TRY(crypto::Certificate cert, decode_certificate(c.text(), "source externalVerificationCert"));
      src.external_verification_certs.push_back(std::move(cert));
    }
    sp.sources.push_back(std::move(src));
  }

  for (const auto& ca : root.children("approvedCA")) {
    ROADSIDE_TRY(std::string name, required_text(ca, "name", "approvedCA"));
    const std::string where = "approvedCA " + name;
    auto top_element = ca.child("topCA");
    if (!top_element) return malformed(where + " has no topCA");
    ROADSIDE_TRY(CaCertificate top, parse_ca_cert(*top_element, where + " topCA"));
    ApprovedCa a{std::move(name),
                 ca.child_text("authenticationOnly").value_or("false") == "true",
                 std::move(top),
                 {},
                 ca.child_text("certificateProfileInfo").value_or("")};
    for (const auto& i : ca.children("intermediateCA")) {
      ROADSIDE_TRY(CaCertificate ic, parse_ca_cert(i, where + " intermediateCA"));
      a.intermediates.push_back(std::move(ic));
    }
    sp.approved_cas.push_back(std::move(a));
  }

  for (const auto& t : root.children("approvedTSA")) {
    ROADSIDE_TRY(std::string name, required_text(t, "name", "approvedTSA"));
    ROADSIDE_TRY(std::string url, required_text(t, "url", "approvedTSA " + name));
    ROADSIDE_TRY(std::string cert_text, required_text(t, "cert", "approvedTSA " + name));
    ROADSIDE_TRY(crypto::Certificate cert, decode_certificate(cert_text, "approvedTSA " + name + " cert"));
    sp.approved_tsas.push_back(
        {std::move(name), std::move(url), std::move(cert), t.child_text("costType").value_or("")});
  }

  // Members and subsystems carry id attributes that servers refer to (IDREF).
  std::map<std::string, XRoadId> by_ref;
  for (const auto& m : root.children("member")) {
    auto cls = m.child("memberClass");
    const std::string member_class = cls ? cls->child_text("code").value_or("") : "";
    ROADSIDE_TRY(std::string code, required_text(m, "memberCode", "member"));
    auto id = XRoadId::member(sp.instance, member_class, code);
    if (!id.ok()) return malformed("member " + member_class + "/" + code + ": " + id.error().detail());
    Member member{*id, m.child_text("name").value_or(""), {}};
    if (auto ref = m.attribute("id")) by_ref.emplace(*ref, *id);
    for (const auto& s : m.children("subsystem")) {
      ROADSIDE_TRY(std::string sub_code, required_text(s, "subsystemCode", "subsystem of " + id->to_string()));
      auto sub = XRoadId::subsystem(sp.instance, member_class, code, sub_code);
      if (!sub.ok()) return malformed("subsystem " + sub_code + " of " + id->to_string() + ": " + sub.error().detail());
      if (auto ref = s.attribute("id")) by_ref.emplace(*ref, *sub);
      member.subsystems.push_back(std::move(sub).value());
    }
    sp.members.push_back(std::move(member));
  }

  for (const auto& s : root.children("securityServer")) {
    ROADSIDE_TRY(std::string owner_ref, required_text(s, "owner", "securityServer"));
    auto owner = by_ref.find(owner_ref);
    if (owner == by_ref.end() || owner->second.type() != ObjectType::member) {
      return malformed("securityServer owner \"" + owner_ref + "\" is not a member id");
    }
    ROADSIDE_TRY(std::string code, required_text(s, "serverCode", "securityServer of " + owner->second.to_string()));
    auto id = XRoadId::server(sp.instance, owner->second.member_class(), owner->second.member_code(), code);
    if (!id.ok()) return malformed("securityServer " + code + ": " + id.error().detail());
    SecurityServer server{*id, s.child_text("address").value_or(""), {}, {}, false, ""};
    for (const auto& h : s.children("authCertHash")) {
      auto hash = crypto::base64_decode(h.text());
      if (!hash.ok()) return malformed(id->to_string() + " authCertHash is not base64");
      server.auth_cert_hashes.push_back(std::move(hash).value());
    }
    for (const auto& c : s.children("client")) {
      auto client = by_ref.find(c.text());
      if (client == by_ref.end())
        return malformed(id->to_string() + " client \"" + c.text() + "\" is not a member or subsystem id");
      server.clients.push_back(client->second);
    }
    if (auto m = s.child("inMaintenanceMode")) {
      server.in_maintenance = true;
      server.maintenance_message = m->child_text("message").value_or("");
    }
    sp.security_servers.push_back(std::move(server));
  }

  for (const auto& g : root.children("globalGroup")) {
    ROADSIDE_TRY(std::string code, required_text(g, "groupCode", "globalGroup"));
    auto id = XRoadId::global_group(sp.instance, code);
    if (!id.ok()) return malformed("globalGroup " + code + ": " + id.error().detail());
    GlobalGroup group{*id, g.child_text("description").value_or(""), {}};
    for (const auto& m : g.children("groupMember")) {
      auto member = xml::identifier_from_element(m);
      if (!member.ok()) return malformed(id->to_string() + " groupMember: " + member.error().detail());
      group.members.push_back(std::move(member).value());
    }
    sp.global_groups.push_back(std::move(group));
  }

  if (auto settings = root.child("globalSettings")) {
    for (const auto& c : settings->children("memberClass"))
      sp.member_classes.push_back(c.child_text("code").value_or(""));
    if (auto f = settings->child_text("ocspFreshnessSeconds")) {
      ROADSIDE_TRY(sp.ocsp_freshness_seconds, integer(*f, "ocspFreshnessSeconds"));
    }
  }
  return sp;
}

}  // namespace roadside::globalconf

namespace roadside::globalconf {

bool SharedParameters::has_client(const XRoadId& client) const {
  for (const auto& m : members) {
    if (m.id == client) return true;
    for (const auto& s : m.subsystems) {
      if (s == client) return true;
    }
  }
  return false;
}

const Member* SharedParameters::member(const XRoadId& member_id) const {
  for (const auto& m : members) {
    if (m.id == member_id) return &m;
  }
  return nullptr;
}

const SecurityServer* SharedParameters::security_server(const XRoadId& server_id) const {
  for (const auto& s : security_servers) {
    if (s.id == server_id) return &s;
  }
  return nullptr;
}

bool SecurityServer::hosts(const XRoadId& client) const {
  return id.owner_member() == client || std::find(clients.begin(), clients.end(), client) != clients.end();
}

std::vector<const SecurityServer*> SharedParameters::servers_hosting(const XRoadId& client) const {
  std::vector<const SecurityServer*> out;
  for (const auto& s : security_servers) {
    if (s.hosts(client)) out.push_back(&s);
  }
  return out;
}

const SecurityServer* SharedParameters::server_by_auth_cert_hash(std::string_view hash) const {
  for (const auto& s : security_servers) {
    for (const auto& h : s.auth_cert_hashes) {
      if (h == hash) return &s;
    }
  }
  return nullptr;
}

bool SharedParameters::is_global_group_member(const XRoadId& client, const XRoadId& group) const {
  for (const auto& g : global_groups) {
    if (g.id != group) continue;
    for (const auto& m : g.members) {
      if (m == client) return true;
    }
  }
  return false;
}

const ApprovedCa* SharedParameters::ca_by_subject(std::string_view subject) const {
  for (const auto& ca : approved_cas) {
    if (ca.top.cert.subject() == subject) return &ca;
    for (const auto& i : ca.intermediates) {
      if (i.cert.subject() == subject) return &ca;
    }
  }
  return nullptr;
}

Result<PrivateParameters> PrivateParameters::parse(std::string_view xml) {
  ROADSIDE_TRY(xml::Document doc, parse_conf(xml, "private parameters"));
  const xml::Element root = doc.root();
  PrivateParameters pp;
  ROADSIDE_TRY(pp.instance, required_text(root, "instanceIdentifier", "private parameters"));
  if (auto ms = root.child("managementService")) {
    pp.auth_cert_reg_service_address = ms->child_text("authCertRegServiceAddress").value_or("");
    if (auto c = ms->child_text("authCertRegServiceCert"); c && !c->empty()) {
      ROADSIDE_TRY(crypto::Certificate cert, decode_certificate(*c, "authCertRegServiceCert"));
      pp.auth_cert_reg_service_cert = std::move(cert);
    }
    if (auto p = ms->child("managementRequestServiceProviderId")) {
      auto id = xml::identifier_from_element(*p);
      if (!id.ok()) return malformed("managementRequestServiceProviderId: " + id.error().detail());
      pp.management_service_provider = std::move(id).value();
    }
  }
  if (auto t = root.child_text("timeStampingIntervalSeconds")) {
    ROADSIDE_TRY(pp.timestamping_interval_seconds, integer(*t, "timeStampingIntervalSeconds"));
  }
  for (const auto& a : root.children("configurationAnchor")) {
    auto anchor = Anchor::from_element(a);
    if (!anchor.ok()) return std::move(anchor).error().context("private parameters federation anchor");
    pp.federation_anchors.push_back(std::move(anchor).value());
  }
  return pp;
}

namespace {

using xml::escape;
std::string cert_b64(const crypto::Certificate& c) {
  return crypto::base64_encode(c.to_der());
}
std::string el(std::string_view indent, std::string_view name, std::string_view text) {
  return std::string(indent) + "<" + std::string(name) + ">" + escape(text) + "</" + std::string(name) + ">\n";
}
std::string id_el(std::string_view indent, const XRoadId& id, std::string_view name) {
  // The identifiers namespace is declared on the root as ns2.
  std::string out =
      std::string(indent) + "<" + std::string(name) + " ns2:objectType=\"" + std::string(to_string(id.type())) + "\">";
  auto part = [&](std::string_view tag, std::string_view v) {
    if (!v.empty()) out += "<ns2:" + std::string(tag) + ">" + escape(v) + "</ns2:" + std::string(tag) + ">";
  };
  part("xRoadInstance", id.instance());
  part("memberClass", id.member_class());
  part("memberCode", id.member_code());
  part("subsystemCode", id.subsystem_code());
  part("groupCode", id.group_code());
  part("serverCode", id.server_code());
  return out + "</" + std::string(name) + ">\n";
}
constexpr std::string_view kHead =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<ns3:conf xmlns:ns2=\"http://x-road.eu/xsd/identifiers\" xmlns:ns3=\"http://x-road.eu/xsd/xroad.xsd\">\n";

std::string ca_cert_xml(std::string_view tag, const CaCertificate& c) {
  std::string out = "        <" + std::string(tag) + ">\n" + el("            ", "cert", cert_b64(c.cert));
  for (const auto& o : c.ocsp) {
    out += "            <ocsp>\n" + el("                ", "url", o.url);
    if (o.cert) out += el("                ", "cert", cert_b64(*o.cert));
    out += el("                ", "costType", o.cost_type.empty() ? "FREE" : o.cost_type) + "            </ocsp>\n";
  }
  return out + "        </" + std::string(tag) + ">\n";
}

}  // namespace

std::string SharedParameters::to_xml() const {
  std::string out(kHead);
  out += el("    ", "instanceIdentifier", instance);
  for (const auto& s : sources) {
    out += "    <source>\n" + el("        ", "address", s.address);
    for (const auto& c : s.internal_verification_certs) out += el("        ", "internalVerificationCert", cert_b64(c));
    for (const auto& c : s.external_verification_certs) out += el("        ", "externalVerificationCert", cert_b64(c));
    out += "    </source>\n";
  }
  for (const auto& ca : approved_cas) {
    out += "    <approvedCA>\n" + el("        ", "name", ca.name) +
           el("        ", "authenticationOnly", ca.authentication_only ? "true" : "false") +
           ca_cert_xml("topCA", ca.top);
    for (const auto& i : ca.intermediates) out += ca_cert_xml("intermediateCA", i);
    out += el("        ", "certificateProfileInfo", ca.certificate_profile_info) + "    </approvedCA>\n";
  }
  for (const auto& t : approved_tsas) {
    out += "    <approvedTSA>\n" + el("        ", "name", t.name) + el("        ", "url", t.url) +
           el("        ", "cert", cert_b64(t.cert)) +
           el("        ", "costType", t.cost_type.empty() ? "FREE" : t.cost_type) + "    </approvedTSA>\n";
  }
  // Members and subsystems get document ids that security servers refer to.
  std::map<XRoadId, std::string> ids;
  int next = 0;
  for (const auto& m : members) {
    const std::string mid = "id" + std::to_string(next++);
    ids.emplace(m.id, mid);
    out += "    <member id=\"" + mid + "\">\n        <memberClass>\n" +
           el("            ", "code", m.id.member_class()) + el("            ", "description", m.id.member_class()) +
           "        </memberClass>\n" + el("        ", "memberCode", m.id.member_code()) +
           el("        ", "name", m.name);
    for (const auto& sub : m.subsystems) {
      const std::string sid = "id" + std::to_string(next++);
      ids.emplace(sub, sid);
      out += "        <subsystem id=\"" + sid + "\">\n" + el("            ", "subsystemCode", sub.subsystem_code()) +
             "        </subsystem>\n";
    }
    out += "    </member>\n";
  }
  for (const auto& s : security_servers) {
    auto owner = ids.find(s.id.owner_member());
    out += "    <securityServer>\n" + el("        ", "owner", owner == ids.end() ? "" : owner->second) +
           el("        ", "serverCode", s.id.server_code()) + el("        ", "address", s.address);
    for (const auto& h : s.auth_cert_hashes) out += el("        ", "authCertHash", crypto::base64_encode(h));
    for (const auto& c : s.clients) {
      if (auto it = ids.find(c); it != ids.end()) out += el("        ", "client", it->second);
    }
    out += "    </securityServer>\n";
  }
  for (const auto& g : global_groups) {
    out += "    <globalGroup>\n" + el("        ", "groupCode", g.id.group_code()) +
           el("        ", "description", g.description);
    for (const auto& m : g.members) out += id_el("        ", m, "groupMember");
    out += "    </globalGroup>\n";
  }
  out += "    <globalSettings>\n";
  for (const auto& c : member_classes) {
    out += "        <memberClass>\n" + el("            ", "code", c) + el("            ", "description", c) +
           "        </memberClass>\n";
  }
  out += el("        ", "ocspFreshnessSeconds", std::to_string(ocsp_freshness_seconds)) + "    </globalSettings>\n";
  return out + "</ns3:conf>\n";
}

std::string PrivateParameters::to_xml() const {
  std::string out(kHead);
  out += el("    ", "instanceIdentifier", instance);
  if (!auth_cert_reg_service_address.empty() || management_service_provider) {
    out += "    <managementService>\n" + el("        ", "authCertRegServiceAddress", auth_cert_reg_service_address);
    if (auth_cert_reg_service_cert)
      out += el("        ", "authCertRegServiceCert", cert_b64(*auth_cert_reg_service_cert));
    if (management_service_provider)
      out += id_el("        ", *management_service_provider, "managementRequestServiceProviderId");
    out += "    </managementService>\n";
  }
  out += el("    ", "timeStampingIntervalSeconds", std::to_string(timestamping_interval_seconds));
  return out + "</ns3:conf>\n";
}

Result<MonitoringParameters> MonitoringParameters::parse(std::string_view xml) {
  ROADSIDE_TRY(xml::Document doc, parse_conf(xml, "monitoring parameters"));
  auto client = doc.root().child("monitoringClient");
  if (!client) return malformed("monitoring parameters: no <monitoringClient>");
  MonitoringParameters mp;
  if (auto id_element = client->child("monitoringClientId")) {
    auto id = xml::identifier_from_element(*id_element);
    if (!id.ok()) return malformed("monitoring parameters: monitoringClientId: " + id.error().detail());
    if (!id->is_client()) return malformed("monitoring parameters: the monitoring client " + id->to_string() + " is not a member or subsystem");
    mp.monitoring_client = std::move(id).value();
  }
  return mp;
}

std::string MonitoringParameters::to_xml() const {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tns:conf xmlns:id=\"http://x-road.eu/xsd/identifiers\" "
      "xmlns:tns=\"http://x-road.eu/xsd/xroad.xsd\">\n  <monitoringClient>\n";
  if (monitoring_client) {
    out += "    " + xml::identifier_to_xml(*monitoring_client, {.prefix = "", .local = "monitoringClientId", .ns = ""}) + "\n";
  }
  return out + "  </monitoringClient>\n</tns:conf>\n";
}

}  // namespace roadside::globalconf
