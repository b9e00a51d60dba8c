#include "proxy/errors.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/random.h"
#include "xml/dom.h"

namespace roadside::proxy {

const FaultCategory& proxy_category() noexcept {
  static const TableCategory<errc> c("proxy", {
                                                  {errc::bad_request, "bad_request", "malformed request"},
                                                  {errc::missing_header_field, "missing_header_field", "missing header field"},
                                                  {errc::invalid_protocol_version, "invalid_protocol_version", "invalid protocol version"},
                                                  {errc::invalid_soap, "invalid_soap", "invalid SOAP message"},
                                                  {errc::invalid_content_type, "invalid_content_type", "invalid content type"},
                                                  {errc::ssl_auth_failed, "ssl_authentication_failed", "TLS authentication failed"},
                                                  {errc::is_auth_failed, "ssl_authentication_failed", "IS TLS authentication failed"},
                                                  {errc::unknown_member, "unknown_member", "unknown member"},
                                                  {errc::unknown_service, "unknown_service", "unknown service"},
                                                  {errc::access_denied, "access_denied", "access denied"},
                                                  {errc::service_failed, "service_failed", "service failed"},
                                                  {errc::service_network_error, "service_failed.network_error", "service unreachable"},
                                                  {errc::service_tls_failed, "service_failed.ssl_authentication_failed", "service TLS failed"},
                                                  {errc::service_invalid_response, "service_failed.invalid_message", "service answer unusable"},
                                                  {errc::invalid_message, "invalid_message", "invalid message"},
                                                  {errc::inconsistent_response, "inconsistent_response", "inconsistent response"},
                                                  {errc::maintenance_mode, "maintenance_mode", "maintenance mode"},
                                                  {errc::global_conf_outdated, "global_conf_outdated", "global configuration outdated"},
                                                  {errc::server_not_configured, "server_not_configured", "server not configured"},
                                                  {errc::missing_signature, "missing_signature", "missing signature"},
                                                  {errc::missing_header, "missing_header", "missing header"},
                                                  {errc::invalid_body, "invalid_body", "invalid body"},
                                                  {errc::missing_soap, "missing_soap", "missing SOAP message"},
                                                  {errc::mime_parsing_failed, "mime_parsing_failed", "MIME parsing failed"},
                                                  {errc::service_type, "service_type", "wrong service type"},
                                                  {errc::invalid_http_method, "invalid_http_method", "invalid HTTP method"},
                                                  {errc::invalid_soap_action, "invalid_soap_action", "invalid SOAPAction"},
                                                  {errc::service_unknown_host, "service_failed.unknown_host", "unknown service host"},
                                                  {errc::io_error, "io_error", "connection broken"},
                                                  {errc::service_disabled, "service_disabled", "service disabled"},
                                                  {errc::inconsistent_headers, "inconsistent_headers", "inconsistent headers"},
                                                  {errc::invalid_security_server, "invalid_security_server", "invalid security server"},
                                                  {errc::missing_body, "missing_body", "missing SOAP Body"},
                                              });
  return c;
}

namespace {

// proxy errc values under "service_failed." (see service_failed()).
class ServiceFailedCategory final : public FaultCategory {
 public:
  const char* name() const noexcept override { return "proxy.service_failed"; }
  std::string message(int value) const override { return "service failed: " + proxy_category().message(value); }
  std::string_view fault_code(int value) const noexcept override {
    static const std::vector<std::string> codes = [] {
      std::vector<std::string> out;
      for (int v = 0; v <= static_cast<int>(kLastErrc); ++v) out.push_back("service_failed." + std::string(proxy_category().fault_code(v)));
      return out;
    }();
    return value >= 0 && static_cast<std::size_t>(value) < codes.size() ? std::string_view(codes[value]) : std::string_view("service_failed");
  }
};

}  // namespace

const FaultCategory& service_failed_category() noexcept {
  static const ServiceFailedCategory category;
  return category;
}

Error service_failed(const Error& e, std::string_view context) {
  const FaultCategory& category = service_failed_category();
  std::string detail = std::string(context) + e.detail();
  if (e.fault_code().rfind("service_failed", 0) == 0) return Error(e.code(), std::move(detail));
  if (e.code().category() == proxy_category()) {
    const auto value = static_cast<errc>(e.code().value());
    // An answer whose multipart cannot be read, or has no SOAP part, is an invalid message.
    if (value == errc::mime_parsing_failed || value == errc::missing_soap)
      return Error(make_error_code(errc::service_invalid_response), std::move(detail));
    return Error(std::error_code(e.code().value(), category), std::move(detail));
  }
  return Error(make_error_code(errc::service_invalid_response), std::move(detail));
}

bool is_client_error(const Error& e) {
  if (e.code().category() != proxy_category()) return false;
  switch (static_cast<errc>(e.code().value())) {
    case errc::bad_request:
    case errc::missing_header_field:
    case errc::invalid_protocol_version:
    case errc::invalid_soap:
    case errc::invalid_content_type:
    case errc::missing_header:
    case errc::invalid_body:
    case errc::missing_soap:
    case errc::missing_body:
    case errc::inconsistent_headers:
    case errc::invalid_soap_action:
    case errc::mime_parsing_failed: return true;
    default: return false;
  }
}

Fault make_fault(const Error& e, Side side) {
  Fault f;
  const std::string own = e.fault_code();
  if (own.rfind("server.", 0) == 0 || own.rfind("client.", 0) == 0) {
    f.code = own;  // already complete (a peer's fault passed on)
  } else if (side == Side::client_proxy && is_client_error(e)) {
    f.code = "client." + own;
  } else {
    f.code = std::string(side == Side::client_proxy ? "server.clientproxy." : "server.serverproxy.") + own;
  }
  f.message = e.detail();
  f.detail = Random::system().uuid();
  return f;
}

unsigned fault_status(std::string_view code) { return code.rfind("server.", 0) == 0 || code.rfind("Server.", 0) == 0 ? 500 : 400; }

std::string soap_fault_xml(const Fault& f) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
         "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>" +
         xml::escape(f.code) + "</faultcode><faultstring>" + xml::escape(f.message) +
         "</faultstring><faultactor></faultactor><detail><faultDetail xmlns=\"\">" + xml::escape(f.detail) +
         "</faultDetail></detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

std::optional<Fault> parse_soap_fault(std::string_view text) {
  auto doc = xml::Document::parse(text, 1 << 20);
  if (!doc.ok()) return std::nullopt;
  const xml::Element root = doc->root();
  if (root.name() != "Envelope") return std::nullopt;
  auto body = root.child("Body");
  if (!body) return std::nullopt;
  auto fault = body->child("Fault");
  if (!fault) return std::nullopt;
  Fault f;
  f.original_code = fault->child_text("faultcode").value_or("");
  f.code = normalize_fault_code(f.original_code);
  f.message = fault->child_text("faultstring").value_or("");
  if (auto d = fault->child("detail")) f.detail = d->child_text("faultDetail").value_or("");
  return f;
}

namespace {

bool accepts_xml_only(std::string_view accept) {
  const bool xml = accept.find("xml") != std::string_view::npos;
  const bool json = accept.find("json") != std::string_view::npos || accept.find("*/*") != std::string_view::npos;
  return xml && !json;
}

}  // namespace

net::StringResponse rest_error_response(const Fault& f, std::string_view accept, unsigned version) {
  std::string body, type;
  if (accepts_xml_only(accept)) {
    body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><error><type>" + xml::escape(f.code) + "</type><message>" +
           xml::escape(f.message) + "</message><detail>" + xml::escape(f.detail) + "</detail></error>";
    type = "application/xml; charset=utf-8";
  } else {
    body = nlohmann::json{{"type", f.code}, {"message", f.message}, {"detail", f.detail}}.dump();
    type = "application/json; charset=utf-8";
  }
  auto r = net::make_response(static_cast<net::http::status>(fault_status(f.code)), std::move(body), type, version);
  r.set("X-Road-Error", f.code);
  return r;
}

net::StringResponse soap_error_response(const Fault& f, unsigned version) {
  auto r = net::make_response(net::http::status::internal_server_error, soap_fault_xml(f), "text/xml; charset=utf-8", version);
  return r;
}

std::string normalize_fault_code(std::string_view code) {
  std::string out;
  bool prev_lower = false;
  for (char c : code) {
    if (c == '.') {
      out += '.';
      prev_lower = false;
      continue;
    }
    const bool upper = std::isupper(static_cast<unsigned char>(c)) != 0;
    if (upper && prev_lower) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    prev_lower = !upper && std::isalnum(static_cast<unsigned char>(c));
  }
  // 7.7's "Server.ServerProxy" and "Server.ClientProxy" are single words in 7.8. One pass:
  // the code comes from a peer and may be long.
  static constexpr std::pair<std::string_view, std::string_view> kJoined[] = {
      {"server_proxy", "serverproxy"}, {"client_proxy", "clientproxy"}, {"op_monitor", "opmonitor"}};
  std::string joined;
  joined.reserve(out.size());
  const std::string_view rest_of(out);
  for (std::size_t i = 0; i < out.size();) {
    const auto* hit = std::find_if(std::begin(kJoined), std::end(kJoined), [&](const auto& j) { return rest_of.substr(i).starts_with(j.first); });
    if (hit == std::end(kJoined)) {
      joined += out[i++];
    } else {
      joined += hit->second;
      i += hit->first.size();
    }
  }
  return joined;
}

}  // namespace roadside::proxy
